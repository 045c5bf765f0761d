#include "server/staff/staff_api.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/home/server_home.hpp"
#include "server/staff/staff_accounts.hpp"
#include "server/staff/staff_council.hpp"
#include "server/staff/staff_detail.hpp"
#include "server/staff/staff_review.hpp"
#include "server/staff/staff_identity.hpp"
#include "server/staff/staff_workload.hpp"
#include "server/staff/staff_appeals.hpp"
#include "server/results/appeals.hpp"
#include "server/storage/appeals_repository.hpp"
#include "server/results/identity.hpp"
#include "server/staff/staff_equalities.hpp"
#include "server/staff/staff_marking.hpp"
#include "server/staff/staff_results.hpp"
#include "server/embedded/staff_pages.hpp"
#include "shared/core/log.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"

namespace vigil::server {


using namespace staff_detail;

namespace {

// ---- signed-in user (and staff_accounts.cpp) ---

Result<HttpResponse> post_logout(Ctx& c) {
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.delete_staff_session(as_bytes(c.token_hash)));
    return c.audit("staff.logout", "user/" + std::to_string(c.who.user_id));
  }));
  auto r = json_response(200, json{{"v", 1}, {"signed_out", true}});
  r.headers["Set-Cookie"] = std::string(k_cookie) + "=; Path=/staff; Max-Age=0; Secure; HttpOnly; SameSite=Strict";
  return r;
}

// ---- programme admin ---

Result<HttpResponse> get_users(Ctx& c) {
  VIGIL_ASSIGN(auto users, c.staff.users(1000));
  json list = json::array();
  for (const auto& u : users) list.push_back(user_json(u));
  return json_response(200, json{{"v", 1}, {"users", list}});
}

Result<HttpResponse> post_users(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto email, str_field(in, "email", 254));
  VIGIL_ASSIGN(auto name, str_field(in, "display_name", 200));
  VIGIL_ASSIGN(auto role, str_field(in, "role", 40));
  VIGIL_ASSIGN(auto council, str_field(in, "council_id", 64, false));
  VIGIL_ASSIGN(auto password, str_field(in, "password", 1024));
  VIGIL_TRY(in.finish());
  VIGIL_ASSIGN(auto id, create_staff_user(c.repo, c.staff, email, name, role, council, password, c.clock,
                                          c.config.password_scrypt, c.who.user_id));
  VIGIL_ASSIGN(auto u, c.staff.user(id));
  return json_response(201, json{{"v", 1}, {"user", u ? user_json(*u) : json()}});
}

Result<std::int64_t> path_user(const Ctx& c) {
  const auto& s = c.params.at("user");
  std::int64_t id = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), id).ptr != s.data() + s.size()) return fail(Errc::not_found, "no such staff account");
  return id;
}

Result<HttpResponse> post_user_disable(Ctx& c) {
  VIGIL_ASSIGN(auto id, path_user(c));
  if (id == c.who.user_id) return fail(Errc::conflict, "you cannot disable your own account");
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.disable_user(id, c.now()));
    return c.audit("user.disable", "user/" + std::to_string(id));
  }));
  return json_response(200, json{{"v", 1}, {"disabled", id}});
}

Result<HttpResponse> post_user_unlock(Ctx& c) {
  VIGIL_ASSIGN(auto id, path_user(c));
  VIGIL_ASSIGN(auto u, c.staff.user(id));
  if (!u) return fail(Errc::not_found, "no such staff account");
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.set_login_failures(id, 0, 0));
    VIGIL_TRY(c.staff.clear_throttle_for(u->email));
    return c.audit("user.unlock", "user/" + std::to_string(id));
  }));
  return json_response(200, json{{"v", 1}, {"unlocked", id}});
}

Result<HttpResponse> get_councils(Ctx& c) {
  VIGIL_ASSIGN(auto all, c.staff.councils());
  json list = json::array();
  for (const auto& [id, name] : all) {
    // A council manager sees only their own council (the list is the one place it is filtered).
    if (c.who.role == Role::council_manager && id != c.who.council_id) continue;
    list.push_back({{"council_id", id}, {"name", name}});
  }
  return json_response(200, json{{"v", 1}, {"councils", list}});
}

