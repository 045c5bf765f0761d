#pragma once
// What a device receives from GET /v1/results (docs/api/openapi.yaml) and keeps offline: the
// candidate's released results, each with its feedback per KSS area, next steps and, when the
// outcome was met, the signed certificate (docs/CREDENTIALS.md); and, since version 2 (asked for
// with ?v=2, issue 16 part 3), the outcome state of each submitted sitting
// (shared/results/outcome.hpp), with the public reason of a void or withheld one.
//
//   v1: {"v":1,"results":[{"sitting_id","released_wall_ms","report":{ScoreReport without items},
//                          "next_steps":str,"certificate":{Credential}?}]}
//   v2: {"v":2,"results":[... as v1 ...],
//        "sittings":[{"sitting_id","assessment_id","state","public_reason"?}]}
//   v3 (?v=3, issue 16 part 4): as v2, and each sittings entry may carry
//        "appeal":{"state":"received"|"decided","lodged_wall_ms",
//                  "outcome"?,"decided_wall_ms"?,"public_reason"?}
//        and "appeal_until_wall_ms" (a void or withheld result whose decision may still be
//        appealed); state may be released_after_appeal (v2 says released).
//
// Invariants of a v2 body (checked when it is read):
//  (1) every released result has a sittings entry whose state is "released" (or
//      "released_after_appeal"), and every such entry has its result: a void result's scores never
//      reach the device;
//  (2) public_reason only on void_after_review and withheld_identity entries.
// A v1 body (an older server, or the copy a client kept before it was upgraded) is read as v2
// with one "released" entry per result.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/core/result.hpp"
#include "shared/results/outcome.hpp"
#include "shared/results/scoring.hpp"

namespace vigil::results {

struct ReleasedResult {
  std::string sitting_id;
  std::int64_t released_wall_ms = 0;
  ScoreReport report;                     // items always empty
  std::string next_steps;
  std::optional<std::string> certificate; // the credential's JSON text, as a verifier reads it
  bool operator==(const ReleasedResult&) const = default;
};

// The candidate's results and sittings (v2).
struct CandidateResults {
  std::vector<ReleasedResult> results;
  std::vector<SittingOutcome> sittings;
  bool operator==(const CandidateResults&) const = default;
};

nlohmann::json to_json(const std::vector<ReleasedResult>& results);  // v1
nlohmann::json to_json(const CandidateResults& r, int version = 3);  // v2 or v3
// v1, v2 or v3, strict; a certificate that is not a readable credential is an error naming the field.
Result<CandidateResults> parse_candidate_results(std::string_view body);
// The released results of a v1 or v2 body.
Result<std::vector<ReleasedResult>> parse_released_results(std::string_view body);

// A plain-text summary for a person: outcome, each stage, feedback per KSS area, next steps.
std::string describe(const ReleasedResult& r);
// What a candidate is told about a sitting without a released result: its state's words
// (outcome_state_label), the public reason of a void or withheld one, and what it means
// (docs/RESULTS.md "Outcome states").
std::string describe(const SittingOutcome& s);
// The appeal line of a sitting (shared/results/outcome.hpp SittingAppeal): received, decided
// (upheld or overturned, with the reviewers' public reason), or until when one may be lodged;
// empty when none applies.
std::string describe_appeal(const SittingOutcome& s);

}  // namespace vigil::results
