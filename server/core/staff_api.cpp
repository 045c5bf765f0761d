#include "server/core/staff_api.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/core/json_limits.hpp"
#include "server/core/server_home.hpp"
#include "server/core/staff_accounts.hpp"
#include "server/core/staff_detail.hpp"
#include "server/core/staff_equalities.hpp"
#include "server/core/staff_marking.hpp"
#include "server/core/staff_results.hpp"
#include "server/embedded/staff_pages.hpp"
#include "shared/core/log.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"

namespace vigil::server::core {

namespace staff_detail {


constexpr std::string_view k_cookie = "vigil_staff";
constexpr std::int64_t k_minute_ms = 60'000;

// Headers on every staff response: the pages load only their own files, are never framed, and
// API answers are never cached (they hold personal data).
void harden(HttpResponse& r) {
  r.headers["Content-Security-Policy"] =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["Referrer-Policy"] = "no-referrer";
  r.headers["X-Frame-Options"] = "DENY";
  r.headers["Strict-Transport-Security"] = "max-age=31536000";
  if (!r.headers.count("Cache-Control")) r.headers["Cache-Control"] = "no-store";
}

HttpResponse respond(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.headers["Content-Type"] = "application/json";
  // Device text may hold invalid UTF-8: replaced (U+FFFD) rather than thrown on mid-response.
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse respond_bytes(std::string content_type, std::string body) {
  HttpResponse r;
  r.headers["Content-Type"] = std::move(content_type);
  r.body = std::move(body);
  return r;
}

// A JSON error with extra members (the CSV validation report).
HttpResponse respond_error(int status, std::string_view code, std::string_view message, json extra) {
  json body{{"v", 1}, {"error", {{"code", code}, {"message", message}}}};
  for (auto& [k, v] : extra.items()) body[k] = v;
  return respond(status, body);
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at <= path.size()) {
    const auto next = path.find('/', at);
    const auto piece = path.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at);
    if (!piece.empty()) out.push_back(piece);
    if (next == std::string_view::npos) break;
    at = next + 1;
  }
  return out;
}

// Query string parameters (application/x-www-form-urlencoded).
std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = from_hex(s.substr(i + 1, 2));
      if (hex && hex->size() == 1) {
        out += static_cast<char>((*hex)[0]);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> query_params(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto pair = q.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos) out[url_decode(pair.substr(0, eq))] = url_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::int64_t int_param(const std::map<std::string, std::string>& q, const std::string& name, std::int64_t dflt,
                       std::int64_t lo, std::int64_t hi) {
  const auto it = q.find(name);
  if (it == q.end()) return dflt;
  std::int64_t v = dflt;
  const auto* end = it->second.data() + it->second.size();
  if (std::from_chars(it->second.data(), end, v).ptr != end) return dflt;
  return std::clamp(v, lo, hi);
}

std::string cookie_value(const HttpRequest& req, std::string_view name) {
  const std::string header = req.header("Cookie");
  std::string_view rest = header;
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    auto part = rest.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return {};
}

Result<json> json_body(const HttpRequest& req) {
  if (req.header("Content-Type").rfind("application/json", 0) != 0) {
    return fail(Error(Errc::invalid_argument, "Content-Type must be application/json", "Content-Type"));
  }
  auto j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::invalid_argument, "the request body is not a JSON object");
  return j;
}

Result<std::string> str_field(const json& j, const char* name, std::size_t max_len, bool required) {
  const auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return fail(Error(Errc::invalid_argument, std::string(name) + " is required", name));
    return std::string();
  }
  if (!it->is_string()) return fail(Error(Errc::invalid_argument, std::string(name) + " must be text", name));
  auto s = it->get<std::string>();
  if (required && s.empty()) return fail(Error(Errc::invalid_argument, std::string(name) + " is required", name));
  if (s.size() > max_len) {
    return fail(Error(Errc::invalid_argument, std::string(name) + " is longer than " + std::to_string(max_len) + " characters", name));
  }
  return s;
}

bool valid_utf8(std::string_view s, std::size_t* bad_at) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c < 0x80) n = 0;
    else if ((c & 0xE0) == 0xC0 && c >= 0xC2) n = 1;
    else if ((c & 0xF0) == 0xE0) n = 2;
    else if ((c & 0xF8) == 0xF0 && c <= 0xF4) n = 3;
    else { *bad_at = i; return false; }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) { *bad_at = i; return false; }
    }
    // Overlong three-byte forms and surrogates.
    if (n == 2) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) { *bad_at = i; return false; }
    }
    if (n == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)) { *bad_at = i; return false; }
    }
    i += n + 1;
  }
  return true;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool plausible_email(std::string_view e) {
  const auto at = e.find('@');
  if (at == 0 || at == std::string_view::npos || e.find('@', at + 1) != std::string_view::npos || e.size() > 254) return false;
  const auto domain = e.substr(at + 1);
  const auto dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size() &&
         std::none_of(e.begin(), e.end(), [](char c) { return c == ' ' || c == ',' || c == ';' || c == '<' || c == '>'; });
}

