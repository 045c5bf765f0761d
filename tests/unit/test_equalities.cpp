// Equalities monitoring on the server (server/results/equalities.hpp, server/staff/staff_equalities.hpp): the
// device endpoint PUT /v1/equalities (validation, replace, one candidate per device), storage
// under a pseudonym, and the programme admin's aggregate report with small-group suppression.
// Real SQLite in a temp dir, real keys from init_server_home, the pure Api / StaffApi handlers;
// flagged sessions arrive the production way (an integrity flag and the schema's triggers).
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>

#include "server/device/api.hpp"
#include "server/results/equalities.hpp"
#include "server/staff/staff_api.hpp"
#include "shared/results/scoring.hpp"
#include "tests/support/server_world.hpp"

using Catch::Matchers::ContainsSubstring;
using namespace vigil;
using namespace vigil::testing::server_test;

namespace {

constexpr const char* k_window = "window-1";

// The server of every server test (tests/support/server_world.hpp) with one council and one
// window, "window-1" (a package row only).
struct World : testing::ServerWorld {
  World() {
    REQUIRE(repo->add_council("own", "Own Council", clock.wall_ms()));
    srv::PackageRow p{k_window, 1, "practitioner", "T", "k", Bytes(40, 1), Bytes(32, 2), Bytes(10, 3), Bytes(32, 4), clock.wall_ms()};
    REQUIRE(repo->add_package(p, "{}"));
  }

  // An endorsed candidate of "own" with an enrolled device; returns the candidate id.
  std::string candidate(int n) {
    char ref[16];
    std::snprintf(ref, sizeof ref, "C%03d", n);
    const std::string id = std::string("cand-") + ref;
    endorse("own", std::string("Person ") + ref, ref);
    REQUIRE(repo->add_device({device_of(id), id, ref, Bytes(32, 5), clock.wall_ms(), std::nullopt}));
    return id;
  }
  static std::string device_of(const std::string& cand) { return "dev-" + cand; }
  static PeerIdentity peer_of(const std::string& cand) { return {true, device_of(cand), cand.substr(5), "127.0.0.1"}; }

  HttpResponse put_declaration(const std::string& cand, const std::string& body) {
    HttpRequest r;
    r.method = "PUT";
    r.target = "/v1/equalities";
    r.headers["Content-Type"] = "application/json";
    r.body = body;
    return api->handle(r, peer_of(cand));
  }

  std::optional<results::EqualitiesDeclaration> stored(const std::string& cand) {
    return equalities->declaration(srv::equalities_subject(home.keys, cand).value()).value();
  }

  std::int64_t declaration_rows() {
    auto st = repo->db().cached("SELECT count(*) FROM equalities_declarations").value();
    REQUIRE(st.step().value());
    return st.column_int(0);
  }

  // A scored sitting (sitting id = session id) with the given outcome, optionally flagged.
  void sitting(const std::string& cand, results::Outcome o, bool flagged) {
    const std::string sid = "s-" + cand;
    REQUIRE(repo->put_sitting({sid, cand, k_window, 1, clock.wall_ms(), clock.wall_ms() + 3'600'000}, clock.wall_ms()));
    auto r = testing::sample_score(k_window, o);
    r.overall = {o == results::Outcome::met ? 7u : 3u, 10};
    r.items.front().answered = o == results::Outcome::met;
    REQUIRE(results->put_result(testing::result_row(sid, cand, r, clock.wall_ms())));
    if (flagged) REQUIRE(repo->add_flag({device_of(cand), sid, 1, "bad_manifest", "test"}, clock.wall_ms()));
  }
};

json decl(const char* age, const char* eth, const char* dis, const char* sex) {
  json j{{"v", 1}};
  if (age) j["age_band"] = age;
  if (eth) j["ethnicity"] = eth;
  if (dis) j["disability"] = dis;
  if (sex) j["sex"] = sex;
  return j;
}

// 40 candidates in one window (docs/EQUALITIES.md, "Suppression"):
//   30 declare: age 25_34 x11 / 35_44 x19; ethnicity asian x9 / white x21; disability yes x10 /
//   no x20; sex female x15 / male x15. Outcome not_met when i % 3 == 0; flagged i < 3.
//   10 never declare (the "not declared" group, 10 in every characteristic): all met but the
//   first, which is not met and flagged.
struct Window : World {
  std::vector<std::string> declared, undeclared;
  Browser admin, manager, proctor;
  std::int64_t proctor_id = 0;

