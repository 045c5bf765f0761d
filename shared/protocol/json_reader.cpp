#include "shared/protocol/json_reader.hpp"
#include "shared/core/utf8.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

namespace vigil::protocol {
namespace {

using json = nlohmann::json;

Error field_error(std::string path, std::string_view what) {
  std::string message = "field \"" + path + "\": " + std::string(what);
  return Error{Errc::invalid_argument, std::move(message), std::move(path)};
}

// Keys of unknown or duplicate members come from the sender: keep them short and printable
// before they reach an error message, a log line or a UI.
std::string display_key(std::string_view key) {
  constexpr std::size_t k_max = 64;
  std::string out;
  const bool cut = key.size() > k_max;
  std::size_t n = cut ? k_max : key.size();
  // Do not cut a UTF-8 sequence in half.
  if (cut) {
    while (n > 0 && (static_cast<unsigned char>(key[n]) & 0xC0) == 0x80) --n;
  }
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    out += (c < 0x20 || c == 0x7F || c == '"' || c == '\\') ? '?' : key[i];
  }
  if (cut) out += "...";
  return out;
}

std::string_view describe(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
      return v.get<std::int64_t>() < 0 ? "a negative integer" : "an integer";
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number with a fraction or exponent";
    case json::value_t::binary: return "binary data";
    case json::value_t::discarded: return "an invalid value";
  }
  return "an unknown value";
}

std::string expected(std::string_view what, const json& got) {
  return "expected " + std::string(what) + ", got " + std::string(describe(got));
}

// Bounds how deep nlohmann's parser may go, before it runs: counts '[' and '{' outside strings.
// Not a validator: for any prefix the parser accepts, the depth seen here is the depth it builds.
bool nests_deeper_than(std::string_view body, std::size_t max_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return false;
}

// Follows the parser's callbacks to know the path of the value being parsed, and records the
// first key that appears twice in one object.
class DuplicateKeyFinder {
 public:
  bool on_event(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: frames_.push_back(Frame{true, {}, {}, 0}); break;
      case json::parse_event_t::array_start: frames_.push_back(Frame{false, {}, {}, 0}); break;
      case json::parse_event_t::key: {
        assert(!frames_.empty() && frames_.back().is_object);
        Frame& f = frames_.back();
        f.key = parsed.get_ref<const std::string&>();
        if (!f.keys.insert(f.key).second && !duplicate_) duplicate_ = current_path();
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        element_done();
        break;
      case json::parse_event_t::value: element_done(); break;
    }
    return true;  // keep everything: we only observe
  }

  const std::optional<std::string>& duplicate() const noexcept { return duplicate_; }

 private:
  struct Frame {
    bool is_object;
    std::set<std::string, std::less<>> keys;
    std::string key;        // objects: the key of the member being parsed
    std::size_t index = 0;  // arrays: the index of the element being parsed
  };

  void element_done() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
  }

  std::string current_path() const {
    std::string path;
    for (const Frame& f : frames_) {
      if (f.is_object) {
        path = join_path(path, display_key(f.key));
      } else {
        // Appended piece by piece: g++ 12 -O2 gives a false -Wrestrict on "[" + to_string(...).
        path += '[';
        path += std::to_string(f.index);
        path += ']';
      }
    }
    return path;
  }

  std::vector<Frame> frames_;
  std::optional<std::string> duplicate_;
};

}  // namespace

