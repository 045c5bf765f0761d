#pragma once
// Vigil canonical encoding, version 1 ("VCE1"): the one byte form of anything we hash or sign.
// Specified with test vectors in docs/CANONICAL-ENCODING.md; summary:
//
//   value  := bool | uint | int | text | bytes | list | map
//   bool   := 0x01 (0x00 | 0x01)
//   uint   := 0x02 u64-big-endian
//   int    := 0x03 i64-big-endian (two's complement)
//   text   := 0x04 u32-big-endian-length UTF-8 bytes   (must be valid UTF-8)
//   bytes  := 0x05 u32-big-endian-length raw bytes
//   list   := 0x06 u32-big-endian-count value*
//   map    := 0x07 u32-big-endian-count (u32-length UTF-8-key value)*, keys strictly ascending
//             by unsigned byte comparison (so no duplicates)
//
// Every value has exactly one encoding and every encoding is self-delimiting, so
// `domain_separated(d, v) = encode(text d) || encode(v)` is unambiguous. Signed and hashed objects
// always go through domain_separated with a versioned domain ("vigil.journal.record.v1"), so a
// signature over one kind of object can never be replayed as another.
//
// Fixed-width integers keep the rules trivially canonical (no shortest-form checks); the bytes
// are never sent on the wire (JSON is), so compactness does not matter here.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"
#include "shared/crypto/hash.hpp"

namespace vigil::canonical {

enum class Tag : std::uint8_t { boolean = 1, uint = 2, integer = 3, text = 4, bytes = 5, list = 6, map = 7 };

inline constexpr std::size_t k_max_depth = 32;

struct Value;
using List = std::vector<Value>;
using Map = std::map<std::string, Value, std::less<>>;  // std::string orders bytes as unsigned

struct Value {
  std::variant<bool, std::uint64_t, std::int64_t, std::string, Bytes, List, Map> v;

  Value() : v(false) {}
  Value(bool b) : v(b) {}
  Value(std::uint64_t u) : v(u) {}
  Value(std::int64_t i) : v(i) {}
  Value(std::string s) : v(std::move(s)) {}
  Value(const char* s) : v(std::string(s)) {}
  Value(Bytes b) : v(std::move(b)) {}
  Value(List l) : v(std::move(l)) {}
  Value(Map m) : v(std::move(m)) {}

  bool operator==(const Value& other) const = default;
};

// Appends encodings to a buffer. The streaming form used on hot paths (journal records); it
// produces the same bytes as encode(Value). REQUIRES: map keys are written in strictly ascending
// order and a map/list announces its exact count (checked by assert in debug builds).
class Writer {
 public:
  Writer& boolean(bool b);
  Writer& uint(std::uint64_t u);
  Writer& integer(std::int64_t i);
  Writer& text(std::string_view s);  // REQUIRES: valid UTF-8
  Writer& bytes(ByteView b);
  Writer& list(std::uint32_t count);
  Writer& map(std::uint32_t count);
  Writer& key(std::string_view k);   // a map key; the value follows
  template <std::size_t N>
  Writer& bytes(const std::array<std::uint8_t, N>& a) { return bytes(ByteView(a)); }

  const Bytes& data() const noexcept { return out_; }
  Bytes take() && noexcept { return std::move(out_); }
  void clear() noexcept { out_.clear(); }

 private:
  void put_u32(std::uint32_t n);
  void put_u64(std::uint64_t n);
  Bytes out_;
};

// Encodes v. Returns invalid_argument if a text or key is not valid UTF-8, or a length does not
// fit in 32 bits, or nesting is deeper than k_max_depth.
Result<Bytes> encode(const Value& v);

// Strict decoder: exactly one value, no trailing bytes, canonical form only (sorted unique keys,
// bool 0/1, valid UTF-8, depth ≤ k_max_depth). Errors name the byte offset.
Result<Value> decode(ByteView data);

// encode(text(domain)) || encode(v). REQUIRES: domain is non-empty ASCII.
Result<Bytes> domain_separated(std::string_view domain, const Value& v);

// SHA-256 of domain_separated(domain, v).
Result<crypto::Digest> hash(std::string_view domain, const Value& v);

}  // namespace vigil::canonical
