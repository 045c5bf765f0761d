#pragma once
// Byte buffers and their text forms. Bytes is for public data; secrets use
// vigil::crypto::SecretBytes (shared/crypto/secure.hpp), which wipes its memory.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/core/result.hpp"

namespace vigil {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Lower-case hex. from_hex accepts either case and rejects odd lengths and non-hex characters.
std::string to_hex(ByteView data);
Result<Bytes> from_hex(std::string_view hex);

// RFC 4648 base64 with padding (standard alphabet) and base64url without padding.
// Decoders are strict: no whitespace, no missing or extra padding, no stray characters.
std::string to_base64(ByteView data);
Result<Bytes> from_base64(std::string_view text);
std::string to_base64url(ByteView data);
Result<Bytes> from_base64url(std::string_view text);

}  // namespace vigil
