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

namespace vigil::server::staff_detail {

Result<Bytes> open_session_blob(Ctx& c, std::string_view device_id, std::string_view sha_hex,
                                std::initializer_list<std::string_view> contexts) {
  auto sha = from_hex(sha_hex);
  if (!sha || sha->size() != 32) return fail(Errc::not_found, "this session has no such evidence");
  VIGIL_ASSIGN(auto blob, c.repo.blob(device_id, *sha));
  if (!blob || !blob->complete) return fail(Errc::not_found, "this evidence has not arrived from the device yet");
  if (!c.config.evidence_key) return fail(Errc::unavailable, "the server has no evidence key loaded; evidence cannot be opened");
  VIGIL_ASSIGN(auto sealed, c.repo.read_blob(*blob, 0, static_cast<std::size_t>(blob->size)));
  for (const auto context : contexts) {
    if (auto opened = crypto::open_sealed(*c.config.evidence_key, sealed, as_bytes(context))) return std::move(*opened);
  }
  return fail(Errc::integrity, "this evidence could not be opened: it is damaged or was not sealed for this session");
}

HttpResponse image_response(const Bytes& b) {
  std::string type = "application/octet-stream";
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) type = "image/jpeg";
  if (b.size() >= 8 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') type = "image/png";
  auto r = bytes_response(std::move(type), std::string(as_chars(b)));
  r.headers["Content-Disposition"] = "inline";
  return r;
}


Result<std::string> str_field(ObjectReader& in, std::string_view name, std::size_t max_len, bool required) {
  VIGIL_ASSIGN(auto v, in.optional_string(name, max_len));
  if (required && (!v || v->empty())) {
    return fail(Error(Errc::invalid_argument, std::string(name) + " is required", std::string(name)));
  }
  return v.value_or(std::string());
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

json timing_json(std::int64_t since_wall_ms, std::int64_t now_ms, std::int64_t target_hours) {
  const std::int64_t age = std::max<std::int64_t>(0, now_ms - since_wall_ms);
  const std::int64_t target = target_hours * 60 * k_minute_ms;
  return json{{"age_ms", age}, {"target_ms", target}, {"due_wall_ms", since_wall_ms + target}, {"overdue", age > target}};
}

std::int64_t target_hours(const StaffApiConfig& config, WorkKind kind) {
  return kind == WorkKind::review ? config.review_target_hours : config.identity_target_hours;
}

}  // namespace vigil::server::staff_detail
