#include "server/staff/staff_accounts.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <mutex>
#include <string>
#include <unordered_set>

#include <liboath/oath.h>

#include "server/staff/staff_detail.hpp"
#include "shared/core/log.hpp"
#include "server/embedded/common_passwords.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/random.hpp"

namespace vigil::server {

// ---- password rules -----------------------------------------------------------------------------

namespace {

const std::unordered_set<std::string>& common_password_set() {
  static const std::unordered_set<std::string> k_set = [] {
    std::unordered_set<std::string> out;
    for (const auto& f : common_passwords()) {
      std::string_view text = f.text;
      while (!text.empty()) {
        const auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        // "#!comment:" lines are the list's header (its source and licence).
        if (!line.empty() && line.rfind("#!comment:", 0) != 0) out.insert(staff_detail::lower(std::string(line)));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
      }
    }
    return out;
  }();
  return k_set;
}

bool is_letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || static_cast<unsigned char>(c) >= 0x80; }

// The shortest piece that the whole is a repetition of ("abcabcabc" -> "abc").
std::string_view repeated_piece(std::string_view s) {
  for (std::size_t n = 1; n <= s.size() / 2; ++n) {
    if (s.size() % n != 0) continue;
    bool all = true;
    for (std::size_t i = n; i < s.size() && all; i += n) all = s.substr(i, n) == s.substr(0, n);
    if (all) return s.substr(0, n);
  }
  return s;
}

}  // namespace

Status check_password_policy(std::string_view password, std::string_view email) {
  const auto refuse = [](std::string why) { return fail(Error(Errc::invalid_argument, std::move(why), "password")); };
  if (password.size() < 12) return refuse("a password needs at least 12 characters");
  if (password.size() > 1024) return refuse("a password may have at most 1,024 characters");
  const std::string low = staff_detail::lower(std::string(password));
  // The core: digits, spaces and symbols stripped from both ends ("Summer2024!!" -> "summer").
  std::size_t a = 0, b = low.size();
  while (a < b && !is_letter(low[a])) ++a;
  while (b > a && !is_letter(low[b - 1])) --b;
  const std::string core = low.substr(a, b - a);
  const auto& list = common_password_set();
  for (std::string_view candidate : {std::string_view(low), std::string_view(core), repeated_piece(low), repeated_piece(core)}) {
    if (candidate.size() < password.size() && candidate.size() < 3) {
      return refuse("this password is too predictable (a short piece repeated or padded); choose another");
    }
    if (list.count(std::string(candidate))) {
      return refuse("this password is on a list of common passwords that attackers try first; choose another");
    }
  }
  const auto at = email.find('@');
  const std::string local = staff_detail::lower(std::string(email.substr(0, at)));
  if (local.size() >= 4 && low.find(local) != std::string::npos) return refuse("a password must not contain your email address");
  return {};
}

// ---- TOTP (liboath) -----------------------------------------------------------------------------

namespace {

Status oath_ready() {
  static std::once_flag once;
  static int rc = OATH_OK;
  std::call_once(once, [] { rc = oath_init(); });
  if (rc != OATH_OK) return fail(Errc::internal, "liboath could not start");
  return {};
}

}  // namespace

std::int64_t totp_step(std::int64_t unix_seconds) noexcept { return unix_seconds / k_totp_step_seconds; }

Result<std::string> totp_code(ByteView secret, std::int64_t unix_seconds, unsigned digits) {
  VIGIL_TRY(oath_ready());
  char out[16] = {};
  const int rc = oath_totp_generate2(reinterpret_cast<const char*>(secret.data()), secret.size(),
                                     static_cast<time_t>(unix_seconds), k_totp_step_seconds, 0, digits, 0, out);
  if (rc != OATH_OK) return fail(Errc::crypto, std::string("TOTP failed: ") + oath_strerror(rc));
  return std::string(out);
}

