// Vigil canonical encoding (VCE1): vectors from docs/CANONICAL-ENCODING.md, produced by the
// independent Python encoder in tests/support/vce_reference.py.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include "shared/encoding/canonical.hpp"

using namespace vigil;
using namespace vigil::canonical;

namespace {
std::string hex_of(const Value& v) {
  auto b = encode(v);
  REQUIRE(b);
  return to_hex(*b);
}
Bytes unhex(std::string_view h) { return from_hex(h).value(); }
}  // namespace

TEST_CASE("scalars encode with a tag and fixed-width big-endian bodies") {
  CHECK(hex_of(Value(true)) == "0101");
  CHECK(hex_of(Value(false)) == "0100");
  CHECK(hex_of(Value(std::uint64_t{1})) == "020000000000000001");
  CHECK(hex_of(Value(std::int64_t{-1})) == "03ffffffffffffffff");
  CHECK(hex_of(Value("hi")) == "04000000026869");
  CHECK(hex_of(Value(Bytes{0xde, 0xad})) == "0500000002dead");
  CHECK(hex_of(Value(List{Value(true), Value(std::uint64_t{1})})) == "0600000002010102" "0000000000000001");
}

TEST_CASE("map keys are written in ascending byte order whatever order they were given in") {
  Map m;
  m.emplace("b", Value(false));
  m.emplace("a", Value(std::uint64_t{7}));
  CHECK(hex_of(Value(m)) == "0700000002" "0000000161" "020000000000000007" "0000000162" "0100");
}

TEST_CASE("the documented example matches the reference encoder byte for byte and hash") {
  Map ex;
  ex.emplace("name", Value("Maya"));
  ex.emplace("age", Value(std::uint64_t{7}));
  ex.emplace("tags", Value(List{Value("P3"), Value("P5")}));
  ex.emplace("ok", Value(true));
  ex.emplace("delta", Value(std::int64_t{-2}));
  ex.emplace("blob", Value(Bytes{0xde, 0xad, 0xbe, 0xef}));
  auto bytes = domain_separated("vigil.example.v1", Value(ex));
  REQUIRE(bytes);
  CHECK(to_hex(*bytes) ==
        "0400000010766967696c2e6578616d706c652e763107000000060000000361676502000000000000000700000004626c6f6205000000"
        "04deadbeef0000000564656c746103fffffffffffffffe000000046e616d6504000000044d617961000000026f6b01010000000474"
        "61677306000000020400000002503304000000025035");
  auto h = hash("vigil.example.v1", Value(ex));
  REQUIRE(h);
  CHECK(to_hex(*h) == "82a599d8912758b6b4d10f27435fe36230df7a088865e87165ab60787b7c6a9b");
}

TEST_CASE("the streaming writer produces the same bytes as encoding a value") {
  Writer w;
  w.map(2).key("a").uint(7).key("b").boolean(false);
  Map m;
  m.emplace("a", Value(std::uint64_t{7}));
  m.emplace("b", Value(false));
  CHECK(w.data() == encode(Value(m)).value());
}

TEST_CASE("decode inverts encode for nested values") {
  Map inner;
  inner.emplace("x", Value(std::int64_t{-5}));
  inner.emplace("é", Value(Bytes{}));
  const Value v(List{Value(inner), Value(""), Value(std::uint64_t{0xffffffffffffffffULL}), Value(List{})});
  auto bytes = encode(v);
  REQUIRE(bytes);
  auto back = decode(*bytes);
  REQUIRE(back);
  CHECK(*back == v);
}

TEST_CASE("the decoder rejects every non-canonical or damaged form with the byte offset") {
  const auto [hex, expect] = GENERATE(table<std::string, std::string>({
      {"", "expected a tag"},
      {"08", "unknown tag 8"},
      {"0102", "bool must be"},
      {"0200000001", "end of data in integer"},
      {"0400000005616263", "runs past the end"},
      {"0400000002c328", "not valid UTF-8"},                      // truncated 2-byte sequence
      {"0400000002c0af", "not valid UTF-8"},                      // overlong '/'
      {"0400000003eda080", "not valid UTF-8"},                    // surrogate U+D800
      {"0101" "0101", "trailing bytes"},
      {"0700000002" "0000000162" "0100" "0000000161" "0100", "strictly ascending"},
      {"0700000002" "0000000161" "0100" "0000000161" "0101", "strictly ascending"},  // duplicate key
      {"06ffffffff", "list count runs past"},
      {"07ffffffff", "map count runs past"},
  }));
  auto r = decode(unhex(hex));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
  INFO(r.error().message);
  CHECK(r.error().message.find(expect) != std::string::npos);
  CHECK(r.error().message.find("at byte") != std::string::npos);
}

TEST_CASE("deep nesting is refused, not a stack overflow") {
  Bytes deep;
  for (int i = 0; i < 100'000; ++i) {
    for (int b : {0x06, 0x00, 0x00, 0x00, 0x01}) deep.push_back(static_cast<std::uint8_t>(b));
  }
  deep.push_back(0x01);
  deep.push_back(0x01);
  auto r = decode(deep);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("deeper than 32") != std::string::npos);

  Value v(true);
  for (int i = 0; i < 40; ++i) v = Value(List{v});
  auto e = encode(v);
  REQUIRE_FALSE(e);
  CHECK(e.error().code == Errc::invalid_argument);
}

TEST_CASE("text that is not UTF-8 cannot be encoded") {
  auto r = encode(Value(std::string("\xff\xfe")));
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("UTF-8") != std::string::npos);
}

TEST_CASE("different domains give different hashes for the same value") {
  CHECK(hash("vigil.a.v1", Value(true)).value() != hash("vigil.b.v1", Value(true)).value());
}
