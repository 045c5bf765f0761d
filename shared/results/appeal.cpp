#include "shared/results/appeal.hpp"

#include "shared/core/utf8.hpp"
#include "shared/protocol/json_reader.hpp"

namespace vigil::results {

Result<std::string> check_appeal_reason(std::string_view text) {
  const auto bad = [](std::string what) { return fail(Error(Errc::invalid_argument, std::move(what), "reason")); };
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  if (text.empty()) return bad("say in your own words why you think the decision is wrong");
  if (text.size() > k_appeal_reason_max) {
    return bad("your reason is longer than " + std::to_string(k_appeal_reason_max) + " characters: please shorten it");
  }
  if (!is_valid_utf8(text)) return bad("your reason is not UTF-8 text");
  for (const unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f) {
      return bad("your reason contains characters that are not text");
    }
  }
  return std::string(text);
}

nlohmann::json to_json(const AppealRequest& a) {
  return {{"v", 1}, {"request_id", a.request_id}, {"reason", a.reason}, {"written_wall_ms", a.written_wall_ms}};
}

Result<AppealRequest> parse_appeal_request(std::string_view body) {
  return protocol::parse_top<AppealRequest>(body, [](protocol::ObjectReader& r) -> Result<AppealRequest> {
    VIGIL_TRY(r.version(1));
    AppealRequest a;
    VIGIL_ASSIGN(a.request_id, r.non_empty_string("request_id", 64));
    if (a.request_id.size() < 16 || a.request_id.find_first_not_of("0123456789abcdef-") != std::string::npos) {
      return fail(r.error("request_id", "expected 16 to 64 characters of 0-9, a-f and -"));
    }
    VIGIL_ASSIGN(auto reason, r.string("reason", 4 * k_appeal_reason_max));
    VIGIL_ASSIGN(a.reason, check_appeal_reason(reason));
    VIGIL_ASSIGN(a.written_wall_ms, r.integer("written_wall_ms"));
    VIGIL_TRY(r.finish());
    return a;
  });
}

std::int64_t appeal_deadline_ms(std::int64_t decided_wall_ms, std::int64_t window_days) noexcept {
  constexpr std::int64_t day = 86'400'000;
  const std::int64_t start = decided_wall_ms >= 0 ? decided_wall_ms / day * day : (decided_wall_ms - day + 1) / day * day;
  return start + (window_days + 1) * day;
}

}  // namespace vigil::results
