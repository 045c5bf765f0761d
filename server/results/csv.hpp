#pragma once
// CSV for the server's exports (staff lists, audit, results, equalities) and the council's
// endorsement uploads. RFC 4180 quoting; cells that spreadsheet programs would run as formulas are
// defused (OWASP "CSV injection"): a cell starting with = + - @, a tab or a carriage return gets
// a leading apostrophe so it is shown as text, never evaluated.
#include <string>
#include <string_view>
#include <vector>

#include "shared/core/result.hpp"

namespace vigil::server::core {

// Defused and always quoted.
std::string csv_cell(std::string_view value);
// Defused, quoted only when it holds a comma, quote or line break (plain ids stay readable).
std::string csv_field(std::string_view value);
// RFC 4180 rows; fails on an unterminated quote (with the line number it started on).
Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text);

}  // namespace vigil::server::core