Result<json> parse_json(std::string_view body, std::size_t max_depth) {
  if (nests_deeper_than(body, max_depth)) {
    return fail(Error{Errc::invalid_argument,
                      "body nests arrays and objects deeper than " + std::to_string(max_depth) + " levels",
                      ""});
  }
  DuplicateKeyFinder finder;
  json::parser_callback_t callback = [&finder](int /*depth*/, json::parse_event_t event, json& parsed) {
    return finder.on_event(event, parsed);
  };
  json parsed = json::parse(body.begin(), body.end(), callback, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return fail(Error{Errc::invalid_argument, "body is not valid JSON", ""});
  if (const auto& dup = finder.duplicate()) {
    return fail(field_error(*dup, "appears more than once in the same object"));
  }
  if (!parsed.is_object()) {
    return fail(Error{Errc::invalid_argument, "body is not a JSON object (got " + std::string(describe(parsed)) + ")", ""});
  }
  return parsed;
}

std::string join_path(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  if (name.empty()) return std::string(prefix);
  std::string out;
  out.reserve(prefix.size() + 1 + name.size());
  out.append(prefix).append(".").append(name);
  return out;
}

ObjectReader::ObjectReader(const json& object, std::string path) : object_(&object), path_(std::move(path)) {
  assert(object.is_object());
}

Result<ObjectReader> ObjectReader::from(const json& value, std::string path) {
  if (!value.is_object()) {
    if (path.empty()) {
      return fail(Error{Errc::invalid_argument, "body is not a JSON object (got " + std::string(describe(value)) + ")", ""});
    }
    return fail(field_error(std::move(path), expected("an object", value)));
  }
  return ObjectReader(value, std::move(path));
}

Error ObjectReader::error(std::string_view name, std::string_view what) const {
  return field_error(join_path(path_, name), what);
}

const json* ObjectReader::find(std::string_view name) {
  const auto it = object_->find(name);
  if (it == object_->end()) return nullptr;
  read_.emplace(name);
  return &*it;
}

Result<const json*> ObjectReader::require(std::string_view name) {
  const json* v = find(name);
  if (v == nullptr) return fail(error(name, "is required"));
  return v;
}

bool ObjectReader::absent_or_null(std::string_view name) {
  const json* v = find(name);
  return v == nullptr || v->is_null();
}

Result<std::string> ObjectReader::string(std::string_view name, std::size_t max_len) {
  auto v = require(name);
  if (!v) return fail(std::move(v).error());
  const json& j = **v;
  if (!j.is_string()) return fail(error(name, expected("a string", j)));
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() > max_len) return fail(error(name, "is longer than " + std::to_string(max_len) + " bytes"));
  // nlohmann checks UTF-8 when parsing, but a json built in code is not checked.
  if (!is_valid_utf8(s)) return fail(error(name, "is not valid UTF-8"));
  return s;
}

Result<std::string> ObjectReader::non_empty_string(std::string_view name, std::size_t max_len) {
  auto s = string(name, max_len);
  if (s && s->empty()) return fail(error(name, "must not be empty"));
  return s;
}

Result<std::uint64_t> ObjectReader::uint(std::string_view name) {
  auto v = require(name);
  if (!v) return fail(std::move(v).error());
  const json& j = **v;
  // The parser stores non-negative integers as number_unsigned; json built in code may hold a
  // non-negative number_integer.
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (j.is_number_integer() && j.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(j.get<std::int64_t>());
  return fail(error(name, expected("an unsigned integer", j)));
}

Result<std::int64_t> ObjectReader::integer(std::string_view name) {
  auto v = require(name);
  if (!v) return fail(std::move(v).error());
  const json& j = **v;
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return fail(error(name, "is out of range for a 64-bit signed integer"));
    }
    return static_cast<std::int64_t>(u);
  }
  if (j.is_number_integer()) return j.get<std::int64_t>();
  return fail(error(name, expected("an integer", j)));
}

Result<bool> ObjectReader::boolean(std::string_view name) {
  auto v = require(name);
  if (!v) return fail(std::move(v).error());
  const json& j = **v;
  if (!j.is_boolean()) return fail(error(name, expected("true or false", j)));
  return j.get<bool>();
}

Result<Bytes> ObjectReader::base64(std::string_view name, std::size_t max_decoded_len) {
  auto v = require(name);
  if (!v) return fail(std::move(v).error());
  const json& j = **v;
  if (!j.is_string()) return fail(error(name, expected("a base64 string", j)));
  const auto& s = j.get_ref<const std::string&>();
  const std::string too_long = "is longer than " + std::to_string(max_decoded_len) + " bytes once decoded";
  // Refuse oversized text before spending time and memory decoding it.
  const std::size_t max_text = (max_decoded_len / 3 + (max_decoded_len % 3 != 0 ? 1 : 0)) * 4;
  if (s.size() > max_text) return fail(error(name, too_long));
  auto bytes = from_base64(s);
  if (!bytes) return fail(error(name, "is not valid base64 (" + bytes.error().message + ")"));
  if (bytes->size() > max_decoded_len) return fail(error(name, too_long));
  return std::move(*bytes);
}

