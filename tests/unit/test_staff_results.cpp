// The staff results endpoints (server/staff/staff_results.cpp) and the resit rules
// (server/results/resits.hpp) through srv::StaffApi::handle on a real SqliteRepository in a temp
// dir, with a real issuer key: one release path per window that issues certificates and holds
// back what awaits marking; a council sees only its own candidates' released results; a "not
// met" candidate is re-endorsed once and only then scheduled again, as a linked attempt; the
// completion status reads the results table.
#include <map>
#include <memory>
#include <string>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>

#include "server/device/api.hpp"
#include "server/packages/packages.hpp"
#include "server/results/resits.hpp"
#include "server/results/results.hpp"
#include "server/embedded/server_migrations.hpp"
#include "server/staff/staff_api.hpp"
#include "shared/sqlite/sqlite.hpp"
#include "shared/time/format.hpp"
#include "shared/certificate/credential.hpp"
#include "shared/journal/journal.hpp"
#include "shared/protocol/sync.hpp"
#include "tests/support/content_dir.hpp"
#include "tests/support/server_world.hpp"
#include "tests/support/staff_device.hpp"

using Catch::Matchers::ContainsSubstring;
using namespace vigil;
using namespace vigil::testing::server_test;

namespace {

using Signed = testing::Browser;

// The server of every server test (tests/support/server_world.hpp, with a real issuer key) and two
// councils ("own" with a manager, "other"), an admin. Windows "w1".."w3" are package rows only
// (scheduling reads their level; nothing decrypts them).
struct World : testing::ServerWorld {
  Signed admin, manager, other_manager;

  World() {
    REQUIRE(server->signer() != nullptr);
    REQUIRE(repo->add_council("own", "Own Council", clock.wall_ms()));
    REQUIRE(repo->add_council("other", "Other Council", clock.wall_ms()));
    for (const char* w : {"w1", "w2", "w3"}) {
      srv::PackageRow p{w, 1, "practitioner", "T", "k", Bytes(40, 1), Bytes(32, 2), Bytes(10, 3), Bytes(32, 4), clock.wall_ms()};
      REQUIRE(repo->add_package(p, "{}"));
    }
    admin = add_and_login("admin@example.org", "programme_admin");
    manager = add_and_login("manager@own.example.org", "council_manager", "own");
    other_manager = add_and_login("manager@other.example.org", "council_manager", "other");
  }

  json get(const std::string& target, const Signed& who) {
    const auto r = call("GET", target, "", &who);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }

  std::string schedule(const std::string& candidate, const std::string& window) {
    auto s = srv::schedule_attempt(*repo, *results, *resits, candidate, window, std::nullopt, clock.wall_ms(), 8, clock);
    INFO(candidate << " " << window << ": " << (s ? "" : s.error().message));
    REQUIRE(s);
    return s->sitting.sitting_id;
  }

  // A stored score, as score_sitting would leave it (P1 at the standard, P6 not).
  void score(const std::string& sitting, const std::string& candidate, const std::string& window, results::Outcome o) {
    auto r = testing::sample_score(window, o);
    if (o == results::Outcome::incomplete) r.stages.back().status = results::StageStatus::awaiting_marking;   // written
    r.areas = {{"P1", {8, 10}, true}, {"P6", {4, 10}, false}};
    REQUIRE(results->put_result(testing::result_row(sitting, candidate, r, clock.wall_ms())));
  }

  // A candidate of `council` endorsed, scheduled for `window` and scored `o` there.
  struct Sat {
    std::string candidate, sitting;
  };
  Sat sat(const std::string& council, const std::string& name, const std::string& ref, const std::string& window,
          results::Outcome o) {
    Sat out{endorse(council, name, ref), {}};
    out.sitting = schedule(out.candidate, window);
    score(out.sitting, out.candidate, window, o);
    return out;
  }

