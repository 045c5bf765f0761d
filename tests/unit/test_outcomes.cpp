// Issue 16 part 3, "withheld and void results": the outcome state of each sitting computed in one
// place (shared/results/outcome.hpp through server/results/outcome.hpp) from what the server
// stores, and every reader of it: the device API's result endpoint (both versions), the council's
// status, summary, results and CSVs, the admin's withheld counts and list, release and
// certificates. In process (tests/support/server_world.hpp), with sittings submitted, flagged and
// decided through the real device and staff APIs, so the schema's triggers do what they do in
// production. The proctors' notes are distinctive strings that must never appear outside the review
// pages; the public reasons must.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>

#include "server/home/issuer_keys.hpp"
#include "server/results/outcome.hpp"
#include "server/results/resits.hpp"
#include "server/results/results.hpp"
#include "shared/certificate/credential.hpp"
#include "shared/results/appeal.hpp"
#include "shared/results/released.hpp"
#include "tests/support/server_world.hpp"
#include "tests/support/staff_device.hpp"

using Catch::Matchers::ContainsSubstring;
using namespace vigil;
using namespace vigil::testing::server_test;
using results::OutcomeState;
using testing::Device;

namespace {

json body_of(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

// Every note a proctor writes in these tests contains this; no candidate or council response may.
constexpr const char* k_note = "PRIVATE-PROCTOR-NOTE";

const std::string k_void_reason = "Another person answered questions during the assessment.";
const std::string k_identity_reason = "The ID document shows someone other than the endorsed candidate.";

// Council "own" (a manager) and "other" (a manager), an admin, proctors A and B; window "w1" is a
// package row only.
struct World : testing::ServerWorld {
  Browser admin, manager, other_manager, proctor_a, proctor_b;
  std::int64_t a = 0, b = 0;

  World() {
    REQUIRE(repo->add_council("own", "Own Council", clock.wall_ms()));
    REQUIRE(repo->add_council("other", "Other Council", clock.wall_ms()));
    REQUIRE(repo->add_package({"w1", 1, "practitioner", "T", "k", Bytes(40, 1), Bytes(32, 2), Bytes(10, 3), Bytes(32, 4),
                               clock.wall_ms()},
                              "{}"));
    admin = add_and_login("admin@example.org", "programme_admin");
    manager = add_and_login("manager@own.example.org", "council_manager", "own");
    other_manager = add_and_login("manager@other.example.org", "council_manager", "other");
    a = add_user("a@proctors.example.org", "proctor");
    proctor_a = login("a@proctors.example.org");
    b = add_user("b@proctors.example.org", "proctor");
    proctor_b = login("b@proctors.example.org");
  }

  struct Sat {
    std::string name, candidate, sitting;
    std::unique_ptr<Device> device;
    std::string review, identity;   // the staff API paths of its review and identity check
  };
  // A candidate of `council` sits w1 on their own device (the session is the sitting), with a
  // flag when `flagged`, submits, and is scored met.
  Sat sit(const std::string& council, const std::string& name, const std::string& ref, char device, bool flagged) {
    Sat s{name, endorse(council, name, ref), {}, nullptr, {}, {}};
    auto sitting = srv::schedule_attempt(*repo, *results, *resits, s.candidate, "w1", std::nullopt, clock.wall_ms(), 8, clock);
    REQUIRE(sitting);
    s.sitting = sitting->sitting.sitting_id;
    s.device = std::make_unique<Device>(*this, s.candidate, std::string(32, device), s.sitting);
    s.device->send({{"session.started", "{}"}});
    if (flagged) s.device->flag("f1", "multi_face", "high", 0.9);
    s.device->send({{"session.submitted", R"({"v":1,"blobs":[]})"}});
    REQUIRE(results->put_result(testing::result_row(s.sitting, s.candidate, testing::sample_score("w1", results::Outcome::met),
                                                    clock.wall_ms())));
    s.review = "/staff/api/sessions/" + s.device->id + "/" + s.sitting;
    s.identity = "/staff/api/identity/" + s.device->id + "/" + s.sitting;
    return s;
  }

  HttpResponse post(const std::string& target, const json& body, const Browser& who) {
    const auto r = call("POST", target, body.dump(), who);
    INFO(target << " " << body.dump() << " -> " << r.status << " " << r.body);
    return r;
  }

  // Both proctors are assigned; each flag is decided by A as a concern; A proposes `decision` with
  // a public reason and B confirms it with `confirm_reason` (notes carry k_note).
  void adverse_review(const Sat& s, const std::string& decision, const std::string& propose_reason,
                      const std::string& confirm_reason) {
    for (auto p : {a, b}) REQUIRE(staff->assign(s.device->id, s.sitting, p, 1, clock.wall_ms()));
    const auto flags = staff->review_flags(s.device->id, s.sitting).value();   // kept: value() of a temporary would dangle
    for (const auto& f : flags) {
      if (!f.decision.empty()) continue;
      const auto r = post(s.review + "/flags/" + std::to_string(f.flag_row),
                          json{{"decision", "concern"}, {"note", std::string(k_note) + " flag: a second face"}}, proctor_a);
      INFO(r.body);
      REQUIRE(r.status == 200);
    }
    const auto first = post(s.review + "/decision",
                            json{{"decision", decision}, {"note", std::string(k_note) + " A"}, {"public_reason", propose_reason}},
                            proctor_a);
    REQUIRE(body_of(first)["state"] == "awaiting_second");
    const auto second = post(s.review + "/decision",
                             json{{"decision", decision}, {"note", std::string(k_note) + " B"}, {"public_reason", confirm_reason}},
                             proctor_b);
    REQUIRE(body_of(second)["state"] == "decided");
  }

  void identity_decide(const Sat& s, const std::string& decision) {
    if (decision == "matches") {
      REQUIRE(staff->assign_identity(s.device->id, s.sitting, false, a));
      REQUIRE(post(s.identity + "/decision", json{{"decision", "matches"}}, proctor_a).status == 200);
      return;
    }
    REQUIRE(staff->assign_identity(s.device->id, s.sitting, false, a));
    REQUIRE(post(s.identity + "/decision",
                 json{{"decision", "does_not_match"}, {"note", std::string(k_note) + " C"},
                      {"public_reason", "The photos do not match."}},
                 proctor_a)
                .status == 200);
    REQUIRE(staff->assign_identity(s.device->id, s.sitting, true, b));
    REQUIRE(post(s.identity + "/decision",
                 json{{"decision", "does_not_match"}, {"note", std::string(k_note) + " D"}, {"public_reason", k_identity_reason}},
                 proctor_b)
                .status == 200);
  }

  // The device's GET /v1/results (v = "" for the version-1 body).
  HttpResponse device_results(const Sat& s, const std::string& v = "2") {
    HttpRequest req;
    req.method = "GET";
    req.target = v.empty() ? "/v1/results" : "/v1/results?v=" + v;
    return api->handle(req, PeerIdentity{true, s.device->id, s.device->serial, "127.0.0.1"});
  }
  OutcomeState state_of(const Sat& s) { return srv::sitting_outcome(*results, s.sitting).value()->state; }

  json get(const std::string& target, const Browser& who) {
    const auto r = call("GET", target, "", &who);
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }
  json status_row(const std::string& candidate) {
    const auto list = get("/staff/api/councils/own/candidates", manager);
    INFO(list.dump());
    for (const auto& c : list["candidates"]) {
      if (c["candidate_id"] == candidate) return c;
    }
    FAIL("no such candidate in the status list");
    return {};
  }
};

// Five candidates of "own" and one of "other", one per state.
struct Scene {
  World w;
  World::Sat released, review, voided, identity, waiting, other;
  Scene() {
    released = w.sit("own", "Rita Released", "r1", 'a', false);
    review = w.sit("own", "Rory Review", "r2", 'b', true);
    voided = w.sit("own", "Vera Void", "r3", 'c', true);
    identity = w.sit("own", "Ivan Identity", "r4", 'd', false);
    waiting = w.sit("own", "Wendy Waiting", "r5", 'e', false);
    other = w.sit("other", "Otto Other", "o1", 'f', false);
    for (const auto* s : {&released, &review, &voided, &other}) w.identity_decide(*s, "matches");
    w.adverse_review(voided, "breach", "Another person helped during the assessment.", k_void_reason);
    w.identity_decide(identity, "does_not_match");
    const auto counts = srv::release_results(*w.repo, *w.results, "w1", nullptr, w.clock).value().counts;
    CHECK(counts.released == 2);   // Rita and Otto: release goes ahead for the rest
    CHECK(counts.withheld_under_review == 1);
    CHECK(counts.withheld_adverse == 1);
    CHECK(counts.withheld_identity == 1);
    CHECK(counts.awaiting_identity == 1);
  }
};

}  // namespace

TEST_CASE("the SQL of the completion status decides states by the same rule as the results layer") {
  World w;
  // Nine facts since schema 14 (appeal_overturned): all 512 combinations.
  for (unsigned bits = 0; bits < 512; ++bits) {
    std::string args;
    for (unsigned i = 0; i < 9; ++i) args += std::string(i ? ", " : "") + ((bits >> i) & 1 ? "1" : "0");
    const auto sql = w.repo->db().query_text("SELECT vigil_outcome_state(" + args + ")").value();
    const results::OutcomeFacts f{(bits & 1) != 0,  (bits & 2) != 0,  (bits & 4) != 0,   (bits & 8) != 0,  (bits & 16) != 0,
                                  (bits & 32) != 0, (bits & 64) != 0, (bits & 128) != 0, (bits & 256) != 0};
    INFO(bits);
    REQUIRE(sql);
    CHECK(*sql == results::outcome_state_name(results::outcome_state(f)));
  }
}

TEST_CASE("each sitting's state, reason and time come from what is recorded, through one rule") {
  Scene s;
  auto& w = s.w;
  CHECK(w.state_of(s.released) == OutcomeState::released);
  CHECK(w.state_of(s.review) == OutcomeState::under_review);
  CHECK(w.state_of(s.voided) == OutcomeState::void_after_review);
  CHECK(w.state_of(s.identity) == OutcomeState::withheld_identity);
  CHECK(w.state_of(s.waiting) == OutcomeState::under_review);

  const auto review = srv::sitting_outcome(*w.results, s.review.sitting).value().value();
  CHECK(review.pending == std::vector{results::PendingCheck::review_open});
  CHECK(review.public_reason.empty());
  REQUIRE(review.since_wall_ms);
  const auto waiting = srv::sitting_outcome(*w.results, s.waiting.sitting).value().value();
  CHECK(waiting.pending == std::vector{results::PendingCheck::identity_pending});
  CHECK(waiting.since_wall_ms == waiting.row.submitted_wall_ms);
  // The confirming proctor's wording is the public reason; both proposals stay on record.
  const auto voided = srv::sitting_outcome(*w.results, s.voided.sitting).value().value();
  CHECK(voided.public_reason == k_void_reason);
  CHECK(voided.since_wall_ms == voided.row.void_wall_ms);
  CHECK(w.repo->db().query_text("SELECT public_reason FROM review_outcomes WHERE session_id = '" + s.voided.sitting + "'").value() ==
        k_void_reason);
  CHECK(w.repo->db().query_int("SELECT count(*) FROM review_decisions WHERE session_id = '" + s.voided.sitting +
                               "' AND public_reason IS NOT NULL").value() == 2);
  CHECK(srv::sitting_outcome(*w.results, s.identity.sitting).value()->public_reason == k_identity_reason);
  // The withheld record of the review is written by the schema, and cannot be deleted.
  CHECK(w.repo->db().query_int("SELECT count(*) FROM withheld_results WHERE reason = 'conduct' AND sitting_id = '" +
                               s.voided.sitting + "'").value() == 1);
  CHECK_FALSE(w.repo->db().exec("DELETE FROM withheld_results"));
  // Release holds what the states hold; no certificate by the side door.
  CHECK(w.results->review_hold(s.voided.sitting).value() == srv::ReviewHold::adverse);
  CHECK(w.results->review_hold(s.review.sitting).value() == srv::ReviewHold::under_review);
  CHECK(w.results->identity_hold(s.waiting.sitting).value() == srv::IdentityHold::pending);
  CHECK(w.results->identity_hold(s.identity.sitting).value() == srv::IdentityHold::withheld);
  CHECK_FALSE(srv::issue_certificate(*w.repo, *w.results, *w.server->signer(), s.voided.sitting, w.clock));
}

TEST_CASE("the candidate's device is told each sitting's state and public reason, never a note, and no void scores") {
  Scene s;
  auto& w = s.w;
  const auto expect = [&](const World::Sat& sat, const std::string& state, const std::string& reason, std::size_t results) {
    const auto r = w.device_results(sat);
    INFO(sat.name << ": " << r.body);
    REQUIRE(r.status == 200);
    CHECK(r.body.find(k_note) == std::string::npos);
    const auto parsed = results::parse_candidate_results(r.body).value();
    REQUIRE(parsed.sittings.size() == 1);
    CHECK(parsed.sittings[0].sitting_id == sat.sitting);
    CHECK(results::outcome_state_name(parsed.sittings[0].state) == state);
    CHECK(parsed.sittings[0].public_reason == reason);
    CHECK(parsed.results.size() == results);
  };
  expect(s.released, "released", "", 1);
  expect(s.review, "under_review", "", 0);
  expect(s.voided, "void_after_review", k_void_reason, 0);
  expect(s.identity, "withheld_identity", k_identity_reason, 0);
  expect(s.waiting, "under_review", "", 0);
  // Version 1, for older clients: released results only, as before.
  CHECK(results::parse_released_results(w.device_results(s.released, "").body).value().size() == 1);
  CHECK(results::parse_released_results(w.device_results(s.voided, "").body).value().empty());
  CHECK(w.device_results(s.voided, "4").status == 400);
}

TEST_CASE("a released result that two proctors later find void is void everywhere, without a new certificate") {
  Scene s;
  auto& w = s.w;
  REQUIRE(w.state_of(s.released) == OutcomeState::released);
  // A late flag opens a second review round: the result stays released while it is reviewed.
  s.released.device->flag("f-late", "multi_face", "high", 0.9);
  CHECK(w.state_of(s.released) == OutcomeState::released);
  CHECK(w.status_row(s.released.candidate)["status"] == "result_released");
  w.adverse_review(s.released, "concerns", "Notes were used.", "Notes were used during the assessment.");
  CHECK(w.state_of(s.released) == OutcomeState::void_after_review);
  const auto device = results::parse_candidate_results(w.device_results(s.released).body).value();
  CHECK(device.results.empty());   // the scores are no longer sent
  CHECK(device.sittings[0].public_reason == "Notes were used during the assessment.");
  CHECK(results::parse_released_results(w.device_results(s.released, "").body).value().empty());
  const auto row = w.status_row(s.released.candidate);
  CHECK(row["status"] == "void_after_review");
  CHECK(row["public_reason"] == "Notes were used during the assessment.");
  CHECK_FALSE(row.contains("outcome"));
  CHECK(w.get("/staff/api/councils/own/summary", w.manager)["met"] == 0);
  CHECK_FALSE(srv::issue_certificate(*w.repo, *w.results, *w.server->signer(), s.released.sitting, w.clock));
}

TEST_CASE("the council sees its own candidates' states and public reasons in its status, summary, results and CSVs, never a note") {
  Scene s;
  auto& w = s.w;
  CHECK(w.status_row(s.released.candidate)["status"] == "result_released");
  CHECK(w.status_row(s.review.candidate)["status"] == "under_review");
  CHECK(w.status_row(s.waiting.candidate)["status"] == "under_review");
  const auto voided = w.status_row(s.voided.candidate);
  CHECK(voided["status"] == "void_after_review");
  CHECK(voided["public_reason"] == k_void_reason);
  CHECK_FALSE(voided.contains("outcome"));   // its score is not a result
  const auto identity = w.status_row(s.identity.candidate);
  CHECK(identity["status"] == "withheld_identity");
  CHECK(identity["public_reason"] == k_identity_reason);
  CHECK_FALSE(w.status_row(s.review.candidate).contains("public_reason"));
  // Filters and take-up.
  CHECK(w.get("/staff/api/councils/own/candidates?status=void_after_review", w.manager)["total"] == 1);
  CHECK(w.get("/staff/api/councils/own/candidates?status=under_review", w.manager)["total"] == 2);
  const auto summary = w.get("/staff/api/councils/own/summary", w.manager);
  CHECK(summary["by_status"]["void_after_review"] == 1);
  CHECK(summary["by_status"]["withheld_identity"] == 1);
  CHECK(summary["by_status"]["under_review"] == 2);
  CHECK(summary["completed"] == 5);
  CHECK(summary["met"] == 1);

  // The Results view: the released result with its scores, the others with their state only.
  const auto list = w.get("/staff/api/councils/own/results", w.manager)["results"];
  REQUIRE(list.size() == 5);
  for (const auto& r : list) {
    INFO(r.dump());
    if (r["candidate_id"] == s.released.candidate) {
      CHECK(r["state"] == "released");
      CHECK(r["outcome"] == "met");
      continue;
    }
    CHECK_FALSE(r.contains("stages"));
    CHECK_FALSE(r.contains("outcome"));
    if (r["candidate_id"] == s.voided.candidate) {
      CHECK(r["state_label"] == "Void following a review");
      CHECK(r["public_reason"] == k_void_reason);
    }
    if (r["candidate_id"] == s.identity.candidate) CHECK(r["state_label"] == "Withheld: identity not confirmed");
    if (r["candidate_id"] == s.waiting.candidate) CHECK(r["state_label"] == "Withheld: under review");
  }
  // The CSVs say the same.
  const auto results_csv = w.call("GET", "/staff/api/councils/own/results.csv?assessment=w1", "", w.manager).body;
  CHECK_THAT(results_csv, ContainsSubstring(s.voided.sitting + "," + s.voided.candidate + ",Vera Void,own,1,,,void_after_review," + k_void_reason + ",,"));
  CHECK_THAT(results_csv, ContainsSubstring(s.released.sitting + "," + s.released.candidate + ",Rita Released,own,1,met,"));
  CHECK_THAT(results_csv, ContainsSubstring(",withheld_identity," + k_identity_reason));
  CHECK_THAT(results_csv, !ContainsSubstring("Otto"));
  const auto status_csv = w.call("GET", "/staff/api/councils/own/candidates.csv", "", w.manager).body;
  CHECK_THAT(status_csv, ContainsSubstring(R"("void_after_review",")"));
  CHECK_THAT(status_csv, ContainsSubstring("\"" + k_void_reason + "\""));

  // Nothing the council reads carries a proctor's note; another council sees none of it.
  for (const std::string target : {"/staff/api/councils/own/candidates", "/staff/api/councils/own/candidates.csv",
                                   "/staff/api/councils/own/summary", "/staff/api/councils/own/results",
                                   "/staff/api/councils/own/results.csv?assessment=w1"}) {
    const auto r = w.call("GET", target, "", w.manager);
    INFO(target);
    CHECK(r.status == 200);
    CHECK(r.body.find(k_note) == std::string::npos);
    CHECK(w.call("GET", target, "", w.other_manager).status == 403);
  }
  const auto theirs = w.get("/staff/api/councils/other/results", w.other_manager)["results"];
  REQUIRE(theirs.size() == 1);
  CHECK(theirs[0]["full_name"] == "Otto Other");
  // A void result is not a "not met" to resit.
  CHECK(w.call("POST", "/staff/api/councils/own/candidates/" + s.voided.candidate + "/reendorse", R"({"confirm":true})",
               w.manager).status == 409);
}

TEST_CASE("the admin's Results page counts the withheld sittings by reason and lists them with their links") {
  Scene s;
  auto& w = s.w;
  const auto windows = w.get("/staff/api/results/windows", w.admin)["windows"];
  REQUIRE(windows.size() == 1);
  const auto withheld = windows[0]["withheld"];
  INFO(withheld.dump());
  CHECK(withheld["total"] == 4);
  CHECK(withheld["under_review"] == 2);
  CHECK(withheld["void_after_review"] == 1);
  CHECK(withheld["withheld_identity"] == 1);
  CHECK(withheld["review_open"] == 1);
  CHECK(withheld["identity_pending"] == 1);
  CHECK(withheld["review_awaiting_second"] == 0);
  CHECK(windows[0]["ready_to_release"] == 0);   // release went ahead for the rest

  const auto all = w.get("/staff/api/results/windows/w1/withheld", w.admin);
  CHECK(all["sittings"].size() == 4);
  CHECK(all.dump().find(k_note) == std::string::npos);
  const auto voided = w.get("/staff/api/results/windows/w1/withheld?reason=void_after_review", w.admin)["sittings"];
  REQUIRE(voided.size() == 1);
  CHECK(voided[0]["full_name"] == "Vera Void");
  CHECK(voided[0]["council_name"] == "Own Council");
  CHECK(voided[0]["public_reason"] == k_void_reason);
  CHECK(voided[0]["since_wall_ms"].is_number());
  REQUIRE(voided[0]["reviews"].size() == 1);
  CHECK(voided[0]["reviews"][0]["device_id"] == s.voided.device->id);
  CHECK(voided[0]["reviews"][0]["decision"] == "breach");
  const auto pending = w.get("/staff/api/results/windows/w1/withheld?reason=identity_pending", w.admin)["sittings"];
  REQUIRE(pending.size() == 1);
  CHECK(pending[0]["full_name"] == "Wendy Waiting");
  CHECK(pending[0]["pending"][0]["check"] == "identity_pending");
  REQUIRE(pending[0]["identity_checks"].size() == 1);
  CHECK(pending[0]["identity_checks"][0]["state"] == "open");
  CHECK(w.get("/staff/api/results/windows/w1/withheld?reason=under_review", w.admin)["sittings"].size() == 2);
  CHECK(w.call("GET", "/staff/api/results/windows/w1/withheld?reason=bogus", "", w.admin).status == 400);
  CHECK(w.call("GET", "/staff/api/results/windows/nope/withheld", "", w.admin).status == 404);
  CHECK(w.call("GET", "/staff/api/results/windows/w1/withheld", "", w.manager).status == 403);
  CHECK(w.call("GET", "/staff/api/results/windows/w1/withheld", "", w.proctor_a).status == 403);
  // The admin's CSV carries every scored sitting's state.
  const auto csv = w.call("GET", "/staff/api/results/windows/w1/results.csv", "", w.admin).body;
  CHECK_THAT(csv, ContainsSubstring(",under_review,,"));
  CHECK_THAT(csv, ContainsSubstring(",void_after_review," + k_void_reason + ","));
  // Once the waiting sitting's identity matches it is ready, and release releases just it.
  w.identity_decide(s.waiting, "matches");
  CHECK(w.get("/staff/api/results/windows", w.admin)["windows"][0]["ready_to_release"] == 1);
  CHECK(srv::release_results(*w.repo, *w.results, "w1", nullptr, w.clock).value().counts.released == 1);
  CHECK(w.state_of(s.waiting) == OutcomeState::released);
}

TEST_CASE("migration 12 withholds the sittings of adverse outcomes decided before it, without a public reason") {
  testing::TempDir dir;
  const auto path = dir / "vigil.db";
  {
    auto db = testing::server_db_at_schema(path, 11);
    REQUIRE(db.exec(
        "INSERT INTO councils VALUES ('north', 'North', 1);"
        "INSERT INTO packages VALUES ('w1', 1, 'practitioner', 'T', 'k', x'01', x'02', x'03', x'04', 1);"
        "INSERT INTO candidates VALUES ('cand-a', 'north', 'Cand A', '', 'practitioner', 1);"
        "INSERT INTO devices VALUES ('dev-a', 'cand-a', 'serial-a', x'05', 1, NULL, NULL);"
        "INSERT INTO sittings VALUES ('sit-a', 'cand-a', 'w1', 1, 1, 2, 1);"
        "INSERT INTO review_sessions(device_id, session_id, candidate_id, first_flag_wall_ms, state, decision, decided_wall_ms) "
        "VALUES ('dev-a', 'sit-a', 'cand-a', 5, 'open', NULL, NULL);"
        "UPDATE review_sessions SET state = 'decided', decision = 'breach', decided_wall_ms = 50;"));
  }
  auto repo = srv::SqliteRepository::open(path).value();
  srv::SqliteResultsRepository results(*repo);
  const auto row = results.sitting_facts("sit-a").value().value();
  CHECK(row.facts.void_after_review);
  CHECK(row.void_wall_ms == 50);
  CHECK(row.void_reason.empty());
  CHECK(results::outcome_state(row.facts) == OutcomeState::void_after_review);
}

// ---- Issue 16 part 4: appeals (server/results/appeals.hpp, schema 14) ----------------------------

namespace {

// The Scene with two more proctors, C and D, who took no part in any decision; the device of a
// sitting posts appeals as the candidate's client does.
struct AppealScene : Scene {
  std::int64_t c = 0, d = 0;
  Browser proctor_c, proctor_d;
  AppealScene() {
    c = w.add_user("c@proctors.example.org", "proctor");
    proctor_c = w.login("c@proctors.example.org");
    d = w.add_user("d@proctors.example.org", "proctor");
    proctor_d = w.login("d@proctors.example.org");
  }
  // POST /v1/sittings/{sitting}/appeal from `from`'s device.
  HttpResponse lodge(const World::Sat& from, const std::string& sitting, const std::string& request_id,
                     const std::string& reason = "I was alone; the second face is a photograph on the wall.") {
    HttpRequest req;
    req.method = "POST";
    req.target = "/v1/sittings/" + sitting + "/appeal";
    req.headers["Content-Type"] = "application/json";
    req.body = results::to_json(results::AppealRequest{request_id, reason, w.clock.wall_ms()}).dump();
    const auto r = w.api->handle(req, PeerIdentity{true, from.device->id, from.device->serial, "127.0.0.1"});
    INFO(req.target << " -> " << r.status << " " << r.body);
    return r;
  }
  std::int64_t appeal_id_of(const World::Sat& s) {
    return w.repo->db().query_int("SELECT appeal_id FROM appeals WHERE sitting_id = '" + s.sitting + "'").value();
  }
  HttpResponse decide(std::int64_t appeal, const std::string& outcome, const Browser& who, const std::string& reason) {
    return w.post("/staff/api/appeals/" + std::to_string(appeal) + "/decision",
                  json{{"outcome", outcome}, {"note", std::string(k_note) + " appeal"}, {"public_reason", reason}}, who);
  }
  HttpResponse assign(std::int64_t appeal, std::int64_t reviewer, std::int64_t second) {
    json body{{"reviewer_id", reviewer}};
    if (second) body["second_reviewer_id"] = second;
    return w.post("/staff/api/appeals/" + std::to_string(appeal) + "/assign", body, w.admin);
  }
};

constexpr const char* k_request = "0123456789abcdef0123456789abcdef";

}  // namespace

TEST_CASE("appeals: only the candidate's own device, only a void or withheld result, within the period, once per decision") {
  AppealScene s;
  auto& w = s.w;
  // Another candidate's device cannot appeal Vera's result (nor can it learn whether the sitting
  // exists): 403, audited, nothing written.
  const auto cross = s.lodge(s.released, s.voided.sitting, k_request);
  CHECK(cross.status == 403);
  CHECK(body_of(cross)["error"]["field"] == "sitting");
  CHECK(s.lodge(s.released, "no-such-sitting", "1111111111111111").status == 403);
  CHECK(w.repo->db().query_int("SELECT count(*) FROM appeals").value() == 0);
  CHECK(w.repo->db().query_int("SELECT count(*) FROM audit_log WHERE action = 'device.refused' AND detail LIKE '%appeal of sitting " +
                               s.voided.sitting + "%'").value() == 1);
  // Only a decision of two proctors is appealed: not a released result, not one under review.
  CHECK_THAT(s.lodge(s.released, s.released.sitting, "2222222222222222").body, ContainsSubstring("this one is: Released"));
  CHECK(s.lodge(s.review, s.review.sitting, "3333333333333333").status == 409);
  // Vera appeals; the same request again finds the same appeal; a second one is refused while open.
  const auto lodged = s.lodge(s.voided, s.voided.sitting, k_request);
  REQUIRE(lodged.status == 201);
  CHECK(body_of(lodged)["appeal"]["state"] == "received");
  CHECK(s.lodge(s.voided, s.voided.sitting, k_request).status == 200);
  const auto again = s.lodge(s.voided, s.voided.sitting, "4444444444444444");
  CHECK(again.status == 409);
  CHECK_THAT(again.body, ContainsSubstring("already open"));
  CHECK(w.repo->db().query_int("SELECT count(*) FROM appeals").value() == 1);
  CHECK(w.repo->db().query_int("SELECT count(*) FROM audit_log WHERE action = 'appeal.lodge'").value() == 1);
  // The device is told it, and until when Ivan may still appeal (28 days, config.json's default).
  const auto v3 = results::parse_candidate_results(w.device_results(s.voided, "3").body).value();
  REQUIRE(v3.sittings.size() == 1);
  REQUIRE(v3.sittings[0].appeal);
  CHECK(v3.sittings[0].appeal->state == "received");
  CHECK_FALSE(v3.sittings[0].appeal_until_wall_ms);
  const auto ivan = results::parse_candidate_results(w.device_results(s.identity, "3").body).value();
  REQUIRE(ivan.sittings[0].appeal_until_wall_ms);
  const auto until = *ivan.sittings[0].appeal_until_wall_ms;
  CHECK(until > w.clock.wall_ms() + 28LL * 86'400'000 - 86'400'000);
  CHECK(until <= w.clock.wall_ms() + 29LL * 86'400'000);
  // Ivan is late by a second: refused, with the last day in the message.
  w.clock.advance_ms(until - w.clock.wall_ms());
  const auto late = s.lodge(s.identity, s.identity.sitting, "5555555555555555");
  CHECK(late.status == 409);
  CHECK_THAT(late.body, ContainsSubstring("the period for appealing this decision ended"));
  CHECK_THAT(late.body, ContainsSubstring("within 28 days of the decision"));
}

TEST_CASE("appeals: only proctors who took no part in the decision are offered, and the server and the schema refuse the others") {
  AppealScene s;
  auto& w = s.w;
  REQUIRE(s.lodge(s.voided, s.voided.sitting, k_request).status == 201);
  const auto id = s.appeal_id_of(s.voided);
  // A and B decided Vera's review (and her identity check): only C and D are offered.
  const auto list = w.get("/staff/api/appeals", w.admin);
  REQUIRE(list["appeals"].size() == 1);
  CHECK(list["appeals"][0]["eligible_reviewers"] == json::array({s.c, s.d}));
  CHECK(list["appeals"][0]["full_name"] == "Vera Void");
  for (const auto& [reviewer, second] : {std::pair{w.a, s.c}, std::pair{s.c, w.b}, std::pair{s.c, s.c}}) {
    const auto r = s.assign(id, reviewer, second);
    CHECK((r.status == 409 || r.status == 400));
  }
  CHECK(w.repo->db().query_int("SELECT count(*) FROM appeals WHERE reviewer_id IS NOT NULL").value() == 0);
  // The schema refuses them whatever calls it.
  CHECK_FALSE(w.repo->db().exec("UPDATE appeals SET reviewer_id = " + std::to_string(w.a) + ", state = 'assigned'"));
  CHECK_FALSE(w.repo->db().exec("INSERT INTO appeal_decisions(appeal_id, staff_id, stage, outcome, public_reason, note, wall_ms) "
                                "VALUES (" + std::to_string(id) + ", " + std::to_string(w.b) + ", 1, 'overturned', 'x', 'y', 1)"));
  // A proctor cannot assign, nor open an appeal not assigned to them.
  CHECK(w.post("/staff/api/appeals/" + std::to_string(id) + "/assign", json{{"reviewer_id", s.c}}, s.proctor_c).status == 403);
  CHECK(w.call("GET", "/staff/api/appeals/" + std::to_string(id), "", &s.proctor_c).status == 403);
  CHECK(w.call("GET", "/staff/api/appeals/" + std::to_string(id), "", &w.manager).status == 403);
  REQUIRE(s.assign(id, s.c, s.d).status == 200);
  CHECK(w.repo->db().query_int("SELECT count(*) FROM audit_log WHERE action = 'appeal.assign'").value() == 1);
  // Now C sees the appeal, the candidate's words and the decision's public reason; A does not.
  const auto page = w.get("/staff/api/appeals/" + std::to_string(id), s.proctor_c);
  CHECK(page["reason"] == "I was alone; the second face is a photograph on the wall.");
  CHECK(page["public_reason_now"] == k_void_reason);
  CHECK(page["evidence_for_you"] == true);
  REQUIRE(page["reviews"].size() == 1);
  CHECK(page["reviews"][0]["decisions"].size() == 2);
  CHECK(w.call("GET", "/staff/api/appeals/" + std::to_string(id), "", &w.proctor_a).status == 403);
  CHECK(w.get("/staff/api/appeals", s.proctor_c)["appeals"].size() == 1);
  CHECK(w.get("/staff/api/appeals", w.proctor_a)["appeals"].empty());
}

TEST_CASE("appeals: two people decide; the proposer cannot confirm; a disagreement goes back; overturned releases with a certificate that verifies") {
  AppealScene s;
  auto& w = s.w;
  REQUIRE(s.lodge(s.voided, s.voided.sitting, k_request).status == 201);
  const auto id = s.appeal_id_of(s.voided);
  const std::string overturn = "The evidence does not show a breach of the rules: the decision is overturned.";
  // Nobody decides before an assignment (the appeal is nobody's yet); then a disagreement sends it
  // back for two others.
  CHECK(s.decide(id, "overturned", s.proctor_c, overturn).status == 403);
  REQUIRE(s.assign(id, s.c, s.d).status == 200);
  CHECK(s.decide(id, "overturned", s.proctor_d, overturn).status == 403);   // the second cannot propose
  CHECK(s.decide(id, "maybe", s.proctor_c, overturn).status == 400);
  CHECK(w.post("/staff/api/appeals/" + std::to_string(id) + "/decision",
               json{{"outcome", "overturned"}, {"note", "n"}}, s.proctor_c).status == 400);   // no public reason
  REQUIRE(body_of(s.decide(id, "overturned", s.proctor_c, overturn))["state"] == "proposed");
  CHECK(s.decide(id, "overturned", s.proctor_c, overturn).status == 409);   // not their own proposal
  CHECK(body_of(s.decide(id, "upheld", s.proctor_d, "It stands."))["state"] == "lodged");
  CHECK(w.state_of(s.voided) == OutcomeState::void_after_review);
  // C and D have decided on it: only E and F may be assigned now.
  CHECK(s.assign(id, s.c, 0).status == 409);
  const auto e = w.add_user("e@proctors.example.org", "proctor");
  const auto f = w.add_user("f@proctors.example.org", "proctor");
  const auto proctor_e = w.login("e@proctors.example.org");
  const auto proctor_f = w.login("f@proctors.example.org");
  REQUIRE(s.assign(id, e, f).status == 200);
  REQUIRE(body_of(s.decide(id, "overturned", proctor_e, overturn))["state"] == "proposed");
  const auto page = w.get("/staff/api/appeals/" + std::to_string(id), proctor_f);
  CHECK(page["proposed_public_reason"] == overturn);
  const auto decided = body_of(s.decide(id, "overturned", proctor_f, overturn));
  CHECK(decided["state"] == "decided");
  CHECK(decided["released"] == true);
  CHECK(decided["certificate_issued"] == true);
  // Final: nothing more is recorded, and the schema refuses a change.
  CHECK(s.decide(id, "upheld", proctor_f, "x").status == 409);
  CHECK_FALSE(w.repo->db().exec("UPDATE appeals SET outcome = 'upheld' WHERE appeal_id = " + std::to_string(id)));
  CHECK(w.repo->db().query_int("SELECT count(*) FROM appeal_decisions").value() == 4);
  CHECK(w.repo->db().query_int("SELECT count(*) FROM audit_log WHERE action = 'appeal.decide'").value() == 4);
  CHECK(w.repo->db().query_int("SELECT count(*) FROM withheld_results WHERE lifted_by_appeal = " + std::to_string(id)).value() == 1);

  // Released after an appeal, everywhere; the certificate verifies offline.
  CHECK(w.state_of(s.voided) == OutcomeState::released_after_appeal);
  const auto v3 = results::parse_candidate_results(w.device_results(s.voided, "3").body).value();
  REQUIRE(v3.results.size() == 1);
  REQUIRE(v3.results[0].certificate);
  CHECK(v3.sittings[0].state == OutcomeState::released_after_appeal);
  CHECK(v3.sittings[0].appeal->outcome == "overturned");
  CHECK(v3.sittings[0].appeal->public_reason == overturn);
  CHECK(results::parse_candidate_results(w.device_results(s.voided, "2").body).value().sittings[0].state == OutcomeState::released);
  const auto keys = srv::load_issuer_keys(w.home.dir, w.clock.wall_ms()).value();
  CHECK(certificate::verify_credential(*v3.results[0].certificate, keys, std::nullopt, w.clock.wall_ms()).ok());
  const auto row = w.status_row(s.voided.candidate);
  CHECK(row["status"] == "result_released");
  CHECK(row["appeal"] == "overturned");
  CHECK(row["outcome"] == "met");
  const auto council = w.get("/staff/api/councils/own/results", w.manager).dump();
  CHECK_THAT(council, ContainsSubstring("released_after_appeal"));
  CHECK(council.find(k_note) == std::string::npos);
  // A later decision against the same sitting (a late flag, a new round) voids it again.
  s.voided.device->flag("f-late", "multi_face", "high", 0.9);
  w.adverse_review(s.voided, "breach", "Someone helped.", "Someone helped after all.");
  CHECK(w.state_of(s.voided) == OutcomeState::void_after_review);
}

TEST_CASE("appeals: upheld keeps the result void with its reason, and says so to the candidate and the council") {
  AppealScene s;
  auto& w = s.w;
  REQUIRE(s.lodge(s.identity, s.identity.sitting, k_request).status == 201);
  const auto id = s.appeal_id_of(s.identity);
  REQUIRE(s.assign(id, s.c, s.d).status == 200);
  const std::string stands = "The photos do not show the endorsed candidate: the decision stands.";
  REQUIRE(body_of(s.decide(id, "upheld", s.proctor_c, stands))["state"] == "proposed");
  const auto decided = body_of(s.decide(id, "upheld", s.proctor_d, stands));
  CHECK(decided["state"] == "decided");
  CHECK_FALSE(decided.contains("released"));
  CHECK(w.state_of(s.identity) == OutcomeState::withheld_identity);
  const auto v3 = results::parse_candidate_results(w.device_results(s.identity, "3").body).value();
  CHECK(v3.results.empty());
  CHECK(v3.sittings[0].public_reason == k_identity_reason);
  CHECK(v3.sittings[0].appeal->outcome == "upheld");
  CHECK(v3.sittings[0].appeal->public_reason == stands);
  CHECK_FALSE(v3.sittings[0].appeal_until_wall_ms);   // decided once: final
  CHECK(s.lodge(s.identity, s.identity.sitting, "6666666666666666").status == 409);
  const auto row = w.status_row(s.identity.candidate);
  CHECK(row["status"] == "withheld_identity");
  CHECK(row["appeal"] == "upheld");
  CHECK(w.repo->db().query_int("SELECT count(*) FROM withheld_results WHERE lifted_wall_ms IS NOT NULL").value() == 0);
  CHECK_FALSE(srv::issue_certificate(*w.repo, *w.results, *w.server->signer(), s.identity.sitting, w.clock));
}
