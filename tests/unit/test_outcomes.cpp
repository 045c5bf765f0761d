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

#include "server/results/outcome.hpp"
#include "server/results/resits.hpp"
#include "server/results/results.hpp"
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
  for (unsigned bits = 0; bits < 256; ++bits) {
    std::string args;
    for (unsigned i = 0; i < 8; ++i) args += std::string(i ? ", " : "") + ((bits >> i) & 1 ? "1" : "0");
    const auto sql = w.repo->db().query_text("SELECT vigil_outcome_state(" + args + ")").value();
    const results::OutcomeFacts f{(bits & 1) != 0,  (bits & 2) != 0,  (bits & 4) != 0,  (bits & 8) != 0,
                                  (bits & 16) != 0, (bits & 32) != 0, (bits & 64) != 0, (bits & 128) != 0};
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
  CHECK(w.device_results(s.voided, "3").status == 400);
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