Result<HttpResponse> post_councils(Ctx& c) {
  VIGIL_ASSIGN(const auto body, json_body(c.req));
  ObjectReader in(body);
  VIGIL_ASSIGN(auto id, str_field(in, "council_id", 64));
  VIGIL_ASSIGN(auto name, str_field(in, "name", 200));
  VIGIL_TRY(in.finish());
  if (!safe_id(id, 64)) return fail(Error(Errc::invalid_argument, "council_id may hold letters, digits, - _ . only", "council_id"));
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.repo.add_council(id, name, c.now()));
    return c.audit("council.save", "council/" + id, name);
  }));
  return json_response(201, json{{"v", 1}, {"council", {{"council_id", id}, {"name", name}}}});
}

Result<HttpResponse> get_audit(Ctx& c) {
  VIGIL_ASSIGN(const auto q, http::query_params(c.req.query()));
  VIGIL_ASSIGN(auto entries, c.staff.audit_entries(int_param(q, "before", 0, 0, INT64_MAX), int_param(q, "limit", 100, 1, 1000)));
  json list = json::array();
  for (const auto& e : entries) {
    list.push_back({{"audit_id", e.audit_id}, {"wall_ms", e.wall_ms}, {"user_id", e.user_id ? json(*e.user_id) : json()},
                    {"who", e.who}, {"action", e.action}, {"target", e.target}, {"detail", e.detail}});
  }
  return json_response(200, json{{"v", 1}, {"entries", list}});
}

Result<HttpResponse> get_audit_csv(Ctx& c) {
  CsvWriter csv(CsvWriter::Quote::always);
  csv.row({"audit_id", "time_utc_ms", "user_id", "who", "action", "target", "detail"});
  std::int64_t before = 0;
  // Up to 100,000 entries per export, newest first.
  for (int page = 0; page < 100; ++page) {
    VIGIL_ASSIGN(auto entries, c.staff.audit_entries(before, 1000));
    for (const auto& e : entries) {
      csv.row({std::to_string(e.audit_id), std::to_string(e.wall_ms), e.user_id ? std::to_string(*e.user_id) : "", e.who, e.action,
               e.target, e.detail});
      before = e.audit_id;
    }
    if (entries.size() < 1000) break;
  }
  VIGIL_TRY(c.audit("audit.export", "audit"));
  return csv_download(csv.take(), "vigil-audit.csv");
}