bool safe_id(std::string_view s, std::size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

std::optional<std::int64_t> parse_small_int(std::string_view s, std::int64_t lo, std::int64_t hi) {
  if (s.empty()) return 0;
  std::int64_t v = 0;
  const auto* end = s.data() + s.size();
  if (std::from_chars(s.data(), end, v).ptr != end || v < lo || v > hi) return std::nullopt;
  return v;
}

Result<std::string> random_token(std::size_t bytes) {
  VIGIL_ASSIGN(auto b, crypto::random_bytes(bytes));
  return to_base64url(b);
}

json user_json(const StaffUser& u) {
  json j{{"user_id", u.user_id}, {"email", u.email}, {"display_name", u.display_name}, {"role", role_name(u.role)},
         {"disabled", u.disabled}};
  if (!u.council_id.empty()) j["council_id"] = u.council_id;
  return j;
}

std::string severity_name(std::int64_t s) { return s >= 3 ? "high" : s == 2 ? "medium" : "low"; }

json queue_json(const QueueEntry& q) {
  json j{{"device_id", q.device_id},           {"session_id", q.session_id},
         {"candidate_id", q.candidate_id},     {"flag_count", q.flag_count},
         {"max_severity", severity_name(q.max_severity)}, {"max_confidence", q.max_confidence},
         {"first_flag_wall_ms", q.first_flag_wall_ms},    {"state", q.state}};
  if (!q.proposed_decision.empty()) {
    j["proposed_decision"] = q.proposed_decision;
    j["proposed_by"] = q.proposed_by;
  }
  if (!q.decision.empty()) j["decision"] = q.decision;
  j["round"] = q.round;
  j["disputed"] = q.disputed;
  return j;
}

Result<const StaffResultsDeps*> Ctx::need_results() const {
  if (!results) return fail(Errc::unavailable, "results are not configured on this server");
  return results;
}

}  // namespace staff_detail

using namespace staff_detail;

namespace {

// ---- signed-in user (and staff_accounts.cpp) ---

Result<HttpResponse> post_logout(Ctx& c) {
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.delete_staff_session(as_bytes(c.token_hash)));
    return c.audit("staff.logout", "user/" + std::to_string(c.who.user_id));
  }));
  auto r = respond(200, json{{"v", 1}, {"signed_out", true}});
  r.headers["Set-Cookie"] = std::string(k_cookie) + "=; Path=/staff; Max-Age=0; Secure; HttpOnly; SameSite=Strict";
  return r;
}

// ---- programme admin ---

Result<HttpResponse> get_users(Ctx& c) {
  VIGIL_ASSIGN(auto users, c.staff.users(1000));
  json list = json::array();
  for (const auto& u : users) list.push_back(user_json(u));
  return respond(200, json{{"v", 1}, {"users", list}});
}

Result<HttpResponse> post_users(Ctx& c) {
  VIGIL_ASSIGN(auto body, json_body(c.req));
  VIGIL_ASSIGN(auto email, str_field(body, "email", 254));
  VIGIL_ASSIGN(auto name, str_field(body, "display_name", 200));
  VIGIL_ASSIGN(auto role, str_field(body, "role", 40));
  VIGIL_ASSIGN(auto council, str_field(body, "council_id", 64, false));
  VIGIL_ASSIGN(auto password, str_field(body, "password", 1024));
  VIGIL_ASSIGN(auto id, create_staff_user(c.repo, c.staff, email, name, role, council, password, c.clock,
                                          c.config.password_scrypt, c.who.user_id));
  VIGIL_ASSIGN(auto u, c.staff.user(id));
  return respond(201, json{{"v", 1}, {"user", u ? user_json(*u) : json()}});
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
  return respond(200, json{{"v", 1}, {"disabled", id}});
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
  return respond(200, json{{"v", 1}, {"unlocked", id}});
}

Result<HttpResponse> get_councils(Ctx& c) {
  VIGIL_ASSIGN(auto all, c.staff.councils());
  json list = json::array();
  for (const auto& [id, name] : all) {
    // A council manager sees only their own council (the list is the one place it is filtered).
    if (c.who.role == Role::council_manager && id != c.who.council_id) continue;
    list.push_back({{"council_id", id}, {"name", name}});
  }
  return respond(200, json{{"v", 1}, {"councils", list}});
}

Result<HttpResponse> post_councils(Ctx& c) {
  VIGIL_ASSIGN(auto body, json_body(c.req));
  VIGIL_ASSIGN(auto id, str_field(body, "council_id", 64));
  VIGIL_ASSIGN(auto name, str_field(body, "name", 200));
  if (!safe_id(id, 64)) return fail(Error(Errc::invalid_argument, "council_id may hold letters, digits, - _ . only", "council_id"));
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.repo.add_council(id, name, c.now()));
    return c.audit("council.save", "council/" + id, name);
  }));
  return respond(201, json{{"v", 1}, {"council", {{"council_id", id}, {"name", name}}}});
}

Result<HttpResponse> get_audit(Ctx& c) {
  const auto q = query_params(c.req.query());
  VIGIL_ASSIGN(auto entries, c.staff.audit_entries(int_param(q, "before", 0, 0, INT64_MAX), int_param(q, "limit", 100, 1, 1000)));
  json list = json::array();
  for (const auto& e : entries) {
    list.push_back({{"audit_id", e.audit_id}, {"wall_ms", e.wall_ms}, {"user_id", e.user_id ? json(*e.user_id) : json()},
                    {"action", e.action}, {"target", e.target}, {"detail", e.detail}});
  }
  return respond(200, json{{"v", 1}, {"entries", list}});
}

std::string csv_line(std::initializer_list<std::string_view> cells) {
  std::string out;
  bool first = true;
  for (auto cell : cells) {
    if (!first) out += ',';
    first = false;
    out += csv_cell(cell);
  }
  return out + "\r\n";
}

HttpResponse csv_download(std::string body, const std::string& filename) {
  auto r = respond_bytes("text/csv; charset=utf-8", std::move(body));
  r.headers["Content-Disposition"] = "attachment; filename=\"" + filename + "\"";
  return r;
}

