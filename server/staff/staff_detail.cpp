#include "server/staff/staff_detail.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/staff/staff_detail.hpp"
#include "shared/core/log.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/crypto/random.hpp"
#include "shared/crypto/sealed_box.hpp"

namespace vigil::server::core::staff_detail {


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

}  // namespace vigil::server::core::staff_detail
