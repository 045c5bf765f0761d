// The outcome state of a sitting (shared/results/outcome.hpp; issue 16 part 3): the one rule, the
// words every page uses, the public reason's checks, and the device API's result body in both
// versions (shared/results/released.hpp).
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <nlohmann/json.hpp>

#include "shared/results/appeal.hpp"
#include "shared/results/outcome.hpp"
#include "shared/results/released.hpp"

using Catch::Matchers::ContainsSubstring;
using namespace vigil;
using namespace vigil::results;

namespace {

// The facts numbered as bits, in OutcomeFacts' order (nine since schema 14: appeal_overturned).
OutcomeFacts facts_from(unsigned bits) {
  return OutcomeFacts{(bits & 1) != 0,  (bits & 2) != 0,  (bits & 4) != 0,   (bits & 8) != 0,  (bits & 16) != 0,
                      (bits & 32) != 0, (bits & 64) != 0, (bits & 128) != 0, (bits & 256) != 0};
}

// A met result of sitting "sit-1" in window "w1", as release leaves it.
ReleasedResult released_result() {
  ReleasedResult released;
  released.sitting_id = "sit-1";
  released.released_wall_ms = 1000;
  released.report.assessment_id = "w1";
  released.report.version = 1;
  released.report.outcome = Outcome::met;
  for (auto k : {SectionKind::knowledge, SectionKind::scenario, SectionKind::written}) {
    released.report.stages.push_back({k, StageStatus::met, {7, 10}, 60, {}});
  }
  released.next_steps = "Keep your certificate.";
  return released;
}

SittingOutcome sitting(std::string id, std::string window, OutcomeState state, std::string reason) {
  return SittingOutcome{std::move(id), std::move(window), state, std::move(reason), std::nullopt, std::nullopt};
}

}  // namespace

TEST_CASE("outcome rule: a decision wins, then the release, then unfinished checks of a submitted sitting") {
  OutcomeFacts f;
  CHECK(outcome_state(f) == OutcomeState::not_released);
  f.submitted = true;
  CHECK(outcome_state(f) == OutcomeState::not_released);   // checks finished: waiting for the release
  f.identity_pending = true;
  CHECK(outcome_state(f) == OutcomeState::under_review);   // every sitting's identity is checked by a person
  CHECK(pending_checks(f) == std::vector{PendingCheck::identity_pending});
  f.review_open = true;
  CHECK(pending_checks(f) == std::vector{PendingCheck::review_open, PendingCheck::identity_pending});
  f.released = true;
  CHECK(outcome_state(f) == OutcomeState::released);       // a review opened after the release leaves it released
  CHECK(pending_checks(f).empty());
  f.void_after_review = true;
  CHECK(outcome_state(f) == OutcomeState::void_after_review);   // ... until two proctors decide against it
  // Flags while still sitting hold nothing: the sitting is not submitted.
  CHECK(outcome_state({false, false, false, false, true, true, true, true, false}) == OutcomeState::not_released);
  CHECK(outcome_state({false, false, false, true, false, false, false, false, false}) == OutcomeState::withheld_identity);
  // An overturned appeal lifted the decision's hold: released, and the words say after an appeal.
  f.void_after_review = false;
  f.appeal_overturned = true;
  CHECK(outcome_state(f) == OutcomeState::released_after_appeal);
  f.released = false;
  CHECK(outcome_state(f) == OutcomeState::under_review);   // lifted, but checks still open: not released yet

  // Every combination of the nine facts follows the rule's order.
  for (unsigned bits = 0; bits < 512; ++bits) {
    const auto x = facts_from(bits);
    const auto s = outcome_state(x);
    INFO("facts " << bits << " -> " << outcome_state_name(s));
    const bool unfinished = x.review_open || x.review_awaiting_second || x.identity_pending || x.identity_awaiting_second;
    if (x.void_after_review) CHECK(s == OutcomeState::void_after_review);
    else if (x.identity_withheld) CHECK(s == OutcomeState::withheld_identity);
    else if (x.released) CHECK(s == (x.appeal_overturned ? OutcomeState::released_after_appeal : OutcomeState::released));
    else if (x.submitted && unfinished) CHECK(s == OutcomeState::under_review);
    else CHECK(s == OutcomeState::not_released);
    CHECK(is_withheld(s) == (s == OutcomeState::under_review || s == OutcomeState::void_after_review ||
                             s == OutcomeState::withheld_identity));
    CHECK(pending_checks(x).empty() == (s != OutcomeState::under_review));
    CHECK(parse_outcome_state(outcome_state_name(s)) == s);
    CHECK(is_released(s) == (x.released && !x.void_after_review && !x.identity_withheld));
    CHECK(is_decided_hold(s) == (x.void_after_review || x.identity_withheld));
  }
}