Result<HttpResponse> get_audit_csv(Ctx& c) {
  std::string out = csv_line({"audit_id", "time_utc_ms", "user_id", "action", "target", "detail"});
  std::int64_t before = 0;
  // Up to 100,000 entries per export, newest first.
  for (int page = 0; page < 100; ++page) {
    VIGIL_ASSIGN(auto entries, c.staff.audit_entries(before, 1000));
    for (const auto& e : entries) {
      out += csv_line({std::to_string(e.audit_id), std::to_string(e.wall_ms), e.user_id ? std::to_string(*e.user_id) : "",
                       e.action, e.target, e.detail});
      before = e.audit_id;
    }
    if (entries.size() < 1000) break;
  }
  VIGIL_TRY(c.audit("audit.export", "audit"));
  return csv_download(std::move(out), "vigil-audit.csv");
}

// ---- council ---

json status_row_json(const CandidateStatusRow& r) {
  json j{{"candidate_id", r.candidate_id}, {"council_id", r.council_id}, {"full_name", r.full_name},
         {"work_email", r.work_email},     {"employee_ref", r.employee_ref}, {"level", r.level},
         {"status", r.status}};
  if (r.last_seen_wall_ms) j["last_seen_wall_ms"] = *r.last_seen_wall_ms;
  if (!r.outcome.empty()) j["outcome"] = r.outcome;
  j["reendorsed"] = r.reendorsed;
  j["attempt"] = r.attempt;
  return j;
}

const std::set<std::string>& status_names() {
  static const std::set<std::string> k{"endorsed", "enrolled", "package_downloaded", "in_progress", "submitted",
                                       "received", "under_review", "result_released", "withdrawn"};
  return k;
}

Result<StatusQuery> status_query(const Ctx& c) {
  const auto q = query_params(c.req.query());
  StatusQuery sq;
  sq.council_id = c.params.at("council");
  if (auto it = q.find("status"); it != q.end() && !it->second.empty()) {
    if (!status_names().count(it->second)) return fail(Error(Errc::invalid_argument, "status is not a known state", "status"));
    sq.status = it->second;
  }
  if (auto it = q.find("q"); it != q.end()) sq.search = it->second.substr(0, 200);
  sq.offset = int_param(q, "offset", 0, 0, INT64_MAX);
  sq.limit = int_param(q, "limit", 50, 1, 500);
  return sq;
}

Result<HttpResponse> get_candidates(Ctx& c) {
  VIGIL_ASSIGN(auto sq, status_query(c));
  VIGIL_ASSIGN(auto page, c.staff.status(sq));
  json rows = json::array();
  for (const auto& r : page.rows) rows.push_back(status_row_json(r));
  return respond(200, json{{"v", 1}, {"total", page.total}, {"offset", sq.offset}, {"candidates", rows}});
}

Result<HttpResponse> get_candidates_csv(Ctx& c) {
  VIGIL_ASSIGN(auto sq, status_query(c));
  sq.offset = 0;
  sq.limit = 100'000;
  VIGIL_ASSIGN(auto page, c.staff.status(sq));
  std::string out = csv_line({"candidate_id", "name", "work_email", "employee_ref", "level", "status", "last_seen_utc_ms", "outcome"});
  for (const auto& r : page.rows) {
    out += csv_line({r.candidate_id, r.full_name, r.work_email, r.employee_ref, r.level, r.status,
                     r.last_seen_wall_ms ? std::to_string(*r.last_seen_wall_ms) : "", r.outcome});
  }
  VIGIL_TRY(c.audit("candidates.export", "council/" + sq.council_id, std::to_string(page.rows.size()) + " rows"));
  return csv_download(std::move(out), "vigil-status-" + sq.council_id + ".csv");
}

Result<HttpResponse> get_summary(Ctx& c) {
  VIGIL_ASSIGN(auto s, c.staff.status_summary(c.params.at("council")));
  json by = json::object();
  for (const auto& name : status_names()) by[name] = 0;
  std::int64_t endorsed = 0, completed = 0;
  for (const auto& [name, n] : s.by_status) {
    by[name] = n;
    if (name != "withdrawn") endorsed += n;
    if (name == "received" || name == "under_review" || name == "result_released") completed += n;
  }
  json out{{"v", 1}, {"council_id", c.params.at("council")}, {"by_status", by}, {"endorsed", endorsed},
           {"completed", completed}, {"met", s.met}};
  out["eligible_headcount"] = s.eligible_headcount >= 0 ? json(s.eligible_headcount) : json();
  return respond(200, out);
}

Result<HttpResponse> put_headcount(Ctx& c) {
  VIGIL_ASSIGN(auto body, json_body(c.req));
  const auto it = body.find("eligible");
  if (it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > 1'000'000) {
    return fail(Error(Errc::invalid_argument, "eligible must be a whole number from 0 to 1,000,000", "eligible"));
  }
  const auto n = it->get<std::int64_t>();
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.set_headcount(c.params.at("council"), n, c.now()));
    return c.audit("council.headcount", "council/" + c.params.at("council"), std::to_string(n));
  }));
  return respond(200, json{{"v", 1}, {"eligible_headcount", n}});
}

// One endorsement's fields, checked; problems are appended (field, message).
struct RowProblem {
  std::size_t line;
  std::string field;
  std::string message;
};