// The table (invariant 1). Patterns: literal segments and {name} captures.
constexpr Endpoint k_endpoints[] = {
    {"GET", "/staff/api/me", Permission::account, ScopeFrom::none, get_me},
    {"POST", "/staff/api/logout", Permission::account, ScopeFrom::none, post_logout},
    // Accounts (staff_accounts.cpp): the second step of a sign-in, the user's own password and
    // authenticator, re-authentication, and an admin's reset to a one-time password.
    {"POST", "/staff/api/login/mfa", Permission::account, ScopeFrom::none, post_login_mfa},
    {"POST", "/staff/api/me/password", Permission::account, ScopeFrom::none, post_password},
    {"POST", "/staff/api/me/mfa/enrol", Permission::account, ScopeFrom::none, post_mfa_enrol},
    {"POST", "/staff/api/me/mfa/confirm", Permission::account, ScopeFrom::none, post_mfa_confirm},
    {"POST", "/staff/api/me/reauth", Permission::account, ScopeFrom::none, post_reauth},
    {"POST", "/staff/api/users/{user}/reset-password", Permission::users_manage, ScopeFrom::none, post_user_reset},
    {"GET", "/staff/api/users", Permission::users_manage, ScopeFrom::none, get_users},
    {"POST", "/staff/api/users", Permission::users_manage, ScopeFrom::none, post_users},
    {"POST", "/staff/api/users/{user}/disable", Permission::users_manage, ScopeFrom::none, post_user_disable},
    {"POST", "/staff/api/users/{user}/unlock", Permission::users_manage, ScopeFrom::none, post_user_unlock},
    {"GET", "/staff/api/councils", Permission::councils_list, ScopeFrom::none, get_councils},
    {"POST", "/staff/api/councils", Permission::councils_manage, ScopeFrom::none, post_councils},
    {"GET", "/staff/api/audit", Permission::audit_read, ScopeFrom::none, get_audit},
    {"GET", "/staff/api/audit.csv", Permission::audit_read, ScopeFrom::none, get_audit_csv},
    {"GET", "/staff/api/councils/{council}/candidates", Permission::candidates_read, ScopeFrom::council, get_candidates},
    {"GET", "/staff/api/councils/{council}/candidates.csv", Permission::candidates_read, ScopeFrom::council, get_candidates_csv},
    {"GET", "/staff/api/councils/{council}/summary", Permission::candidates_read, ScopeFrom::council, get_summary},
    {"POST", "/staff/api/councils/{council}/candidates", Permission::candidates_write, ScopeFrom::council, post_candidate},
    {"POST", "/staff/api/councils/{council}/import", Permission::candidates_write, ScopeFrom::council, post_import},
    {"POST", "/staff/api/councils/{council}/candidates/{candidate}/withdraw", Permission::candidates_write, ScopeFrom::council, post_withdraw},
    {"POST", "/staff/api/councils/{council}/codes", Permission::candidates_write, ScopeFrom::council, post_codes},
    {"PUT", "/staff/api/councils/{council}/headcount", Permission::candidates_write, ScopeFrom::council, put_headcount},
    {"GET", "/staff/api/queue", Permission::review_queue, ScopeFrom::none, get_queue},
    {"POST", "/staff/api/sessions/{device}/{session}/assign", Permission::review_assign, ScopeFrom::session, post_assign},
    {"GET", "/staff/api/sessions/{device}/{session}", Permission::review_read, ScopeFrom::session, get_session},
    {"GET", "/staff/api/sessions/{device}/{session}/evidence/{sha}", Permission::review_evidence, ScopeFrom::session, get_evidence},
    {"POST", "/staff/api/sessions/{device}/{session}/flags/{flag}", Permission::review_decide, ScopeFrom::session, post_flag_decision},
    {"POST", "/staff/api/sessions/{device}/{session}/decision", Permission::review_decide, ScopeFrom::session, post_session_decision},
    // Identity checks (staff_identity.cpp).
    {"GET", "/staff/api/identity", Permission::identity_queue, ScopeFrom::none, get_identity_queue},
    {"POST", "/staff/api/identity/{device}/{session}/assign", Permission::review_assign, ScopeFrom::session, post_identity_assign},
    {"GET", "/staff/api/identity/{device}/{session}", Permission::identity_view, ScopeFrom::session, get_identity_check},
    {"GET", "/staff/api/identity/{device}/{session}/photos/{which}", Permission::identity_read, ScopeFrom::session, get_identity_photo},
    {"POST", "/staff/api/identity/{device}/{session}/decision", Permission::identity_read, ScopeFrom::session, post_identity_decision},
    // Workload (staff_workload.cpp): a proctor's own work, the admins' view, reassignment.
    {"GET", "/staff/api/my-work", Permission::own_work, ScopeFrom::none, get_my_work},
    {"GET", "/staff/api/workload", Permission::review_assign, ScopeFrom::none, get_workload},
    {"POST", "/staff/api/sessions/{device}/{session}/reassign", Permission::review_assign, ScopeFrom::session, post_review_reassign},
    {"POST", "/staff/api/identity/{device}/{session}/reassign", Permission::review_assign, ScopeFrom::session, post_identity_reassign},
    // Appeals (staff_appeals.cpp).
    {"GET", "/staff/api/appeals", Permission::appeals_list, ScopeFrom::none, get_appeals},
    {"GET", "/staff/api/appeals/{appeal}", Permission::appeal_read, ScopeFrom::appeal, get_appeal},
    {"POST", "/staff/api/appeals/{appeal}/assign", Permission::appeal_assign, ScopeFrom::appeal, post_appeal_assign},
    {"GET", "/staff/api/appeals/{appeal}/evidence/{device}/{which}", Permission::appeal_review, ScopeFrom::appeal, get_appeal_evidence},
    {"POST", "/staff/api/appeals/{appeal}/decision", Permission::appeal_review, ScopeFrom::appeal, post_appeal_decision},
    {"GET", "/staff/api/marking/queue", Permission::marking, ScopeFrom::none, get_marking_queue},
    {"GET", "/staff/api/marking/scripts/{script}", Permission::marking, ScopeFrom::none, get_marking_script},
    {"POST", "/staff/api/marking/scripts/{script}/marks", Permission::marking, ScopeFrom::none, post_marking_marks},
    {"GET", "/staff/api/marking/progress", Permission::marking_progress, ScopeFrom::none, get_marking_progress},
    // Results: scoring, release and resits (staff_results.cpp).
    {"GET", "/staff/api/results/windows", Permission::results_release, ScopeFrom::none, get_result_windows},
    {"POST", "/staff/api/results/windows/{assessment}/score", Permission::results_release, ScopeFrom::none, post_window_score},
    {"GET", "/staff/api/results/windows/{assessment}/thresholds", Permission::results_release, ScopeFrom::none, get_window_thresholds},
    {"PUT", "/staff/api/results/windows/{assessment}/thresholds", Permission::results_release, ScopeFrom::none, put_window_thresholds},
    {"POST", "/staff/api/results/windows/{assessment}/release", Permission::results_release, ScopeFrom::none, post_window_release},
    {"GET", "/staff/api/results/windows/{assessment}/results.csv", Permission::results_release, ScopeFrom::none, get_window_csv},
    {"GET", "/staff/api/results/windows/{assessment}/withheld", Permission::results_release, ScopeFrom::none, get_window_withheld},
    {"GET", "/staff/api/councils/{council}/results", Permission::council_results, ScopeFrom::council, get_council_results},
    {"GET", "/staff/api/councils/{council}/results.csv", Permission::council_results, ScopeFrom::council, get_council_results_csv},
    {"POST", "/staff/api/councils/{council}/candidates/{candidate}/reendorse", Permission::candidates_write, ScopeFrom::council, post_reendorse},
    // Reports: equalities and item statistics (staff_equalities.cpp).
    {"GET", "/staff/api/reports/windows", Permission::reports_read, ScopeFrom::none, get_report_windows},
    {"GET", "/staff/api/reports/{assessment}/equalities", Permission::reports_read, ScopeFrom::none, get_equalities_report},
    {"GET", "/staff/api/reports/{assessment}/equalities.csv", Permission::reports_read, ScopeFrom::none, get_equalities_csv},
    {"GET", "/staff/api/reports/{assessment}/items", Permission::reports_read, ScopeFrom::none, get_item_statistics},
};

