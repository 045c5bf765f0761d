// Blind marking of written answers through the staff API (srv::StaffApi::handle, no sockets) on
// a real SqliteRepository in a temp dir, with a real package built from a content directory and
// sittings submitted the way devices submit them (journal records through srv::Api): what
// assessors see (never who the candidate is), who may mark, the double-marking rules of
// shared/results/analysis.hpp with hand-worked marks, the scored results, bad marks refused with
// nothing stored, released results frozen, and the audit log.
#include <algorithm>
#include <memory>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "server/device/api.hpp"
#include "server/packages/authoring.hpp"
#include "server/packages/packages.hpp"
#include "server/results/results.hpp"
#include "server/staff/staff_api.hpp"
#include "server/embedded/server_migrations.hpp"
#include "shared/crypto/ed25519.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/messages.hpp"
#include "shared/protocol/sync.hpp"
#include "shared/sqlite/sqlite.hpp"
#include "shared/time/clock.hpp"
#include "tests/support/content_dir.hpp"
#include "tests/support/server_world.hpp"
#include "tests/support/staff_device.hpp"

using namespace vigil;
using namespace vigil::testing::server_test;

namespace {

const std::string k_assessment = "practitioner-test";
// The sample content's written item is marked on P6 and P7: 2 areas x 10 = 20 marks. With the
// default written threshold of 60 % and band 5 %, raw 11..13 is borderline (|raw*100 - 1200| <= 100).
const std::string k_answer = "The risk to the child is rising: the school reports three missed days and a new bruise.";

json body_of(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

// One candidate's submitted sitting, with everything that would identify it.
struct Sitting {
  std::string candidate_id, name, email, ref, sitting_id, device_id;
};

// The server of every server test (tests/support/server_world.hpp) with one council, the sample
// package built from a content directory, and one account of each role (three assessors).
struct World : testing::ServerWorld {
  std::map<std::string, Browser> who;
  std::map<std::string, std::int64_t> user_ids;
  std::vector<Sitting> sittings;
  std::vector<std::string> bodies;   // every marking response an assessor received

  World() {
    REQUIRE(repo->add_council("council-harbourside", "Harbourside Borough Council", clock.wall_ms()));
    const auto content_dir = dir / "content";
    testing::ContentFiles::sample(k_assessment).write(content_dir);
    REQUIRE(srv::build_and_store_package(*repo, home.keys, srv::load_content_dir(content_dir).value(), clock));
    for (const char* role : {"programme_admin", "council_manager", "proctor", "assessor", "assessor2", "assessor3"}) {
      const std::string r = std::string(role).substr(0, std::string(role).find_first_of("23"));
      const std::string email = std::string(role) + "@staff.example.org";
      user_ids[role] = add_user(email, r, r == "council_manager" ? "council-harbourside" : "", "User " + std::string(role));
      who[role] = login(email);
    }
  }

  // As ServerWorld::call, keeping every marking response for the test that no response names a candidate.
  HttpResponse call(const std::string& method, const std::string& target, const json& body, const Browser& b) {
    auto out = ServerWorld::call(method, target, body.is_null() ? "" : body.dump(), &b);
    if (target.rfind("/staff/api/marking/", 0) == 0) bodies.push_back(out.body);
    return out;
  }
  HttpResponse get(const std::string& target, const std::string& role) { return call("GET", target, nullptr, who.at(role)); }

  // A candidate endorsed by the council sits the assessment and their device submits it.
  Sitting submit(const std::string& name, const std::string& ref, const std::string& answer, bool knowledge_only = false) {
    Sitting s;
    s.name = name;
    s.ref = ref;
    s.candidate_id = "cand-" + ref;
    s.email = ref + "@council-harbourside.example.org";   // as endorse() makes it
    endorse("council-harbourside", name, ref, knowledge_only ? "knowledge_only" : "");
    if (knowledge_only) REQUIRE(repo->accommodations(s.candidate_id).value().knowledge_only);
    s.sitting_id = srv::schedule_sitting(*repo, s.candidate_id, k_assessment, std::nullopt, clock.wall_ms(), 8, clock).value().sitting_id;
    s.device_id = std::string(32, static_cast<char>('a' + sittings.size()));
    const auto key = crypto::ed25519_generate().value();
    REQUIRE(repo->add_device(srv::DeviceRow{s.device_id, s.candidate_id, "0" + std::to_string(sittings.size()), key.public_key,
                                             clock.wall_ms(), std::nullopt}));
    const auto chain = journal::chain_id_for(s.device_id, s.sitting_id);
    journal::Appender app(chain, journal::Head::genesis(chain));
    time::ManualClock device_clock(clock.wall_ms());
    protocol::RecordBatch batch;
    batch.session_id = s.sitting_id;
    const std::vector<std::pair<std::string, std::string>> saved = {
        {"k-001", R"({"choice":2})"}, {"k-002", R"({"choices":[0,3]})"}, {"s1-001", R"({"choice":0})"},
        {"w-001", json{{"text", answer}}.dump()}};
    for (const auto& [item, value] : saved) {
      const auto payload = protocol::encode_answer_saved({item, 1, value});
      device_clock.advance_ms(1000);
      const auto r = app.next(std::string(protocol::k_answer_saved_type), as_bytes(payload), device_clock);
      app.commit(r);
      batch.records.push_back({r, to_bytes(payload)});
    }
    HttpRequest req{"POST", "/v1/sessions/" + s.sitting_id + "/records", {{"Content-Type", "application/json"}},
                    protocol::to_json(batch).dump()};
    REQUIRE(api->handle(req, PeerIdentity{true, s.device_id, "0" + std::to_string(sittings.size()), "127.0.0.1"}).status == 200);
    REQUIRE(repo->set_session_submitted(s.device_id, s.sitting_id, batch.records.size(), "{}"));
    REQUIRE(results->submitted(s.sitting_id).value());
    sittings.push_back(s);
    return s;
  }

  // The script ids in an assessor's queue.
  std::vector<std::string> queue(const std::string& role) {
    const auto r = get("/staff/api/marking/queue", role);
    INFO(r.body);
    REQUIRE(r.status == 200);
    const auto body = body_of(r);
    std::vector<std::string> out;
    for (const auto& s : body.at("scripts")) out.push_back(s.at("script_id").get<std::string>());
    return out;
  }

  std::string script_of(const Sitting& s) { return marking->script_of_sitting(s.sitting_id).value().value().script_id; }

  HttpResponse mark(const std::string& role, const std::string& script, int round, int p6, int p7) {
    return call("POST", "/staff/api/marking/scripts/" + script + "/marks",
                json{{"round", round},
                     {"marks", json::array({json{{"kss", "P6"}, {"mark", p6}, {"comment", "Risk analysis: " + std::to_string(p6)}},
                                            json{{"kss", "P7"}, {"mark", p7}, {"comment", "Planning: " + std::to_string(p7)}}})}},
                who.at(role));
  }

  std::vector<results::WrittenAreaMark> written(const Sitting& s) { return results->written_marks(s.sitting_id).value().value_or(
      std::vector<results::WrittenAreaMark>{}); }

  std::string outcome(const Sitting& s) {
    auto r = results->result(s.sitting_id).value();
    return r ? r->outcome : "";
  }

  std::vector<srv::AuditLine> audit() { return staff->audit_entries(0, 1000).value(); }
};

std::size_t count_actions(const std::vector<srv::AuditLine>& entries, const std::string& action) {
  return static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(), [&](const auto& e) { return e.action == action; }));
}

}  // namespace

