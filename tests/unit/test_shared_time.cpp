// The one time formatter (shared/time/format.hpp): exact text for known instants, including
// before 1970 (rounded down, never toward zero) and leap days, and the ISO 8601 reader's rules.
// (That it is thread-safe is by construction, no gmtime: not something a test can show.)
#include <catch2/catch_test_macros.hpp>

#include "shared/time/format.hpp"

using namespace vigil;

TEST_CASE("instants format as UTC text, to the second") {
  CHECK(time::utc_iso8601(0) == "1970-01-01T00:00:00Z");
  CHECK(time::utc_iso8601(1'795'339'800'000) == "2026-11-22T09:30:00Z");
  CHECK(time::utc_iso8601(1'795'339'859'999) == "2026-11-22T09:30:59Z");  // milliseconds dropped
  CHECK(time::utc_minute(1'795'339'859'999) == "2026-11-22 09:30 UTC");
  CHECK(time::utc_date(1'795'339'800'000) == "2026-11-22");
  CHECK(time::utc_date(1'795'305'599'999) == "2026-11-21");  // the last millisecond of the day before
}

TEST_CASE("instants before 1970 round down to the second and day they fall in") {
  CHECK(time::utc_iso8601(-1) == "1969-12-31T23:59:59Z");
  CHECK(time::utc_date(-1) == "1969-12-31");
  CHECK(time::utc_iso8601(-86'400'000) == "1969-12-31T00:00:00Z");
  CHECK(time::utc_iso8601(-14'182'940'000) == "1969-07-20T20:17:40Z");
  CHECK(time::utc_iso8601(-14'182'939'500) == "1969-07-20T20:17:40Z");
  CHECK(time::utc_minute(-2'203'934'400'000) == "1900-02-28 12:00 UTC");
  CHECK(time::utc_date(-2'203'891'200'000) == "1900-03-01");  // 1900 had no 29 February
}

TEST_CASE("leap days format and parse") {
  CHECK(time::utc_iso8601(1'709'251'199'000) == "2024-02-29T23:59:59Z");
  CHECK(time::utc_iso8601(1'709'251'200'000) == "2024-03-01T00:00:00Z");
  CHECK(time::utc_iso8601(951'782'400'000) == "2000-02-29T00:00:00Z");  // divisible by 400: a leap year
  CHECK(time::utc_iso8601(-11'670'976'372'000) == "1600-02-29T06:07:08Z");
  CHECK(time::parse_iso8601("2024-02-29T23:59:59Z").value() == 1'709'251'199'000);
  CHECK(time::parse_iso8601("2000-02-29T00:00Z").value() == 951'782'400'000);
  CHECK_FALSE(time::parse_iso8601("2100-02-29T00:00Z"));  // divisible by 100 only: not a leap year
  CHECK_FALSE(time::parse_iso8601("2027-02-29T00:00Z"));
  CHECK(time::parse_iso8601("2100-03-01T00:00Z").value() == 4'107'542'400'000);
}

TEST_CASE("ISO 8601 offsets move the instant, and the text names the expected form") {
  CHECK(time::parse_iso8601("2026-11-22T10:30:00+01:00").value() == 1'795'339'800'000);
  CHECK(time::parse_iso8601("2026-11-22T04:00-05:30").value() == 1'795'339'800'000);
  CHECK(time::parse_iso8601("2000-01-01T00:30+01:00").value() == 946'683'000'000);  // the day before in UTC
  auto bad = time::parse_iso8601("tomorrow");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid_argument);
  CHECK(bad.error().message == "\"tomorrow\" is not a date and time like 2026-11-22T09:30:00Z or 2026-11-22T09:30+01:00");
  for (const char* refused : {"1999-12-31T23:59Z", "2026-11-22T09:30:60Z", "2026-11-22T09:30+15:00", "2026-11-22T09:30:00z",
                              "2026-11-22T09:30:00+0100", "2026-13-01T00:00Z", "2026-11-22T09:30:00Z "}) {
    INFO(refused);
    CHECK_FALSE(time::parse_iso8601(refused));
  }
  for (std::int64_t ms : {946'684'800'000LL, 1'795'339'800'000LL, 7'258'118'399'000LL}) {
    CHECK(time::parse_iso8601(time::utc_iso8601(ms)).value() == ms);
  }
}

TEST_CASE("calendar dates are exactly YYYY-MM-DD and a real day") {
  using namespace std::chrono;
  CHECK(time::parse_date("2028-02-29") == year{2028} / February / 29);
  CHECK(time::format_date(year{2028} / February / 29) == "2028-02-29");
  CHECK(time::format_date(year{987} / January / 5) == "0987-01-05");
  for (const char* refused : {"2027-02-29", "2026-2-03", "2026-02-3", "2026/02/03", "20260203", "2026-02-03 ", "2026-00-10",
                              "+026-02-03"}) {
    INFO(refused);
    CHECK_FALSE(time::parse_date(refused));
  }
}
