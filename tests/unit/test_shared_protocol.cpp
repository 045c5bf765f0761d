// Wire protocol: strict JSON reading (json_reader) and the message DTOs (messages).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/generators/catch_generators_range.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "shared/protocol/json_reader.hpp"
#include "shared/protocol/messages.hpp"

using nlohmann::json;
using Catch::Matchers::ContainsSubstring;
using namespace vigil;
using namespace vigil::protocol;

namespace {

journal::Hash filled(std::uint8_t start) {
  journal::Hash h{};
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>(start + i);
  return h;
}

RecordDto sample_record(std::uint64_t seq) {
  RecordDto r;
  r.record.seq = seq;
  r.record.prev_hash = filled(static_cast<std::uint8_t>(seq));
  r.record.boot_id = "3f1c9a2e-boot";
  r.record.monotonic_ns = 1'000'000'000ull + seq;
  r.record.wall_ms = 1'790'000'000'000 + static_cast<std::int64_t>(seq);
  r.record.type = "answer.saved";
  r.record.payload_hash = filled(0xA0);
  r.payload = to_bytes(R"({"item_id":"q1","revision":1,"v":1,"value":"x"})");
  return r;
}

journal::Checkpoint sample_checkpoint() {
  journal::Checkpoint c;
  c.chain_id = "device-7/session-42";
  c.seq = 2;
  c.head_hash = filled(0x10);
  c.wall_ms = 1'790'000'000'500;
  c.signature = Bytes(64, 0x5A);
  return c;
}

RecordBatch sample_batch() {
  RecordBatch b;
  b.session_id = "session-42";
  b.records = {sample_record(1), sample_record(2)};
  b.checkpoint = sample_checkpoint();
  return b;
}

// Asserts a failed result with this code and field path, and that the message names the path.
template <class T>
void require_error(const Result<T>& r, Errc code, const std::string& field) {
  REQUIRE_FALSE(r.has_value());
  INFO("message: " << r.error().message);
  CHECK(errc_name(r.error().code) == errc_name(code));
  CHECK(r.error().field == field);
  if (!field.empty()) CHECK_THAT(r.error().message, ContainsSubstring("field \"" + field + "\""));
}

// A bad-input case: start from a valid message's JSON, break it, and expect this error.
struct Case {
  std::string what;
  std::function<void(json&)> mutate;
  Errc code;
  std::string field;
};

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

// ---- parse_json -------------------------------------------------------------------------------

TEST_CASE("parse_json accepts an object and rejects any other top level", "[protocol][json]") {
  auto ok = parse_json(R"({"a":[1,{"b":null}]})");
  REQUIRE(ok.has_value());
  CHECK((*ok)["a"][1].contains("b"));

  for (const char* body : {"[]", "42", "\"text\"", "null", "true"}) {
    INFO(body);
    require_error(parse_json(body), Errc::invalid_argument, "");
    CHECK_THAT(parse_json(body).error().message, ContainsSubstring("not a JSON object"));
  }
}

TEST_CASE("parse_json rejects text that is not JSON", "[protocol][json]") {
  const std::vector<std::string> bodies = {
      "",
      "{",
      "{}x",
      "{'a':1}",
      R"({"a":1,})",
      R"({"a":01})",
      "{\"a\":\"\xff\"}",          // invalid UTF-8 in a string
      R"({"a":"\ud800"})",         // unpaired surrogate
      "{\"a\":\"line\nbreak\"}",  // raw control character in a string
  };
  for (const auto& body : bodies) {
    INFO(body);
    const auto r = parse_json(body);
    require_error(r, Errc::invalid_argument, "");
    CHECK(r.error().message == "body is not valid JSON");
  }
}

TEST_CASE("parse_json rejects a key repeated in one object and names its path", "[protocol][json]") {
  require_error(parse_json(R"({"v":1,"v":1})"), Errc::invalid_argument, "v");
  require_error(parse_json(R"({"v":1,"records":[{"seq":1,"seq":2}]})"), Errc::invalid_argument, "records[0].seq");
  require_error(parse_json(R"({"records":[{"seq":1},[1,2],{"a":{"x":1,"x":1}}]})"), Errc::invalid_argument,
                "records[2].a.x");
  // Escapes are decoded before comparing: "\u0061" is "a".
  require_error(parse_json(R"({"a":1,"\u0061":2})"), Errc::invalid_argument, "a");
  // The same key in sibling objects is fine.
  CHECK(parse_json(R"({"r":[{"seq":1},{"seq":2}],"o":{"seq":3}})").has_value());
}

TEST_CASE("parse_json turns 10,000 nested brackets into an error, not a crash", "[protocol][json]") {
  const std::string open = repeat("[", 10'000);
  require_error(parse_json(open), Errc::invalid_argument, "");
  const std::string balanced = "{\"a\":" + open + repeat("]", 10'000) + "}";
  require_error(parse_json(balanced), Errc::invalid_argument, "");
  CHECK_THAT(parse_json(balanced).error().message, ContainsSubstring("deeper than 32"));
  const std::string objects = repeat("{\"a\":", 10'000) + "1" + repeat("}", 10'000);
  require_error(parse_json(objects), Errc::invalid_argument, "");
}

TEST_CASE("parse_json allows exactly max_depth levels and ignores brackets inside strings", "[protocol][json]") {
  // Depth 1 is the top-level object.
  const auto nested = [](std::size_t depth) {
    return "{\"a\":" + repeat("[", depth - 1) + repeat("]", depth - 1) + "}";
  };
  CHECK(parse_json(nested(32)).has_value());
  require_error(parse_json(nested(33)), Errc::invalid_argument, "");
  CHECK(parse_json(nested(5), 5).has_value());
  require_error(parse_json(nested(6), 5), Errc::invalid_argument, "");

  const std::string in_string = "{\"a\":\"" + repeat("[{", 5'000) + "\\\"[\"}";
  CHECK(parse_json(in_string).has_value());
}

// ---- ObjectReader -----------------------------------------------------------------------------

TEST_CASE("ObjectReader reads each type and names the full path in errors", "[protocol][reader]") {
  const json j = json::parse(R"({
    "s":"text","u":18446744073709551615,"i":-9223372036854775808,"b":true,
    "b64":"AAEC","hex":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "o":{"k":[{"x":1},{"x":"no"}]},"arr":[1,2,3],"n":null
  })");
  ObjectReader r(j);
  CHECK(r.string("s", 4).value() == "text");
  CHECK(r.uint("u").value() == UINT64_MAX);
  CHECK(r.integer("i").value() == INT64_MIN);
  CHECK(r.boolean("b").value() == true);
  CHECK(r.base64("b64", 3).value() == Bytes{0, 1, 2});
  CHECK(r.hex_digest32("hex").value() == filled(0));
  CHECK(r.array("arr", 3).value().size() == 3);
  CHECK_FALSE(r.optional_string("n", 10).value().has_value());
  CHECK_FALSE(r.optional_uint("absent").value().has_value());

  auto o = r.object("o");
  REQUIRE(o.has_value());
  CHECK(o->path() == "o");
  auto items = o->objects("k", 10);
  REQUIRE(items.has_value());
  REQUIRE(items->size() == 2);
  CHECK((*items)[0].uint("x").value() == 1);
  require_error((*items)[1].uint("x"), Errc::invalid_argument, "o.k[1].x");
  CHECK((*items)[1].uint("x").error().message == "field \"o.k[1].x\": expected an unsigned integer, got a string");
  require_error((*items)[1].uint("y"), Errc::invalid_argument, "o.k[1].y");
  CHECK((*items)[1].uint("y").error().message == "field \"o.k[1].y\": is required");

  CHECK(r.finish().has_value());
}

TEST_CASE("ObjectReader integer readers reject floats, strings, negatives and out-of-range values",
          "[protocol][reader]") {
  const json j = json::parse(R"({"f":1.0,"e":1e3,"s":"1","neg":-1,"big":9223372036854775808,
                                "huge":18446744073709551616,"t":true,"nul":null})");
  ObjectReader r(j);
  for (const char* name : {"f", "e", "s", "neg", "huge", "t", "nul"}) {
    INFO(name);
    require_error(r.uint(name), Errc::invalid_argument, name);
  }
  for (const char* name : {"f", "e", "s", "big", "huge", "t", "nul"}) {
    INFO(name);
    require_error(r.integer(name), Errc::invalid_argument, name);
  }
  CHECK(r.integer("neg").value() == -1);
  CHECK(r.uint("big").value() == 9223372036854775808ull);
  CHECK_THAT(r.uint("neg").error().message, ContainsSubstring("negative"));
  CHECK_THAT(r.uint("f").error().message, ContainsSubstring("fraction or exponent"));

  // A json built in code holds small non-negative numbers as signed integers.
  const json built{{"n", 5}};
  ObjectReader b(built);
  CHECK(b.uint("n").value() == 5);
}

TEST_CASE("ObjectReader enforces string, array and byte limits", "[protocol][reader]") {
  const json j{{"s", "abcde"}, {"e", ""}, {"a", json::array({1, 2, 3})}, {"b", to_base64(Bytes(10, 1))},
               {"bad", "AA=A"}, {"hex", std::string(64, 'A')}, {"short", std::string(62, 'a')},
               {"bin", std::string("\xff\xfe")}};
  ObjectReader r(j);
  CHECK(r.string("s", 5).has_value());
  require_error(r.string("s", 4), Errc::invalid_argument, "s");
  CHECK(r.string("e", 4).value().empty());
  require_error(r.non_empty_string("e", 4), Errc::invalid_argument, "e");
  CHECK(r.array("a", 3).has_value());
  require_error(r.array("a", 2), Errc::invalid_argument, "a");
  require_error(r.objects("a", 3), Errc::invalid_argument, "a[0]");
  CHECK(r.base64("b", 10).has_value());
  require_error(r.base64("b", 9), Errc::invalid_argument, "b");
  require_error(r.base64("bad", 10), Errc::invalid_argument, "bad");
  require_error(r.hex_digest32("hex"), Errc::invalid_argument, "hex");  // upper case
  require_error(r.hex_digest32("short"), Errc::invalid_argument, "short");
  require_error(r.string("bin", 10), Errc::invalid_argument, "bin");  // built in code, not UTF-8
  require_error(r.object("s"), Errc::invalid_argument, "s");
  require_error(r.boolean("s"), Errc::invalid_argument, "s");
}

TEST_CASE("ObjectReader finish names the first field nobody read", "[protocol][reader]") {
  const json j{{"a", 1}, {"b", 2}, {"c", 3}};
  ObjectReader r(j, "outer[2]");
  CHECK(r.uint("b").has_value());
  const auto done = r.finish();
  require_error(done, Errc::invalid_argument, "outer[2].a");
  CHECK(done.error().message == "field \"outer[2].a\": unknown field");

  // A hostile key is shortened and made printable before it reaches a message.
  const json hostile{{std::string(1000, 'k') + "\n", 1}};
  ObjectReader h(hostile);
  const auto e = h.finish();
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().field.size() < 100);
  CHECK(e.error().field.find('\n') == std::string::npos);
}

TEST_CASE("ObjectReader version separates a missing v from an unsupported one", "[protocol][reader]") {
  require_error(ObjectReader(json::object()).version(1), Errc::invalid_argument, "v");
  require_error(ObjectReader(json{{"v", "1"}}).version(1), Errc::invalid_argument, "v");
  require_error(ObjectReader(json{{"v", 1.0}}).version(1), Errc::invalid_argument, "v");
  const auto two = ObjectReader(json{{"v", 2}}).version(1);
  require_error(two, Errc::unsupported_version, "v");
  CHECK_THAT(two.error().message, ContainsSubstring("version 1"));
  CHECK(ObjectReader(json{{"v", 1}}).version(1).has_value());
}

// ---- RecordBatch ------------------------------------------------------------------------------

TEST_CASE("a record batch survives a round trip through its JSON text", "[protocol][batch]") {
  const RecordBatch b = sample_batch();
  const std::string body = to_json(b).dump();
  const auto back = parse_record_batch(body);
  REQUIRE(back.has_value());
  CHECK(*back == b);

  RecordBatch no_checkpoint = b;
  no_checkpoint.checkpoint.reset();
  const json j = to_json(no_checkpoint);
  CHECK_FALSE(j.contains("checkpoint"));
  CHECK(decode_record_batch(j).value() == no_checkpoint);

  json with_null = j;
  with_null["checkpoint"] = nullptr;
  CHECK_FALSE(decode_record_batch(with_null).value().checkpoint.has_value());
}

TEST_CASE("a record's JSON has the documented field names", "[protocol][batch]") {
  const json j = to_json(sample_record(7));
  CHECK(j.size() == 8);
  CHECK(j.at("seq") == 7);
  CHECK(j.at("prev_hash") == to_hex(filled(7)));
  CHECK(j.at("mono_ns") == 1'000'000'007ull);
  CHECK(j.at("payload") == to_base64(sample_record(7).payload));
  CHECK_FALSE(j.contains("v"));
  const json c = to_json(sample_checkpoint());
  CHECK(c.size() == 5);
  CHECK(c.at("head_hash") == to_hex(filled(0x10)));
}

TEST_CASE("a record batch decoder rejects each kind of bad field with its path", "[protocol][batch]") {
  const std::vector<Case> cases = {
      {"missing version", [](json& j) { j.erase("v"); }, Errc::invalid_argument, "v"},
      {"version 2", [](json& j) { j["v"] = 2; }, Errc::unsupported_version, "v"},
      {"version as string", [](json& j) { j["v"] = "1"; }, Errc::invalid_argument, "v"},
      {"missing session_id", [](json& j) { j.erase("session_id"); }, Errc::invalid_argument, "session_id"},
      {"number for session_id", [](json& j) { j["session_id"] = 5; }, Errc::invalid_argument, "session_id"},
      {"empty session_id", [](json& j) { j["session_id"] = ""; }, Errc::invalid_argument, "session_id"},
      {"oversized session_id", [](json& j) { j["session_id"] = std::string(129, 's'); }, Errc::invalid_argument,
       "session_id"},
      {"unknown top-level field", [](json& j) { j["extra"] = 1; }, Errc::invalid_argument, "extra"},
      {"missing records", [](json& j) { j.erase("records"); }, Errc::invalid_argument, "records"},
      {"object for records", [](json& j) { j["records"] = json::object(); }, Errc::invalid_argument, "records"},
      {"empty records", [](json& j) { j["records"] = json::array(); }, Errc::invalid_argument, "records"},
      {"1001 records",
       [](json& j) {
         json many = json::array();
         for (std::uint64_t i = 1; i <= 1001; ++i) many.push_back(to_json(sample_record(i)));
         j["records"] = many;
       },
       Errc::invalid_argument, "records"},
      {"number for a record", [](json& j) { j["records"][1] = 3; }, Errc::invalid_argument, "records[1]"},
      {"missing seq", [](json& j) { j["records"][0].erase("seq"); }, Errc::invalid_argument, "records[0].seq"},
      {"string for seq", [](json& j) { j["records"][0]["seq"] = "1"; }, Errc::invalid_argument, "records[0].seq"},
      {"negative seq", [](json& j) { j["records"][0]["seq"] = -1; }, Errc::invalid_argument, "records[0].seq"},
      {"float seq", [](json& j) { j["records"][0]["seq"] = 1.0; }, Errc::invalid_argument, "records[0].seq"},
      {"float wall_ms", [](json& j) { j["records"][1]["wall_ms"] = 1.5; }, Errc::invalid_argument,
       "records[1].wall_ms"},
      {"missing mono_ns", [](json& j) { j["records"][1].erase("mono_ns"); }, Errc::invalid_argument,
       "records[1].mono_ns"},
      {"negative mono_ns", [](json& j) { j["records"][1]["mono_ns"] = -5; }, Errc::invalid_argument,
       "records[1].mono_ns"},
      {"number for boot_id", [](json& j) { j["records"][0]["boot_id"] = 7; }, Errc::invalid_argument,
       "records[0].boot_id"},
      {"oversized boot_id", [](json& j) { j["records"][0]["boot_id"] = std::string(65, 'b'); },
       Errc::invalid_argument, "records[0].boot_id"},
      {"upper-case type", [](json& j) { j["records"][0]["type"] = "Answer.Saved"; }, Errc::invalid_argument,
       "records[0].type"},
      {"type with a space", [](json& j) { j["records"][0]["type"] = "answer saved"; }, Errc::invalid_argument,
       "records[0].type"},
      {"oversized type", [](json& j) { j["records"][0]["type"] = std::string(65, 'a'); }, Errc::invalid_argument,
       "records[0].type"},
      {"short prev_hash", [](json& j) { j["records"][0]["prev_hash"] = std::string(62, 'a'); },
       Errc::invalid_argument, "records[0].prev_hash"},
      {"long prev_hash", [](json& j) { j["records"][0]["prev_hash"] = std::string(66, 'a'); },
       Errc::invalid_argument, "records[0].prev_hash"},
      {"non-hex prev_hash", [](json& j) { j["records"][0]["prev_hash"] = std::string(64, 'z'); },
       Errc::invalid_argument, "records[0].prev_hash"},
      {"number for payload_hash", [](json& j) { j["records"][0]["payload_hash"] = 0; }, Errc::invalid_argument,
       "records[0].payload_hash"},
      {"bad base64 payload", [](json& j) { j["records"][1]["payload"] = "not base64!"; }, Errc::invalid_argument,
       "records[1].payload"},
      {"unpadded base64 payload", [](json& j) { j["records"][1]["payload"] = "AAE"; }, Errc::invalid_argument,
       "records[1].payload"},
      {"oversized payload",
       [](json& j) { j["records"][0]["payload"] = to_base64(Bytes(k_max_payload_bytes + 1, 7)); },
       Errc::invalid_argument, "records[0].payload"},
      {"unknown record field", [](json& j) { j["records"][1]["extra"] = true; }, Errc::invalid_argument,
       "records[1].extra"},
      {"repeated seq", [](json& j) { j["records"][1]["seq"] = 1; }, Errc::invalid_argument, "records[1].seq"},
      {"decreasing seq", [](json& j) { j["records"][0]["seq"] = 5; }, Errc::invalid_argument, "records[1].seq"},
      {"array for checkpoint", [](json& j) { j["checkpoint"] = json::array(); }, Errc::invalid_argument,
       "checkpoint"},
      {"missing chain_id", [](json& j) { j["checkpoint"].erase("chain_id"); }, Errc::invalid_argument,
       "checkpoint.chain_id"},
      {"float checkpoint seq", [](json& j) { j["checkpoint"]["seq"] = 2.5; }, Errc::invalid_argument,
       "checkpoint.seq"},
      {"short head_hash", [](json& j) { j["checkpoint"]["head_hash"] = "abcd"; }, Errc::invalid_argument,
       "checkpoint.head_hash"},
      {"63-byte signature", [](json& j) { j["checkpoint"]["signature"] = to_base64(Bytes(63, 1)); },
       Errc::invalid_argument, "checkpoint.signature"},
      {"65-byte signature", [](json& j) { j["checkpoint"]["signature"] = to_base64(Bytes(65, 1)); },
       Errc::invalid_argument, "checkpoint.signature"},
      {"bad base64 signature", [](json& j) { j["checkpoint"]["signature"] = "####"; }, Errc::invalid_argument,
       "checkpoint.signature"},
      {"unknown checkpoint field", [](json& j) { j["checkpoint"]["extra"] = 1; }, Errc::invalid_argument,
       "checkpoint.extra"},
  };
  const std::size_t n_cases = cases.size();
  const auto& c = cases[GENERATE_COPY(range(std::size_t{0}, n_cases))];
  INFO(c.what);
  json j = to_json(sample_batch());
  c.mutate(j);
  // Through the text form, as a server sees it, and from the tree directly.
  require_error(parse_record_batch(j.dump()), c.code, c.field);
  require_error(decode_record_batch(j), c.code, c.field);
}

TEST_CASE("a record batch decoder names the first record whose seq does not increase", "[protocol][batch]") {
  RecordBatch b = sample_batch();
  b.records = {sample_record(1), sample_record(2), sample_record(2), sample_record(1)};
  require_error(decode_record_batch(to_json(b)), Errc::invalid_argument, "records[2].seq");
  b.records = {sample_record(3), sample_record(2)};
  require_error(decode_record_batch(to_json(b)), Errc::invalid_argument, "records[1].seq");
  // Gaps are the journal's business, not the decoder's.
  b.records = {sample_record(3), sample_record(9)};
  CHECK(decode_record_batch(to_json(b)).has_value());
}

TEST_CASE("a record batch decoder accepts the limits themselves", "[protocol][batch]") {
  RecordBatch b = sample_batch();
  b.records.front().payload = Bytes(k_max_payload_bytes, 0xEE);
  b.records.front().record.boot_id = std::string(k_max_boot_id_len, 'b');
  b.records.front().record.type = "a_b.c9";
  b.records.front().record.wall_ms = -1;  // a wall clock set before 1970 is odd, not malformed
  CHECK(parse_record_batch(to_json(b).dump()).value() == b);

  b = sample_batch();
  b.records.clear();
  for (std::uint64_t i = 1; i <= k_max_batch_records; ++i) b.records.push_back(sample_record(i));
  CHECK(parse_record_batch(to_json(b).dump()).value().records.size() == k_max_batch_records);
}

TEST_CASE("a record batch body is checked as text before it is decoded", "[protocol][batch]") {
  const std::string good = to_json(sample_batch()).dump();
  REQUIRE(parse_record_batch(good).has_value());

  SECTION("floats written with an exponent are not integers") {
    const std::string body = R"({"v":1,"session_id":"s","records":[{"seq":1e0}]})";
    require_error(parse_record_batch(body), Errc::invalid_argument, "records[0].seq");
  }
  SECTION("a duplicate key inside a record is named") {
    std::string body = good;
    const auto at = body.find("\"seq\":2", body.find("\"records\""));  // after the checkpoint
    REQUIRE(at != std::string::npos);
    body.insert(at, "\"seq\":2,");
    require_error(parse_record_batch(body), Errc::invalid_argument, "records[1].seq");
  }
  SECTION("invalid JSON, non-objects and deep nesting fail on the body as a whole") {
    for (const std::string& body : {std::string("not json"), good.substr(0, good.size() - 1), std::string("[1]"),
                                   repeat("[", 10'000)}) {
      require_error(parse_record_batch(body), Errc::invalid_argument, "");
    }
  }
  SECTION("a tree that is not an object fails on the body as a whole") {
    require_error(decode_record_batch(json::array()), Errc::invalid_argument, "");
  }
}

// ---- BatchAck ---------------------------------------------------------------------------------

TEST_CASE("a batch acknowledgement survives a round trip", "[protocol][ack]") {
  const BatchAck a{"session-42", 18'446'744'073'709'551'615ull};
  const json j = to_json(a);
  CHECK(j.at("v") == 1);
  CHECK(parse_batch_ack(j.dump()).value() == a);
}

TEST_CASE("a batch acknowledgement decoder rejects bad fields with their path", "[protocol][ack]") {
  const std::vector<Case> cases = {
      {"missing version", [](json& j) { j.erase("v"); }, Errc::invalid_argument, "v"},
      {"version 0", [](json& j) { j["v"] = 0; }, Errc::unsupported_version, "v"},
      {"missing seq", [](json& j) { j.erase("highest_contiguous_seq"); }, Errc::invalid_argument,
       "highest_contiguous_seq"},
      {"negative seq", [](json& j) { j["highest_contiguous_seq"] = -1; }, Errc::invalid_argument,
       "highest_contiguous_seq"},
      {"string seq", [](json& j) { j["highest_contiguous_seq"] = "3"; }, Errc::invalid_argument,
       "highest_contiguous_seq"},
      {"float seq", [](json& j) { j["highest_contiguous_seq"] = 3.0; }, Errc::invalid_argument,
       "highest_contiguous_seq"},
      {"array for session_id", [](json& j) { j["session_id"] = json::array(); }, Errc::invalid_argument,
       "session_id"},
      {"unknown field", [](json& j) { j["records"] = 1; }, Errc::invalid_argument, "records"},
  };
  const std::size_t n_cases = cases.size();
  const auto& c = cases[GENERATE_COPY(range(std::size_t{0}, n_cases))];
  INFO(c.what);
  json j = to_json(BatchAck{"s", 3});
  c.mutate(j);
  require_error(parse_batch_ack(j.dump()), c.code, c.field);
}

// ---- ErrorBody --------------------------------------------------------------------------------

TEST_CASE("an error body carries the error code name, message and field", "[protocol][error]") {
  const Error e{Errc::invalid_argument, "field \"records[1].seq\": expected an unsigned integer", "records[1].seq"};
  const ErrorBody body = error_body_from(e);
  CHECK(body.code == "invalid_argument");
  const json j = to_json(body);
  CHECK(j.at("v") == 1);
  CHECK(j.at("error").at("field") == "records[1].seq");
  const auto back = parse_error_body(j.dump());
  REQUIRE(back.has_value());
  CHECK(*back == body);
  const Error again = to_error(*back);
  CHECK(again.code == Errc::invalid_argument);
  CHECK(again.message == e.message);
  CHECK(again.field == e.field);
}

TEST_CASE("an error body omits an empty field and maps unknown codes to internal", "[protocol][error]") {
  const ErrorBody body = error_body_from(Error{Errc::unavailable, "the server is restarting"});
  const json j = to_json(body);
  CHECK_FALSE(j.at("error").contains("field"));
  CHECK(parse_error_body(j.dump()).value() == body);
  CHECK(to_error(ErrorBody{"teapot", "short and stout", ""}).code == Errc::internal);
  CHECK(to_error(ErrorBody{"unsupported_version", "", ""}).code == Errc::unsupported_version);
}

TEST_CASE("an error body decoder rejects bad fields with their path", "[protocol][error]") {
  const std::vector<Case> cases = {
      {"missing version", [](json& j) { j.erase("v"); }, Errc::invalid_argument, "v"},
      {"missing error", [](json& j) { j.erase("error"); }, Errc::invalid_argument, "error"},
      {"string for error", [](json& j) { j["error"] = "boom"; }, Errc::invalid_argument, "error"},
      {"missing code", [](json& j) { j["error"].erase("code"); }, Errc::invalid_argument, "error.code"},
      {"empty code", [](json& j) { j["error"]["code"] = ""; }, Errc::invalid_argument, "error.code"},
      {"number for message", [](json& j) { j["error"]["message"] = 1; }, Errc::invalid_argument, "error.message"},
      {"oversized message", [](json& j) { j["error"]["message"] = std::string(4097, 'm'); },
       Errc::invalid_argument, "error.message"},
      {"number for field", [](json& j) { j["error"]["field"] = 1; }, Errc::invalid_argument, "error.field"},
      {"unknown error field", [](json& j) { j["error"]["status"] = 400; }, Errc::invalid_argument, "error.status"},
      {"unknown top-level field", [](json& j) { j["status"] = 400; }, Errc::invalid_argument, "status"},
  };
  const std::size_t n_cases = cases.size();
  const auto& c = cases[GENERATE_COPY(range(std::size_t{0}, n_cases))];
  INFO(c.what);
  json j = to_json(ErrorBody{"conflict", "already stored with other content", "records[0]"});
  c.mutate(j);
  require_error(parse_error_body(j.dump()), c.code, c.field);
}

// ---- AnswerSaved ------------------------------------------------------------------------------

TEST_CASE("an answer.saved payload has one compact form with sorted keys", "[protocol][answer]") {
  const AnswerSaved a{"q1", 3, "Hello"};
  CHECK(encode_answer_saved(a) == R"({"item_id":"q1","revision":3,"v":1,"value":"Hello"})");
  CHECK(parse_answer_saved(encode_answer_saved(a)).value() == a);

  // Non-ASCII text is written as UTF-8, not \u escapes; quotes and newlines are escaped.
  const AnswerSaved u{"q2", 0, "Caf\xC3\xA9 \xE2\x80\x94 \"quoted\"\nnext"};
  CHECK(encode_answer_saved(u) ==
        "{\"item_id\":\"q2\",\"revision\":0,\"v\":1,\"value\":\"Caf\xC3\xA9 \xE2\x80\x94 \\\"quoted\\\"\\nnext\"}");
  CHECK(parse_answer_saved(encode_answer_saved(u)).value() == u);
}

TEST_CASE("an answer.saved payload holds a long written answer", "[protocol][answer]") {
  const AnswerSaved a{"essay-1", 42, std::string(k_max_answer_bytes, 'w')};
  CHECK(parse_answer_saved(encode_answer_saved(a)).value() == a);
  const AnswerSaved empty{"essay-1", 43, ""};
  CHECK(parse_answer_saved(encode_answer_saved(empty)).value() == empty);
}

TEST_CASE("an answer.saved decoder rejects bad fields with their path", "[protocol][answer]") {
  const std::vector<Case> cases = {
      {"missing version", [](json& j) { j.erase("v"); }, Errc::invalid_argument, "v"},
      {"version 2", [](json& j) { j["v"] = 2; }, Errc::unsupported_version, "v"},
      {"empty item_id", [](json& j) { j["item_id"] = ""; }, Errc::invalid_argument, "item_id"},
      {"number for item_id", [](json& j) { j["item_id"] = 1; }, Errc::invalid_argument, "item_id"},
      {"negative revision", [](json& j) { j["revision"] = -2; }, Errc::invalid_argument, "revision"},
      {"float revision", [](json& j) { j["revision"] = 2.0; }, Errc::invalid_argument, "revision"},
      {"missing value", [](json& j) { j.erase("value"); }, Errc::invalid_argument, "value"},
      {"null value", [](json& j) { j["value"] = nullptr; }, Errc::invalid_argument, "value"},
      {"object for value", [](json& j) { j["value"] = json::object(); }, Errc::invalid_argument, "value"},
      {"oversized value", [](json& j) { j["value"] = std::string(k_max_answer_bytes + 1, 'w'); },
       Errc::invalid_argument, "value"},
      {"unknown field", [](json& j) { j["score"] = 10; }, Errc::invalid_argument, "score"},
  };
  const std::size_t n_cases = cases.size();
  const auto& c = cases[GENERATE_COPY(range(std::size_t{0}, n_cases))];
  INFO(c.what);
  json j = to_json(AnswerSaved{"q1", 1, "text"});
  c.mutate(j);
  require_error(parse_answer_saved(j.dump()), c.code, c.field);
}

TEST_CASE("an answer.saved decoder rejects a repeated key rather than keep the last", "[protocol][answer]") {
  require_error(parse_answer_saved(R"({"item_id":"q1","revision":1,"v":1,"value":"a","value":"b"})"),
                Errc::invalid_argument, "value");
}
