#pragma once
// The one table between error codes and HTTP statuses (issue 14): the server's APIs and the
// client's local UI answer with status_for(), and the client reads the server's answers back
// with decode_error() (its inverse, plus the one rule for temporary failures).
//
//   400 invalid_argument, unsupported_version    409 conflict, already_exists
//   401 auth_failed                               410 expired
//   403 forbidden, wrong_key                      422 integrity
//   404 not_found                                 429 rate_limited
//   503 busy, unavailable, read_only              507 disk_full
//   500 crypto, not_a_store, io, internal
#include <chrono>
#include <optional>

#include "shared/core/result.hpp"
#include "shared/protocol/http.hpp"

namespace vigil::http {

int status_for(Errc code) noexcept;

// The code a status stands for when the body names none (the first code of its row above).
Errc errc_for_status(int status) noexcept;

// True for the answers worth sending again later: 429 and every 5xx.
bool transient(int status) noexcept;

// A server's error answer, as the client acts on it.
struct ServerError {
  Error error;                                      // the body's code and message, or the status's code
  bool transient = false;                           // 429 or 5xx: worth sending again later
  std::optional<std::chrono::seconds> retry_after;  // the Retry-After header (delta-seconds), if any

  // What code that retries by itself (sync, downloads) acts on: a transient answer is
  // Errc::unavailable ("try again later") whatever its code; anything else is `error`. Code
  // that shows the answer to a person who acts on it (enrolment: "this code is locked, ask for
  // a new one") uses `error`.
  Error retry_later() const;
};

// The Retry-After header in its delta-seconds form (the server never sends an HTTP date).
std::optional<std::chrono::seconds> retry_after(const protocol::HttpResponse& r);

// The one decoder of HTTP errors on the client: the body's error (shared/protocol/messages.hpp)
// when it is one, otherwise an Error for the status (errc_for_status); transient for 429 and
// 5xx, with the server's Retry-After when it sent one.
ServerError decode_error(const protocol::HttpResponse& r);

}  // namespace vigil::http