TEST_CASE("an assessor sees the task, the answer, its word count and the rubric, and nothing that identifies the candidate") {
  World w;
  const auto s = w.submit("Zebedee Quillfeather", "ZQ7781", k_answer);
  const auto q = w.queue("assessor");
  REQUIRE(q.size() == 1);
  const auto r = w.get("/staff/api/marking/scripts/" + q.front(), "assessor");
  REQUIRE(r.status == 200);
  const auto script = body_of(r).at("script");
  CHECK(script.at("round") == 1);
  CHECK(script.at("scale").at("max") == 10);
  REQUIRE(script.at("tasks").size() == 1);
  const auto& task = script["tasks"][0];
  CHECK(task.at("stem") == json::array({"Write a case summary."}));
  CHECK(task.at("case_material").is_array());
  CHECK(task.at("answer") == k_answer);
  CHECK(task.at("word_count") == 17);
  CHECK(task.at("words").at("min") == 400);
  REQUIRE(script.at("areas").size() == 2);
  CHECK(script["areas"][0].at("kss") == "P6");
  CHECK(script["areas"][0].at("descriptors") == json::array({"Analyses the risk."}));
  CHECK(script["areas"][1].at("kss") == "P7");
  CHECK_FALSE(script.contains("earlier_markings"));

  // Mark it through two assessors (12 is borderline) so every kind of response is collected.
  REQUIRE(w.mark("assessor", q.front(), 1, 6, 6).status == 200);
  REQUIRE(w.get("/staff/api/marking/scripts/" + q.front(), "assessor2").status == 200);
  REQUIRE(w.mark("assessor2", q.front(), 2, 2, 3).status == 200);   // disagrees: third marker
  REQUIRE(w.get("/staff/api/marking/scripts/" + q.front(), "assessor3").status == 200);
  REQUIRE(w.mark("assessor3", q.front(), 3, 5, 5).status == 200);
  REQUIRE(w.get("/staff/api/marking/progress", "programme_admin").status == 200);
  std::size_t leaks = 0;
  for (const auto& body : w.bodies) {
    for (const auto& secret : {s.candidate_id, s.name, std::string("Quillfeather"), s.email, s.ref, s.sitting_id, s.device_id,
                               std::string("council-harbourside"), std::string("Harbourside")}) {
      if (body.find(secret) != std::string::npos) {
        ++leaks;
        UNSCOPED_INFO("response leaks " << secret << ": " << body);
      }
    }
  }
  CHECK(w.bodies.size() >= 8);
  CHECK(leaks == 0);
}

