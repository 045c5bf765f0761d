#include "shared/core/result.hpp"

namespace vigil {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::conflict: return "conflict";
    case Errc::integrity: return "integrity";
    case Errc::crypto: return "crypto";
    case Errc::auth_failed: return "auth_failed";
    case Errc::wrong_key: return "wrong_key";
    case Errc::not_a_store: return "not_a_store";
    case Errc::disk_full: return "disk_full";
    case Errc::read_only: return "read_only";
    case Errc::io: return "io";
    case Errc::busy: return "busy";
    case Errc::unavailable: return "unavailable";
    case Errc::unsupported_version: return "unsupported_version";
    case Errc::forbidden: return "forbidden";
    case Errc::expired: return "expired";
    case Errc::rate_limited: return "rate_limited";
    case Errc::internal: return "internal";
  }
  return "internal";
}

std::string Error::describe() const { return std::string(errc_name(code)) + ": " + message; }

}  // namespace vigil
