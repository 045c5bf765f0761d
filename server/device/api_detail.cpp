#include "server/device/api_detail.hpp"

#include <algorithm>

#include "shared/protocol/messages.hpp"

namespace vigil::server::device_detail {

Status check_session_id(std::string_view id) {
  const bool ok = !id.empty() && id.size() <= protocol::k_max_session_id_len &&
                  std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                           c == '_' || c == '.';
                  });
  if (!ok) return fail(Error(Errc::invalid_argument, "the session id in the path is not valid", "session"));
  return {};
}

Result<std::array<std::uint8_t, 32>> parse_sha_hex(std::string_view hex, const char* field) {
  std::array<std::uint8_t, 32> out{};
  const bool ok = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                  });
  if (!ok) return fail(Error(Errc::invalid_argument, std::string(field) + " must be 64 lower-case hex digits", field));
  const auto bytes = from_hex(hex).value();
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

bool is_structural(journal::FindingKind k) {
  using K = journal::FindingKind;
  return k == K::modified || k == K::deleted || k == K::inserted || k == K::forked || k == K::bad_checkpoint;
}

}  // namespace vigil::server::device_detail