TEST_CASE("outcome states have the words the pages show") {
  CHECK(outcome_state_label(OutcomeState::under_review) == "Withheld: under review");
  CHECK(outcome_state_label(OutcomeState::void_after_review) == "Void following a review");
  CHECK(outcome_state_label(OutcomeState::withheld_identity) == "Withheld: identity not confirmed");
  CHECK(outcome_state_label(OutcomeState::released) == "Released");
  CHECK(outcome_state_label(OutcomeState::not_released) == "Not yet released");
  CHECK(outcome_state_label(OutcomeState::released_after_appeal) == "Released after an appeal");
  CHECK(pending_check_label(PendingCheck::identity_awaiting_second) == "identity check awaiting a second proctor");
  CHECK_FALSE(parse_outcome_state("withheld"));
}

TEST_CASE("a public reason is one short line of text") {
  CHECK(check_public_reason("  Another person helped during the assessment.\n").value() ==
        "Another person helped during the assessment.");
  CHECK(check_public_reason(std::string(k_public_reason_max, 'a')));
  for (const std::string& bad : std::vector<std::string>{"", "   ", "two\nlines", "tab\there", std::string(k_public_reason_max + 1, 'a'),
                                                         "bad \xC3 utf-8"}) {
    const auto r = check_public_reason(bad);
    INFO(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "public_reason");
  }
}

TEST_CASE("the results body: version 2 carries each sitting's state and public reason; version 1 still reads") {
  CandidateResults all;
  all.results = {released_result()};
  all.sittings = {sitting("sit-1", "w1", OutcomeState::released, ""),
                  sitting("sit-2", "w2", OutcomeState::void_after_review, "Another person helped during the assessment."),
                  sitting("sit-3", "w3", OutcomeState::under_review, "")};
  const auto text = to_json(all, 2).dump();
  CHECK_THAT(text, ContainsSubstring(R"("v":2)"));
  const auto parsed = parse_candidate_results(text);
  INFO(text << " -> " << (parsed ? "" : parsed.error().describe()));
  REQUIRE(parsed);
  CHECK(*parsed == all);
  CHECK(parse_released_results(text).value() == all.results);

  // An older server's body (and the copy a client kept before it asked for version 2).
  const auto v1 = parse_candidate_results(to_json(all.results).dump()).value();
  CHECK(v1.results == all.results);
  REQUIRE(v1.sittings.size() == 1);
  CHECK(v1.sittings[0] == sitting("sit-1", "w1", OutcomeState::released, ""));

  // The body's invariants: no scores for a sitting that is not released, none missing for one
  // that is, a public reason only with a decision.
  auto j = to_json(all, 2);
  j["sittings"][0]["state"] = "void_after_review";
  j["sittings"][0]["public_reason"] = "x";
  CHECK(parse_candidate_results(j.dump()).error().field == "results");
  j = to_json(all, 2);
  j["results"] = nlohmann::json::array();
  CHECK(parse_candidate_results(j.dump()).error().field == "sittings");
  j = to_json(all, 2);
  j["sittings"][2]["public_reason"] = "why";
  CHECK(parse_candidate_results(j.dump()).error().field == "sittings[2].public_reason");
  j = to_json(all, 2);
  j["sittings"][2]["state"] = "withheld";
  CHECK_FALSE(parse_candidate_results(j.dump()));
  j["v"] = 4;
  CHECK(parse_candidate_results(j.dump()).error().code == Errc::unsupported_version);
}

TEST_CASE("a sitting without a released result is described with its state, its public reason and what it means") {
  const auto text = describe(sitting("sit-2", "w2", OutcomeState::void_after_review, "Notes were used."));
  CHECK_THAT(text, ContainsSubstring("Void following a review: Notes were used."));
  CHECK_THAT(text, ContainsSubstring("No result or certificate will be issued"));
  CHECK_THAT(describe(sitting("s", "w", OutcomeState::under_review, "")), ContainsSubstring("This is not a decision about you"));
  CHECK_THAT(describe(sitting("s", "w", OutcomeState::withheld_identity, "")),
             ContainsSubstring("Withheld: identity not confirmed\n"));
}