EndorsementRow check_endorsement(std::size_t line, const std::map<std::string, std::string>& f, const std::string& council,
                                 std::vector<RowProblem>& problems) {
  EndorsementRow e;
  auto get = [&](const char* k) { auto it = f.find(k); return it == f.end() ? std::string() : trim(it->second); };
  auto bad = [&](const char* field, std::string msg) { problems.push_back({line, field, std::move(msg)}); };
  e.candidate.council_id = council;
  e.candidate.full_name = get("name");
  e.candidate.work_email = lower(get("work_email"));
  e.employee_ref = get("employee_ref");
  e.candidate.level = lower(get("level"));
  e.exemptions = lower(get("exemptions"));
  if (e.exemptions == "none") e.exemptions.clear();
  for (const auto& [k, v] : f) {
    if (has_control(v)) bad(k.c_str(), "contains a control character (such as a line break); remove it");
  }
  if (e.candidate.full_name.empty() || e.candidate.full_name.size() > 200) bad("name", "name is required (up to 200 characters)");
  if (!plausible_email(e.candidate.work_email)) bad("work_email", "work_email is not an email address");
  if (!safe_id(e.employee_ref, 64)) {
    bad("employee_ref", "employee_ref is required: letters, digits and - _ . / only, up to 64 characters");
  }
  if (e.candidate.level != "practitioner" && e.candidate.level != "practice_supervisor") {
    bad("level", "level must be practitioner or practice_supervisor");
  }
  if (!e.exemptions.empty() && e.exemptions != "knowledge_only") {
    bad("exemptions", "exemptions must be empty, none or knowledge_only (exempt from the scenario and written sections)");
  }
  const auto time = parse_small_int(get("extra_time_percent"), 0, 100);
  if (!time) bad("extra_time_percent", "extra_time_percent must be a whole number from 0 to 100");
  e.extra_time_percent = time.value_or(0);
  const auto brk = parse_small_int(get("extra_break_minutes"), 0, 120);
  if (!brk) bad("extra_break_minutes", "extra_break_minutes must be a whole number from 0 to 120");
  e.extra_break_minutes = brk.value_or(0);
  return e;
}

// Checks against what the council already holds and what came earlier in the same upload.
Status check_duplicates(Ctx& c, std::size_t line, const EndorsementRow& e, std::set<std::string>& refs,
                        std::set<std::string>& emails, std::vector<RowProblem>& problems) {
  if (!e.employee_ref.empty()) {
    VIGIL_ASSIGN(bool taken, c.staff.employee_ref_taken(e.candidate.council_id, e.employee_ref));
    if (taken) problems.push_back({line, "employee_ref", "employee_ref " + e.employee_ref + " is already endorsed by this council"});
    else if (!refs.insert(e.employee_ref).second) problems.push_back({line, "employee_ref", "employee_ref " + e.employee_ref + " appears twice in this file"});
  }
  if (!e.candidate.work_email.empty()) {
    VIGIL_ASSIGN(bool taken, c.staff.work_email_taken(e.candidate.council_id, e.candidate.work_email));
    if (taken) problems.push_back({line, "work_email", "work_email " + e.candidate.work_email + " is already endorsed by this council"});
    else if (!emails.insert(e.candidate.work_email).second) problems.push_back({line, "work_email", "work_email " + e.candidate.work_email + " appears twice in this file"});
  }
  return {};
}

Result<std::string> new_candidate_id(StaffRepository& staff) {
  for (int i = 0; i < 10; ++i) {
    VIGIL_ASSIGN(auto b, crypto::random_bytes(8));
    std::string id = "cand-" + to_hex(b);
    VIGIL_ASSIGN(bool taken, staff.candidate_id_taken(id));
    if (!taken) return id;
  }
  return fail(Errc::internal, "could not find a free candidate id");
}

HttpResponse invalid_rows(const std::vector<RowProblem>& problems) {
  json rows = json::array();
  for (const auto& p : problems) rows.push_back({{"line", p.line}, {"field", p.field}, {"message", p.message}});
  return respond_error(422, "invalid_rows",
                       std::to_string(problems.size()) + " problem(s) found; nothing was imported. Correct the rows listed and upload the whole file again.",
                       json{{"problems", rows}});
}

Result<HttpResponse> store_endorsements(Ctx& c, std::vector<EndorsementRow>& rows, const char* action) {
  json ids = json::array();
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    for (auto& e : rows) {
      VIGIL_ASSIGN(e.candidate.candidate_id, new_candidate_id(c.staff));
      VIGIL_TRY(c.staff.add_endorsement(e, c.who.user_id, c.now()));
      ids.push_back(e.candidate.candidate_id);
    }
    return c.audit(action, "council/" + c.params.at("council"), std::to_string(rows.size()) + " candidate(s)");
  }));
  return respond(201, json{{"v", 1}, {"imported", rows.size()}, {"candidate_ids", ids}});
}

Result<HttpResponse> post_candidate(Ctx& c) {
  VIGIL_ASSIGN(auto body, json_body(c.req));
  std::map<std::string, std::string> fields;
  for (const char* k : {"name", "work_email", "employee_ref", "level", "exemptions", "extra_time_percent", "extra_break_minutes"}) {
    const auto it = body.find(k);
    if (it == body.end() || it->is_null()) continue;
    if (it->is_string()) fields[k] = it->get<std::string>();
    else if (it->is_number_integer()) fields[k] = std::to_string(it->get<std::int64_t>());
    else return fail(Error(Errc::invalid_argument, std::string(k) + " must be text", k));
  }
  std::vector<RowProblem> problems;
  std::vector<EndorsementRow> rows{check_endorsement(1, fields, c.params.at("council"), problems)};
  std::set<std::string> refs, emails;
  VIGIL_TRY(check_duplicates(c, 1, rows[0], refs, emails, problems));
  if (!problems.empty()) return invalid_rows(problems);
  return store_endorsements(c, rows, "candidates.add");
}