TEST_CASE("only assessors mark, only programme admins see progress, and assessors are refused every other endpoint") {
  World w;
  w.submit("Ada Lovelace", "AL1", k_answer);
  const auto script = w.queue("assessor").at(0);
  for (const char* role : {"programme_admin", "council_manager", "proctor"}) {
    CHECK(w.get("/staff/api/marking/queue", role).status == 403);
    CHECK(w.get("/staff/api/marking/scripts/" + script, role).status == 403);
    CHECK(w.mark(role, script, 1, 9, 9).status == 403);
  }
  CHECK(w.get("/staff/api/marking/progress", "council_manager").status == 403);
  CHECK(w.get("/staff/api/marking/progress", "proctor").status == 403);
  CHECK(w.get("/staff/api/marking/progress", "assessor").status == 403);
  CHECK(w.marking->markings(script).value().empty());

  // Every row of the endpoint table except /me, /logout and marking, with sample path values.
  std::vector<std::pair<std::string, std::string>> others;
  const std::map<std::string, std::string> sample = {
      {"{user}", "1"}, {"{council}", "council-harbourside"}, {"{candidate}", "cand-AL1"}, {"{device}", "dev"},
      {"{session}", "sess"}, {"{sha}", "abc"}, {"{flag}", "1"}, {"{assessment}", "practitioner-test"}, {"{which}", "face"},
      {"{appeal}", "1"}};
  for (const auto& e : srv::staff_endpoints()) {
    if (e.permission == srv::Permission::signed_in || e.permission == srv::Permission::account ||
        e.permission == srv::Permission::marking) {
      continue;
    }
    std::string path = e.pattern;
    for (const auto& [name, value] : sample) {
      for (auto at = path.find(name); at != std::string::npos; at = path.find(name)) path.replace(at, name.size(), value);
    }
    REQUIRE(path.find('{') == std::string::npos);
    others.emplace_back(e.method, path);
  }
  REQUIRE(others.size() >= 30);
  std::size_t let_in = 0;
  for (const auto& [method, path] : others) {
    const auto r = w.call(method, path, json::object(), w.who.at("assessor"));
    if (r.status != 403 || r.body.find("Ada") != std::string::npos) {
      ++let_in;
      UNSCOPED_INFO(method << " " << path << " -> " << r.status);
    }
  }
  CHECK(let_in == 0);
  // Signed in, an assessor still knows who they are.
  CHECK(body_of(w.get("/staff/api/me", "assessor")).at("user").at("role") == "assessor");
}

