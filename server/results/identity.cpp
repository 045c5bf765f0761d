#include "server/results/identity.hpp"

#include <algorithm>
#include <array>

#include "shared/results/outcome.hpp"

namespace vigil::server {

namespace {

constexpr std::array<std::string_view, 3> k_decisions{"matches", "does_not_match", "cannot_tell"};

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

}  // namespace

Result<IdentityStep> identity_step(const IdentityCheckState& check, std::string_view decision, std::string_view note,
                                   std::string_view public_reason, std::int64_t by) {
  if (std::find(k_decisions.begin(), k_decisions.end(), decision) == k_decisions.end()) {
    return fail(Error(Errc::invalid_argument, "decision must be matches, does_not_match or cannot_tell", "decision"));
  }
  if (decision != "matches" && blank(note)) {
    return fail(Error(Errc::invalid_argument, "say in a note what you saw: a mismatch or a doubt needs reasons", "note"));
  }
  IdentityStep step;
  if (decision == "does_not_match") {
    VIGIL_ASSIGN(step.public_reason, results::check_public_reason(public_reason));
  } else if (!blank(public_reason)) {
    return fail(Error(Errc::invalid_argument, "only \"does not match\" takes a public reason", "public_reason"));
  }
  if (check.state == "decided") return fail(Errc::conflict, "this identity check has already been decided");
  if (check.state == "open") {
    if (by != check.proctor_id) return fail(Errc::forbidden, "this identity check is not assigned to you");
    if (decision == "matches") {
      step.state = "decided";
      step.decision = "matches";
    } else {
      step.state = "awaiting_second";
      step.proposed_decision = std::string(decision);
      step.proposed_by = by;
    }
    return step;
  }
  // awaiting_second
  if (by == check.proposed_by || by == check.proctor_id) {
    return fail(Errc::conflict, "you made the first decision; a second, different proctor must decide this check");
  }
  if (check.second_proctor_id == 0 || by != check.second_proctor_id) {
    return fail(Errc::forbidden, "this identity check is not assigned to you as its second proctor");
  }
  if (decision == "cannot_tell") {
    return fail(Error(Errc::invalid_argument, "as the second proctor, decide matches or does_not_match", "decision"));
  }
  step.state = "decided";
  step.decision = std::string(decision);
  step.stage = 2;
  return step;
}

bool may_see_identity(const IdentityCheckState& check, std::int64_t proctor_id) {
  if (proctor_id == 0) return false;
  if (check.proctor_id == proctor_id) return true;
  return check.state != "open" && check.second_proctor_id == proctor_id;
}

}  // namespace vigil::server