Result<HttpResponse> post_import(Ctx& c) {
  if (c.req.body.size() > c.config.csv_limit_bytes) {
    return respond_error(413, "too_large", "the file is larger than " + std::to_string(c.config.csv_limit_bytes / (1024 * 1024)) +
                                                " MB; split it into smaller files. Nothing was imported.");
  }
  std::string_view text = c.req.body;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // Excel's BOM
  std::size_t bad_at = 0;
  if (!valid_utf8(text, &bad_at)) {
    const auto line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad_at), '\n'));
    return respond_error(422, "bad_encoding",
                         "the file is not UTF-8 text (first problem on line " + std::to_string(line) +
                             "); save it as \"CSV UTF-8\" and upload it again. Nothing was imported.");
  }
  auto parsed = parse_csv(text);
  if (!parsed) return respond_error(422, "bad_csv", parsed.error().message + " Nothing was imported.");
  auto& table = *parsed;
  if (table.empty()) return respond_error(422, "empty", "the file is empty; nothing was imported.");
  if (table.size() - 1 > c.config.csv_limit_rows) {
    return respond_error(413, "too_many_rows", "the file has more than " + std::to_string(c.config.csv_limit_rows) +
                                                   " rows; split it into smaller files. Nothing was imported.");
  }
  static const std::array<const char*, 7> k_known{"name", "work_email", "employee_ref", "level", "exemptions",
                                                  "extra_time_percent", "extra_break_minutes"};
  static const std::array<const char*, 4> k_required{"name", "work_email", "employee_ref", "level"};
  std::vector<std::string> header;
  for (const auto& h : table[0]) header.push_back(lower(trim(h)));
  std::vector<std::string> missing;
  for (const char* r : k_required) {
    if (std::find(header.begin(), header.end(), r) == header.end()) missing.push_back(r);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return respond_error(422, "missing_columns", "the first line must name the columns; missing: " + list +
                                                     ". Nothing was imported.", json{{"missing", missing}});
  }
  std::vector<RowProblem> problems;
  for (const auto& h : header) {
    if (std::find_if(k_known.begin(), k_known.end(), [&](const char* k) { return h == k; }) == k_known.end()) {
      problems.push_back({1, h, "unknown column \"" + h + "\""});
    }
  }
  std::vector<EndorsementRow> rows;
  std::set<std::string> refs, emails;
  for (std::size_t i = 1; i < table.size(); ++i) {
    const auto& cells = table[i];
    if (cells.size() == 1 && trim(cells[0]).empty()) continue;  // blank line
    const std::size_t line = i + 1;
    if (cells.size() != header.size()) {
      problems.push_back({line, "", "has " + std::to_string(cells.size()) + " cells; the header has " + std::to_string(header.size())});
      continue;
    }
    std::map<std::string, std::string> fields;
    for (std::size_t k = 0; k < header.size(); ++k) fields[header[k]] = cells[k];
    rows.push_back(check_endorsement(line, fields, c.params.at("council"), problems));
    VIGIL_TRY(check_duplicates(c, line, rows.back(), refs, emails, problems));
  }
  if (!problems.empty()) return invalid_rows(problems);
  if (rows.empty()) return respond_error(422, "empty", "the file has no candidates under its header; nothing was imported.");
  return store_endorsements(c, rows, "candidates.import");
}

Result<EndorsementRow> council_candidate(Ctx& c) {
  VIGIL_ASSIGN(auto e, c.staff.endorsement(c.params.at("candidate")));
  // A candidate of another council is "not found": the path's council is what was authorised.
  if (!e || e->candidate.council_id != c.params.at("council")) return fail(Errc::not_found, "no such candidate in this council");
  return std::move(*e);
}

Result<HttpResponse> post_withdraw(Ctx& c) {
  VIGIL_ASSIGN(auto body, json_body(c.req));
  VIGIL_ASSIGN(auto reason, str_field(body, "reason", 500));
  VIGIL_ASSIGN(auto e, council_candidate(c));
  std::int64_t codes = 0;
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.withdraw(e.candidate.candidate_id, reason, c.now()));
    VIGIL_ASSIGN(codes, c.repo.expire_enrolment_codes(e.candidate.candidate_id, c.now()));
    return c.audit("candidate.withdraw", "candidate/" + e.candidate.candidate_id, reason);
  }));
  return respond(200, json{{"v", 1}, {"withdrawn", e.candidate.candidate_id}, {"codes_ended", codes}});
}

Result<HttpResponse> post_codes(Ctx& c) {
  VIGIL_ASSIGN(auto ids, c.staff.candidates_needing_codes(c.params.at("council"), c.now(), 100));
  json codes = json::array();
  for (const auto& id : ids) {
    VIGIL_ASSIGN(auto e, c.staff.endorsement(id));
    NewEnrolmentCode code;
    VIGIL_TRY(c.repo.transaction([&]() -> Status {
      VIGIL_ASSIGN(code, create_enrolment_code(c.repo, id, c.clock, c.config.code_valid_days));
      return c.audit("code.issue", "candidate/" + id);
    }));
    codes.push_back({{"candidate_id", id}, {"full_name", e ? e->candidate.full_name : ""},
                     {"work_email", e ? e->candidate.work_email : ""}, {"code", code.code},
                     {"expires_wall_ms", code.expires_wall_ms}});
  }
  VIGIL_ASSIGN(auto more, c.staff.candidates_needing_codes(c.params.at("council"), c.now(), 1));
  return respond(200, json{{"v", 1}, {"codes", codes}, {"more", !more.empty()}});
}

// ---- review ---

// One page of a session's timeline in the staff view (finding 4): bounded by events and bytes.
constexpr std::int64_t k_timeline_page_events = 500;
constexpr std::size_t k_timeline_page_bytes = 2 * 1024 * 1024;

Result<HttpResponse> get_queue(Ctx& c) {
  const auto q = query_params(c.req.query());
  std::string state;
  if (auto it = q.find("state"); it != q.end() && !it->second.empty()) {
    if (it->second != "open" && it->second != "awaiting_second" && it->second != "decided") {
      return fail(Error(Errc::invalid_argument, "state must be open, awaiting_second or decided", "state"));
    }
    state = it->second;
  }
  // Proctors see only what is assigned to them; admins see everything (to assign it).
  std::optional<std::int64_t> proctor;
  if (c.who.role == Role::proctor) proctor = c.who.user_id;
  VIGIL_ASSIGN(auto entries, c.staff.queue(proctor, state, int_param(q, "limit", 100, 1, 1000)));
  json list = json::array();
  for (const auto& e : entries) list.push_back(queue_json(e));
  return respond(200, json{{"v", 1}, {"sessions", list}});
}

