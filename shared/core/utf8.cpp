#include "shared/core/utf8.hpp"

#include <algorithm>

#include <openssl/asn1.h>

namespace vigil {

// OpenSSL's UTF8_getc (public in <openssl/asn1.h>, already our dependency) decodes one sequence
// and refuses truncated ones (-1), bad bytes and surrogates (-2, -3) and overlong forms or values
// past U+10FFFF (-4): tests/unit/test_shared_core.cpp pins each case. shared/ may not include
// Boost (tests/check-deps.sh), and nlohmann/json checks UTF-8 only by throwing while it dumps.
std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {  // ASCII, most of any text: no call
      ++i;
      continue;
    }
    unsigned long code_point = 0;
    const int used = UTF8_getc(p + i, static_cast<int>(std::min<std::size_t>(n - i, 8)), &code_point);
    if (used <= 0) return i;
    i += static_cast<std::size_t>(used);
  }
  return std::nullopt;
}

}  // namespace vigil
