#pragma once
// Strict JSON decoding for the wire protocol. JSON stays at the edges: parse_json turns a request
// body into a tree, an ObjectReader turns one object of that tree into typed values, and the
// message decoders (messages.hpp) build plain structs from those. Nothing here throws.
//
// Contract of every decode error: code Errc::invalid_argument (Errc::unsupported_version for a
// "v" we do not speak), `field` the full JSON path of the offending value ("records[3].seq"; ""
// for the body as a whole), and a message that names that path:
//   field "records[3].seq": expected an unsigned integer, got a string
//
// Strictness, beyond what nlohmann::json checks (syntax, UTF-8 in strings, unpaired surrogates):
//  - the body must be an object, nest at most max_depth levels and have no duplicate keys
//    (nlohmann would silently keep the last one, so two parsers could read different messages);
//  - integers are JSON integers: 1.0, 1e3 and "1" are not integers, -1 is not unsigned;
//  - every string, array and byte field has an explicit size limit;
//  - finish() rejects any field the decoder did not read, so a typo is an error, not a default.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/core/bytes.hpp"
#include "shared/core/names.hpp"
#include "shared/core/result.hpp"

namespace vigil::protocol {

inline constexpr std::size_t k_default_max_depth = 32;

// Parses a request or response body. Fails (Errc::invalid_argument, field "") when the body is
// not valid JSON, nests more than max_depth arrays/objects (checked before parsing, so hostile
// input such as 10,000 '[' costs one linear scan), repeats a key within one object (field names
// the duplicate, e.g. "records[0].seq"), or is not an object at the top level.
Result<nlohmann::json> parse_json(std::string_view body, std::size_t max_depth = k_default_max_depth);

// The path of member `name` inside the object at `prefix`: ("", "seq") -> "seq",
// ("records[3]", "seq") -> "records[3].seq".
std::string join_path(std::string_view prefix, std::string_view name);

// Reads the members of one JSON object, each with its type and limits checked, and remembers
// which members it has read so that finish() can reject the rest.
//
// The reader points into the json it was made from: that json must outlive the reader and every
// reader made from it (object(), objects()). Readers are cheap to copy; a copy has its own record
// of the fields read.
class ObjectReader {
 public:
  using json = nlohmann::json;

  // REQUIRES: object.is_object(). Use from() when that is not known.
  explicit ObjectReader(const json& object, std::string path = {});
  // Fails with `field "<path>": expected an object` when value is not an object.
  static Result<ObjectReader> from(const json& value, std::string path = {});

  // Required members. A member that is absent fails with `field "x": is required`; null counts
  // as a wrong type. Lengths are in bytes.
  Result<std::string> string(std::string_view name, std::size_t max_len);
  Result<std::string> non_empty_string(std::string_view name, std::size_t max_len);
  Result<std::uint64_t> uint(std::string_view name);
  Result<std::int64_t> integer(std::string_view name);
  Result<bool> boolean(std::string_view name);
  // Padded standard base64 (RFC 4648 section 4); the limit applies to the decoded bytes.
  Result<Bytes> base64(std::string_view name, std::size_t max_decoded_len);
  // Exactly 64 lower-case hex digits, as to_hex writes them.
  Result<std::array<std::uint8_t, 32>> hex_digest32(std::string_view name);
  Result<ObjectReader> object(std::string_view name);
  // The elements of an array of at most max_items items, in order; they point into the json.
  Result<std::vector<const json*>> array(std::string_view name, std::size_t max_items);
  // An array of at most max_items objects, one reader each, with paths "name[0]", "name[1]"...
  Result<std::vector<ObjectReader>> objects(std::string_view name, std::size_t max_items);

  // Optional members: absent or null gives std::nullopt; any other value is checked as above.
  Result<std::optional<std::string>> optional_string(std::string_view name, std::size_t max_len);
  Result<std::optional<std::uint64_t>> optional_uint(std::string_view name);
  Result<std::optional<std::int64_t>> optional_integer(std::string_view name);
  Result<std::optional<bool>> optional_boolean(std::string_view name);
  Result<std::optional<Bytes>> optional_base64(std::string_view name, std::size_t max_decoded_len);
  Result<std::optional<std::array<std::uint8_t, 32>>> optional_hex_digest32(std::string_view name);
  Result<std::optional<ObjectReader>> optional_object(std::string_view name);

  // Reads the required member "v". Absent or not an integer: Errc::invalid_argument; an integer
  // other than `expected`: Errc::unsupported_version, naming the version we support.
  Status version(int expected);

  // Fails with `field "x": unknown field` for the first member (in key order) that was present
  // but never read. Call it after reading every member the message defines.
  Status finish() const;

  // An Errc::invalid_argument error about member `name` (or about this object when name is ""),
  // for checks the typed readers cannot make (ordering, allowed characters...).
  Error error(std::string_view name, std::string_view what) const;

  const std::string& path() const noexcept { return path_; }
  const json& value() const noexcept { return *object_; }

 private:
  // The member, or nullptr when absent; marks it as read either way.
  const json* find(std::string_view name);
  // Like find(), but absent -> "is required".
  Result<const json*> require(std::string_view name);
  // Absent or null -> true (and the member counts as read).
  bool absent_or_null(std::string_view name);

  const json* object_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

// Decodes a top-level message: checks j is an object, then runs decode(ObjectReader&).
template <class T, class Decode>
Result<T> decode_top(const nlohmann::json& j, Decode&& decode) {
  auto r = ObjectReader::from(j);
  if (!r) return fail(std::move(r).error());
  return decode(*r);
}

// parse_json(text), then decode_top: a whole message from its text.
template <class T, class Decode>
Result<T> parse_top(std::string_view text, Decode&& decode) {
  auto j = parse_json(text);
  if (!j) return fail(std::move(j).error());
  return decode_top<T>(*j, std::forward<Decode>(decode));
}

// A string member that must be one of the names in `table` (shared/core/names.hpp); anything else
// is an error listing them ("must be single, multiple or written").
template <class E, std::size_t N>
Result<E> read_name(ObjectReader& r, std::string_view member, const Names<E, N>& table, std::size_t max_len = 16) {
  auto text = r.string(member, max_len);
  if (!text) return fail(std::move(text).error());
  if (auto v = value_named(table, *text)) return *v;
  return fail(r.error(member, "must be " + names_list(table)));
}

}  // namespace vigil::protocol
