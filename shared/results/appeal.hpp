#pragma once
// A candidate's appeal of a void or withheld result (issue 16 part 4; docs/RESULTS.md "Appeals"):
// what the device sends (POST /v1/sittings/{sitting}/appeal), the checks on the candidate's
// words, and the period within which an appeal is accepted. Pure: the server's storage keeps
// appeals (schema 14) and server/results/appeals.hpp applies the rules; the client keeps a
// request until the server has it (client/store/appeals.hpp).
//
// Invariants:
//  (1) The reason is the candidate's own words: 1 to k_appeal_reason_max bytes of UTF-8 after
//      trimming, several lines allowed, no other control characters.
//  (2) request_id is the device's name for one request (16 to 64 of [0-9a-f-]): sending it again
//      (a lost answer, a restart) finds the appeal it made and makes no second one.
//  (3) The period ends at the end (UTC) of the day k days after the day of the decision that voided
//      or withheld the result, i.e. when the candidate was first told (their device shows a
//      decision's state as soon as it is made); what counts is when the server receives the
//      appeal, never the device's clock.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "shared/core/result.hpp"

namespace vigil::results {

inline constexpr std::size_t k_appeal_reason_max = 2000;
// config.json appeal_window_days when it is not set (docs/SERVER.md).
inline constexpr std::int64_t k_default_appeal_window_days = 28;
inline constexpr std::int64_t k_max_appeal_window_days = 365;

// (1) The trimmed reason, or invalid_argument (field "reason").
Result<std::string> check_appeal_reason(std::string_view text);

struct AppealRequest {
  std::string request_id;            // (2)
  std::string reason;                // (1)
  std::int64_t written_wall_ms = 0;  // the device's clock when the candidate sent it (shown, never trusted)
  bool operator==(const AppealRequest&) const = default;
};
nlohmann::json to_json(const AppealRequest& a);
// Strict: {"v":1,"request_id","reason","written_wall_ms"}; errors name the field.
Result<AppealRequest> parse_appeal_request(std::string_view body);

// (3) The first instant (Unix ms) at which an appeal of a decision made at decided_wall_ms is late.
std::int64_t appeal_deadline_ms(std::int64_t decided_wall_ms, std::int64_t window_days) noexcept;

}  // namespace vigil::results
