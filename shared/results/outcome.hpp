#pragma once
// A sitting's outcome state (issue 16 part 3; docs/RESULTS.md "Outcome states"): the one rule
// that turns what is recorded about a sitting (submitted, released, proctor review, identity
// check, decisions that withhold it) into what the candidate, their council and the programme are
// shown. Pure: the server's storage gathers the facts (the sitting_outcome_facts view, schema 12)
// and every reader of a state calls outcome_state(): the device API's result endpoint, the
// council's status and results, the admin's withheld list, release, the CSV exports. The
// completion status filters by state in SQL through the same function, registered with SQLite as
// vigil_outcome_state() (server/storage/sqlite_repository.cpp).
//
// The rule, first match wins:
//  (1) void_after_review: an adverse review decision ("concerns" or "breach", confirmed by two
//      proctors) stands against the sitting. It wins over a release: a decision reached after a
//      release (a late flag opened a new round) makes that released result void.
//  (2) withheld_identity: two proctors found that the identity photos do not match the roster.
//  (3) released: the result was released (met or not met); released_after_appeal when it was
//      released after an appeal overturned the decision that had voided or withheld it (issue 16
//      part 4, docs/RESULTS.md "Appeals"): the decision's hold is lifted, so (1) and (2) no longer
//      match, and the words say why the result is out after all.
//  (4) under_review: the sitting was submitted and a proctor review is open or awaits a second
//      proctor, or an identity check is not decided (open, or awaiting a second proctor). Every
//      submitted sitting passes through this state: every sitting's identity is checked by a
//      person. A review that opens after a release leaves the result released until a decision.
//  (5) not_released: anything else (not submitted, awaiting marking, scored and waiting for the
//      window's release).
// Release releases exactly the scored, decided (met / not met) results whose state is
// not_released. An appeal that is lodged or being decided changes no state: the appeal has its own
// status beside the state (shared/results/appeal.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/core/names.hpp"
#include "shared/core/result.hpp"
#include "shared/protocol/json_reader.hpp"

namespace vigil::results {

enum class OutcomeState { not_released, under_review, void_after_review, withheld_identity, released, released_after_appeal };

inline constexpr Names<OutcomeState, 6> k_outcome_state_names{{{OutcomeState::not_released, "not_released"},
                                                               {OutcomeState::under_review, "under_review"},
                                                               {OutcomeState::void_after_review, "void_after_review"},
                                                               {OutcomeState::withheld_identity, "withheld_identity"},
                                                               {OutcomeState::released, "released"},
                                                               {OutcomeState::released_after_appeal, "released_after_appeal"}}};
std::string_view outcome_state_name(OutcomeState s) noexcept;
std::optional<OutcomeState> parse_outcome_state(std::string_view s) noexcept;

// The words every page and export uses for a state (docs/RESULTS.md "Outcome states"):
// "Not yet released", "Withheld: under review", "Void following a review",
// "Withheld: identity not confirmed", "Released", "Released after an appeal".
std::string_view outcome_state_label(OutcomeState s) noexcept;

// released and released_after_appeal: the result (and its certificate) reaches the candidate and
// their council.
bool is_released(OutcomeState s) noexcept;

// void_after_review and withheld_identity: a decision of two proctors holds the result back, with
// a public reason; what a candidate may appeal.
bool is_decided_hold(OutcomeState s) noexcept;

// True for the states in which a result is kept back by a check or a decision: the admin's
// withheld list (under_review, void_after_review, withheld_identity).
bool is_withheld(OutcomeState s) noexcept;

// What is recorded about one sitting (of its own candidate's devices and sessions only).
struct OutcomeFacts {
  bool submitted = false;                 // a session.submitted record arrived
  bool released = false;                  // its result was released
  bool void_after_review = false;         // an adverse review decision withholds it (not lifted)
  bool identity_withheld = false;         // a confirmed "does not match" withholds it (not lifted)
  bool review_open = false;               // a proctor review waits for a (first) decision
  bool review_awaiting_second = false;    // an adverse proposal waits for a second proctor
  bool identity_pending = false;          // a submitted session's identity check has no decision yet
  bool identity_awaiting_second = false;  // "does not match" or "cannot tell" waits for a second proctor
  bool appeal_overturned = false;         // an appeal overturned a decision that held it (schema 14)
};

// The rule above: the one place a state is decided.
OutcomeState outcome_state(const OutcomeFacts& f) noexcept;

// Why a sitting is under review: each check that is not finished (none unless the state is
// under_review). Counted one by one on the admin's Results page: a sitting can wait for both.
enum class PendingCheck { review_open, review_awaiting_second, identity_pending, identity_awaiting_second };
inline constexpr Names<PendingCheck, 4> k_pending_check_names{{{PendingCheck::review_open, "review_open"},
                                                           {PendingCheck::review_awaiting_second, "review_awaiting_second"},
                                                           {PendingCheck::identity_pending, "identity_pending"},
                                                           {PendingCheck::identity_awaiting_second, "identity_awaiting_second"}}};
std::string_view pending_check_name(PendingCheck h) noexcept;
// "proctor review not decided", "proctor review awaiting a second proctor", "identity check not
// decided", "identity check awaiting a second proctor".
std::string_view pending_check_label(PendingCheck h) noexcept;
std::vector<PendingCheck> pending_checks(const OutcomeFacts& f);

// The short reason the deciding proctors give for an adverse decision (a void or withheld result),
// which the candidate and their council see; never the proctors' notes. Trimmed; 1 to
// k_public_reason_max bytes of UTF-8 on one line. invalid_argument (field "public_reason") when it
// is not.
inline constexpr std::size_t k_public_reason_max = 300;
Result<std::string> check_public_reason(std::string_view text);

// The candidate's appeal of a sitting, as their device is told it (GET /v1/results?v=3; schema 14,
// docs/RESULTS.md "Appeals"). received: the programme holds it (lodged, with a reviewer, or with
// a proposed outcome: the candidate is not told which); decided: upheld (the decision stands) or
// overturned (the result is released), with the deciding reviewers' public reason.
struct SittingAppeal {
  std::string state;              // received | decided
  std::int64_t lodged_wall_ms = 0;
  std::string outcome;            // upheld | overturned, once decided
  std::int64_t decided_wall_ms = 0;
  std::string public_reason;      // once decided
  bool operator==(const SittingAppeal&) const = default;
};

// One sitting as the candidate's device receives it (GET /v1/results?v=2 and v=3,
// shared/results/released.hpp). public_reason: for void_after_review and withheld_identity only;
// may be empty for a decision recorded before public reasons existed (schema 12). Version 3 adds
// released_after_appeal (version 2 says released), the appeal, and until when the decision may be
// appealed (a void or withheld sitting without an appeal of its decision).
struct SittingOutcome {
  std::string sitting_id;
  std::string assessment_id;
  OutcomeState state = OutcomeState::not_released;
  std::string public_reason;
  std::optional<SittingAppeal> appeal;                  // v3
  std::optional<std::int64_t> appeal_until_wall_ms;     // v3
  bool operator==(const SittingOutcome&) const = default;
};
// version 2: released_after_appeal is sent as released, and no appeal fields.
nlohmann::json to_json(const SittingOutcome& s, int version = 3);
Result<SittingOutcome> decode_sitting_outcome(protocol::ObjectReader& r, int version = 3);

}  // namespace vigil::results
