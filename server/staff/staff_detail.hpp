#pragma once
// Internal to the staff API (server/staff/staff_*.cpp): the helpers every endpoint handler
// uses and the handler context, so that handlers for one area (marking, results, equalities) can
// live in their own file while every endpoint stays one row of the single table in staff_api.cpp
// (staff_api.hpp invariant 1). Not for use outside the staff API.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/staff/staff_api.hpp"
#include "shared/http/request.hpp"
#include "shared/http/response.hpp"
#include "shared/http/router.hpp"
#include "shared/http/status.hpp"
#include "shared/protocol/json_reader.hpp"

namespace vigil::server::staff_detail {

using json = nlohmann::json;
using protocol::HttpRequest;
using protocol::HttpResponse;

// The staff session cookie (HttpOnly, Secure, SameSite=Strict; staff_api.hpp invariant 2).
inline constexpr std::string_view k_cookie = "vigil_staff";
inline constexpr std::int64_t k_minute_ms = 60'000;

// ---- HTTP (shared/http/) ---

using http::bytes_response;
using http::cookie_value;
using http::csv_download;
using http::error_response;
using http::int_param;
using http::json_body;
using http::json_response;
// The staff pages' security headers (staff_api.hpp): they load only their own files.
inline constexpr http::BrowserPolicy k_browser_policy{
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    true};

// ---- requests ---

// Every JSON body is read with a protocol::ObjectReader over json_body(): members of the wrong
// type, too long, or not taken by the endpoint (finish()) are a 400 naming the field.
using protocol::ObjectReader;
// A text member of at most max_len bytes; required: present and not empty; an absent (or null)
// optional member is "".
Result<std::string> str_field(ObjectReader& in, std::string_view name, std::size_t max_len, bool required = true);

// ---- text ---

bool has_control(std::string_view s);
std::string trim(std::string_view s);
std::string lower(std::string s);
bool plausible_email(std::string_view e);
// Letters, digits and - _ . / only, 1..max characters.
bool safe_id(std::string_view s, std::size_t max);
// A whole number in [lo, hi]; "" is 0; nullopt otherwise.
std::optional<std::int64_t> parse_small_int(std::string_view s, std::int64_t lo, std::int64_t hi);
Result<std::string> random_token(std::size_t bytes);

// ---- CSV downloads ---

// CSV rows are written with CsvWriter (server/results/csv.hpp), sent with http::csv_download.

// ---- endpoints (invariant 1) ---

struct Ctx {
  Repository& repo;
  StaffRepository& staff;
  const time::Clock& clock;
  const StaffApiConfig& config;
  const HttpRequest& req;
  const Principal& who;
  http::Captures params;                       // from the path pattern
  std::string token_hash;                      // of the caller's session cookie
  const StaffResultsDeps& results;             // scoring, marking, release, resits, equalities
  StaffSessionRow session{};                   // the caller's browser session
  const StaffUser* user = nullptr;             // the caller's account as read for this request
  std::string peer_address;

  std::int64_t now() const { return clock.wall_ms(); }
  Status audit(std::string action, std::string target, std::string detail = {}) const {
    return staff.audit({0, now(), who.user_id, std::move(action), std::move(target), std::move(detail)});
  }
};

using Handler = Result<HttpResponse> (*)(Ctx&);

// ---- review (staff_review.cpp) ---

// "high", "medium" or "low".
std::string severity_name(std::int64_t s);
json queue_json(const QueueEntry& q);
// How long an item has waited and its target (StaffApiConfig review_target_hours,
// identity_target_hours): age_ms, target_ms, due_wall_ms and overdue (age past the target).
json timing_json(std::int64_t since_wall_ms, std::int64_t now_ms, std::int64_t target_hours);
// The target for a kind of work, in hours.
std::int64_t target_hours(const StaffApiConfig& config, WorkKind kind);

// A sealed blob of a session (evidence, a thumbnail, an identity photo) opened with the evidence
// key, in memory only (staff_api.hpp invariant 4): not_found until it has arrived, unavailable
// without the key, integrity when it does not open with any of `contexts` (the sealed box's AAD)
// in turn. The caller checks first that the session references the blob.
Result<Bytes> open_session_blob(Ctx& c, std::string_view device_id, std::string_view sha_hex,
                                std::initializer_list<std::string_view> contexts);
// The opened blob as an inline image response (JPEG or PNG by its first bytes), never stored by
// the browser (http::harden sets Cache-Control: no-store on every staff response).
HttpResponse image_response(const Bytes& opened);

// ---- accounts (staff_accounts.cpp) ---

json user_json(const StaffUser& u);
// What a session still owes before it reaches anything but the account endpoints
// (staff_accounts.hpp invariants 1 and 2): "mfa_required", "password_change_required",
// "mfa_enrolment_required", or "" when nothing.
std::string pending_step(const StaffUser& u, const StaffSessionRow& s);
std::string_view pending_message(std::string_view step);
struct SignInDeps {
  Repository& repo;
  StaffRepository& staff;
  const time::Clock& clock;
  const StaffApiConfig& config;
};
Result<HttpResponse> sign_in(const SignInDeps& d, const HttpRequest& req, const protocol::PeerIdentity& peer);
Result<HttpResponse> get_me(Ctx& c);
Result<HttpResponse> post_login_mfa(Ctx& c);
Result<HttpResponse> post_password(Ctx& c);
Result<HttpResponse> post_mfa_enrol(Ctx& c);
Result<HttpResponse> post_mfa_confirm(Ctx& c);
Result<HttpResponse> post_reauth(Ctx& c);
Result<HttpResponse> post_user_reset(Ctx& c);

enum class ScopeFrom { none, council, session, appeal };

struct Endpoint {
  const char* method;
  const char* pattern;
  Permission permission;
  ScopeFrom scope;
  Handler fn;
};

}  // namespace vigil::server::staff_detail