// ---- pages ---

Result<std::optional<HttpResponse>> page(std::string_view path) {
  VIGIL_ASSIGN(const auto segs, http::path_segments(path));
  std::string_view name = segs.size() == 1 ? std::string_view("index.html") : segs.size() == 2 ? segs[1] : std::string_view();
  if (name.empty()) return std::nullopt;
  for (const auto& f : staff_pages()) {
    if (f.name == name) {
      auto r = bytes_response(std::string(http::content_type_for(name)), std::string(f.text));
      r.headers["Cache-Control"] = "no-cache";
      return std::optional<HttpResponse>(std::move(r));
    }
  }
  return std::optional<HttpResponse>();
}

}  // namespace

// ---- authorisation (invariant 1) ---------------------------------------------------------------

std::vector<EndpointInfo> staff_endpoints() {
  std::vector<EndpointInfo> out;
  for (const auto& e : k_endpoints) out.push_back({e.method, e.pattern, e.permission});
  return out;
}

Status authorise(const Principal& who, Permission p, const Scope& scope, StaffRepository& repo,
                 AppealRepository* appeals) {
  const auto deny = [] { return fail(Errc::forbidden, "your role does not allow this"); };
  const bool admin = who.role == Role::programme_admin;
  const bool manager = who.role == Role::council_manager;
  const bool proctor = who.role == Role::proctor;
  switch (p) {
    case Permission::public_page:
    case Permission::signed_in:
    case Permission::account: return {};
    case Permission::users_manage:
    case Permission::councils_manage:
    case Permission::review_assign:
    case Permission::audit_read:
    case Permission::results_release:
    case Permission::reports_read: return admin ? Status{} : deny();
    case Permission::councils_list: return admin || manager ? Status{} : deny();
    case Permission::candidates_read:
    case Permission::candidates_write:
    case Permission::council_results:
      if (admin) return {};
      if (manager && !scope.council_id.empty() && scope.council_id == who.council_id) return {};
      return deny();
    case Permission::review_queue:
    case Permission::identity_queue: return admin || proctor ? Status{} : deny();
    case Permission::identity_view:
    case Permission::identity_read: {
      if (admin && p == Permission::identity_view) return {};
      if (!proctor) return deny();
      VIGIL_ASSIGN(auto check, repo.identity_check(scope.device_id, scope.session_id));
      if (!check || !may_see_identity({check->state, check->proctor_id, check->second_proctor_id, check->proposed_decision,
                                       check->proposed_by},
                                      who.user_id)) {
        return fail(Errc::forbidden, "this identity check is not assigned to you");
      }
      return {};
    }
    case Permission::appeals_list: return admin || proctor ? Status{} : deny();
    case Permission::appeal_assign: return admin ? Status{} : deny();
    case Permission::appeal_read:
    case Permission::appeal_review: {
      if (admin && p == Permission::appeal_read) return {};
      if (!proctor || !appeals) return deny();
      VIGIL_ASSIGN(auto a, appeals->appeal(scope.appeal_id));
      if (!a || !may_see_appeal(*a, who.user_id)) return fail(Errc::forbidden, "this appeal is not assigned to you");
      return {};
    }
    case Permission::marking: return who.role == Role::assessor ? Status{} : deny();
    case Permission::own_work: return proctor ? Status{} : deny();
    case Permission::marking_progress: return admin ? Status{} : deny();
    case Permission::review_read:
    case Permission::review_evidence:
    case Permission::review_decide: {
      if (admin && p == Permission::review_read) return {};
      if (!proctor) return deny();
      VIGIL_ASSIGN(auto assigned, repo.assigned_proctors(scope.device_id, scope.session_id));
      if (std::find(assigned.begin(), assigned.end(), who.user_id) == assigned.end()) {
        return fail(Errc::forbidden, "this session is not assigned to you");
      }
      return {};
    }
  }
  return deny();
}

