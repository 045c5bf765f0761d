#pragma once
// Wall-clock times as text, always in UTC: the one place Vigil turns Unix milliseconds into dates
// and back. Pure calendar arithmetic (std::chrono's civil calendar), no time zone database, no
// gmtime (its shared buffer is not thread-safe) and no locale, so every thread of the server and
// the client gets the same text for the same instant. Instants before 1970 and leap days work;
// a time is rounded down to the second (or day) it falls in.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shared/core/result.hpp"

namespace vigil::time {

std::string utc_date(std::int64_t wall_ms);     // "2026-11-22"
std::string utc_iso8601(std::int64_t wall_ms);  // "2026-11-22T09:30:00Z"
std::string utc_minute(std::int64_t wall_ms);   // "2026-11-22 09:30 UTC", for people

// "2026-11-22T09:30:00Z" or with an offset ("+01:00"); seconds optional; years 2000 to 2200.
// Anything else -> invalid_argument naming the expected form.
Result<std::int64_t> parse_iso8601(std::string_view text);

// A calendar date "YYYY-MM-DD" (exactly that form, and a real day) and back.
std::optional<std::chrono::year_month_day> parse_date(std::string_view text);
std::string format_date(const std::chrono::year_month_day& date);

}  // namespace vigil::time