Result<std::optional<std::int64_t>> totp_match(ByteView secret, std::string_view code, std::int64_t unix_seconds) {
  VIGIL_TRY(oath_ready());
  if (code.size() != 6 || !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::optional<std::int64_t>{};
  }
  const std::string otp(code);
  int pos = 0;
  std::uint64_t counter = 0;
  // Window 1: the code of the step before or after now also counts (clocks drift, people type slowly).
  const int rc = oath_totp_validate4(reinterpret_cast<const char*>(secret.data()), secret.size(),
                                     static_cast<time_t>(unix_seconds), k_totp_step_seconds, 0, 1, &pos, &counter, 0,
                                     otp.c_str());
  if (rc == OATH_INVALID_OTP) return std::optional<std::int64_t>{};
  if (rc < 0) return fail(Errc::crypto, std::string("TOTP failed: ") + oath_strerror(rc));
  return std::optional<std::int64_t>{static_cast<std::int64_t>(counter)};
}

std::string base32(ByteView data) {
  char* out = nullptr;
  std::size_t len = 0;
  if (oath_base32_encode(reinterpret_cast<const char*>(data.data()), data.size(), &out, &len) != OATH_OK || !out) return {};
  std::string s(out, len);
  std::free(out);
  while (!s.empty() && s.back() == '=') s.pop_back();   // authenticator apps expect no padding
  return s;
}

Result<Bytes> from_base32(std::string_view text) {
  char* out = nullptr;
  std::size_t len = 0;
  std::string padded(text);
  while (padded.size() % 8 != 0) padded += '=';
  if (oath_base32_decode(padded.data(), padded.size(), &out, &len) != OATH_OK || !out) {
    return fail(Errc::invalid_argument, "not base32");
  }
  Bytes b(reinterpret_cast<std::uint8_t*>(out), reinterpret_cast<std::uint8_t*>(out) + len);
  std::free(out);
  return b;
}

std::string otpauth_uri(std::string_view email, ByteView secret) {
  // The label and issuer are percent-encoded by hand: only '@' and a few others can occur in an
  // email we accept (plausible_email), and Boost.URL is not among our dependencies.
  std::string label;
  for (char c : email) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') {
      label += c;
    } else {
      static constexpr char k_hex[] = "0123456789ABCDEF";
      label += '%';
      label += k_hex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      label += k_hex[static_cast<unsigned char>(c) & 0xF];
    }
  }
  return "otpauth://totp/Vigil:" + label + "?secret=" + base32(secret) + "&issuer=Vigil&algorithm=SHA1&digits=6&period=30";
}

bool role_needs_mfa(Role r) noexcept { return r == Role::programme_admin || r == Role::proctor; }

Result<std::pair<std::vector<std::string>, std::vector<Bytes>>> make_recovery_codes() {
  std::vector<std::string> codes;
  std::vector<Bytes> hashes;
  for (int i = 0; i < 10; ++i) {
    VIGIL_ASSIGN(auto raw, crypto::random_bytes(10));
    const std::string b = staff_detail::lower(base32(raw));   // 16 characters
    std::string code = b.substr(0, 4) + "-" + b.substr(4, 4) + "-" + b.substr(8, 4) + "-" + b.substr(12, 4);
    hashes.push_back(recovery_code_hash(code));
    codes.push_back(std::move(code));
  }
  return std::make_pair(std::move(codes), std::move(hashes));
}

