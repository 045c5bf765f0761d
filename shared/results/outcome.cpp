#include "shared/results/outcome.hpp"

#include "shared/core/utf8.hpp"

namespace vigil::results {

std::string_view outcome_state_name(OutcomeState s) noexcept { return name_of(k_outcome_state_names, s); }

std::optional<OutcomeState> parse_outcome_state(std::string_view s) noexcept { return value_named(k_outcome_state_names, s); }

std::string_view outcome_state_label(OutcomeState s) noexcept {
  switch (s) {
    case OutcomeState::not_released: return "Not yet released";
    case OutcomeState::under_review: return "Withheld: under review";
    case OutcomeState::void_after_review: return "Void following a review";
    case OutcomeState::withheld_identity: return "Withheld: identity not confirmed";
    case OutcomeState::released: return "Released";
    case OutcomeState::released_after_appeal: return "Released after an appeal";
  }
  return "Not yet released";
}

bool is_released(OutcomeState s) noexcept {
  return s == OutcomeState::released || s == OutcomeState::released_after_appeal;
}

bool is_decided_hold(OutcomeState s) noexcept {
  return s == OutcomeState::void_after_review || s == OutcomeState::withheld_identity;
}

bool is_withheld(OutcomeState s) noexcept {
  return s == OutcomeState::under_review || s == OutcomeState::void_after_review || s == OutcomeState::withheld_identity;
}

OutcomeState outcome_state(const OutcomeFacts& f) noexcept {
  if (f.void_after_review) return OutcomeState::void_after_review;   // (1)
  if (f.identity_withheld) return OutcomeState::withheld_identity;   // (2)
  if (f.released) return f.appeal_overturned ? OutcomeState::released_after_appeal : OutcomeState::released;  // (3)
  if (f.submitted && (f.review_open || f.review_awaiting_second || f.identity_pending || f.identity_awaiting_second)) {
    return OutcomeState::under_review;                                // (4)
  }
  return OutcomeState::not_released;                                  // (5)
}

std::string_view pending_check_name(PendingCheck h) noexcept { return name_of(k_pending_check_names, h); }

std::string_view pending_check_label(PendingCheck h) noexcept {
  switch (h) {
    case PendingCheck::review_open: return "proctor review not decided";
    case PendingCheck::review_awaiting_second: return "proctor review awaiting a second proctor";
    case PendingCheck::identity_pending: return "identity check not decided";
    case PendingCheck::identity_awaiting_second: return "identity check awaiting a second proctor";
  }
  return "proctor review not decided";
}

std::vector<PendingCheck> pending_checks(const OutcomeFacts& f) {
  std::vector<PendingCheck> out;
  if (outcome_state(f) != OutcomeState::under_review) return out;
  if (f.review_open) out.push_back(PendingCheck::review_open);
  if (f.review_awaiting_second) out.push_back(PendingCheck::review_awaiting_second);
  if (f.identity_pending) out.push_back(PendingCheck::identity_pending);
  if (f.identity_awaiting_second) out.push_back(PendingCheck::identity_awaiting_second);
  return out;
}

Result<std::string> check_public_reason(std::string_view text) {
  const auto bad = [](std::string what) { return fail(Error(Errc::invalid_argument, std::move(what), "public_reason")); };
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  if (text.empty()) {
    return bad("give a short public reason: the candidate and their council see it (never your notes)");
  }
  if (text.size() > k_public_reason_max) {
    return bad("the public reason is longer than " + std::to_string(k_public_reason_max) + " bytes: keep it to a sentence or two");
  }
  if (!is_valid_utf8(text)) return bad("the public reason is not UTF-8 text");
  for (const unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return bad("the public reason must be one line of text, without control characters");
  }
  return std::string(text);
}

nlohmann::json to_json(const SittingOutcome& s, int version) {
  const auto state = version < 3 && s.state == OutcomeState::released_after_appeal ? OutcomeState::released : s.state;
  nlohmann::json j{{"sitting_id", s.sitting_id}, {"assessment_id", s.assessment_id}, {"state", outcome_state_name(state)}};
  if (is_decided_hold(s.state)) j["public_reason"] = s.public_reason;
  if (version >= 3) {
    if (s.appeal) {
      nlohmann::json a{{"state", s.appeal->state}, {"lodged_wall_ms", s.appeal->lodged_wall_ms}};
      if (s.appeal->state == "decided") {
        a["outcome"] = s.appeal->outcome;
        a["decided_wall_ms"] = s.appeal->decided_wall_ms;
        a["public_reason"] = s.appeal->public_reason;
      }
      j["appeal"] = std::move(a);
    }
    if (s.appeal_until_wall_ms) j["appeal_until_wall_ms"] = *s.appeal_until_wall_ms;
  }
  return j;
}

Result<SittingOutcome> decode_sitting_outcome(protocol::ObjectReader& r, int version) {
  SittingOutcome s;
  VIGIL_ASSIGN(s.sitting_id, r.non_empty_string("sitting_id", 128));
  VIGIL_ASSIGN(s.assessment_id, r.non_empty_string("assessment_id", 128));
  VIGIL_ASSIGN(s.state, protocol::read_name(r, "state", k_outcome_state_names, 32));
  if (version < 3 && s.state == OutcomeState::released_after_appeal) {
    return fail(r.error("state", "released_after_appeal is a state of version 3"));
  }
  VIGIL_ASSIGN(auto reason, r.optional_string("public_reason", 4 * k_public_reason_max));
  if (reason && !is_decided_hold(s.state)) return fail(r.error("public_reason", "is given only for a void or withheld result"));
  s.public_reason = reason.value_or("");
  if (version >= 3) {
    VIGIL_ASSIGN(auto appeal, r.optional_object("appeal"));
    if (appeal) {
      SittingAppeal a;
      VIGIL_ASSIGN(a.state, appeal->non_empty_string("state", 16));
      if (a.state != "received" && a.state != "decided") return fail(appeal->error("state", "expected received or decided"));
      VIGIL_ASSIGN(a.lodged_wall_ms, appeal->integer("lodged_wall_ms"));
      if (a.state == "decided") {
        VIGIL_ASSIGN(a.outcome, appeal->non_empty_string("outcome", 16));
        if (a.outcome != "upheld" && a.outcome != "overturned") {
          return fail(appeal->error("outcome", "expected upheld or overturned"));
        }
        VIGIL_ASSIGN(a.decided_wall_ms, appeal->integer("decided_wall_ms"));
        VIGIL_ASSIGN(a.public_reason, appeal->string("public_reason", 4 * k_public_reason_max));
      }
      VIGIL_TRY(appeal->finish());
      s.appeal = std::move(a);
    }
    VIGIL_ASSIGN(s.appeal_until_wall_ms, r.optional_integer("appeal_until_wall_ms"));
    if (s.appeal_until_wall_ms && !is_decided_hold(s.state)) {
      return fail(r.error("appeal_until_wall_ms", "is given only for a void or withheld result"));
    }
  }
  VIGIL_TRY(r.finish());
  return s;
}

}  // namespace vigil::results
