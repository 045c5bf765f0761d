#pragma once
// A sitting's outcome state in the server's results layer (issue 16 part 3; docs/RESULTS.md
// "Outcome states"): the facts the storage reads (ResultsRepository::sitting_facts, the
// sitting_outcome_facts view of schema 12) through the one rule (shared/results/outcome.hpp
// outcome_state), with what every reader shows beside the state. The device API's result
// endpoint, the council's status and results, the admin's withheld list and the CSV exports all
// call these; no page decides a state itself.
//
// Invariants:
//  (1) The public reason shown with a state is the deciding proctors' public reason (schema 12),
//      never a note: nothing here reads review_decisions.note or identity_decisions.note.
//  (2) A result reaches a candidate or council only while its state is released: a void result's
//      scores are never sent, even when it had been released before the decision.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/storage/appeals_repository.hpp"
#include "server/storage/results_repository.hpp"
#include "shared/results/appeal.hpp"
#include "shared/results/outcome.hpp"
#include "shared/results/released.hpp"

namespace vigil::server {

struct SittingOutcomeView {
  SittingFactsRow row;
  results::OutcomeState state = results::OutcomeState::not_released;
  std::vector<results::PendingCheck> pending;   // under_review: the checks not finished
  // Since when the sitting has been in its state: the decision (void, withheld), the release, or
  // for under_review the submission (the identity check starts then), or the current review
  // round's start when only a review holds it and began later. nullopt for not_released.
  std::optional<std::int64_t> since_wall_ms;
  std::string public_reason;                    // (1) void_after_review and withheld_identity only
};

SittingOutcomeView outcome_of(const SittingFactsRow& row);

Result<std::optional<SittingOutcomeView>> sitting_outcome(ResultsRepository& results, std::string_view sitting_id);
// Every sitting of the candidate, by scheduled start.
Result<std::vector<SittingOutcomeView>> candidate_outcomes(ResultsRepository& results, std::string_view candidate_id);
// Every sitting of the window, by sitting id.
Result<std::vector<SittingOutcomeView>> window_outcomes(ResultsRepository& results, std::string_view assessment_id);
// The council's candidates' sittings, by name then scheduled start; at most limit.
Result<std::vector<SittingOutcomeView>> council_outcomes(ResultsRepository& results, std::string_view council_id,
                                                         std::int64_t limit);

// What the admin's Results page counts for a window: the withheld sittings by state, the
// unfinished checks of those under review (a sitting can wait for two, and is counted under
// each), and the scored, decided results that the next release would release.
struct WithheldCounts {
  std::int64_t withheld = 0;            // under_review + void_after_review + withheld_identity
  std::int64_t under_review = 0;
  std::int64_t void_after_review = 0;
  std::int64_t withheld_identity = 0;
  std::int64_t review_open = 0;
  std::int64_t review_awaiting_second = 0;
  std::int64_t identity_pending = 0;
  std::int64_t identity_awaiting_second = 0;
  std::int64_t ready_to_release = 0;    // not_released, scored met or not met
};
WithheldCounts withheld_counts(const std::vector<SittingOutcomeView>& window);

// The device API's body (GET /v1/results?v=2 and v=3): the candidate's released results (2) and
// the state of every sitting they submitted (or that has a result or a decision). With `appeals`
// (v3), each sitting's latest appeal and, for a void or withheld one whose decision has no appeal
// yet, until when it may be appealed (schema 14, server/results/appeals.hpp).
Result<results::CandidateResults> candidate_results(ResultsRepository& results, std::string_view candidate_id,
                                                     AppealRepository* appeals = nullptr,
                                                     std::int64_t appeal_window_days = results::k_default_appeal_window_days);

}  // namespace vigil::server