  // The candidate's own device (id: 32 times `device`) enrols, starts the sitting and submits it,
  // through the device API.
  void sit_and_submit(const std::string& candidate, const std::string& sitting, char device) {
    const std::string dev(32, device);
    REQUIRE(repo->add_device({dev, candidate, dev.substr(0, 4), Bytes(32, 5), clock.wall_ms(), std::nullopt}));
    const auto chain = journal::chain_id_for(dev, sitting);
    journal::Appender app(chain, journal::Head::genesis(chain));
    protocol::RecordBatch batch;
    batch.session_id = sitting;
    for (const std::string type : {"session.started", "session.submitted"}) {
      const std::string payload = type == "session.started" ? "{}" : R"({"v":1,"blobs":[]})";   // a manifest without evidence
      const auto rec = app.next(type, as_bytes(payload), clock);
      app.commit(rec);
      batch.records.push_back({rec, to_bytes(payload)});
    }
    HttpRequest req{"POST", "/v1/sessions/" + sitting + "/records", {{"Content-Type", "application/json"}}, protocol::to_json(batch).dump()};
    REQUIRE(api->handle(req, protocol::PeerIdentity{true, dev, dev.substr(0, 4), "127.0.0.1"}).status == 200);
  }

  std::string status_field(const std::string& candidate, const char* field) {
    const auto list = get("/staff/api/councils/own/candidates", manager);
    INFO(list.dump());
    for (const auto& c : list["candidates"]) {
      if (c["candidate_id"] == candidate) return c[field].is_string() ? c[field].get<std::string>() : c[field].dump();
    }
    FAIL("no such candidate in the status list");
    return {};
  }
};

json body_of(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

const std::string k_confirm = R"({"confirm":true})";

}  // namespace

TEST_CASE("releasing a window from the staff pages releases its decided results, issues certificates and holds back what awaits marking") {
  World w;
  const auto [met, s_met] = w.sat("own", "Mina Met", "M1", "w1", results::Outcome::met);
  const auto [not_met, s_not] = w.sat("own", "Nat Notmet", "N1", "w1", results::Outcome::not_met);
  const auto [waiting, s_wait] = w.sat("own", "Wren Waiting", "W1", "w1", results::Outcome::incomplete);

  auto windows = w.get("/staff/api/results/windows", w.admin)["windows"];
  REQUIRE(windows.size() == 1);
  CHECK(windows[0]["assessment_id"] == "w1");
  CHECK(windows[0]["scored"] == 3);
  CHECK(windows[0]["incomplete"] == 1);
  CHECK(windows[0]["met"] == 1);
  CHECK(windows[0]["not_met"] == 1);
  CHECK(windows[0]["released"] == 0);
  CHECK(windows[0]["thresholds"]["overall"] == 60);
  // Nothing released yet: the status list shows no outcome.
  CHECK(w.status_field(met, "status") != "result_released");

  // Release needs the confirmation; an unknown window is not found.
  CHECK(w.call("POST", "/staff/api/results/windows/w1/release", R"({})", &w.admin).status == 400);
  CHECK(w.call("POST", "/staff/api/results/windows/nope/release", k_confirm, &w.admin).status == 404);
  const auto r = body_of(w.call("POST", "/staff/api/results/windows/w1/release", k_confirm, &w.admin));
  CHECK(r["released"] == 2);
  CHECK(r["already"] == 0);
  CHECK(r["awaiting_marking"] == 1);
  CHECK(r["certificates"] == 1);
  CHECK(w.results->current_credential(s_met).value().has_value());
  CHECK_FALSE(w.results->current_credential(s_not).value().has_value());
  CHECK_FALSE(w.results->result(s_wait).value()->released_wall_ms.has_value());

  // Again: nothing new, no second certificate.
  const auto again = body_of(w.call("POST", "/staff/api/results/windows/w1/release", k_confirm, &w.admin));
  CHECK(again["released"] == 0);
  CHECK(again["already"] == 2);
  CHECK(again["certificates"] == 0);

  // The completion status and take-up read the results table.
  CHECK(w.status_field(met, "status") == "result_released");
  CHECK(w.status_field(met, "outcome") == "met");
  CHECK(w.status_field(not_met, "outcome") == "not_met");
  CHECK(w.status_field(waiting, "status") != "result_released");
  const auto summary = w.get("/staff/api/councils/own/summary", w.manager);
  CHECK(summary["met"] == 1);
  CHECK(summary["by_status"]["result_released"] == 2);

  // The old per-candidate release is gone.
  CHECK(w.call("POST", "/staff/api/results/" + met, R"({"outcome":"met"})", &w.admin).status == 404);
  // Audited.
  const auto audit = w.get("/staff/api/audit", w.admin)["entries"].dump();
  CHECK_THAT(audit, ContainsSubstring("results.release"));
  CHECK_THAT(audit, ContainsSubstring("2 released, 0 already, 1 awaiting marking, 0 withheld under review, 0 withheld after an adverse decision, 1 certificate(s)"));
}

TEST_CASE("thresholds can be set until a window's first release and are refused after it") {
  World w;
  const auto c = w.endorse("own", "Tia Thresh", "T1");
  const auto s = w.schedule(c, "w1");
  CHECK(w.get("/staff/api/results/windows/w1/thresholds", w.admin)["thresholds"]["knowledge"] == 60);
  const std::string t = R"({"v":1,"knowledge":70,"scenario":65,"written":60,"overall":65})";
  const auto set = w.call("PUT", "/staff/api/results/windows/w1/thresholds", t, &w.admin);
  INFO(set.body);
  REQUIRE(set.status == 200);
  CHECK(w.get("/staff/api/results/windows/w1/thresholds", w.admin)["thresholds"]["knowledge"] == 70);
  CHECK(w.call("PUT", "/staff/api/results/windows/w1/thresholds", R"({"v":1,"knowledge":170})", &w.admin).status == 400);
  CHECK(w.call("PUT", "/staff/api/results/windows/w1/thresholds", "not json", &w.admin).status == 400);
  w.score(s, c, "w1", results::Outcome::met);
  REQUIRE(w.call("POST", "/staff/api/results/windows/w1/release", k_confirm, &w.admin).status == 200);
  const auto late = w.call("PUT", "/staff/api/results/windows/w1/thresholds", t, &w.admin);
  CHECK(late.status == 409);
  CHECK_THAT(late.body, ContainsSubstring("can no longer change"));
  CHECK(w.call("PUT", "/staff/api/results/windows/w1/thresholds", t, &w.manager).status == 403);
}

TEST_CASE("scoring a window scores every submitted sitting and reports one sitting's failure without stopping the others") {
  World w;
  const auto content_dir = w.dir / "content";
  testing::ContentFiles::sample("win-real").write(content_dir);
  REQUIRE(srv::build_and_store_package(*w.repo, w.home.keys, srv::load_content_dir(content_dir).value(), w.clock));
  const auto a = w.endorse("own", "Abe Scored", "A1");
  const auto b = w.endorse("own", "Bea Broken", "B1");
  const auto c = w.endorse("own", "Cy Unsubmitted", "C1");
  const auto sa = w.schedule(a, "win-real"), sb = w.schedule(b, "win-real");
  w.schedule(c, "win-real");
  // Devices submit sittings a and b (the sessions are the sittings); c never submits.
  w.sit_and_submit(a, sa, 'a');
  w.sit_and_submit(b, sb, 'b');
  // Sitting b has a written mark for an area its written stage does not assess: it cannot score.
  REQUIRE(w.results->put_written_marks(sb, {{"S8", 1, 2}}, w.clock.wall_ms()));

  const auto windows = w.get("/staff/api/results/windows", w.admin)["windows"];
  REQUIRE(windows.size() == 1);
  CHECK(windows[0]["sittings"] == 3);
  CHECK(windows[0]["submitted"] == 2);
  const auto r = body_of(w.call("POST", "/staff/api/results/windows/win-real/score", "", &w.admin));
  INFO(r.dump());
  REQUIRE(r["scored"].size() == 1);
  CHECK(r["scored"][0]["sitting_id"] == sa);
  CHECK(r["scored"][0]["outcome"] == "incomplete");   // the written stage awaits its marks
  REQUIRE(r["failed"].size() == 1);
  CHECK(r["failed"][0]["sitting_id"] == sb);
  CHECK_THAT(r["failed"][0]["error"].get<std::string>(), ContainsSubstring("S8"));
  CHECK(w.results->result(sa).value().has_value());
  CHECK_THAT(w.get("/staff/api/audit", w.admin)["entries"].dump(), ContainsSubstring("1 scored, 1 failed"));
  CHECK(w.call("POST", "/staff/api/results/windows/win-real/score", "", &w.manager).status == 403);
}

TEST_CASE("a council manager sees only their own candidates' released results, per stage and KSS area, and their CSV") {
  World w;
  const auto [own, s_own] = w.sat("own", "Olive Own", "O1", "w1", results::Outcome::met);
  const auto [own_later, s_later] = w.sat("own", "Ursula Unreleased", "U1", "w2", results::Outcome::met);  // w2 is never released
  const auto [other, s_other] = w.sat("other", "Otto Other", "X1", "w1", results::Outcome::not_met);
  REQUIRE(w.call("POST", "/staff/api/results/windows/w1/release", k_confirm, &w.admin).status == 200);

  const auto list = w.get("/staff/api/councils/own/results", w.manager)["results"];
  REQUIRE(list.size() == 1);
  CHECK(list[0]["full_name"] == "Olive Own");
  CHECK(list[0]["outcome"] == "met");
  CHECK(list[0]["attempt"] == 1);
  CHECK(list[0]["released"] == time::utc_date(w.clock.wall_ms()));
  CHECK(list[0]["areas"][0]["kss"] == "P1");
  CHECK(list[0]["areas"][0]["percent"] == 80);
  CHECK(list[0]["areas"][0]["at_standard"] == true);
  CHECK(list[0]["areas"][1]["at_standard"] == false);
  CHECK(list[0]["stages"].size() == 3);
  CHECK_FALSE(list[0].contains("items"));
  CHECK(list[0]["can_reendorse"] == false);
  const auto text = list.dump();
  CHECK_THAT(text, !ContainsSubstring("Otto"));
  CHECK_THAT(text, !ContainsSubstring("Ursula"));

  // Another council: refused, and the response names nobody.
  const auto refused = w.call("GET", "/staff/api/councils/other/results", "", &w.manager);
  CHECK(refused.status == 403);
  CHECK_THAT(refused.body, !ContainsSubstring("Otto"));
  CHECK(w.call("GET", "/staff/api/councils/other/results.csv?assessment=w1", "", &w.manager).status == 403);

  // The council's CSV: its own released results only, with the attempt column.
  const auto csv = w.call("GET", "/staff/api/councils/own/results.csv?assessment=w1", "", &w.manager);
  REQUIRE(csv.status == 200);
  CHECK(csv.header("Content-Type") == "text/csv; charset=utf-8");
  CHECK_THAT(csv.body, ContainsSubstring("council_id,attempt,outcome"));
  CHECK_THAT(csv.body, ContainsSubstring(s_own + "," + own + ",Olive Own,own,1,met,"));
  CHECK_THAT(csv.body, !ContainsSubstring("Otto"));
  const auto unreleased = w.call("GET", "/staff/api/councils/own/results.csv?assessment=w2", "", &w.manager);
  REQUIRE(unreleased.status == 200);
  CHECK_THAT(unreleased.body, !ContainsSubstring("Ursula"));
  CHECK(w.call("GET", "/staff/api/councils/own/results.csv", "", &w.manager).status == 400);
  // The admin's window CSV has every scored sitting of the window.
  const auto all = w.call("GET", "/staff/api/results/windows/w1/results.csv", "", &w.admin);
  CHECK_THAT(all.body, ContainsSubstring("Otto Other"));
  CHECK(w.call("GET", "/staff/api/results/windows/w1/results.csv", "", &w.manager).status == 403);
}

TEST_CASE("a not-met candidate is re-endorsed once by their own council, and only then scheduled again as a linked second attempt") {
  World w;
  const auto [nat, s_nat] = w.sat("own", "Nat Notmet", "N1", "w1", results::Outcome::not_met);
  const auto [mia, s_mia] = w.sat("own", "Mia Met", "M1", "w1", results::Outcome::met);
  const auto [una, s_una] = w.sat("own", "Una Unreleased", "U1", "w2", results::Outcome::not_met);  // not released
  const auto [otto, s_otto] = w.sat("other", "Otto Other", "X1", "w1", results::Outcome::not_met);
  REQUIRE(w.call("POST", "/staff/api/results/windows/w1/release", k_confirm, &w.admin).status == 200);
  const auto path = [](const std::string& council, const std::string& cand) {
    return "/staff/api/councils/" + council + "/candidates/" + cand + "/reendorse";
  };

  // Before re-endorsement: scheduling the not-met candidate again is refused with the reason.
  auto refused = srv::schedule_attempt(*w.repo, *w.results, *w.resits, nat, "w2", std::nullopt, w.clock.wall_ms(), 8, w.clock);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::conflict);
  CHECK_THAT(refused.error().message, ContainsSubstring("re-endorse"));
  // Moving the released sitting itself is refused too: a resit is in a later window.
  auto moved = srv::schedule_attempt(*w.repo, *w.results, *w.resits, nat, "w1", std::nullopt, w.clock.wall_ms(), 8, w.clock);
  REQUIRE_FALSE(moved);
  CHECK_THAT(moved.error().message, ContainsSubstring("later window"));

