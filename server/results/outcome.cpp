#include "server/results/outcome.hpp"

#include <algorithm>

#include "server/results/results.hpp"

namespace vigil::server {

SittingOutcomeView outcome_of(const SittingFactsRow& row) {
  SittingOutcomeView v;
  v.row = row;
  v.state = results::outcome_state(row.facts);
  v.pending = results::pending_checks(row.facts);
  switch (v.state) {
    case results::OutcomeState::void_after_review:
      v.since_wall_ms = row.void_wall_ms;
      v.public_reason = row.void_reason;
      break;
    case results::OutcomeState::withheld_identity:
      v.since_wall_ms = row.identity_withheld_wall_ms;
      v.public_reason = row.identity_reason;
      break;
    case results::OutcomeState::released:
    case results::OutcomeState::released_after_appeal: v.since_wall_ms = row.released_wall_ms; break;
    case results::OutcomeState::under_review: {
      const bool identity = row.facts.identity_pending || row.facts.identity_awaiting_second;
      v.since_wall_ms = row.submitted_wall_ms;
      if (!identity && row.review_since_wall_ms && (!v.since_wall_ms || *row.review_since_wall_ms > *v.since_wall_ms)) {
        v.since_wall_ms = row.review_since_wall_ms;
      }
      break;
    }
    case results::OutcomeState::not_released: break;
  }
  return v;
}

namespace {

std::vector<SittingOutcomeView> views(const std::vector<SittingFactsRow>& rows) {
  std::vector<SittingOutcomeView> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(outcome_of(r));
  return out;
}

}  // namespace

Result<std::optional<SittingOutcomeView>> sitting_outcome(ResultsRepository& results, std::string_view sitting_id) {
  VIGIL_ASSIGN(auto row, results.sitting_facts(sitting_id));
  if (!row) return std::optional<SittingOutcomeView>{};
  return std::optional<SittingOutcomeView>{outcome_of(*row)};
}

Result<std::vector<SittingOutcomeView>> candidate_outcomes(ResultsRepository& results, std::string_view candidate_id) {
  VIGIL_ASSIGN(auto rows, results.sitting_facts_of_candidate(candidate_id));
  return views(rows);
}

Result<std::vector<SittingOutcomeView>> window_outcomes(ResultsRepository& results, std::string_view assessment_id) {
  VIGIL_ASSIGN(auto rows, results.sitting_facts_of_assessment(assessment_id));
  return views(rows);
}

Result<std::vector<SittingOutcomeView>> council_outcomes(ResultsRepository& results, std::string_view council_id,
                                                         std::int64_t limit) {
  VIGIL_ASSIGN(auto rows, results.sitting_facts_of_council(council_id, limit));
  return views(rows);
}

WithheldCounts withheld_counts(const std::vector<SittingOutcomeView>& window) {
  using results::OutcomeState;
  using results::PendingCheck;
  WithheldCounts c;
  for (const auto& v : window) {
    switch (v.state) {
      case OutcomeState::under_review: ++c.under_review; break;
      case OutcomeState::void_after_review: ++c.void_after_review; break;
      case OutcomeState::withheld_identity: ++c.withheld_identity; break;
      case OutcomeState::not_released:
        if (v.row.outcome == "met" || v.row.outcome == "not_met") ++c.ready_to_release;
        break;
      case OutcomeState::released:
      case OutcomeState::released_after_appeal: break;
    }
    for (const auto p : v.pending) {
      switch (p) {
        case PendingCheck::review_open: ++c.review_open; break;
        case PendingCheck::review_awaiting_second: ++c.review_awaiting_second; break;
        case PendingCheck::identity_pending: ++c.identity_pending; break;
        case PendingCheck::identity_awaiting_second: ++c.identity_awaiting_second; break;
      }
    }
  }
  c.withheld = c.under_review + c.void_after_review + c.withheld_identity;
  return c;
}

Result<results::CandidateResults> candidate_results(ResultsRepository& results, std::string_view candidate_id,
                                                     AppealRepository* appeals, std::int64_t appeal_window_days) {
  results::CandidateResults out;
  VIGIL_ASSIGN(out.results, released_results_for(results, candidate_id));
  VIGIL_ASSIGN(auto all, candidate_outcomes(results, candidate_id));
  for (const auto& v : all) {
    // A sitting the candidate has not submitted (and that has no result or decision) is not news.
    if (!v.row.facts.submitted && v.row.outcome.empty() && v.state == results::OutcomeState::not_released) continue;
    const bool listed = std::any_of(out.results.begin(), out.results.end(),
                                    [&](const results::ReleasedResult& r) { return r.sitting_id == v.row.sitting_id; });
    // (2) A released state always comes with its result (released_results_for reads the same facts).
    if (results::is_released(v.state) && !listed) continue;
    results::SittingOutcome s{v.row.sitting_id, v.row.assessment_id, v.state, v.public_reason, std::nullopt, std::nullopt};
    if (appeals) {
      // The sitting's latest appeal, and until when its current decision may be appealed: a void
      // or withheld sitting with no appeal of this decision (schema 14; appeals.hpp invariant 2).
      VIGIL_ASSIGN(auto list, appeals->appeals_of_sitting(v.row.sitting_id));
      const AppealRow* latest = nullptr;
      for (const auto& a : list) {
        if (a.candidate_id == candidate_id) {
          latest = &a;
          break;
        }
      }
      if (latest) {
        results::SittingAppeal a;
        a.state = latest->state == "decided" ? "decided" : "received";
        a.lodged_wall_ms = latest->lodged_wall_ms;
        if (latest->state == "decided") {
          a.outcome = latest->outcome;
          a.decided_wall_ms = latest->decided_wall_ms;
          a.public_reason = latest->public_reason;
        }
        s.appeal = std::move(a);
      }
      const bool this_decision_appealed = latest && latest->lodged_wall_ms >= v.since_wall_ms.value_or(0);
      if (results::is_decided_hold(v.state) && !this_decision_appealed) {
        s.appeal_until_wall_ms = results::appeal_deadline_ms(v.since_wall_ms.value_or(0), appeal_window_days);
        // A decided appeal of an earlier decision is history: the page shows the new decision.
        if (latest && latest->state == "decided") s.appeal.reset();
      }
    }
    out.sittings.push_back(std::move(s));
  }
  return out;
}

}  // namespace vigil::server