TEST_CASE("a script far from the threshold takes the first marks as final, and the sitting is scored") {
  World w;
  const auto s = w.submit("Grace Hopper", "GH1", k_answer);
  const auto script = w.queue("assessor").at(0);
  const auto r = w.mark("assessor", script, 1, 9, 8);   // 17 / 20: 1700 - 1200 > 100, not borderline
  REQUIRE(r.status == 200);
  CHECK(body_of(r).at("state") == "final");
  CHECK(w.written(s) == std::vector<results::WrittenAreaMark>{{"P6", 9, 10}, {"P7", 8, 10}});
  CHECK(w.outcome(s) == "met");
  CHECK(w.marking->script(script).value()->scored_wall_ms.has_value());
  CHECK(w.queue("assessor2").empty());
  const auto audit = w.audit();
  CHECK(count_actions(audit, "marking.submit") == 1);
  CHECK(count_actions(audit, "marking.scored") == 1);
  const auto submit = std::find_if(audit.begin(), audit.end(), [](const auto& e) { return e.action == "marking.submit"; });
  CHECK(submit->detail == "marking 1: P6=9 P7=8 -> final");
  CHECK(submit->user_id == w.user_ids["assessor"]);
}

TEST_CASE("a borderline script goes to a second, different assessor who does not see the first marks; agreement gives the mean") {
  World w;
  const auto s = w.submit("Mary Seacole", "MS1", k_answer);
  const auto script = w.queue("assessor").at(0);
  // 6 + 6 = 12 / 20: exactly at the threshold, inside the band: needs a second marking.
  const auto first = w.mark("assessor", script, 1, 6, 6);
  REQUIRE(first.status == 200);
  CHECK(body_of(first).at("state") == "second");
  CHECK_FALSE(w.results->written_marks(s.sitting_id).value().has_value());
  CHECK(w.outcome(s).empty());

  // The same assessor may not mark it again, and no longer sees it in their queue.
  CHECK(w.queue("assessor").empty());
  const auto again = w.mark("assessor", script, 2, 7, 7);
  CHECK(again.status == 409);
  CHECK(w.get("/staff/api/marking/scripts/" + script, "assessor").status == 409);
  CHECK(w.marking->markings(script).value().size() == 1);

  // The second assessor sees it, without the first marks or comments.
  REQUIRE(w.queue("assessor2") == std::vector<std::string>{script});
  const auto view = w.get("/staff/api/marking/scripts/" + script, "assessor2");
  REQUIRE(view.status == 200);
  CHECK(body_of(view).at("script").at("round") == 2);
  CHECK_FALSE(body_of(view).at("script").contains("earlier_markings"));
  CHECK(view.body.find("Risk analysis") == std::string::npos);

  // A stale round (the page was opened for the first marking) is refused.
  CHECK(w.mark("assessor2", script, 1, 7, 6).status == 409);
  // 7 + 6 = 13: differs by 1 (5 %, within 10 %) and both reach 60 %: they agree.
  const auto second = w.mark("assessor2", script, 2, 7, 6);
  REQUIRE(second.status == 200);
  CHECK(body_of(second).at("state") == "final");
  // Agreed: per area the mean, a half rounded up: P6 (6 + 7) / 2 = 6.5 -> 7, P7 (6 + 6) / 2 = 6.
  CHECK(w.written(s) == std::vector<results::WrittenAreaMark>{{"P6", 7, 10}, {"P7", 6, 10}});
  // Knowledge 2/2, scenario 1/1, written 13/20 (65 %); overall 16/23 (69 %): met.
  CHECK(w.outcome(s) == "met");
  CHECK(w.queue("assessor3").empty());
  CHECK(count_actions(w.audit(), "marking.submit") == 2);
}