  // Refused: a met result, an unreleased one, another council's candidate, no confirmation.
  CHECK(w.call("POST", path("own", mia), k_confirm, &w.manager).status == 409);
  CHECK(w.call("POST", path("own", una), k_confirm, &w.manager).status == 409);
  CHECK(w.call("POST", path("own", otto), k_confirm, &w.manager).status == 404);
  CHECK(w.call("POST", path("other", otto), k_confirm, &w.manager).status == 403);
  CHECK(w.call("POST", path("own", nat), R"({})", &w.manager).status == 400);
  CHECK(w.call("POST", path("own", nat), "", &w.manager).status == 400);
  CHECK(w.call("POST", path("own", "cand-nobody"), k_confirm, &w.manager).status == 404);
  CHECK(w.get("/staff/api/councils/own/results", w.manager)["results"].dump().find("\"can_reendorse\":true") != std::string::npos);

  const auto ok = w.call("POST", path("own", nat), k_confirm, &w.manager);
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  CHECK(body_of(ok)["attempt"] == 2);
  CHECK(body_of(ok)["resit_of"] == s_nat);
  // Once only.
  const auto twice = w.call("POST", path("own", nat), k_confirm, &w.manager);
  CHECK(twice.status == 409);
  CHECK_THAT(twice.body, ContainsSubstring("already re-endorsed"));
  CHECK(w.status_field(nat, "reendorsed") == "true");
  CHECK(w.status_field(nat, "outcome") == "not_met");
  CHECK_THAT(w.get("/staff/api/audit", w.admin)["entries"].dump(), ContainsSubstring("candidate.reendorse"));

