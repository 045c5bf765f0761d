// The one CSV writer and reader (server/results/csv.hpp): RFC 4180 quoting of quotes, commas and
// line breaks, CRLF rows, and text a spreadsheet would run as a formula shown as text instead.
#include <catch2/catch_test_macros.hpp>

#include "server/results/csv.hpp"

using vigil::server::CsvWriter;
using vigil::server::parse_csv;

TEST_CASE("quoted text doubles quotes and keeps commas and line breaks inside one cell") {
  CsvWriter csv(CsvWriter::Quote::always);
  csv.row({"plain", "say \"hi\"", "a,b", "two\r\nlines", "lf\nonly", ""});
  CHECK(csv.str() == "\"plain\",\"say \"\"hi\"\"\",\"a,b\",\"two\r\nlines\",\"lf\nonly\",\"\"\r\n");
  const auto back = parse_csv(csv.str()).value();
  REQUIRE(back.size() == 1);
  CHECK(back[0] == std::vector<std::string>{"plain", "say \"hi\"", "a,b", "two\r\nlines", "lf\nonly", ""});
}

TEST_CASE("text that a spreadsheet would evaluate starts with an apostrophe, quoted or not") {
  for (auto quote : {CsvWriter::Quote::always, CsvWriter::Quote::when_needed}) {
    CsvWriter csv(quote);
    csv.row({"=HYPERLINK(\"http://x\")", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "a=1", "1-2"});
    const auto back = parse_csv(csv.str()).value();
    REQUIRE(back.size() == 1);
    CHECK(back[0] == std::vector<std::string>{"'=HYPERLINK(\"http://x\")", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tTAB", "'\rCR",
                                              "a=1", "1-2"});
  }
  CsvWriter quoted(CsvWriter::Quote::always);
  quoted.text("=1+1");
  CHECK(quoted.str() == "\"'=1+1\"");
  CsvWriter bare(CsvWriter::Quote::when_needed);
  bare.text("=1+1").text("@a,b");
  CHECK(bare.str() == "'=1+1,\"'@a,b\"");
}

TEST_CASE("quoting when needed leaves plain ids bare, and plain cells and numbers are written as they are") {
  CsvWriter csv(CsvWriter::Quote::when_needed);
  csv.text("s-a1").text("Name, with comma").text("quote\"d").text("line\rbreak").end_row();
  csv.plain("met").plain("").number(std::int64_t{-5}).number(std::uint64_t{18'446'744'073'709'551'615u}).end_row();
  csv.end_row();
  CHECK(csv.str() == "s-a1,\"Name, with comma\",\"quote\"\"d\",\"line\rbreak\"\r\nmet,,-5,18446744073709551615\r\n\r\n");
  CHECK(CsvWriter(CsvWriter::Quote::always).text("x").take() == "\"x\"");
}

TEST_CASE("the reader takes CRLF, LF and CR rows and refuses a quote that never closes, naming its line") {
  const auto rows = parse_csv("a,b\r\nc,\"d\"\"e\"\nf\rg,").value();
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == std::vector<std::string>{"a", "b"});
  CHECK(rows[1] == std::vector<std::string>{"c", "d\"e"});
  CHECK(rows[2] == std::vector<std::string>{"f"});  // a lone CR ends the row too
  CHECK(rows[3] == std::vector<std::string>{"g", ""});
  auto bad = parse_csv("a\nb,\"never\nclosed");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "a quoted cell that starts on line 2 is never closed.");
}
