#include "server/results/csv.hpp"

#include <cassert>

namespace vigil::server {

namespace {

// Hand-written: no library we use writes CSV (Boost has none), and the formula defusing is ours anyway.
bool formula_start(std::string_view v) {
  return !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r');
}

bool needs_quotes(std::string_view v) { return v.find_first_of(",\"\r\n") != std::string_view::npos; }

}  // namespace

void CsvWriter::separate() {
  if (in_row_) out_ += ',';
  in_row_ = true;
}

CsvWriter& CsvWriter::text(std::string_view value) {
  separate();
  const bool defuse = formula_start(value);
  if (quote_ == Quote::when_needed && !needs_quotes(value)) {
    if (defuse) out_ += '\'';
    out_ += value;
    return *this;
  }
  out_ += '"';
  if (defuse) out_ += '\'';
  for (char ch : value) {
    if (ch == '"') out_ += '"';
    out_ += ch;
  }
  out_ += '"';
  return *this;
}

CsvWriter& CsvWriter::plain(std::string_view value) {
  assert(!needs_quotes(value) && !formula_start(value));
  separate();
  out_ += value;
  return *this;
}

CsvWriter& CsvWriter::number(std::int64_t n) {
  separate();
  out_ += std::to_string(n);
  return *this;
}

CsvWriter& CsvWriter::number(std::uint64_t n) {
  separate();
  out_ += std::to_string(n);
  return *this;
}

CsvWriter& CsvWriter::end_row() {
  out_ += "\r\n";
  in_row_ = false;
  return *this;
}

CsvWriter& CsvWriter::row(std::initializer_list<std::string_view> texts) {
  for (auto t : texts) text(t);
  return end_row();
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

}  // namespace vigil::server