  // Now the admin schedules the resit in a later window: attempt 2, linked to the first sitting.
  auto resit = srv::schedule_attempt(*w.repo, *w.results, *w.resits, nat, "w2", std::nullopt, w.clock.wall_ms(), 8, w.clock);
  REQUIRE(resit);
  CHECK(resit->attempt == 2);
  CHECK(resit->resit_of == s_nat);
  CHECK(srv::attempt_of(*w.resits, resit->sitting.sitting_id).value() == 2);
  // A third sitting is refused while the resit is pending; moving the resit keeps its link.
  auto third = srv::schedule_attempt(*w.repo, *w.results, *w.resits, nat, "w3", std::nullopt, w.clock.wall_ms(), 8, w.clock);
  REQUIRE_FALSE(third);
  CHECK_THAT(third.error().message, ContainsSubstring("already has their resit"));
  auto move = srv::schedule_attempt(*w.repo, *w.results, *w.resits, nat, "w2", std::nullopt, w.clock.wall_ms() + 3'600'000, 4, w.clock);
  REQUIRE(move);
  CHECK(move->attempt == 2);
  CHECK(move->sitting.sitting_id == resit->sitting.sitting_id);

  // The status follows the new attempt; the CSV of the resit's window says attempt 2.
  CHECK(w.status_field(nat, "attempt") == "2");
  CHECK(w.status_field(nat, "reendorsed") == "false");
  // No session of the new attempt yet: not "result released" (the first attempt's sessions no longer count).
  CHECK(w.status_field(nat, "status") == "endorsed");
  w.score(resit->sitting.sitting_id, nat, "w2", results::Outcome::met);
  const auto csv = srv::results_csv(*w.repo, *w.results, "w2", std::nullopt, srv::ResultsCsvOptions{false, w.resits}).value();
  CHECK_THAT(csv, ContainsSubstring(resit->sitting.sitting_id + "," + nat + ",Nat Notmet,own,2,met,"));
  // A withdrawn candidate is not re-endorsed (their endorsement has ended).
  const auto [wes, s_wes] = w.sat("own", "Wes Withdrawn", "W9", "w1", results::Outcome::not_met);
  REQUIRE(w.call("POST", "/staff/api/results/windows/w1/release", k_confirm, &w.admin).status == 200);
  REQUIRE(w.staff->withdraw(wes, "left", w.clock.wall_ms()));
  const auto withdrawn = w.call("POST", path("own", wes), k_confirm, &w.manager);
  CHECK(withdrawn.status == 409);
  CHECK_THAT(withdrawn.body, ContainsSubstring("withdrawn"));
  // A met candidate may be scheduled again without any of this.
  CHECK(srv::schedule_attempt(*w.repo, *w.results, *w.resits, mia, "w2", std::nullopt, w.clock.wall_ms(), 8, w.clock));
}