Result<QueueEntry> review_row(Ctx& c) {
  VIGIL_ASSIGN(auto r, c.staff.review_session(c.params.at("device"), c.params.at("session")));
  if (!r) return fail(Errc::not_found, "no flagged session with this id");
  return std::move(*r);
}

Result<HttpResponse> post_assign(Ctx& c) {
  VIGIL_ASSIGN(auto body, json_body(c.req));
  const auto it = body.find("proctor_id");
  if (it == body.end() || !it->is_number_integer()) return fail(Error(Errc::invalid_argument, "proctor_id is required", "proctor_id"));
  const auto proctor_id = it->get<std::int64_t>();
  VIGIL_ASSIGN(auto p, c.staff.user(proctor_id));
  if (!p || p->role != Role::proctor || p->disabled) {
    return fail(Error(Errc::invalid_argument, "proctor_id is not an active proctor", "proctor_id"));
  }
  VIGIL_ASSIGN(auto row, review_row(c));
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.assign(row.device_id, row.session_id, proctor_id, c.who.user_id, c.now()));
    return c.audit("review.assign", "session/" + row.device_id + "/" + row.session_id, "proctor " + std::to_string(proctor_id));
  }));
  return respond(200, json{{"v", 1}, {"assigned", proctor_id}});
}

Result<HttpResponse> get_session(Ctx& c) {
  VIGIL_ASSIGN(auto row, review_row(c));
  VIGIL_ASSIGN(auto flags, c.staff.review_flags(row.device_id, row.session_id));
  // The timeline is paged (issue 13, finding 4): ?after_seq=N continues after event N; a page holds
  // at most k_timeline_page_events events and k_timeline_page_bytes of payload.
  const auto q = query_params(c.req.query());
  const auto after_seq = static_cast<std::uint64_t>(int_param(q, "after_seq", 0, 0, std::numeric_limits<std::int64_t>::max()));
  VIGIL_ASSIGN(auto page, c.staff.timeline(row.device_id, row.session_id, after_seq, k_timeline_page_events,
                                           k_timeline_page_bytes));
  VIGIL_ASSIGN(auto decisions, c.staff.decisions(row.device_id, row.session_id));
  VIGIL_ASSIGN(auto proctors, c.staff.assigned_proctors(row.device_id, row.session_id));
  json jf = json::array();
  for (const auto& f : flags) {
    json j{{"flag_row", f.flag_row}, {"seq", f.seq}, {"source", f.source}, {"flag_id", f.flag_id}, {"check", f.check},
           {"severity", severity_name(f.severity)}, {"confidence", f.confidence}, {"start_wall_ms", f.start_wall_ms},
           {"evidence", f.evidence}};
    if (f.end_wall_ms) j["end_wall_ms"] = *f.end_wall_ms;
    if (!f.decision.empty()) j["decision"] = {{"decision", f.decision}, {"note", f.decision_note}, {"by", f.decided_by}};
    jf.push_back(j);
  }
  json je = json::array();
  for (const auto& e : page.events) {
    // Bounded depth (server/core/json_limits.hpp): records stored before the ingest check, or
    // anything not JSON, are shown as text.
    auto payload = parse_bounded(e.payload);
    je.push_back({{"seq", e.seq}, {"wall_ms", e.wall_ms}, {"type", e.type}, {"payload", payload.is_discarded() ? json(e.payload) : payload}});
  }
  json jd = json::array();
  for (const auto& d : decisions) {
    jd.push_back({{"proctor_id", d.proctor_id}, {"decision", d.decision}, {"note", d.note}, {"wall_ms", d.wall_ms}, {"round", d.round}});
  }
  VIGIL_TRY(c.audit("review.view", "session/" + row.device_id + "/" + row.session_id));
  json out{{"v", 1}, {"session", queue_json(row)}, {"flags", jf}, {"timeline", je}, {"timeline_truncated", page.more},
           {"decisions", jd}, {"assigned_proctors", proctors}, {"you", c.who.user_id}};
  if (page.more) out["timeline_next_after_seq"] = page.events.back().seq;
  return respond(200, out);
}

