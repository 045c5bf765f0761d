#pragma once
// Staff accounts to OWASP ASVS L2 (issue 13, docs/STAFF.md "Accounts"): the password rules, TOTP
// (RFC 6238 through liboath) and recovery codes. The endpoints that use them are rows of the one
// table in staff_api.cpp; their handlers are in staff_accounts.cpp.
//
// Invariants:
//  (1) A password chosen by anyone but its user is one-time (schema 9 invariant 1): the session it
//      opens reaches nothing but the account endpoints until the user has chosen their own.
//  (2) Programme admins and proctors cannot use anything else until a second factor is in force;
//      once it is, every sign-in and re-authentication needs a code (or one recovery code).
//  (3) A TOTP code is accepted once: the step it matched must be later than the last accepted.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/storage/staff_repository.hpp"
#include "shared/core/bytes.hpp"
#include "shared/core/result.hpp"

namespace vigil::server {

// ASVS 2.1.1/2.1.7: at least 12 characters, at most 1,024, and not a common password. "Common" is
// Openwall's list (Debian's john-data, embedded at build time), also after lowercasing, after
// stripping digits and symbols from both ends ("Password2024!") and for a repeated piece
// ("passwordpassword", "abcabcabcabc"); nor may it contain the local part of the email.
Status check_password_policy(std::string_view password, std::string_view email);

// RFC 6238 with SHA-1, 30-second steps, 6 digits (what authenticator apps expect). The step of
// a time is floor(unix_seconds / 30).
constexpr std::int64_t k_totp_step_seconds = 30;
std::int64_t totp_step(std::int64_t unix_seconds) noexcept;
// The code for a time (digits 6..8; 8 for RFC 6238's test vectors).
Result<std::string> totp_code(ByteView secret, std::int64_t unix_seconds, unsigned digits = 6);
// The step a code matches within one step either side of now (clock drift), or nullopt.
Result<std::optional<std::int64_t>> totp_match(ByteView secret, std::string_view code, std::int64_t unix_seconds);
std::string base32(ByteView data);
Result<Bytes> from_base32(std::string_view text);
// otpauth://totp/Vigil:EMAIL?secret=...&issuer=Vigil&algorithm=SHA1&digits=6&period=30
std::string otpauth_uri(std::string_view email, ByteView secret);

// How long a one-time password (set by an admin or the CLI) works before its owner changes it.
constexpr std::int64_t k_one_time_password_days = 7;

// True for the roles that must have a second factor (invariant 2).
bool role_needs_mfa(Role r) noexcept;

// Ten recovery codes (xxxx-xxxx-xxxx-xxxx, 80 random bits each) and the SHA-256 of each, as stored.
Result<std::pair<std::vector<std::string>, std::vector<Bytes>>> make_recovery_codes();
Bytes recovery_code_hash(std::string_view code);

}  // namespace vigil::server