Bytes recovery_code_hash(std::string_view code) {
  // Typed codes may differ in case, spaces and dashes; the hash is of the 16 characters alone.
  std::string norm;
  for (char c : code) {
    if (std::isalnum(static_cast<unsigned char>(c))) norm += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const auto d = crypto::sha256(as_bytes(norm));
  return Bytes(d.begin(), d.end());
}

// ---- sign-in and the account endpoints ------------------------------------------------------------

namespace staff_detail {

namespace {

constexpr std::int64_t k_day_ms = 24 * 60 * k_minute_ms;

ThrottleRule rule(const ThrottleRule& shape, std::string key) {
  ThrottleRule r = shape;
  r.key = std::move(key);
  return r;
}

// Counts one attempt against the rules, in one transaction: 0, or when the block in force ends.
Result<std::int64_t> attempt(Repository& repo, StaffRepository& staff, const std::vector<ThrottleRule>& rules,
                             std::int64_t now) {
  std::int64_t blocked = 0;
  VIGIL_TRY(repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(blocked, staff.throttle_attempt(rules, now));
    return {};
  }));
  return blocked;
}

std::string retry_seconds(std::int64_t until_ms, std::int64_t now_ms) {
  return std::to_string(std::max<std::int64_t>(1, (until_ms - now_ms + 999) / 1000));
}

HttpResponse throttled(std::int64_t until_ms, std::int64_t now_ms) {
  const auto secs = retry_seconds(until_ms, now_ms);
  auto r = error_response(429, "rate_limited", "too many attempts: try again in " + secs + " second(s)");
  r.headers["Retry-After"] = secs;
  return r;
}

Result<bool> password_matches(const StaffUser* u, std::string_view password, const crypto::ScryptParams& params) {
  // The KDF runs for unknown and disabled accounts too (on a fixed salt), so that neither the
  // answer nor its timing tells which accounts exist.
  static const Bytes k_dummy_salt(16, 0);
  VIGIL_ASSIGN(auto hash, crypto::scrypt(as_bytes(password), u ? ByteView(u->password_salt) : ByteView(k_dummy_salt),
                                         params, 32));
  return u && crypto::ct_equal(crypto::view(hash), u->password_hash);
}

// The second factor a body may hold: a TOTP code or a recovery code.
struct SecondFactor {
  std::string code;
  std::string recovery;
};
Result<SecondFactor> read_second_factor(ObjectReader& in) {
  SecondFactor f;
  VIGIL_ASSIGN(f.code, str_field(in, "code", 20, false));
  VIGIL_ASSIGN(f.recovery, str_field(in, "recovery_code", 40, false));
  return f;
}

// A TOTP code or a recovery code, whichever the body holds. Refuses replays (invariant 3).
Result<bool> second_factor_ok(StaffRepository& staff, const StaffUser& u, const SecondFactor& f, std::int64_t now_ms) {
  const auto& [code, recovery] = f;
  if (!recovery.empty()) return staff.use_recovery_code(u.user_id, recovery_code_hash(recovery), now_ms);
  if (code.empty()) return fail(Error(Errc::invalid_argument, "enter the 6-digit code from your authenticator app", "code"));
  VIGIL_ASSIGN(auto step, totp_match(u.totp_secret, trim(code), now_ms / 1000));
  if (!step) return false;
  return staff.accept_totp_step(u.user_id, *step);
}

json me_json(const StaffUser& u, StaffRepository& staff, const StaffSessionRow& s) {
  json j{{"v", 1}, {"user", user_json(u)}, {"csrf_token", s.csrf_token}, {"mfa_enabled", !u.totp_secret.empty()}};
  const auto step = pending_step(u, s);
  if (!step.empty()) j["pending"] = step;
  if (!u.totp_secret.empty()) {
    if (auto left = staff.recovery_codes_left(u.user_id)) j["recovery_codes_left"] = *left;
  }
  return j;
}

Result<StaffUser> current_user(const Ctx& c) {
  VIGIL_ASSIGN(auto u, c.staff.user(c.who.user_id));
  if (!u) return fail(Errc::auth_failed, "please sign in again");
  return std::move(*u);
}

ByteView session_key(const Ctx& c) { return as_bytes(c.token_hash); }

}  // namespace

std::string pending_step(const StaffUser& u, const StaffSessionRow& s) {
  if (!s.mfa_ok) return "mfa_required";
  if (u.must_change_password) return "password_change_required";
  if (role_needs_mfa(u.role) && u.totp_secret.empty()) return "mfa_enrolment_required";
  return {};
}

std::string_view pending_message(std::string_view step) {
  if (step == "mfa_required") return "enter the code from your authenticator app to finish signing in";
  if (step == "password_change_required") return "choose your own password before you continue";
  return "set up your authenticator app before you continue";
}