TEST_CASE("a candidate added on the command line is on their council's roster: status, take-up and results, and no other council's") {
  World w;
  // Issue 16: what `vigil-server admin add-candidate --council own` runs. The candidate sits and
  // submits from their own device.
  const auto code = srv::add_candidate_with_code(*w.repo, *w.staff, {"cand-cli", "own", "Cleo Commandline", "", "practitioner"},
                                                 "", w.clock, 14);
  REQUIRE(code);
  CHECK(code->code.size() == 19);
  const auto sitting = w.schedule("cand-cli", "w1");
  w.sit_and_submit("cand-cli", sitting, 'c');

  // The council's status list and take-up count them: under review until a person has checked the
  // identity photos (issue 16), then submitted, waiting for the release.
  CHECK(w.status_field("cand-cli", "full_name") == "Cleo Commandline");
  CHECK(w.status_field("cand-cli", "status") == "under_review");
  testing::identity_matches(w, std::string(32, 'c'), sitting);
  CHECK(w.status_field("cand-cli", "status") == "submitted");
  CHECK(w.status_field("cand-cli", "employee_ref").empty());
  const auto summary = w.get("/staff/api/councils/own/summary", w.manager);
  CHECK(summary["endorsed"] == 1);
  CHECK(summary["by_status"]["submitted"] == 1);
  const auto found = w.get("/staff/api/councils/own/candidates?search=Cleo", w.manager);
  CHECK(found["total"] == 1);
  CHECK_THAT(w.call("GET", "/staff/api/councils/own/candidates.csv", "", w.manager).body, ContainsSubstring(R"("cand-cli","Cleo Commandline","","","practitioner","submitted")"));
  CHECK_THAT(w.call("GET", "/staff/api/councils/own/candidates.csv", "", w.manager).body, ContainsSubstring(R"("outcome","public_reason")"));

  // Scored and released: the council's results list them, and the status follows.
  w.score(sitting, "cand-cli", "w1", results::Outcome::met);
  REQUIRE(w.call("POST", "/staff/api/results/windows/w1/release", k_confirm, &w.admin).status == 200);
  const auto results = w.get("/staff/api/councils/own/results", w.manager)["results"];
  REQUIRE(results.size() == 1);
  CHECK(results[0]["candidate_id"] == "cand-cli");
  CHECK(w.status_field("cand-cli", "status") == "result_released");
  CHECK(w.get("/staff/api/councils/own/summary", w.manager)["met"] == 1);

  // Another council's manager sees none of it, and cannot ask for this council's.
  CHECK(w.get("/staff/api/councils/other/candidates", w.other_manager)["total"] == 0);
  CHECK(w.get("/staff/api/councils/other/summary", w.other_manager)["endorsed"] == 0);
  CHECK(w.get("/staff/api/councils/other/results", w.other_manager)["results"].empty());
  CHECK(w.call("GET", "/staff/api/councils/own/candidates", "", w.other_manager).status == 403);
  CHECK(w.call("GET", "/staff/api/councils/own/results", "", w.other_manager).status == 403);

  // The council manager can act on them like any candidate of theirs: withdraw them.
  CHECK(w.call("POST", "/staff/api/councils/own/candidates/cand-cli/withdraw", R"({"reason":"left the council"})",
               &w.manager).status == 200);
  CHECK(w.status_field("cand-cli", "status") == "withdrawn");

  // The audit log says who: the command line for the candidate, the admin by name for the release.
  const auto audit = w.get("/staff/api/audit?limit=1000", w.admin)["entries"];
  std::map<std::string, std::string> who;
  for (const auto& e : audit) who.emplace(e["action"].get<std::string>() + " " + e["target"].get<std::string>(), e["who"]);
  INFO(audit.dump());
  CHECK(who["candidates.add council/own"] == "command line");
  CHECK(who["results.release assessment/w1"] == "User admin@example.org (admin@example.org)");
  CHECK(who["candidate.withdraw candidate/cand-cli"] == "User manager@own.example.org (manager@own.example.org)");
  CHECK(who["user.create user/1"] == "command line");
  const auto csv = w.call("GET", "/staff/api/audit.csv", "", w.admin).body;
  CHECK_THAT(csv, ContainsSubstring(R"("user_id","who","action")"));
  CHECK_THAT(csv, ContainsSubstring(R"("","command line","candidates.add","council/own")"));

  // A second add of the same candidate is refused and changes nothing.
  const auto again = srv::add_candidate_with_code(*w.repo, *w.staff, {"cand-cli", "other", "Cleo Again", "", "practitioner"},
                                                  "", w.clock, 14);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::conflict);
  CHECK(w.get("/staff/api/councils/other/candidates", w.other_manager)["total"] == 0);
}