Result<std::array<std::uint8_t, 32>> ObjectReader::hex_digest32(std::string_view name) {
  auto v = require(name);
  if (!v) return fail(std::move(v).error());
  const json& j = **v;
  constexpr std::string_view k_what = "expected 64 lower-case hex digits";
  if (!j.is_string()) return fail(error(name, expected("64 lower-case hex digits", j)));
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() != 64) return fail(error(name, std::string(k_what) + ", got " + std::to_string(s.size()) + " characters"));
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return fail(error(name, std::string(k_what) + ", got another character"));
    }
  }
  auto bytes = from_hex(s);
  if (!bytes || bytes->size() != 32) return fail(error(name, k_what));
  std::array<std::uint8_t, 32> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

Result<ObjectReader> ObjectReader::object(std::string_view name) {
  auto v = require(name);
  if (!v) return fail(std::move(v).error());
  return from(**v, join_path(path_, name));
}

Result<std::vector<const json*>> ObjectReader::array(std::string_view name, std::size_t max_items) {
  auto v = require(name);
  if (!v) return fail(std::move(v).error());
  const json& j = **v;
  if (!j.is_array()) return fail(error(name, expected("an array", j)));
  if (j.size() > max_items) return fail(error(name, "has more than " + std::to_string(max_items) + " items"));
  std::vector<const json*> items;
  items.reserve(j.size());
  for (const json& item : j) items.push_back(&item);
  return items;
}

Result<std::vector<ObjectReader>> ObjectReader::objects(std::string_view name, std::size_t max_items) {
  auto items = array(name, max_items);
  if (!items) return fail(std::move(items).error());
  const std::string base = join_path(path_, name);
  std::vector<ObjectReader> readers;
  readers.reserve(items->size());
  for (std::size_t i = 0; i < items->size(); ++i) {
    std::string item_path = base;
    item_path += '[';
    item_path += std::to_string(i);
    item_path += ']';
    auto r = from(*(*items)[i], std::move(item_path));
    if (!r) return fail(std::move(r).error());
    readers.push_back(std::move(*r));
  }
  return readers;
}

// The optional readers share one shape: absent or null -> nullopt, otherwise the required reader.
#define VIGIL_OPTIONAL_READER(type, call)                           \
  if (absent_or_null(name)) return std::optional<type>{};           \
  auto r = call;                                                    \
  if (!r) return fail(std::move(r).error());                        \
  return std::optional<type>{std::move(*r)};

Result<std::optional<std::string>> ObjectReader::optional_string(std::string_view name, std::size_t max_len) {
  VIGIL_OPTIONAL_READER(std::string, string(name, max_len))
}
Result<std::optional<std::uint64_t>> ObjectReader::optional_uint(std::string_view name) {
  VIGIL_OPTIONAL_READER(std::uint64_t, uint(name))
}
Result<std::optional<std::int64_t>> ObjectReader::optional_integer(std::string_view name) {
  VIGIL_OPTIONAL_READER(std::int64_t, integer(name))
}
Result<std::optional<bool>> ObjectReader::optional_boolean(std::string_view name) {
  VIGIL_OPTIONAL_READER(bool, boolean(name))
}
Result<std::optional<Bytes>> ObjectReader::optional_base64(std::string_view name, std::size_t max_decoded_len) {
  VIGIL_OPTIONAL_READER(Bytes, base64(name, max_decoded_len))
}
Result<std::optional<std::array<std::uint8_t, 32>>> ObjectReader::optional_hex_digest32(std::string_view name) {
  using Digest32 = std::array<std::uint8_t, 32>;
  VIGIL_OPTIONAL_READER(Digest32, hex_digest32(name))
}
Result<std::optional<ObjectReader>> ObjectReader::optional_object(std::string_view name) {
  VIGIL_OPTIONAL_READER(ObjectReader, object(name))
}

#undef VIGIL_OPTIONAL_READER

Status ObjectReader::version(int expected_version) {
  auto v = integer("v");
  if (!v) return fail(std::move(v).error());
  if (*v != expected_version) {
    std::string path = join_path(path_, "v");
    std::string message = "field \"" + path + "\": version " + std::to_string(*v) +
                          " is not supported; this program speaks version " + std::to_string(expected_version);
    return fail(Error{Errc::unsupported_version, std::move(message), std::move(path)});
  }
  return {};
}

Status ObjectReader::finish() const {
  for (const auto& [key, value] : object_->items()) {
    if (read_.find(key) == read_.end()) return fail(error(display_key(key), "unknown field"));
  }
  return {};
}

}  // namespace vigil::protocol
