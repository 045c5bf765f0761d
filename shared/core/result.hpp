#pragma once
// Result<T>: the return type of every operation that can fail for an expected reason (bad input,
// not found, offline, wrong key, full disk). Bugs are assert()s, not Results.
//
// An Error carries a stable machine code (logged, mapped to HTTP status and to UI text in one
// place each) and a human message written for the person who will read it: say what happened
// and, where it helps, what to do. Messages never contain keys, tokens or personal data.
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace vigil {

enum class Errc {
  invalid_argument,   // the caller passed something malformed (field-level decode errors too)
  not_found,
  already_exists,
  conflict,           // same key, different content (idempotency violations)
  integrity,          // data failed a hash, signature or chain check
  crypto,             // a cryptographic primitive failed (bad key size, library error)
  auth_failed,        // authentication tag / signature / key did not match
  wrong_key,          // a store or file could not be opened with the key we hold
  not_a_store,        // the file is not a Vigil store (foreign, empty or damaged header)
  disk_full,
  read_only,
  io,                 // other operating-system I/O failures
  busy,               // another process holds the resource (a second client on one store)
  unavailable,        // a service we depend on is not reachable (keystore, server)
  unsupported_version,
  forbidden,          // authenticated (or not) but not allowed: unknown or revoked device
  expired,            // a code, certificate or window whose time has passed
  rate_limited,       // too many attempts: slow down or ask for a new code
  internal,
};

std::string_view errc_name(Errc code) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;
  std::string field;  // for decode errors: the JSON path of the offending field ("records[3].seq")

  Error() = default;
  Error(Errc c, std::string msg, std::string fld = {}) : code(c), message(std::move(msg)), field(std::move(fld)) {}

  // "code: message", for logs and CLI output.
  std::string describe() const;
  // Prefix context onto the message, keeping the code: "opening store: <message>".
  Error context(std::string_view what) && {
    message = std::string(what) + ": " + message;
    return std::move(*this);
  }
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}
// With the JSON path of the offending field (decode and validation errors).
inline tl::unexpected<Error> fail(Errc code, std::string message, std::string field) {
  return tl::unexpected<Error>(Error{code, std::move(message), std::move(field)});
}
inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

}  // namespace vigil

// Propagate an error from an expression returning Result<T>/Status; evaluates to nothing.
// __COUNTER__ gives each expansion its own temporary, so nested uses (a VIGIL_TRY inside a
// lambda inside a VIGIL_TRY) do not shadow each other.
#define VIGIL_CAT2_(a, b) a##b
#define VIGIL_CAT_(a, b) VIGIL_CAT2_(a, b)
#define VIGIL_TRY_IMPL_(tmp, expr)                                  \
  do {                                                              \
    auto&& tmp = (expr);                                            \
    if (!tmp) return ::vigil::fail(std::move(tmp).error());         \
  } while (0)
#define VIGIL_TRY(expr) VIGIL_TRY_IMPL_(VIGIL_CAT_(vigil_try_r_, __COUNTER__), expr)

// `lhs = *expr`, or return expr's error from the enclosing function (which returns a Result).
// lhs may be a declaration: VIGIL_ASSIGN(auto x, parse(...));
#define VIGIL_ASSIGN_IMPL_(tmp, lhs, expr)                 \
  auto tmp = (expr);                                       \
  if (!tmp) return ::vigil::fail(std::move(tmp).error()); \
  lhs = std::move(*tmp)
#define VIGIL_ASSIGN(lhs, expr) VIGIL_ASSIGN_IMPL_(VIGIL_CAT_(vigil_assign_r_, __COUNTER__), lhs, expr)