TEST_CASE("admin add-candidate without a council name keeps an existing council's name, and names a new council by its id") {
  World w;
  const auto council_name = [&](const std::string& id) {
    const auto all = w.staff->councils().value();
    for (const auto& [cid, name] : all) {
      if (cid == id) return name;
    }
    return std::string("(no council)");
  };
  // `vigil-server admin add-candidate --council own` (no --council-name): "Own Council" stays.
  REQUIRE(srv::add_candidate_with_code(*w.repo, *w.staff, {"cand-a", "own", "Ada", "", "practitioner"}, "", w.clock, 14));
  CHECK(council_name("own") == "Own Council");
  CHECK(w.get("/staff/api/councils", w.manager)["councils"][0]["name"] == "Own Council");
  // A council that does not exist yet is created, named by its id.
  REQUIRE(srv::add_candidate_with_code(*w.repo, *w.staff, {"cand-b", "fresh", "Bea", "", "practitioner"}, "", w.clock, 14));
  CHECK(council_name("fresh") == "fresh");
  // --council-name renames, as before.
  REQUIRE(srv::add_candidate_with_code(*w.repo, *w.staff, {"cand-c", "fresh", "Cy", "", "practitioner"}, "Fresh Borough",
                                       w.clock, 14));
  CHECK(council_name("fresh") == "Fresh Borough");
  REQUIRE(srv::add_candidate_with_code(*w.repo, *w.staff, {"cand-d", "fresh", "Di", "", "practitioner"}, "", w.clock, 14));
  CHECK(council_name("fresh") == "Fresh Borough");
}