TEST_CASE("two markings that disagree go to a third assessor, who sees both and whose marks are final") {
  World w;
  const auto s = w.submit("Florence Nightingale", "FN1", k_answer);
  const auto script = w.queue("assessor").at(0);
  REQUIRE(body_of(w.mark("assessor", script, 1, 6, 6)).at("state") == "second");   // 12: reaches 60 %
  const auto second = w.mark("assessor2", script, 2, 5, 6);                         // 11: below 60 %
  REQUIRE(second.status == 200);
  CHECK(body_of(second).at("state") == "third");
  CHECK_FALSE(w.results->written_marks(s.sitting_id).value().has_value());
  // Neither earlier marker may make the third marking.
  CHECK(w.queue("assessor").empty());
  CHECK(w.queue("assessor2").empty());
  CHECK(w.mark("assessor", script, 3, 9, 9).status == 409);
  CHECK(w.mark("assessor2", script, 3, 9, 9).status == 409);

  const auto view = w.get("/staff/api/marking/scripts/" + script, "assessor3");
  REQUIRE(view.status == 200);
  const auto earlier = body_of(view).at("script").at("earlier_markings");
  REQUIRE(earlier.size() == 2);
  CHECK(earlier[0].at("round") == 1);
  CHECK(earlier[0].at("marks")[0].at("mark") == 6);
  CHECK(earlier[0].at("marks")[0].at("comment") == "Risk analysis: 6");
  CHECK(earlier[1].at("marks")[0].at("mark") == 5);
  CHECK_FALSE(earlier[0].contains("assessor_id"));   // who marked stays on the server

  const auto third = w.mark("assessor3", script, 3, 4, 5);   // 9 / 20 = 45 %: not met
  REQUIRE(third.status == 200);
  CHECK(body_of(third).at("state") == "final");
  CHECK(w.written(s) == std::vector<results::WrittenAreaMark>{{"P6", 4, 10}, {"P7", 5, 10}});
  CHECK(w.outcome(s) == "not_met");
  // Final: nothing more to mark, for anyone.
  w.submit("Other Person", "OP1", k_answer);   // a fresh script so the queue is read with work in it
  CHECK(w.mark("assessor3", script, 3, 9, 9).status == 409);
  CHECK(w.queue("assessor3").size() == 1);
  const auto m = w.marking->markings(script).value();
  REQUIRE(m.size() == 3);
  CHECK(m[0].assessor_id == w.user_ids["assessor"]);
  CHECK(m[1].assessor_id == w.user_ids["assessor2"]);
  CHECK(m[2].assessor_id == w.user_ids["assessor3"]);
  CHECK(count_actions(w.audit(), "marking.submit") == 3);
  CHECK(count_actions(w.audit(), "marking.view") == 1);
}