Result<std::optional<crypto::X25519KeyPair>> load_evidence_key(const std::filesystem::path& home_dir) {
  const auto path = home_dir / "keys" / "evidence.key";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<crypto::X25519KeyPair>{};
  VIGIL_ASSIGN(auto text, read_whole_file(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto raw = from_hex(text);
  crypto::wipe({reinterpret_cast<std::uint8_t*>(text.data()), text.size()});
  if (!raw || raw->size() != 32) return fail(Errc::invalid_argument, path.string() + " is not an X25519 private key");
  auto pair = crypto::x25519_from_private(*raw);
  crypto::wipe({raw->data(), raw->size()});
  if (!pair) return fail(pair.error());
  return std::optional<crypto::X25519KeyPair>{std::move(*pair)};
}

Result<std::int64_t> create_staff_user(Repository& repo, StaffRepository& staff, std::string_view email,
                                       std::string_view display_name, std::string_view role, std::string_view council_id,
                                       std::string_view password, const time::Clock& clock,
                                       const crypto::ScryptParams& params, std::optional<std::int64_t> by) {
  StaffUser u;
  u.email = lower(trim(email));
  u.display_name = trim(display_name);
  u.council_id = std::string(council_id);
  if (!plausible_email(u.email)) return fail(Error(Errc::invalid_argument, "email is not an email address", "email"));
  if (u.display_name.empty() || u.display_name.size() > 200 || has_control(u.display_name)) {
    return fail(Error(Errc::invalid_argument, "the display name is required (up to 200 characters)", "display_name"));
  }
  const auto r = parse_role(role);
  if (!r) return fail(Error(Errc::invalid_argument, "role must be programme_admin, council_manager, proctor or assessor", "role"));
  u.role = *r;
  if ((u.role == Role::council_manager) != !u.council_id.empty()) {
    return fail(Error(Errc::invalid_argument, "a council manager needs a council; other roles must not have one", "council_id"));
  }
  VIGIL_TRY(check_password_policy(password, u.email));
  VIGIL_ASSIGN(auto hashed, hash_staff_password(password, params));
  u.password_salt = std::move(hashed.first);
  u.password_hash = std::move(hashed.second);
  // Whoever creates an account chooses a one-time password (staff_accounts.hpp invariant 1).
  u.must_change_password = true;
  u.password_expires_wall_ms = clock.wall_ms() + k_one_time_password_days * 24 * 60 * k_minute_ms;
  std::int64_t id = 0;
  VIGIL_TRY(repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(id, staff.add_user(u, clock.wall_ms()));
    return staff.audit({0, clock.wall_ms(), by, "user.create", "user/" + std::to_string(id),
                        std::string(role_name(u.role)) + (u.council_id.empty() ? "" : " " + u.council_id)});
  }));
  return id;
}

