#pragma once
// Internal to the device API (server/device/*.cpp): checks its handlers share (the HTTP helpers
// are shared/http/).
#include <array>
#include <cstdint>
#include <string_view>

#include "shared/core/result.hpp"
#include "shared/journal/verifier.hpp"

namespace vigil::server::device_detail {

// A session id from a path: 1..k_max_session_id_len of [A-Za-z0-9._-]; invalid_argument otherwise.
Status check_session_id(std::string_view id);
// 64 lower-case hex digits as 32 bytes; invalid_argument naming field otherwise.
Result<std::array<std::uint8_t, 32>> parse_sha_hex(std::string_view hex, const char* field);
// Verifier findings that mean the chain itself was altered (not a missing tail).
bool is_structural(journal::FindingKind k);

}  // namespace vigil::server::device_detail
