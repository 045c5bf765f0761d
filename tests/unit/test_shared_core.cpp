#include <catch2/catch_test_macros.hpp>

#include <sstream>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "shared/core/bytes.hpp"
#include "shared/core/file.hpp"
#include "shared/core/log.hpp"
#include "shared/core/names.hpp"
#include "shared/core/result.hpp"
#include "shared/core/utf8.hpp"
#include "tests/support/temp_dir.hpp"

using vigil::Bytes;
using vigil::Errc;

namespace {

Bytes all_byte_values() {
  Bytes out(256);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i);
  return out;
}

vigil::Result<int> parse_positive(int v) {
  if (v <= 0) return vigil::fail(Errc::invalid_argument, "must be positive");
  return v;
}

vigil::Status uses_try(int v, bool& reached_end) {
  VIGIL_TRY(parse_positive(v));
  reached_end = true;
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hex

TEST_CASE("hex encodes lower case and decodes either case") {
  CHECK(vigil::to_hex(vigil::as_bytes("foobar")) == "666f6f626172");
  CHECK(vigil::to_hex({}).empty());
  auto upper = vigil::from_hex("666F6F626172");  // RFC 4648 section 10, BASE16
  REQUIRE(upper.has_value());
  CHECK(vigil::as_chars(*upper) == "foobar");
  auto mixed = vigil::from_hex("aBcD");
  REQUIRE(mixed.has_value());
  CHECK(*mixed == Bytes{0xab, 0xcd});
  auto empty = vigil::from_hex("");
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

TEST_CASE("hex round-trips every byte value") {
  const Bytes all = all_byte_values();
  auto back = vigil::from_hex(vigil::to_hex(all));
  REQUIRE(back.has_value());
  CHECK(*back == all);
}

TEST_CASE("hex decoding rejects odd lengths and non-hex characters") {
  for (std::string_view bad : {"0", "abc", "0g", "zz", " 00", "00 ", "0x00", "-1"}) {
    INFO(bad);
    auto r = vigil::from_hex(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::invalid_argument);
  }
}

// ---------------------------------------------------------------------------------------------
// Base64 / base64url

namespace {

// Each plain text encodes to its vector, and the vector decodes back to it.
template <std::size_t N, class Encode, class Decode>
void check_vectors(const std::pair<std::string_view, std::string_view> (&vectors)[N], Encode encode, Decode decode) {
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    CHECK(encode(plain) == encoded);
    auto decoded = decode(encoded);
    REQUIRE(decoded.has_value());
    CHECK(vigil::as_chars(*decoded) == plain);
  }
}

}  // namespace

TEST_CASE("base64 matches the RFC 4648 section 10 test vectors") {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},       {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  check_vectors(vectors, [](std::string_view p) { return vigil::to_base64(vigil::as_bytes(p)); },
                [](std::string_view e) { return vigil::from_base64(e); });
}

TEST_CASE("base64url is the RFC 4648 vectors without padding") {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},        {"f", "Zg"},         {"fo", "Zm8"},       {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  check_vectors(vectors, [](std::string_view p) { return vigil::to_base64url(vigil::as_bytes(p)); },
                [](std::string_view e) { return vigil::from_base64url(e); });
}

TEST_CASE("base64 and base64url use their own alphabets for the last two symbols") {
  const Bytes b{0xfb, 0xff, 0xbf};
  CHECK(vigil::to_base64(b) == "+/+/");
  CHECK(vigil::to_base64url(b) == "-_-_");
  CHECK(vigil::from_base64url("+/+/").error().code == Errc::invalid_argument);
  CHECK(vigil::from_base64("-_-_").error().code == Errc::invalid_argument);
}

TEST_CASE("base64 and base64url round-trip every length and byte value") {
  const Bytes all = all_byte_values();
  for (std::size_t n = 0; n <= all.size(); ++n) {
    const Bytes prefix(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    auto std_back = vigil::from_base64(vigil::to_base64(prefix));
    auto url_back = vigil::from_base64url(vigil::to_base64url(prefix));
    REQUIRE(std_back.has_value());
    REQUIRE(url_back.has_value());
    CHECK(*std_back == prefix);
    CHECK(*url_back == prefix);
  }
}

TEST_CASE("base64 decoding rejects bad padding, stray characters and non-canonical text") {
  for (std::string_view bad : {
           "Zg",         // padding missing
           "Zg=",        // padding short
           "Zg===",      // padding long
           "Zm9v====",   // padding on a full group
           "Z===",       // too much padding
           "====",       // nothing but padding
           "Zg==Zg==",   // padding in the middle
           "Zm=v",       // '=' inside a group
           "Zm9v\n",     // whitespace
           "Zm 9v",      // whitespace
           "Zm9*",       // outside the alphabet
           "Zh==",       // non-zero padding bits: a second spelling of "f"
           "Zm9=",       // non-zero padding bits
       }) {
    INFO(bad);
    auto r = vigil::from_base64(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::invalid_argument);
  }
}

TEST_CASE("base64url decoding rejects padding, impossible lengths and stray characters") {
  for (std::string_view bad : {"Zg==", "Zm8=", "Z", "Zm9vY", "Zm9v!", "Zh", "Zm9"}) {
    INFO(bad);
    auto r = vigil::from_base64url(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::invalid_argument);
  }
}

// ---------------------------------------------------------------------------------------------
// Error and Result

TEST_CASE("Error::describe puts the stable code name before the message") {
  const vigil::Error e{Errc::not_found, "no such exam"};
  CHECK(e.describe() == "not_found: no such exam");
  CHECK(vigil::Error{}.code == Errc::internal);
}

TEST_CASE("Error::context prefixes the message and keeps the code") {
  vigil::Error e{Errc::disk_full, "no space left"};
  vigil::Error outer = std::move(e).context("writing journal");
  CHECK(outer.code == Errc::disk_full);
  CHECK(outer.message == "writing journal: no space left");
  CHECK(std::move(outer).context("closing exam").describe() == "disk_full: closing exam: writing journal: no space left");
}

TEST_CASE("every error code has a distinct name") {
  CHECK(vigil::errc_name(Errc::invalid_argument) == "invalid_argument");
  CHECK(vigil::errc_name(Errc::auth_failed) == "auth_failed");
  CHECK(vigil::errc_name(Errc::unsupported_version) == "unsupported_version");
  CHECK(vigil::errc_name(Errc::internal) == "internal");
  const Errc all[] = {Errc::invalid_argument, Errc::not_found,   Errc::already_exists, Errc::conflict,
                      Errc::integrity,        Errc::crypto,      Errc::auth_failed,    Errc::wrong_key,
                      Errc::not_a_store,      Errc::disk_full,   Errc::read_only,      Errc::io,
                      Errc::busy,             Errc::unavailable, Errc::unsupported_version, Errc::internal};
  for (std::size_t i = 0; i < std::size(all); ++i) {
    for (std::size_t j = i + 1; j < std::size(all); ++j) CHECK(vigil::errc_name(all[i]) != vigil::errc_name(all[j]));
  }
}

TEST_CASE("VIGIL_TRY returns the error early and continues on success") {
  bool reached = false;
  auto bad = uses_try(-1, reached);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == Errc::invalid_argument);
  CHECK(bad.error().message == "must be positive");
  CHECK_FALSE(reached);

  auto good = uses_try(3, reached);
  CHECK(good.has_value());
  CHECK(reached);
}

TEST_CASE("an atomic write replaces the whole file, owner-only, and leaves no temporary file behind") {
  namespace fs = std::filesystem;
  vigil::testing::TempDir dir;
  const auto path = dir / "key.hex";
  REQUIRE(vigil::write_file_atomically(path, vigil::as_bytes(std::string(5000, 'a'))));
  REQUIRE(vigil::write_file_atomically(path, vigil::as_bytes(std::string_view("short"))));
  CHECK(vigil::read_whole_file(path).value() == "short");
#ifndef _WIN32  // Windows has no modes: the profile's ACL keeps other users out (shared/core/file.hpp)
  const auto perms = fs::status(path).permissions();
  CHECK((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
#endif
  CHECK_FALSE(fs::exists(dir / "key.hex.part"));
}

TEST_CASE("an atomic write into a missing folder fails with the path and creates nothing") {
  vigil::testing::TempDir dir;
  const auto path = dir / "missing" / "file";
  auto st = vigil::write_file_atomically(path, vigil::as_bytes(std::string_view("x")));
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::io);
  CHECK(st.error().message.find("missing") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "missing"));
  CHECK(vigil::read_whole_file(path).error().code == Errc::not_found);
}

TEST_CASE("a log value with newlines and quotes and control bytes stays one field of one line") {
  // What an attacker would put in a device id, a file name or a server's error message to forge
  // a second log line or another key.
  const std::string hostile = std::string("dev-1\" status=200\nvigil-server: event=login_ok user=admin \\ x=\"y\"\r") +
                              std::string(1, '\0') + "\x01\x1b[2J\x7f caf\xc3\xa9";
  const std::string token = vigil::log_value(hostile);
  const std::string line = "event=request_failed device=" + token + " status=500";
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
  for (const char c : token) CHECK((static_cast<unsigned char>(c) >= 0x20));
  REQUIRE(token.front() == '"');
  REQUIRE(token.back() == '"');
  // The value is exactly the quoted token: it ends where the line's own next key begins, and it
  // reads back byte for byte.
  const auto start = line.find("device=") + 7;
  const auto end = line.rfind(" status=500");
  CHECK(line.substr(start, end - start) == token);
  auto back = vigil::parse_log_value(token);
  REQUIRE(back);
  CHECK(*back == hostile);
  // Inside the token, every quote is escaped: no unescaped '"' other than the two delimiters.
  for (std::size_t i = 1; i + 1 < token.size(); ++i) {
    if (token[i] == '\\') {
      ++i;
      continue;
    }
    CHECK(token[i] != '"');
  }
  CHECK(vigil::log_value("plain") == "\"plain\"");
  CHECK(vigil::log_value("") == "\"\"");
}

TEST_CASE("a log value with invalid UTF-8 is still one quoted line and junk does not parse back") {
  const std::string token = vigil::log_value(std::string("a\xff\nb"));
  CHECK(token.find('\n') == std::string::npos);
  CHECK(vigil::parse_log_value(token).value() == "a\xef\xbf\xbd\nb");  // U+FFFD
  CHECK_FALSE(vigil::parse_log_value("unquoted"));
  CHECK_FALSE(vigil::parse_log_value("\"a\" extra=1"));
  CHECK_FALSE(vigil::parse_log_value("42"));
}

TEST_CASE("well-formed UTF-8 of every length passes, up to U+10FFFF") {
  using namespace vigil;
  using namespace std::string_view_literals;
  for (std::string_view ok : {""sv, "plain ASCII, with \x7f"sv, "\0 inside"sv, "caf\xC3\xA9"sv, "\xC2\x80"sv, "\xDF\xBF"sv,
                              "\xE0\xA0\x80"sv, "\xED\x9F\xBF"sv, "\xEE\x80\x80"sv, "\xEF\xBF\xBF"sv, "\xF0\x90\x80\x80"sv,
                              "\xF0\x9F\x98\x80 emoji"sv, "\xF4\x8F\xBF\xBF"sv}) {
    INFO(to_hex(as_bytes(ok)));
    CHECK(is_valid_utf8(ok));
    CHECK_FALSE(first_invalid_utf8(ok));
  }
}

TEST_CASE("UTF-8 refuses overlongs, surrogates, truncation, stray bytes and code points past U+10FFFF") {
  using namespace vigil;
  using namespace std::string_view_literals;
  const std::pair<std::string_view, std::size_t> cases[] = {
      {"\xC0\x80"sv, 0},                  // overlong NUL
      {"\xC1\xBF"sv, 0},                  // overlong U+007F
      {"ab\xE0\x9F\xBF"sv, 2},            // overlong U+07FF in three bytes
      {"\xF0\x8F\xBF\xBF"sv, 0},          // overlong U+FFFF in four bytes
      {"x\xED\xA0\x80"sv, 1},             // U+D800, a high surrogate
      {"\xED\xBF\xBF"sv, 0},              // U+DFFF, a low surrogate
      {"ok \xF4\x90\x80\x80"sv, 3},       // U+110000
      {"\xF5\x80\x80\x80"sv, 0},          // lead byte past U+10FFFF
      {"\xF8\x88\x80\x80\x80"sv, 0},      // five-byte form
      {"\xFC\x84\x80\x80\x80\x80"sv, 0},  // six-byte form
      {"\xFE"sv, 0}, {"\xFF"sv, 0},       // never in UTF-8
      {"a\x80"sv, 1},                     // a continuation byte alone
      {"caf\xC3"sv, 3},                   // truncated at the end
      {"\xE2\x82"sv, 0},                  // truncated three-byte
      {"\xF0\x9F\x98"sv, 0},              // truncated four-byte
      {"\xE2\x82x\xAC"sv, 0},             // interrupted by ASCII
      {"\xC3\xA9\xC3("sv, 2},             // the second character is the bad one
  };
  for (const auto& [text, at] : cases) {
    INFO(to_hex(as_bytes(text)));
    CHECK_FALSE(is_valid_utf8(text));
    CHECK(first_invalid_utf8(text) == at);
  }
}

TEST_CASE("an event line quotes and escapes every text value and writes integers bare") {
  const std::string hostile = "x\" y=1\nvigil-server: event=forged";
  const std::string line = vigil::log::line("request_failed", {{"remote", hostile}, {"status", 503}, {"seq", std::uint64_t{7}},
                                                               {"code", "internal"}, {"empty", ""}});
  CHECK(line == "event=request_failed remote=" + vigil::log_value(hostile) + " status=503 seq=7 code=\"internal\" empty=\"\"");
  CHECK(line.find('\n') == std::string::npos);
  CHECK(vigil::log::line("stop_grace_expired") == "event=stop_grace_expired");
}

TEST_CASE("events go through spdlog's default logger, one line each") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  // Lines end in "\n" on every platform, as log::use_stderr sets it (spdlog's default is "\r\n" on Windows).
  logger->set_formatter(std::make_unique<spdlog::pattern_formatter>("test: [%l] %v", spdlog::pattern_time_type::local, "\n"));
  const auto before = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  vigil::log::warn("accept_failed", {{"reason", "Too many\nopen files"}});
  vigil::log::info("started", {{"port", 8443}});
  vigil::log::write("event=already_whole a=1");
  spdlog::set_default_logger(before);
  CHECK(out.str() ==
        "test: [warning] event=accept_failed reason=\"Too many\\nopen files\"\n"
        "test: [info] event=started port=8443\n"
        "test: [info] event=already_whole a=1\n");
}

namespace {
enum class Colour { red, green, blue };
constexpr vigil::Names<Colour, 3> k_colours{{{Colour::red, "red"}, {Colour::green, "green"}, {Colour::blue, "blue"}}};
}  // namespace

TEST_CASE("a names table gives each value's name, reads each name back, and lists them for a message") {
  for (const auto& [colour, name] : k_colours) {
    CHECK(vigil::name_of(k_colours, colour) == name);
    CHECK(vigil::value_named(k_colours, name) == colour);
  }
  CHECK_FALSE(vigil::value_named(k_colours, "Red"));
  CHECK_FALSE(vigil::value_named(k_colours, ""));
  CHECK(vigil::name_of(k_colours, static_cast<Colour>(7)) == "red");  // only a cast makes one
  CHECK(vigil::names_list(k_colours) == "red, green or blue");
  constexpr vigil::Names<Colour, 2> two{{{Colour::red, "red"}, {Colour::blue, "blue"}}};
  CHECK(vigil::names_list(two) == "red or blue");
  static_assert(vigil::name_of(k_colours, Colour::blue) == "blue");
}