TEST_CASE("the one-roster migration puts every candidate added before it on their council's roster and names who acted") {
  testing::TempDir dir;
  const auto path = dir / "vigil.db";
  {
    // A database at schema 9: a candidate added on the command line (no endorsement), one the
    // council endorsed, and audit entries without a user from the command line, a device and a
    // failed sign-in (as an older server wrote them), and one by a manager.
    auto db = testing::server_db_at_schema(path, 9);
    REQUIRE(db.exec("INSERT INTO councils VALUES ('north', 'North', 1), ('south', 'South', 1);"
                    "INSERT INTO candidates VALUES ('cand-cli', 'north', 'Cleo Commandline', '', 'practitioner', 5),"
                    "('cand-page', 'north', 'Paz Page', 'paz@north.example.org', 'practitioner', 6),"
                    "('cand-south', 'south', 'Sol South', '', 'practitioner', 7);"
                    "INSERT INTO endorsements(candidate_id, council_id, employee_ref, endorsed_wall_ms, endorsed_by) "
                    "VALUES ('cand-page', 'north', 'P-1', 6, 3);"
                    "INSERT INTO staff_users(user_id, email, display_name, role, council_id, password_salt, password_hash, "
                    "failed_logins, locked_until_wall_ms, created_wall_ms) VALUES "
                    "(3, 'm@north.example.org', 'Mo Manager', 'council_manager', 'north', x'01', x'02', 0, 0, 1);"
                    "INSERT INTO audit_log(wall_ms, user_id, action, target, detail) VALUES "
                    "(1, NULL, 'user.create', 'user/3', ''), (2, NULL, 'device.refused', 'device/d', ''),"
                    "(3, NULL, 'login.failed', 'user/3', ''), (4, 3, 'candidates.add', 'council/north', '');"));
  }
  auto repo = srv::SqliteRepository::open(path).value();
  CHECK(repo->db().query_int("PRAGMA user_version").value() == static_cast<std::int64_t>(srv::server_migrations().size()));
  srv::SqliteStaffRepository staff(*repo);
  const auto cli = staff.endorsement("cand-cli").value();
  REQUIRE(cli);
  CHECK(cli->candidate.council_id == "north");
  CHECK(cli->employee_ref.empty());
  CHECK_FALSE(cli->withdrawn_wall_ms);
  CHECK(staff.endorsement("cand-page").value().value().employee_ref == "P-1");
  srv::StatusQuery q;
  q.council_id = "north";
  const auto north = staff.status(q).value();
  REQUIRE(north.total == 2);
  CHECK(north.rows[0].candidate_id == "cand-cli");
  CHECK(north.rows[0].status == "endorsed");
  CHECK(north.rows[1].candidate_id == "cand-page");
  q.council_id = "south";
  CHECK(staff.status(q).value().total == 1);
  // The candidates the command line leaves without an employee reference do not collide.
  REQUIRE(repo->add_candidate({"cand-cli-2", "north", "Cy Second", "", "practitioner"}, 8));
  CHECK(staff.endorsement("cand-cli-2").value().has_value());

  std::map<std::string, std::string> who;
  const auto audit = staff.audit_entries(0, 100).value();
  for (const auto& e : audit) who[e.action] = e.who;
  CHECK(who["user.create"] == "command line");
  CHECK(who["device.refused"] == "device");
  CHECK(who["login.failed"] == "not signed in");
  CHECK(who["candidates.add"] == "Mo Manager (m@north.example.org)");
}
