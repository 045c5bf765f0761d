#include "shared/time/format.hpp"

#include <cstdio>

#include <fmt/format.h>

namespace vigil::time {

namespace {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct Civil {
  std::chrono::year_month_day date;
  std::chrono::hh_mm_ss<seconds> time;
};

Civil civil(std::int64_t wall_ms) {
  const std::chrono::sys_time<milliseconds> at{milliseconds(wall_ms)};
  const auto day = std::chrono::floor<days>(at);  // floor, not truncation: right before 1970 too
  return Civil{std::chrono::year_month_day(day), std::chrono::hh_mm_ss<seconds>(std::chrono::floor<seconds>(at - day))};
}

}  // namespace

std::string format_date(const std::chrono::year_month_day& d) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                     static_cast<unsigned>(d.day()));
}

std::string utc_date(std::int64_t wall_ms) { return format_date(civil(wall_ms).date); }

std::string utc_iso8601(std::int64_t wall_ms) {
  const auto c = civil(wall_ms);
  return fmt::format("{}T{:02}:{:02}:{:02}Z", format_date(c.date), c.time.hours().count(), c.time.minutes().count(),
                     c.time.seconds().count());
}

std::string utc_minute(std::int64_t wall_ms) {
  const auto c = civil(wall_ms);
  return fmt::format("{} {:02}:{:02} UTC", format_date(c.date), c.time.hours().count(), c.time.minutes().count());
}

std::optional<std::chrono::year_month_day> parse_date(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return std::nullopt;
  auto digits = [&](std::size_t from, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) {
      if (d[i] < '0' || d[i] > '9') return std::nullopt;
      v = v * 10 + (d[i] - '0');
    }
    return v;
  };
  auto y = digits(0, 4), m = digits(5, 2), day = digits(8, 2);
  if (!y || !m || !day) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*m)},
                                        std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

Result<std::int64_t> parse_iso8601(std::string_view text) {
  const auto bad = [&] {
    // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict on `"\"" + std::string(...)`.
    std::string message = "\"";
    message.append(text);
    message.append("\" is not a date and time like 2026-11-22T09:30:00Z or 2026-11-22T09:30+01:00");
    return fail(Errc::invalid_argument, std::move(message));
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, n = 0;
  const std::string t(text);
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16) return bad();
  std::string_view rest = std::string_view(t).substr(16);
  if (rest.size() >= 3 && rest[0] == ':') {
    int used = 0;
    if (std::sscanf(t.c_str() + 16, ":%2d%n", &s, &used) != 1 || used != 3) return bad();
    rest.remove_prefix(3);
  }
  int offset_min = 0;
  if (rest == "Z") {
    offset_min = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = 0, om = 0, used = 0;
    const std::string r(rest);
    if (std::sscanf(r.c_str() + 1, "%2d:%2d%n", &oh, &om, &used) != 2 || used != 5 || oh > 14 || om > 59) return bad();
    offset_min = (rest[0] == '-' ? -1 : 1) * (oh * 60 + om);
  } else {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || y < 2000 || y > 2200) return bad();
  const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                         std::chrono::day{static_cast<unsigned>(d)}};
  if (!date.ok()) return bad();  // 31 February and the like
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(h) + std::chrono::minutes(mi) + seconds(s);
  return std::chrono::duration_cast<milliseconds>(local.time_since_epoch() - std::chrono::minutes(offset_min)).count();
}

}  // namespace vigil::time
