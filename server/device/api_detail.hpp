#pragma once
// Internal to the device API (server/device/*.cpp): request helpers its handlers share.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/core/result.hpp"
#include "shared/journal/verifier.hpp"
#include "shared/protocol/http.hpp"

namespace vigil::server::core::device_detail {

protocol::HttpResponse json_response(int status, const nlohmann::json& body);
std::vector<std::string_view> split_path(std::string_view path);
// A session id from a path: 1..k_max_session_id_len of [A-Za-z0-9._-]; invalid_argument otherwise.
Status check_session_id(std::string_view id);
// 64 lower-case hex digits as 32 bytes; invalid_argument naming field otherwise.
Result<std::array<std::uint8_t, 32>> parse_sha_hex(std::string_view hex, const char* field);
// A header that must be a whole number.
Result<std::uint64_t> header_uint(const protocol::HttpRequest& req, std::string_view name);
// Verifier findings that mean the chain itself was altered (not a missing tail).
bool is_structural(journal::FindingKind k);

}  // namespace vigil::server::core::device_detail
