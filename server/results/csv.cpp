#include "server/results/csv.hpp"

namespace vigil::server::core {

namespace {

std::string defused(std::string_view value) {
  std::string v(value);
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r')) {
    v.insert(v.begin(), '\'');
  }
  return v;
}

std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
  return out;
}

}  // namespace

std::string csv_cell(std::string_view value) { return quoted(defused(value)); }

std::string csv_field(std::string_view value) {
  auto v = defused(value);
  return v.find_first_of(",\"\r\n") == std::string::npos ? v : quoted(v);
}

Result<std::vector<std::vector<std::string>>> parse_csv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, in_quotes = false;
  std::size_t line = 1, quote_line = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') { cell += '"'; ++i; }
        else in_quotes = false;
      } else {
        if (ch == '\n') ++line;
        cell += ch;
      }
      continue;
    }
    if (ch == '"' && cell.empty() && !quoted) { in_quotes = true; quoted = true; quote_line = line; continue; }
    if (ch == ',') { row.push_back(std::move(cell)); cell.clear(); quoted = false; continue; }
    if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (ch == '\n' || ch == '\r') {
      row.push_back(std::move(cell));
      rows.push_back(std::move(row));
      row.clear(); cell.clear(); quoted = false; ++line;
      continue;
    }
    cell += ch;
  }
  if (in_quotes) return fail(Errc::invalid_argument, "a quoted cell that starts on line " + std::to_string(quote_line) + " is never closed.");
  if (!cell.empty() || !row.empty() || quoted) {
    row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace vigil::server::core