TEST_CASE("version 3 of the results body carries each sitting's appeal and period; version 2 says released after an appeal as released") {
  CandidateResults all;
  all.results = {released_result()};
  auto overturned = sitting("sit-1", "w1", OutcomeState::released_after_appeal, "");
  overturned.appeal = SittingAppeal{"decided", 500, "overturned", 900, "The evidence does not show a breach."};
  auto open = sitting("sit-2", "w2", OutcomeState::void_after_review, "Someone helped.");
  open.appeal = SittingAppeal{"received", 700, "", 0, ""};
  auto may = sitting("sit-3", "w3", OutcomeState::withheld_identity, "Not the candidate.");
  may.appeal_until_wall_ms = 86'400'000LL * 30;
  all.sittings = {overturned, open, may};
  const auto text = to_json(all).dump();
  CHECK_THAT(text, ContainsSubstring(R"("v":3)"));
  const auto parsed = parse_candidate_results(text);
  INFO(text << " -> " << (parsed ? "" : parsed.error().describe()));
  REQUIRE(parsed);
  CHECK(*parsed == all);

  // Version 2 (older clients read it strictly): released, and no appeal fields.
  const auto v2 = to_json(all, 2);
  CHECK(v2["sittings"][0]["state"] == "released");
  CHECK_FALSE(v2["sittings"][1].contains("appeal"));
  CHECK_FALSE(v2["sittings"][2].contains("appeal_until_wall_ms"));
  const auto back = parse_candidate_results(v2.dump()).value();
  CHECK(back.sittings[0].state == OutcomeState::released);
  // A version 2 body cannot say released_after_appeal; a period only with a decision's hold.
  auto j = to_json(all, 2);
  j["sittings"][0]["state"] = "released_after_appeal";
  CHECK(parse_candidate_results(j.dump()).error().field == "sittings[0].state");
  j = to_json(all);
  j["sittings"][0]["appeal_until_wall_ms"] = 5;
  CHECK(parse_candidate_results(j.dump()).error().field == "sittings[0].appeal_until_wall_ms");
  j = to_json(all);
  j["sittings"][1]["appeal"]["state"] = "lost";
  CHECK_FALSE(parse_candidate_results(j.dump()));

  CHECK_THAT(describe(open), ContainsSubstring("Appeal received on 1970-01-01"));
  CHECK_THAT(describe(may), ContainsSubstring("You may appeal this decision until 1970-01-30"));
  CHECK_THAT(describe_appeal(overturned), ContainsSubstring("the decision is overturned and your result is released"));
}

TEST_CASE("an appeal's reason is the candidate's words; its request is strict; the period ends at the end of a day") {
  CHECK(check_appeal_reason("  I was alone.\nThe second face is a photo on the wall.  ").value() ==
        "I was alone.\nThe second face is a photo on the wall.");
  for (const std::string& bad : std::vector<std::string>{"", " \n ", std::string(k_appeal_reason_max + 1, 'a'), "bell\x07",
                                                         "bad \xC3 utf-8"}) {
    INFO(bad);
    const auto r = check_appeal_reason(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == "reason");
  }
  const AppealRequest req{"0123456789abcdef0123456789abcdef", "I was alone.", 42};
  CHECK(parse_appeal_request(to_json(req).dump()).value() == req);
  auto j = to_json(req);
  j["request_id"] = "short";
  CHECK(parse_appeal_request(j.dump()).error().field == "request_id");
  j = to_json(req);
  j["extra"] = 1;
  CHECK_FALSE(parse_appeal_request(j.dump()));
  // Decided at 15:00 UTC on 1 December 2026; 28 days: the last day is 29 December.
  const std::int64_t decided = 1'796'137'200'000;   // 2026-12-01T15:00:00Z
  const auto deadline = appeal_deadline_ms(decided, 28);
  CHECK(deadline == 1'796'083'200'000 + 29LL * 86'400'000);   // 2026-12-30T00:00:00Z, the first late instant
}