Result<std::pair<Bytes, Bytes>> hash_staff_password(std::string_view password, const crypto::ScryptParams& params) {
  if (password.size() < 12) return fail(Error(Errc::invalid_argument, "a password needs at least 12 characters", "password"));
  VIGIL_ASSIGN(auto salt, crypto::random_bytes(16));
  VIGIL_ASSIGN(auto hash, crypto::scrypt(as_bytes(password), salt, params, 32));
  return std::make_pair(std::move(salt), Bytes(hash.begin(), hash.end()));
}

bool StaffApi::handles(std::string_view path) noexcept {
  return path == "/staff" || path.rfind("/staff/", 0) == 0;
}

bool StaffApi::runs_password_kdf(const HttpRequest& request) noexcept {
  if (request.method != "POST") return false;
  const std::string_view path = request.path();
  const auto ends_with = [&](std::string_view tail) {
    return path.size() >= tail.size() && path.substr(path.size() - tail.size()) == tail;
  };
  return path == "/staff/api/login" || path == "/staff/api/me/password" || path == "/staff/api/me/reauth" ||
         path == "/staff/api/users" || (path.rfind("/staff/api/users/", 0) == 0 && ends_with("/reset-password"));
}

namespace {

// The decision endpoints whose adverse decisions need a recent re-authentication, each with the
// decisions that do not: a session's review (concerns and breach need it) and an identity check
// (does_not_match needs it; cannot_tell only passes the check to a second proctor).
struct DecisionEndpoint {
  std::string_view pattern;
  std::array<std::string_view, 2> benign;
};
constexpr std::array<DecisionEndpoint, 2> k_adverse_decisions{{
    {"/staff/api/sessions/{device}/{session}/decision", {"no_concerns", "no_concerns"}},
    {"/staff/api/identity/{device}/{session}/decision", {"matches", "cannot_tell"}},
}};

// The endpoints that need a recent re-authentication (invariant 7): every change to staff
// accounts, releasing results, and an adverse decision (k_adverse_decisions).
bool needs_reauth(const Endpoint& ep, const HttpRequest& req) {
  if (std::string_view(ep.method) == "GET") return false;
  if (ep.permission == Permission::users_manage) return true;
  const std::string_view pattern = ep.pattern;
  if (pattern == "/staff/api/results/windows/{assessment}/release") return true;
  // Every appeal decision: upheld keeps a result void, overturned releases it (invariant 8).
  if (pattern == "/staff/api/appeals/{appeal}/decision") return true;
  for (const auto& d : k_adverse_decisions) {
    if (pattern != d.pattern) continue;
    // Read strictly as the handler will; a body it would refuse needs the re-authentication too.
    const auto body = protocol::parse_json(req.body);
    if (!body) return true;
    const auto decision = body->find("decision");
    if (decision == body->end() || !decision->is_string()) return true;
    const auto& value = decision->get_ref<const std::string&>();
    return std::find(d.benign.begin(), d.benign.end(), value) == d.benign.end();
  }
  return false;
}

}  // namespace

HttpResponse StaffApi::handle(const HttpRequest& request, const protocol::PeerIdentity& peer) {
  auto r = route(request, peer);
  HttpResponse out;
  if (r) {
    out = std::move(*r);
  } else {
    if (http::status_for(r.error().code) >= 500 && config_.log) {
      config_.log(log::line("staff_request_failed",
                            {{"method", request.method}, {"code", errc_name(r.error().code)}, {"detail", r.error().message}}));
    }
    out = error_response(r.error());
  }
  http::harden(out, k_browser_policy);
  return out;
}

