#pragma once
// Well-formed UTF-8 (RFC 3629), the one check every layer uses: the canonical encoding, the strict
// JSON reader, the client's answers, the staff CSV upload. Refused: bytes that cannot start a
// sequence, truncated sequences, overlong forms, UTF-16 surrogates (U+D800..U+DFFF) and code
// points above U+10FFFF.
#include <cstddef>
#include <optional>
#include <string_view>

namespace vigil {

// The byte offset where `text` stops being well-formed UTF-8 (the first byte of the bad
// sequence), or nullopt when all of it is.
std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept;

inline bool is_valid_utf8(std::string_view text) noexcept { return !first_invalid_utf8(text).has_value(); }

}  // namespace vigil