Result<HttpResponse> sign_in(const SignInDeps& d, const HttpRequest& req, const protocol::PeerIdentity& peer) {
  VIGIL_ASSIGN(const auto body, json_body(req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto email_in, str_field(in, "email", 254));
  VIGIL_ASSIGN(auto password, str_field(in, "password", 1024));
  VIGIL_TRY(in.finish());
  const std::string email = lower(trim(email_in));
  const std::int64_t now = d.clock.wall_ms();
  const auto& cfg = d.config;
  // Throttles (schema 9 invariant 4): per email at this address, per address, then per email
  // from anywhere. Keys are the typed email, so an unknown account is throttled exactly as a
  // known one. The per-email rule from anywhere comes last and only slows (its cap is short):
  // an attacker at one address is stopped by the first two rules before reaching it, so they
  // cannot lock the account's owner out from elsewhere.
  const std::string pair_key = "pair:" + email + "|" + peer.remote_address;
  const std::string addr_key = "addr:" + peer.remote_address;
  const std::string acct_key = "acct:" + email;
  VIGIL_ASSIGN(auto blocked, attempt(d.repo, d.staff,
                                     {rule(cfg.throttle_pair, pair_key), rule(cfg.throttle_address, addr_key),
                                      rule(cfg.throttle_account, acct_key)},
                                     now));
  VIGIL_ASSIGN(auto user, d.staff.user_by_email(email));
  if (blocked) {
    if (cfg.log) cfg.log(log::line("staff_login_throttled", {{"remote", peer.remote_address}}));
    VIGIL_TRY(d.staff.count_login_failure(user ? std::optional<std::int64_t>(user->user_id) : std::nullopt,
                                          peer.remote_address, true, now));
    return throttled(blocked, now);
  }
  VIGIL_ASSIGN(bool matches, password_matches(user ? &*user : nullptr, password, cfg.password_scrypt));
  const bool expired = user && user->must_change_password && user->password_expires_wall_ms > 0 &&
                       now >= user->password_expires_wall_ms;
  if (!matches || user->disabled || expired) {
    // Not an audit event (schema 9 invariant 5): counted, and reported with the next sign-in.
    if (cfg.log) {
      const log::Field who = user ? log::Field("user", user->user_id) : log::Field("user", "unknown");
      cfg.log(expired && matches ? log::line("staff_login_failed", {who, {"reason", "one_time_password_expired"}, {"remote", peer.remote_address}})
                                 : log::line("staff_login_failed", {who, {"remote", peer.remote_address}}));
    }
    VIGIL_TRY(d.staff.count_login_failure(user ? std::optional<std::int64_t>(user->user_id) : std::nullopt,
                                          peer.remote_address, false, now));
    return fail(Errc::auth_failed, "the email or password is not right");
  }
  VIGIL_ASSIGN(auto token, random_token(32));
  VIGIL_ASSIGN(auto csrf, random_token(32));
  const auto token_hash = crypto::sha256(as_bytes(token));
  StaffSessionRow s{user->user_id, csrf, now + cfg.session_minutes * k_minute_ms, now, user->totp_secret.empty(), 0};
  if (s.mfa_ok) s.reauth_wall_ms = now;   // a password just entered counts as a recent re-authentication
  VIGIL_TRY(d.repo.transaction([&]() -> Status {
    VIGIL_TRY(d.staff.throttle_success({pair_key}, {addr_key, acct_key}));
    VIGIL_ASSIGN(auto failures, d.staff.take_login_failures(user->user_id));
    VIGIL_TRY(d.staff.add_staff_session(token_hash, s, now));
    std::string detail = peer.remote_address;
    if (failures.failures > 0) {
      detail += "; " + std::to_string(failures.failures) + " failed attempt(s) since the last sign-in, the last from " +
                failures.last_address;
    }
    return d.staff.audit({0, now, user->user_id, s.mfa_ok ? "login" : "login.password", "user/" + std::to_string(user->user_id),
                          detail});
  }));
  auto r = json_response(200, me_json(*user, d.staff, s));
  r.headers["Set-Cookie"] = std::string(k_cookie) + "=" + token + "; Path=/staff; Max-Age=" +
                            std::to_string(cfg.session_minutes * 60) + "; Secure; HttpOnly; SameSite=Strict";
  return r;
}

Result<HttpResponse> get_me(Ctx& c) {
  VIGIL_ASSIGN(auto u, current_user(c));
  return json_response(200, me_json(u, c.staff, c.session));
}

Result<HttpResponse> post_login_mfa(Ctx& c) {
  if (c.session.mfa_ok) return fail(Errc::conflict, "this sign-in needs no code");
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(const auto factor, read_second_factor(in));
  VIGIL_TRY(in.finish());
  VIGIL_ASSIGN(auto u, current_user(c));
  const auto now = c.now();
  // Codes are throttled per account: six digits would otherwise fall to a patient guesser.
  const std::string key = "mfa:" + std::to_string(u.user_id);
  VIGIL_ASSIGN(auto blocked, attempt(c.repo, c.staff, {rule(c.config.throttle_pair, key)}, now));
  if (blocked) return throttled(blocked, now);
  VIGIL_ASSIGN(bool ok, second_factor_ok(c.staff, u, factor, now));
  if (!ok) {
    VIGIL_TRY(c.staff.count_login_failure(u.user_id, c.peer_address, false, now));
    return fail(Errc::auth_failed, "that code is not right, or was already used");
  }
  StaffSessionRow s = c.session;
  s.mfa_ok = true;
  s.reauth_wall_ms = now;
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.throttle_success({key}, {}));
    VIGIL_TRY(c.staff.set_staff_session_auth(session_key(c), true, now));
    return c.audit("login", "user/" + std::to_string(u.user_id),
                   c.peer_address + (factor.recovery.empty() ? "" : "; with a recovery code"));
  }));
  return json_response(200, me_json(u, c.staff, s));
}