TEST_CASE("bad marks are refused with an error naming the field, and nothing is stored") {
  World w;
  w.submit("Alan Turing", "AT1", k_answer);
  const auto script = w.queue("assessor").at(0);
  const auto audit_before = w.audit().size();
  const auto area = [](const std::string& kss, json mark, json comment = "fine") {
    return json{{"kss", kss}, {"mark", std::move(mark)}, {"comment", std::move(comment)}};
  };
  struct Bad {
    json body;
    std::string field;
  };
  const std::vector<Bad> cases = {
      {json{{"round", 1}}, "marks"},
      {json{{"marks", json::array({area("P6", 5), area("P7", 5)})}}, "round"},
      {json{{"round", 1}, {"marks", json::array({area("P6", 5)})}}, "marks"},                                 // P7 missing
      {json{{"round", 1}, {"marks", json::array({area("P6", 5), area("P6", 6)})}}, "marks[1].kss"},           // twice
      {json{{"round", 1}, {"marks", json::array({area("P6", 5), area("P7", 5), area("P1", 5)})}}, "marks[2].kss"},
      {json{{"round", 1}, {"marks", json::array({area("P6", 11), area("P7", 5)})}}, "marks[0].mark"},
      {json{{"round", 1}, {"marks", json::array({area("P6", -1), area("P7", 5)})}}, "marks[0].mark"},
      {json{{"round", 1}, {"marks", json::array({area("P6", 5.5), area("P7", 5)})}}, "marks[0].mark"},
      {json{{"round", 1}, {"marks", json::array({area("P6", "5"), area("P7", 5)})}}, "marks[0].mark"},
      {json{{"round", 1}, {"marks", json::array({area("P6", 5), area("P7", 5, "  ")})}}, "marks[1].comment"},
      {json{{"round", 1}, {"marks", json::array({area("P6", 5), area("P7", 5, std::string(2001, 'x'))})}}, "marks[1].comment"},
      {json{{"round", 1}, {"marks", json::array({area("P6", 5), json{{"mark", 5}, {"comment", "x"}}})}}, "marks[1].kss"},
      {json{{"round", 1}, {"marks", json::array({area("P6", 5), "P7=5"})}}, "marks[1]"},
  };
  for (const auto& c : cases) {
    const auto r = w.call("POST", "/staff/api/marking/scripts/" + script + "/marks", c.body, w.who.at("assessor"));
    INFO(c.body.dump() << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(body_of(r).at("error").value("field", "") == c.field);
  }
  CHECK(w.marking->markings(script).value().empty());
  CHECK(w.marking->script(script).value()->state == "first");
  CHECK(w.audit().size() == audit_before);
  // An unknown script is not found.
  CHECK(w.mark("assessor", "no-such-script", 1, 5, 5).status == 404);
  CHECK(w.get("/staff/api/marking/scripts/no-such-script", "assessor").status == 404);
}

TEST_CASE("a released result refuses further marking, and exempt sittings never become scripts") {
  World w;
  const auto s = w.submit("Rosalind Franklin", "RF1", k_answer);
  const auto exempt = w.submit("Ken Knowledge", "KK1", k_answer, true);
  const auto script = w.queue("assessor").at(0);
  CHECK(w.queue("assessor").size() == 1);   // the knowledge-only candidate has nothing to mark
  CHECK(w.marking->script_of_sitting(exempt.sitting_id).value()->state == "none");
  REQUIRE(body_of(w.mark("assessor", script, 1, 6, 6)).at("state") == "second");
  // Scored and released outside the queue (e.g. written marks entered with the admin command).
  REQUIRE(srv::set_written_marks(*w.repo, *w.results, w.home.keys, s.sitting_id, {{"P6", 8, 10}, {"P7", 8, 10}}, w.clock));
  REQUIRE(srv::score_sitting(*w.repo, *w.results, w.home.keys, s.sitting_id, w.clock));
  testing::identity_matches(w, s.device_id, s.sitting_id);
  REQUIRE(w.results->release(k_assessment, w.clock.wall_ms()).value().released == 1);
  const auto r = w.mark("assessor2", script, 2, 6, 6);
  CHECK(r.status == 409);
  CHECK(body_of(r).at("error").at("message").get<std::string>().find("released") != std::string::npos);
  CHECK(w.get("/staff/api/marking/scripts/" + script, "assessor2").status == 409);
  CHECK(w.marking->markings(script).value().size() == 1);
  CHECK(w.written(s) == std::vector<results::WrittenAreaMark>{{"P6", 8, 10}, {"P7", 8, 10}});
}

TEST_CASE("the progress summary counts scripts per window and state, without any script text") {
  World w;
  w.submit("One", "P1X", k_answer);
  w.submit("Two", "P2X", k_answer);
  w.submit("Three", "P3X", k_answer);
  auto q = w.queue("assessor");
  REQUIRE(q.size() == 3);
  REQUIRE(body_of(w.mark("assessor", q[0], 1, 9, 9)).at("state") == "final");
  REQUIRE(body_of(w.mark("assessor", q[1], 1, 6, 6)).at("state") == "second");
  const auto r = w.get("/staff/api/marking/progress", "programme_admin");
  REQUIRE(r.status == 200);
  const auto windows = body_of(r).at("windows");
  REQUIRE(windows.size() == 1);
  CHECK(windows[0] == json{{"assessment_id", k_assessment}, {"awaiting_first", 1}, {"awaiting_second", 1},
                           {"awaiting_third", 0}, {"final", 1}});
  CHECK(r.body.find("risk") == std::string::npos);
  CHECK(r.body.find("case summary") == std::string::npos);
}

TEST_CASE("the marking storage is a required dependency of the staff API, so the marking endpoints always reach it") {
  // Before the composition root, a staff API could be built without marking storage and answered
  // 503 here; now the dependency is a reference (server/app/composition.hpp) and cannot be left out.
  STATIC_CHECK_FALSE(std::is_constructible_v<srv::StaffResultsDeps, srv::ResultsRepository&, const srv::ServerKeys&>);
  World w;
  const auto r = w.get("/staff/api/marking/queue", "assessor");
  CHECK(r.status == 200);
  CHECK(body_of(r).at("scripts").empty());
}

TEST_CASE("the assessor migration keeps every staff account and what refers to it, and allows the new role") {
  testing::TempDir dir;
  const auto path = dir / "vigil.db";
  {
    // A database at schema 4 with a council manager, a proctor and the proctor's signed-in session.
    auto db = testing::server_db_at_schema(path, 4);
    REQUIRE(db.exec("INSERT INTO councils VALUES ('north', 'North', 1);"
                    "INSERT INTO staff_users(user_id, email, display_name, role, council_id, password_salt, password_hash, "
                    "failed_logins, locked_until_wall_ms, created_wall_ms) VALUES "
                    "(3, 'm@north.example.org', 'Manager', 'council_manager', 'north', x'01', x'02', 0, 0, 1),"
                    "(7, 'p@example.org', 'Proctor', 'proctor', NULL, x'03', x'04', 2, 99, 1);"
                    "INSERT INTO staff_sessions VALUES (x'abcd', 7, 'csrf', 1, 9000000000000);"));
    // Schema 4 refuses the role.
    CHECK_FALSE(db.exec("INSERT INTO staff_users(email, display_name, role, password_salt, password_hash, created_wall_ms) "
                        "VALUES ('a@example.org', 'A', 'assessor', x'05', x'06', 1)"));
  }
  auto repo = srv::SqliteRepository::open(path).value();
  CHECK(repo->db().query_int("PRAGMA user_version").value() == static_cast<std::int64_t>(srv::server_migrations().size()));
  srv::SqliteStaffRepository staff(*repo);
  const auto manager = staff.user(3).value();
  REQUIRE(manager);
  CHECK(manager->role == srv::Role::council_manager);
  CHECK(manager->council_id == "north");
  const auto proctor = staff.user(7).value();
  REQUIRE(proctor);
  CHECK(proctor->email == "p@example.org");
  CHECK(proctor->failed_logins == 2);
  CHECK(proctor->password_hash == Bytes{0x04});
  const Bytes token{0xab, 0xcd};
  const auto session = staff.staff_session(token, 1000).value();
  REQUIRE(session);
  CHECK(session->user_id == 7);
  CHECK(repo->db().query_int("SELECT count(*) FROM pragma_foreign_key_check").value() == 0);
  time::ManualClock clock(1000);
  CHECK(srv::create_staff_user(*repo, staff, "a@example.org", "Ann", "assessor", "", testing::k_staff_password, clock, testing::k_test_scrypt));
  // The rebuilt table keeps its rules: a council manager needs a council, unknown roles are refused.
  CHECK_FALSE(repo->db().exec("INSERT INTO staff_users(email, display_name, role, password_salt, password_hash, created_wall_ms) "
                              "VALUES ('x@example.org', 'X', 'council_manager', x'05', x'06', 1)"));
  CHECK_FALSE(repo->db().exec("INSERT INTO staff_users(email, display_name, role, password_salt, password_hash, created_wall_ms) "
                              "VALUES ('y@example.org', 'Y', 'marker', x'05', x'06', 1)"));
}

TEST_CASE("final marks that did not reach the results are stored and scored when the queue is next read") {
  World w;
  const auto s = w.submit("Dorothy Hodgkin", "DH1", k_answer);
  const auto script = w.queue("assessor").at(0);
  // As if the server stopped between storing the final marking and scoring the sitting.
  REQUIRE(w.marking->set_script_state(script, "final", R"([{"kss":"P6","mark":3,"max":10},{"kss":"P7","mark":4,"max":10}])"));
  CHECK(w.marking->final_unscored(10).value().size() == 1);
  CHECK_FALSE(w.results->written_marks(s.sitting_id).value().has_value());
  CHECK(w.queue("assessor2").empty());
  CHECK(w.written(s) == std::vector<results::WrittenAreaMark>{{"P6", 3, 10}, {"P7", 4, 10}});
  CHECK(w.outcome(s) == "not_met");   // written 7 / 20 = 35 %
  CHECK(w.marking->final_unscored(10).value().empty());
  CHECK(count_actions(w.audit(), "marking.scored") == 1);
}
