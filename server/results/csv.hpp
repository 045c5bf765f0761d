#pragma once
// CSV for the server's exports (staff lists, audit, results, equalities) and the council's
// endorsement uploads: the one writer and the one reader. RFC 4180 quoting, CRLF after every row;
// cells that spreadsheet programs would run as formulas are defused (OWASP "CSV injection"): text
// starting with = + - @, a tab or a carriage return gets a leading apostrophe so it is shown as
// text, never evaluated.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "shared/core/result.hpp"

namespace vigil::server {

// A CSV file built row by row. Text that people or content wrote goes through text(): defused,
// then quoted always or only when it must be (a comma, quote or line break), as the writer was
// made (plain ids stay readable where the export is meant to be read). What the server formats
// itself (numbers, dates, its own codes and column names) goes through plain(), as it is.
class CsvWriter {
 public:
  enum class Quote { always, when_needed };
  explicit CsvWriter(Quote quote) : quote_(quote) {}

  CsvWriter& text(std::string_view value);
  // REQUIRES: `value` needs no quoting and cannot be read as a formula (checked by assert).
  CsvWriter& plain(std::string_view value);
  CsvWriter& number(std::int64_t n);
  CsvWriter& number(std::uint64_t n);
  // The end of a row (CRLF); row() writes each cell with text() and ends the row.
  CsvWriter& end_row();
  CsvWriter& row(std::initializer_list<std::string_view> texts);

  const std::string& str() const noexcept { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();
  Quote quote_;
  std::string out_;
  bool in_row_ = false;
};

// RFC 4180 rows; fails on an unterminated quote (with the line number it started on).
Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text);

}  // namespace vigil::server