Result<HttpResponse> StaffApi::route(const HttpRequest& req, const protocol::PeerIdentity& peer) {
  const std::string_view path = req.path();
  if (path.rfind("/staff/api/", 0) != 0) {
    if (req.method != "GET") return fail(Errc::invalid_argument, "method not allowed here");
    VIGIL_ASSIGN(auto p, page(path));
    if (p) return std::move(*p);
    return fail(Errc::not_found, "no such page");
  }
  if (path == "/staff/api/login") {
    if (req.method != "POST") return fail(Errc::invalid_argument, "use POST to sign in");
    return login(req, peer);
  }
  VIGIL_ASSIGN(const auto segs, http::path_segments(path));
  VIGIL_ASSIGN(auto found, http::route(std::span<const Endpoint>(k_endpoints), req.method, segs));
  const Endpoint* ep = found.row;
  auto params = std::move(found.captures);

  // Who is asking: the session cookie (invariant 2).
  const std::string token = cookie_value(req, k_cookie);
  if (token.empty()) return fail(Errc::auth_failed, "please sign in");
  const auto token_hash = crypto::sha256(as_bytes(token));
  const std::int64_t now = clock_.wall_ms();
  VIGIL_ASSIGN(auto session, staff_.staff_session(token_hash, now));
  if (!session) return fail(Errc::auth_failed, "your sign-in has ended; please sign in again");
  // Invariant 7: idle sessions end (and are deleted, so the cookie is worthless from now on).
  if (now - session->last_seen_wall_ms > config_.idle_minutes * k_minute_ms) {
    VIGIL_TRY(staff_.delete_staff_session(token_hash));
    return error_response(401, "session_idle", "you were away for more than " + std::to_string(config_.idle_minutes) +
                                                  " minutes; please sign in again");
  }
  VIGIL_ASSIGN(auto user, staff_.user(session->user_id));
  if (!user || user->disabled) return fail(Errc::auth_failed, "this account is disabled");
  if (std::string_view(ep->method) != "GET") {
    const std::string csrf = req.header("X-CSRF-Token");
    if (csrf.empty() || !crypto::ct_equal(as_bytes(csrf), as_bytes(session->csrf_token))) {
      return fail(Errc::forbidden, "this request is missing its security token; reload the page and try again");
    }
  }
  const std::string pending = pending_step(*user, *session);
  if (!pending.empty() && ep->permission != Permission::account) return error_response(403, pending, pending_message(pending));
  if (needs_reauth(*ep, req) && now - session->reauth_wall_ms > config_.reauth_minutes * k_minute_ms) {
    return error_response(401, "reauth_required", "confirm your password (and code) to do this");
  }
  // Activity keeps the session alive; written at most every 30 s, not on every request.
  if (now - session->last_seen_wall_ms > 30'000) VIGIL_TRY(staff_.touch_staff_session(token_hash, now));
  const Principal who{user->user_id, user->role, user->council_id};
  Scope scope;
  if (ep->scope == ScopeFrom::council) scope.council_id = params.at("council");
  if (ep->scope == ScopeFrom::session) {
    scope.device_id = params.at("device");
    scope.session_id = params.at("session");
  }
  if (ep->scope == ScopeFrom::appeal) {
    VIGIL_ASSIGN(scope.appeal_id, staff_detail::appeal_id_of(params.at("appeal")));
  }
  VIGIL_TRY(authorise(who, ep->permission, scope, staff_, &results_.appeals));
  Ctx ctx{repo_, staff_, clock_, config_, req, who, std::move(params),
          std::string(reinterpret_cast<const char*>(token_hash.data()), token_hash.size()),
          results_, *session, &*user, peer.remote_address};
  return ep->fn(ctx);
}

Result<HttpResponse> StaffApi::login(const HttpRequest& req, const protocol::PeerIdentity& peer) {
  return sign_in(SignInDeps{repo_, staff_, clock_, config_}, req, peer);
}

}  // namespace vigil::server