Result<HttpResponse> post_password(Ctx& c) {
  if (!c.session.mfa_ok) return error_response(403, "mfa_required", pending_message("mfa_required"));
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto current, str_field(in, "current_password", 1024));
  VIGIL_ASSIGN(auto next, str_field(in, "new_password", 1024));
  VIGIL_TRY(in.finish());
  VIGIL_ASSIGN(auto u, current_user(c));
  VIGIL_ASSIGN(bool ok, password_matches(&u, current, c.config.password_scrypt));
  if (!ok) return fail(Error(Errc::auth_failed, "your current password is not right", "current_password"));
  if (next == current) return fail(Error(Errc::invalid_argument, "choose a password different from the current one", "new_password"));
  if (auto st = check_password_policy(next, u.email); !st) {
    return fail(Error(Errc::invalid_argument, st.error().message, "new_password"));
  }
  VIGIL_ASSIGN(auto hashed, hash_staff_password(next, c.config.password_scrypt));
  const auto now = c.now();
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.set_password(u.user_id, hashed.first, hashed.second, false, 0, session_key(c)));
    VIGIL_TRY(c.staff.set_staff_session_auth(session_key(c), true, now));
    return c.audit("user.password_change", "user/" + std::to_string(u.user_id), u.must_change_password ? "one-time password replaced" : "");
  }));
  VIGIL_ASSIGN(auto after, current_user(c));
  StaffSessionRow s = c.session;
  s.reauth_wall_ms = now;
  return json_response(200, me_json(after, c.staff, s));
}

Result<HttpResponse> post_mfa_enrol(Ctx& c) {
  const auto step = pending_step(*c.user, c.session);
  if (step == "mfa_required" || step == "password_change_required") return error_response(403, step, pending_message(step));
  // Replacing a factor already in force is a sensitive change: it needs a recent re-authentication.
  if (!c.user->totp_secret.empty() && c.now() - c.session.reauth_wall_ms > c.config.reauth_minutes * k_minute_ms) {
    return error_response(401, "reauth_required", "confirm your password and code to replace your authenticator");
  }
  VIGIL_ASSIGN(auto secret, crypto::random_bytes(20));   // 160 bits, as RFC 4226 recommends
  VIGIL_TRY(c.staff.set_totp_pending(c.who.user_id, secret));
  return json_response(200, json{{"v", 1}, {"secret", base32(secret)}, {"otpauth_uri", otpauth_uri(c.user->email, secret)}});
}

