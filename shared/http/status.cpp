#include "shared/http/status.hpp"

#include <charconv>

#include "shared/protocol/messages.hpp"

namespace vigil::http {

int status_for(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument:
    case Errc::unsupported_version: return 400;
    case Errc::auth_failed: return 401;
    case Errc::forbidden:
    case Errc::wrong_key: return 403;
    case Errc::not_found: return 404;
    case Errc::conflict:
    case Errc::already_exists: return 409;
    case Errc::expired: return 410;
    case Errc::integrity: return 422;
    case Errc::rate_limited: return 429;
    case Errc::busy:
    case Errc::unavailable:
    case Errc::read_only: return 503;
    case Errc::disk_full: return 507;
    case Errc::crypto:
    case Errc::not_a_store:
    case Errc::io:
    case Errc::internal: return 500;
  }
  return 500;
}

Errc errc_for_status(int status) noexcept {
  switch (status) {
    case 400: return Errc::invalid_argument;
    case 401: return Errc::auth_failed;
    case 403: return Errc::forbidden;
    case 404: return Errc::not_found;
    case 409: return Errc::conflict;
    case 410: return Errc::expired;
    case 422: return Errc::integrity;
    case 429: return Errc::rate_limited;
    case 500: return Errc::internal;
    case 503: return Errc::unavailable;
    case 507: return Errc::disk_full;
    default: return status >= 500 ? Errc::unavailable : Errc::internal;
  }
}

bool transient(int status) noexcept { return status == 429 || status >= 500; }

ServerError decode_error(const protocol::HttpResponse& r) {
  ServerError out;
  if (auto body = protocol::parse_error_body(r.body)) {
    out.error = protocol::to_error(*body);
  } else {
    out.error = Error(errc_for_status(r.status), "the server answered " + std::to_string(r.status));
  }
  out.transient = transient(r.status);
  out.retry_after = retry_after(r);
  return out;
}

Error ServerError::retry_later() const {
  Error e = error;
  if (transient) e.code = Errc::unavailable;
  return e;
}

std::optional<std::chrono::seconds> retry_after(const protocol::HttpResponse& r) {
  const std::string ra = r.header("Retry-After");
  std::int64_t secs = 0;
  const auto* end = ra.data() + ra.size();
  if (ra.empty() || std::from_chars(ra.data(), end, secs).ptr != end || secs < 0) return std::nullopt;
  return std::chrono::seconds(secs);
}

}  // namespace vigil::http
