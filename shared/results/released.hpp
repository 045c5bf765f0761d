#pragma once
// What a device receives from GET /v1/results (docs/api/openapi.yaml) and keeps offline: the
// candidate's released results, each with its feedback per KSS area, next steps and, when the
// outcome was met, the signed certificate (docs/CREDENTIALS.md).
//
//   {"v":1,"results":[{"sitting_id","released_wall_ms","report":{ScoreReport without items},
//                      "next_steps":str,"certificate":{Credential}?}]}
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/core/result.hpp"
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

nlohmann::json to_json(const std::vector<ReleasedResult>& results);
// Strict; a certificate that is not a readable credential is an error naming the field.
Result<std::vector<ReleasedResult>> parse_released_results(std::string_view body);

// A plain-text summary for a person: outcome, each stage, feedback per KSS area, next steps.
std::string describe(const ReleasedResult& r);

}  // namespace vigil::results