std::string sniff_type(const Bytes& b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "image/jpeg";
  if (b.size() >= 8 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return "image/png";
  return "application/octet-stream";
}

Result<HttpResponse> get_evidence(Ctx& c) {
  const std::string& sha_hex = c.params.at("sha");
  VIGIL_ASSIGN(auto row, review_row(c));
  VIGIL_ASSIGN(bool referenced, c.staff.session_references_blob(row.device_id, row.session_id, sha_hex));
  auto sha = from_hex(sha_hex);
  if (!referenced || !sha || sha->size() != 32) return fail(Errc::not_found, "this session has no such evidence");
  VIGIL_ASSIGN(auto blob, c.repo.blob(row.device_id, *sha));
  if (!blob || !blob->complete) return fail(Errc::not_found, "this evidence has not arrived from the device yet");
  if (!c.config.evidence_key) return fail(Errc::unavailable, "the server has no evidence key loaded; evidence cannot be opened");
  VIGIL_ASSIGN(auto sealed, c.repo.read_blob(*blob, 0, static_cast<std::size_t>(blob->size)));
  // Sealed by the device with the session id as context (EVENTS.md): a box moved to another
  // session does not open.
  auto opened = crypto::open_sealed(*c.config.evidence_key, sealed, as_bytes(row.session_id));
  if (!opened) return fail(Errc::integrity, "this evidence could not be opened: it is damaged or was not sealed for this session");
  VIGIL_TRY(c.audit("evidence.view", "session/" + row.device_id + "/" + row.session_id, "blob " + sha_hex));
  auto r = respond_bytes(sniff_type(*opened), std::string(as_chars(*opened)));
  r.headers["Content-Disposition"] = "inline";
  return r;
}

Result<HttpResponse> post_flag_decision(Ctx& c) {
  VIGIL_ASSIGN(auto body, json_body(c.req));
  VIGIL_ASSIGN(auto decision, str_field(body, "decision", 20));
  VIGIL_ASSIGN(auto note, str_field(body, "note", 2000, false));
  if (decision != "dismiss" && decision != "note" && decision != "concern") {
    return fail(Error(Errc::invalid_argument, "decision must be dismiss, note or concern", "decision"));
  }
  if (decision != "dismiss" && trim(note).empty()) {
    return fail(Error(Errc::invalid_argument, "write a note saying what you saw", "note"));
  }
  VIGIL_ASSIGN(auto row, review_row(c));
  if (row.state == "decided") return fail(Errc::conflict, "this session has been decided; its flags can no longer change");
  std::int64_t flag_row = 0;
  const auto& f = c.params.at("flag");
  if (std::from_chars(f.data(), f.data() + f.size(), flag_row).ptr != f.data() + f.size()) {
    return fail(Errc::not_found, "no such flag in this session");
  }
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_TRY(c.staff.decide_flag(flag_row, row.device_id, row.session_id, decision, note, c.who.user_id, c.now()));
    return c.audit("flag.decide", "session/" + row.device_id + "/" + row.session_id, "flag " + f + ": " + decision + ": " + note);
  }));
  return respond(200, json{{"v", 1}, {"flag_row", flag_row}, {"decision", decision}});
}

Result<HttpResponse> post_session_decision(Ctx& c) {
  VIGIL_ASSIGN(auto body, json_body(c.req));
  VIGIL_ASSIGN(auto decision, str_field(body, "decision", 20));
  VIGIL_ASSIGN(auto note, str_field(body, "note", 4000, false));
  if (decision != "no_concerns" && decision != "concerns" && decision != "breach") {
    return fail(Error(Errc::invalid_argument, "decision must be no_concerns, concerns or breach", "decision"));
  }
  const bool adverse = decision != "no_concerns";
  if (adverse && trim(note).empty()) return fail(Error(Errc::invalid_argument, "an adverse decision needs a note giving the reasons", "note"));
  json out{{"v", 1}};
  VIGIL_TRY(c.repo.transaction([&]() -> Status {
    VIGIL_ASSIGN(auto row, review_row(c));
    const std::string target = "session/" + row.device_id + "/" + row.session_id;
    if (row.state == "decided") return fail(Errc::conflict, "this session has already been decided");
    VIGIL_ASSIGN(auto flags, c.staff.review_flags(row.device_id, row.session_id));
    if (std::any_of(flags.begin(), flags.end(), [](const ReviewFlagRow& f) { return f.decision.empty(); })) {
      return fail(Errc::conflict, "decide every flag of this session first");
    }
    VIGIL_ASSIGN(auto earlier, c.staff.decisions(row.device_id, row.session_id));
    const bool took_part = std::any_of(earlier.begin(), earlier.end(), [&](const DecisionRow& d) {
      return d.round == row.round && d.proctor_id == c.who.user_id;
    });
    // Invariant 5: after a disagreement only a proctor who took no part in this round decides
    // (issue 13, finding 5): the second proctor cannot overrule the first alone.
    if (row.disputed && took_part) {
      return fail(Error(Errc::conflict, "two proctors disagreed on this session: a third proctor who has not decided it "
                                        "in this round must decide", "decision"));
    }
    VIGIL_TRY(c.staff.add_session_decision(row.device_id, row.session_id,
                                           {c.who.user_id, decision, note, c.now(), row.round}));
    std::string state, proposed, final_decision;
    std::int64_t proposed_by = 0;
    bool disputed = row.disputed;
    if (row.state == "awaiting_second") {
      // Invariant 5: the second proctor must be someone else.
      if (row.proposed_by == c.who.user_id) {
        return fail(Errc::conflict, "you proposed this decision; a second, different proctor must confirm it");
      }
      if (decision == row.proposed_decision) {
        state = "decided";
        final_decision = decision;
      } else {
        state = "open";   // the two proctors disagree: back for review by a third
        disputed = true;
      }
    } else if (adverse) {
      state = "awaiting_second";
      proposed = decision;
      proposed_by = c.who.user_id;
    } else {
      state = "decided";
      final_decision = decision;
    }
    VIGIL_TRY(c.staff.set_review_state(row.device_id, row.session_id, state, proposed, proposed_by, final_decision, disputed,
                                       c.now()));
    out["disputed"] = disputed;
    out["state"] = state;
    if (!final_decision.empty()) out["decision"] = final_decision;
    return c.audit("session.decide", target, decision + " -> " + state + ": " + note);
  }));
  return respond(200, out);
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
    {"GET", "/staff/api/councils/{council}/results", Permission::council_results, ScopeFrom::council, get_council_results},
    {"GET", "/staff/api/councils/{council}/results.csv", Permission::council_results, ScopeFrom::council, get_council_results_csv},
    {"POST", "/staff/api/councils/{council}/candidates/{candidate}/reendorse", Permission::candidates_write, ScopeFrom::council, post_reendorse},
    // Reports: equalities and item statistics (staff_equalities.cpp).
    {"GET", "/staff/api/reports/windows", Permission::reports_read, ScopeFrom::none, get_report_windows},
    {"GET", "/staff/api/reports/{assessment}/equalities", Permission::reports_read, ScopeFrom::none, get_equalities_report},
    {"GET", "/staff/api/reports/{assessment}/equalities.csv", Permission::reports_read, ScopeFrom::none, get_equalities_csv},
    {"GET", "/staff/api/reports/{assessment}/items", Permission::reports_read, ScopeFrom::none, get_item_statistics},
};