Result<HttpResponse> post_mfa_confirm(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto code, str_field(in, "code", 20));
  VIGIL_TRY(in.finish());
  const auto& u = *c.user;
  if (u.totp_pending_secret.empty()) return fail(Errc::conflict, "start the set-up first");
  VIGIL_ASSIGN(auto matched, totp_match(u.totp_pending_secret, trim(code), c.now() / 1000));
  if (!matched) return fail(Error(Errc::auth_failed, "that code does not match; check the time on your phone and try again", "code"));
  VIGIL_ASSIGN(auto codes, make_recovery_codes());
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.confirm_totp(u.user_id, u.totp_pending_secret, *matched, codes.second));
    return c.audit("user.mfa_enrol", "user/" + std::to_string(u.user_id));
  }));
  // Shown once, to the account's owner only; the server keeps their hashes.
  return json_response(200, json{{"v", 1}, {"mfa_enabled", true}, {"recovery_codes", codes.first}});
}

Result<HttpResponse> post_reauth(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto password, str_field(in, "password", 1024));
  VIGIL_ASSIGN(const auto factor, read_second_factor(in));
  VIGIL_TRY(in.finish());
  const auto& u = *c.user;
  const auto now = c.now();
  const std::string key = "reauth:" + std::to_string(u.user_id);
  VIGIL_ASSIGN(auto blocked, attempt(c.repo, c.staff, {rule(c.config.throttle_pair, key)}, now));
  if (blocked) return throttled(blocked, now);
  VIGIL_ASSIGN(bool ok, password_matches(&u, password, c.config.password_scrypt));
  if (ok && !u.totp_secret.empty()) {
    VIGIL_ASSIGN(ok, second_factor_ok(c.staff, u, factor, now));
  }
  if (!ok) return fail(Errc::auth_failed, "the password or code is not right");
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.throttle_success({key}, {}));
    VIGIL_TRY(c.staff.set_staff_session_auth(session_key(c), true, now));
    return c.audit("user.reauth", "user/" + std::to_string(u.user_id));
  }));
  return json_response(200, json{{"v", 1}, {"reauth_until_wall_ms", now + c.config.reauth_minutes * k_minute_ms}});
}

Result<HttpResponse> post_user_reset(Ctx& c) {
  const auto& s = c.params.at("user");
  std::int64_t id = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), id).ptr != s.data() + s.size()) return fail(Errc::not_found, "no such staff account");
  if (id == c.who.user_id) return fail(Errc::conflict, "change your own password on your account page");
  VIGIL_ASSIGN(auto u, c.staff.user(id));
  if (!u) return fail(Errc::not_found, "no such staff account");
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto password, str_field(in, "password", 1024));
  VIGIL_TRY(in.finish());
  VIGIL_TRY(reset_staff_password(c.repo, c.staff, u->email, password, c.clock, c.config.password_scrypt, c.who.user_id, false));
  return json_response(200, json{{"v", 1}, {"reset", id}, {"must_change_password", true}});
}

}  // namespace staff_detail

Result<std::int64_t> reset_staff_password(Repository& repo, StaffRepository& staff, std::string_view email,
                                          std::string_view password, const time::Clock& clock,
                                          const crypto::ScryptParams& params, std::optional<std::int64_t> by,
                                          bool remove_mfa) {
  VIGIL_ASSIGN(auto u, staff.user_by_email(staff_detail::lower(staff_detail::trim(email))));
  if (!u) return fail(Error(Errc::not_found, "no staff account has this email", "email"));
  VIGIL_TRY(check_password_policy(password, u->email));
  VIGIL_ASSIGN(auto hashed, hash_staff_password(password, params));
  const auto now = clock.wall_ms();
  VIGIL_TRY(repo.transaction([&]() -> Status {
    // One-time (schema 9 invariant 1): whoever set it cannot go on using it once its owner has
    // signed in, and it stops working after k_one_time_password_days. Every session ends.
    VIGIL_TRY(staff.set_password(u->user_id, hashed.first, hashed.second, true,
                                 now + k_one_time_password_days * staff_detail::k_day_ms, {}));
    VIGIL_TRY(staff.clear_throttle_for(u->email));
    if (remove_mfa) VIGIL_TRY(staff.remove_totp(u->user_id));
    return staff.audit({0, now, by, "user.password_reset", "user/" + std::to_string(u->user_id),
                        remove_mfa ? "one-time password; authenticator removed" : "one-time password"});
  }));
  return u->user_id;
}

}  // namespace vigil::server