  Window() {
    for (int i = 0; i < 30; ++i) {
      const auto c = candidate(i);
      declared.push_back(c);
      const auto body = decl(i < 11 ? "25_34" : "35_44", i < 9 ? "asian" : "white", i < 10 ? "yes" : "no",
                             i % 2 ? "male" : "female");
      REQUIRE(put_declaration(c, body.dump()).status == 200);
      sitting(c, i % 3 == 0 ? results::Outcome::not_met : results::Outcome::met, i < 3);
    }
    for (int j = 0; j < 10; ++j) {
      const auto c = candidate(100 + j);
      undeclared.push_back(c);
      sitting(c, j == 0 ? results::Outcome::not_met : results::Outcome::met, j == 0);
    }
    add_user("admin@example.org", "programme_admin");
    add_user("manager@own.example.org", "council_manager", "own");
    proctor_id = add_user("p@proctors.example.org", "proctor");
    REQUIRE(staff->assign(device_of(declared[0]), "s-" + declared[0], proctor_id, 1, clock.wall_ms()));
    admin = login("admin@example.org");
    manager = login("manager@own.example.org");
    proctor = login("p@proctors.example.org");
  }
};

const json* group_of(const json& report, const std::string& field, const std::string& group) {
  for (const auto& c : report.at("characteristics")) {
    if (c.at("field") != field) continue;
    for (const auto& g : c.at("groups")) {
      if (g.at("group") == group) return &g;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("a declaration with an unknown answer or member is refused naming the field, and nothing is stored") {
  World w;
  const auto a = w.candidate(1);
  struct Bad {
    json body;
    const char* field;
  };
  const std::vector<Bad> bad = {
      {decl("25_34", "martian", "no", "female"), "ethnicity"},
      {decl("twenty", nullptr, nullptr, nullptr), "age_band"},
      {decl(nullptr, nullptr, "maybe", nullptr), "disability"},
      {json{{"sex", 1}}, "sex"},
      {json{{"sex", "female"}, {"candidate_id", "cand-C002"}}, "candidate_id"},
      {json{{"v", 2}, {"sex", "female"}}, "v"},
  };
  for (const auto& b : bad) {
    const auto r = w.put_declaration(a, b.body.dump());
    INFO(b.body.dump() << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(json::parse(r.body).at("error").at("field") == b.field);
  }
  CHECK(w.put_declaration(a, "[1,2]").status == 400);
  CHECK(w.put_declaration(a, "not json").status == 400);
  CHECK_FALSE(w.stored(a));
  CHECK(w.declaration_rows() == 0);

  // No device certificate, an unknown device, or the wrong method.
  HttpRequest r{"PUT", "/v1/equalities", {{"Content-Type", "application/json"}}, decl(nullptr, nullptr, nullptr, "male").dump()};
  CHECK(w.api->handle(r, PeerIdentity{}).status == 401);
  CHECK(w.api->handle(r, PeerIdentity{true, "dev-nobody", "00", "127.0.0.1"}).status == 403);
  HttpRequest get{"GET", "/v1/equalities", {}, {}};
  CHECK(w.api->handle(get, World::peer_of(a)).status == 400);
  // A device API without equalities storage cannot be built: it answered 404 here until the
  // composition root (server/app/composition.hpp) made the storage a required reference.
  STATIC_CHECK_FALSE(std::is_constructible_v<srv::Api, srv::Repository&, const srv::ServerKeys&, const time::Clock&>);
  CHECK(w.declaration_rows() == 0);
}

TEST_CASE("the latest declaration replaces the earlier one, stored under a pseudonym and never under the candidate id") {
  World w;
  const auto a = w.candidate(1);
  const auto b = w.candidate(2);
  REQUIRE(w.put_declaration(a, decl("25_34", "white", "no", "female").dump()).status == 200);
  REQUIRE(w.put_declaration(a, decl("35_44", "prefer_not_to_say", nullptr, "female").dump()).status == 200);
  const auto got = w.stored(a);
  REQUIRE(got);
  CHECK(*got->age_band == "35_44");
  CHECK(*got->ethnicity == "prefer_not_to_say");
  CHECK_FALSE(got->disability);  // left out the second time: not declared any more
  CHECK(w.declaration_rows() == 1);

  // Another candidate's device writes only its own candidate's declaration (the body names no one).
  REQUIRE(w.put_declaration(b, decl(nullptr, nullptr, "yes", "male").dump()).status == 200);
  CHECK(*w.stored(a)->sex == "female");
  CHECK(*w.stored(b)->sex == "male");
  CHECK(w.declaration_rows() == 2);

  // Nothing in the table names the candidate, their device or the time of day.
  auto st = w.repo->db().cached("SELECT subject, updated_day FROM equalities_declarations").value();
  while (st.step().value()) {
    const auto subject = st.column_text(0);
    CHECK(subject.size() == 64);
    CHECK(subject.find("cand-") == std::string::npos);
    CHECK(st.column_text(1).size() == 10);  // YYYY-MM-DD
  }
  CHECK(srv::equalities_subject(w.home.keys, a).value() != srv::equalities_subject(w.home.keys, b).value());
}

TEST_CASE("the equalities report shows groups of ten or more, withholds smaller ones with secondary suppression, and names no one") {
  Window w;
  const auto r = w.call("GET", "/staff/api/reports/window-1/equalities", "", w.admin);
  REQUIRE(r.status == 200);
  const auto report = json::parse(r.body);
  CHECK(report.at("sittings") == 40);

  // Exactly 10: shown, with its counts (yes: i = 0..9; not met when i % 3 == 0; flagged i < 3).
  const auto* yes = group_of(report, "disability", "yes");
  REQUIRE(yes);
  CHECK_FALSE(yes->at("suppressed").get<bool>());
  CHECK(yes->at("candidates") == 10);
  CHECK(yes->at("met") == 6);
  CHECK(yes->at("not_met") == 4);
  CHECK(yes->at("flagged") == 3);
  CHECK(yes->at("flag_rate").get<double>() == 0.3);
  // The undeclared candidates are their own group, in every characteristic.
  const auto* nd = group_of(report, "sex", "not_declared");
  REQUIRE(nd);
  CHECK(nd->at("candidates") == 10);
  CHECK(nd->at("met") == 9);
  CHECK(nd->at("flagged") == 1);
  CHECK(nd->at("label") == "Not declared");
  CHECK(group_of(report, "age_band", "25_34")->at("candidates") == 11);

  // 9: withheld, without counts; the next smallest (not declared, 10) withheld too, so asian
  // cannot be worked out as total minus white minus not declared.
  const auto* asian = group_of(report, "ethnicity", "asian");
  REQUIRE(asian);
  CHECK(asian->at("suppressed").get<bool>());
  CHECK_FALSE(asian->contains("candidates"));
  CHECK_FALSE(asian->contains("met"));
  const auto* eth_nd = group_of(report, "ethnicity", "not_declared");
  REQUIRE(eth_nd);
  CHECK(eth_nd->at("suppressed").get<bool>());
  CHECK_FALSE(eth_nd->contains("candidates"));
  CHECK(group_of(report, "ethnicity", "white")->at("candidates") == 21);

  // No per-person data in the report, its CSV or the item statistics.
  const auto csv = w.call("GET", "/staff/api/reports/window-1/equalities.csv", "", w.admin);
  REQUIRE(csv.status == 200);
  CHECK_THAT(csv.header("Content-Disposition"), ContainsSubstring("vigil-equalities-window-1.csv"));
  CHECK_THAT(csv.body, ContainsSubstring("\"Ethnic group\",\"Asian or Asian British\",,,,,,yes"));
  CHECK_THAT(csv.body, ContainsSubstring("\"Disability\",\"Yes\",10,6,4,3,30.0,no"));
  const auto items = w.call("GET", "/staff/api/reports/window-1/items", "", w.admin);
  REQUIRE(items.status == 200);
  const auto item = json::parse(items.body).at("items").at(0);
  CHECK(item.at("item_id") == "k1");
  CHECK(item.at("candidates") == 40);
  CHECK(item.at("facility").get<double>() > 0.5);
  for (const auto* body : {&r.body, &csv.body, &items.body}) {
    CHECK(body->find("cand-") == std::string::npos);
    CHECK(body->find("Person ") == std::string::npos);
    CHECK(body->find("s-cand") == std::string::npos);
    CHECK(body->find(srv::equalities_subject(w.home.keys, w.declared[0]).value()) == std::string::npos);
  }
  const auto windows = w.call("GET", "/staff/api/reports/windows", "", w.admin);
  REQUIRE(windows.status == 200);
  CHECK(json::parse(windows.body).at("windows") == json::array({"window-1"}));
}

TEST_CASE("council managers and proctors are refused every report") {
  Window w;
  for (const char* path : {"/staff/api/reports/windows", "/staff/api/reports/window-1/equalities",
                           "/staff/api/reports/window-1/equalities.csv", "/staff/api/reports/window-1/items"}) {
    INFO(path);
    CHECK(w.call("GET", path, "", w.manager).status == 403);
    CHECK(w.call("GET", path, "", w.proctor).status == 403);
    CHECK(w.call("GET", path, "", w.admin).status == 200);
    CHECK(w.call("POST", path, "", w.admin).status == 400);  // read-only
  }
  HttpRequest anon{"GET", "/staff/api/reports/window-1/equalities", {}, {}};
  CHECK(w.handle(anon, PeerIdentity{}).status == 401);
}

TEST_CASE("the candidate list, status CSV, summary, results views, session view and audit log carry no equalities data") {
  Window w;
  REQUIRE(w.results->release(k_window, w.clock.wall_ms()));  // so the results views list everyone
  struct View {
    const Browser* who;
    std::string path;
    const char* names;  // a candidate the view is about, or nullptr for aggregate views
  };
  // cand-C000 is flagged and under review, so release withholds it: the results views name
  // released candidates such as cand-C003 instead.
  const std::vector<View> views = {
      {&w.manager, "/staff/api/councils/own/candidates?limit=500", "cand-C000"},
      {&w.manager, "/staff/api/councils/own/candidates.csv", "cand-C000"},
      {&w.manager, "/staff/api/councils/own/summary", nullptr},
      {&w.manager, "/staff/api/councils/own/results", "cand-C003"},
      {&w.manager, "/staff/api/councils/own/results.csv?assessment=window-1", "cand-C003"},
      {&w.admin, "/staff/api/results/windows", nullptr},
      {&w.admin, "/staff/api/results/windows/window-1/results.csv", "cand-C003"},
      {&w.proctor, "/staff/api/queue", "cand-C000"},
      {&w.proctor, "/staff/api/sessions/" + World::device_of(w.declared[0]) + "/s-" + w.declared[0], "cand-C000"},
      {&w.admin, "/staff/api/councils/own/candidates.csv", "cand-C000"},
      {&w.admin, "/staff/api/audit.csv", nullptr},
  };
  // Make the audit log hold report views too: they name the window, never a value.
  REQUIRE(w.call("GET", "/staff/api/reports/window-1/equalities", "", w.admin).status == 200);
  for (const auto& v : views) {
    const auto r = w.call("GET", v.path, "", *v.who);
    INFO(v.path << " -> " << r.body.substr(0, 300));
    REQUIRE(r.status == 200);
    if (v.names != nullptr) CHECK_THAT(r.body, ContainsSubstring(v.names));  // about these candidates...
    for (const char* word : {"ethnicity", "age_band", "disability", "asian", "25_34", "35_44", "prefer_not_to_say",
                             "Asian or Asian British"}) {
      CHECK(r.body.find(word) == std::string::npos);     // ...and hold none of their declarations
    }
  }
}

TEST_CASE("a session a proctor cleared with no concerns no longer counts as flagged") {
  Window w;
  const auto session = "/staff/api/sessions/" + World::device_of(w.declared[0]) + "/s-" + w.declared[0];
  const auto view = json::parse(w.call("GET", session, "", w.proctor).body);
  for (const auto& f : view.at("flags")) {
    REQUIRE(w.call("POST", session + "/flags/" + std::to_string(f.at("flag_row").get<std::int64_t>()),
                   R"({"decision":"dismiss"})", w.proctor).status == 200);
  }
  REQUIRE(w.call("POST", session + "/decision", R"({"decision":"no_concerns"})", w.proctor).status == 200);
  const auto report = json::parse(w.call("GET", "/staff/api/reports/window-1/equalities", "", w.admin).body);
  // declared[0] is in the disability "yes" group: 2 of its 3 flagged sessions are still pending.
  CHECK(group_of(report, "disability", "yes")->at("flagged") == 2);
  CHECK(group_of(report, "disability", "yes")->at("candidates") == 10);
}