bool match(std::string_view pattern, const std::vector<std::string_view>& path, std::map<std::string, std::string>& params) {
  const auto pat = segments(pattern);
  if (pat.size() != path.size()) return false;
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < pat.size(); ++i) {
    if (pat[i].front() == '{') {
      if (!safe_id(path[i], 128) || path[i].find('/') != std::string_view::npos) return false;
      out[std::string(pat[i].substr(1, pat[i].size() - 2))] = std::string(path[i]);
    } else if (pat[i] != path[i]) {
      return false;
    }
  }
  params = std::move(out);
  return true;
}

// ---- pages ---

std::string content_type_for(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

std::optional<HttpResponse> page(std::string_view path) {
  auto segs = segments(path);
  std::string_view name = segs.size() == 1 ? std::string_view("index.html") : segs.size() == 2 ? segs[1] : std::string_view();
  if (name.empty()) return std::nullopt;
  for (const auto& f : staff_pages()) {
    if (f.name == name) {
      auto r = respond_bytes(content_type_for(name), std::string(f.text));
      r.headers["Cache-Control"] = "no-cache";
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace

// ---- authorisation (invariant 1) ---------------------------------------------------------------

std::vector<EndpointInfo> staff_endpoints() {
  std::vector<EndpointInfo> out;
  for (const auto& e : k_endpoints) out.push_back({e.method, e.pattern, e.permission});
  return out;
}

Status authorise(const Principal& who, Permission p, const Scope& scope, StaffRepository& repo) {
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
    case Permission::review_queue: return admin || proctor ? Status{} : deny();
    case Permission::marking: return who.role == Role::assessor ? Status{} : deny();
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

// The endpoints that need a recent re-authentication (invariant 7): every change to staff
// accounts, releasing results, and an adverse session decision (concerns, breach).
bool needs_reauth(const Endpoint& ep, const HttpRequest& req) {
  if (std::string_view(ep.method) == "GET") return false;
  if (ep.permission == Permission::users_manage) return true;
  const std::string_view pattern = ep.pattern;
  if (pattern == "/staff/api/results/windows/{assessment}/release") return true;
  if (pattern == "/staff/api/sessions/{device}/{session}/decision") {
    const auto body = json::parse(req.body, nullptr, false);
    return !(body.is_object() && body.value("decision", std::string()) == "no_concerns");
  }
  return false;
}

}  // namespace

HttpResponse route_request(Api& api, StaffApi& staff, const HttpRequest& request, const protocol::PeerIdentity& peer) {
  if (StaffApi::handles(request.path())) return staff.handle(request, peer);
  return api.handle(request, peer);
}

HttpResponse StaffApi::handle(const HttpRequest& request, const protocol::PeerIdentity& peer) {
  auto r = route(request, peer);
  HttpResponse out;
  if (r) {
    out = std::move(*r);
  } else {
    if (status_for(r.error().code) >= 500 && config_.log) {
      config_.log("event=staff_request_failed method=" + log_value(request.method) + " code=" + std::string(errc_name(r.error().code)) +
                  " detail=" + log_value(r.error().message));
    }
    out = error_response(r.error());
  }
  harden(out);
  return out;
}

Result<HttpResponse> StaffApi::route(const HttpRequest& req, const protocol::PeerIdentity& peer) {
  const std::string_view path = req.path();
  if (path.rfind("/staff/api/", 0) != 0) {
    if (req.method != "GET") return fail(Errc::invalid_argument, "method not allowed here");
    if (auto p = page(path)) return std::move(*p);
    return fail(Errc::not_found, "no such page");
  }
  if (path == "/staff/api/login") {
    if (req.method != "POST") return fail(Errc::invalid_argument, "use POST to sign in");
    return login(req, peer);
  }
  const auto segs = segments(path);
  const Endpoint* ep = nullptr;
  std::map<std::string, std::string> params;
  bool path_known = false;
  for (const auto& e : k_endpoints) {
    std::map<std::string, std::string> p;
    if (!match(e.pattern, segs, p)) continue;
    path_known = true;
    if (req.method == e.method) {
      ep = &e;
      params = std::move(p);
      break;
    }
  }
  if (!ep) return fail(path_known ? Errc::invalid_argument : Errc::not_found, path_known ? "method not allowed here" : "no such endpoint");

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
    return respond_error(401, "session_idle", "you were away for more than " + std::to_string(config_.idle_minutes) +
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
  if (!pending.empty() && ep->permission != Permission::account) return respond_error(403, pending, pending_message(pending));
  if (needs_reauth(*ep, req) && now - session->reauth_wall_ms > config_.reauth_minutes * k_minute_ms) {
    return respond_error(401, "reauth_required", "confirm your password (and code) to do this");
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
  VIGIL_TRY(authorise(who, ep->permission, scope, staff_));
  Ctx ctx{repo_, staff_, clock_, config_, req, who, std::move(params),
          std::string(reinterpret_cast<const char*>(token_hash.data()), token_hash.size()),
          results_ ? &*results_ : nullptr, *session, &*user, peer.remote_address};
  return ep->fn(ctx);
}

Result<HttpResponse> StaffApi::login(const HttpRequest& req, const protocol::PeerIdentity& peer) {
  return sign_in(SignInDeps{repo_, staff_, clock_, config_}, req, peer);
}

}  // namespace vigil::server::core
