#include "server/results/resits.hpp"

#include "server/packages/packages.hpp"
#include "shared/time/format.hpp"
#include "shared/certificate/credential.hpp"

namespace vigil::server {

Result<std::optional<ResultRow>> latest_released(ResultsRepository& results, std::string_view candidate_id) {
  VIGIL_ASSIGN(auto rows, results.results_of_candidate(candidate_id));
  std::optional<ResultRow> best;
  for (auto& r : rows) {
    if (!r.released_wall_ms) continue;
    if (!best || *r.released_wall_ms > *best->released_wall_ms ||
        (*r.released_wall_ms == *best->released_wall_ms && r.scored_wall_ms > best->scored_wall_ms)) {
      best = std::move(r);
    }
  }
  return best;
}

Result<std::int64_t> attempt_of(ResitRepository& resits, std::string_view sitting_id) {
  VIGIL_ASSIGN(auto r, resits.resit_by_sitting(sitting_id));
  return r ? r->attempt : std::int64_t{1};
}

Result<ResitRow> reendorse_for_resit(Repository& repo, ResultsRepository& results, ResitRepository& resits,
                                     std::string_view candidate_id, std::string_view council_id, std::int64_t by_user,
                                     const time::Clock& clock) {
  VIGIL_ASSIGN(auto candidate, repo.candidate(candidate_id));
  // Another council's candidate is "not found", as everywhere on the council pages.
  if (!candidate || candidate->council_id != council_id) return fail(Errc::not_found, "no such candidate in this council");
  VIGIL_ASSIGN(auto latest, latest_released(results, candidate_id));
  if (!latest) {
    return fail(Errc::conflict, candidate->full_name + " has no released result yet; only a released \"not met\" result can be "
                                "re-endorsed for a resit");
  }
  if (latest->outcome != "not_met") {
    return fail(Errc::conflict, candidate->full_name + "'s latest released result is met; there is nothing to resit");
  }
  // A result voided by a review decision after its release is not a "not met" to resit: what
  // follows a void result is the programme's decision (docs/RESULTS.md "Outcome states").
  VIGIL_ASSIGN(auto facts, results.sitting_facts(latest->sitting_id));
  if (facts && results::outcome_state(facts->facts) == results::OutcomeState::void_after_review) {
    return fail(Errc::conflict, candidate->full_name + "'s latest result is void following a review; it cannot be "
                                "re-endorsed for a resit");
  }
  VIGIL_ASSIGN(auto existing, resits.resit_of(latest->sitting_id));
  if (existing) {
    return fail(Errc::conflict, candidate->full_name + " was already re-endorsed for a resit on " +
                                    time::utc_date(existing->endorsed_wall_ms));
  }
  VIGIL_ASSIGN(auto attempt, attempt_of(resits, latest->sitting_id));
  ResitRow r{latest->sitting_id, std::string(candidate_id), attempt + 1, by_user, clock.wall_ms(), std::nullopt};
  VIGIL_TRY(resits.add_resit(r));
  return r;
}

Result<ScheduledAttempt> schedule_attempt(Repository& repo, ResultsRepository& results, ResitRepository& resits,
                                          std::string_view candidate_id, std::string_view assessment_id,
                                          std::optional<std::uint32_t> version, std::int64_t start_ms,
                                          std::int64_t window_hours, const time::Clock& clock) {
  VIGIL_ASSIGN(auto existing, repo.sitting_of(candidate_id, assessment_id));
  if (existing) {
    // (3) Moving a sitting: allowed until its result is released; it keeps its attempt.
    VIGIL_ASSIGN(auto result, results.result(existing->sitting_id));
    if (result && result->released_wall_ms) {
      return fail(Errc::conflict, "sitting " + existing->sitting_id + " of " + std::string(assessment_id) +
                                      " already has a released result and cannot be moved; a resit is a new sitting in a "
                                      "later window: schedule it with that window's assessment id");
    }
    VIGIL_ASSIGN(auto moved, schedule_sitting(repo, candidate_id, assessment_id, version, start_ms, window_hours, clock));
    VIGIL_ASSIGN(auto link, resits.resit_by_sitting(moved.sitting_id));
    if (link) return ScheduledAttempt{std::move(moved), link->attempt, link->resit_of};
    // A resit left unlinked by a failure after schedule_sitting (below) is linked on the move.
    VIGIL_ASSIGN(auto latest, latest_released(results, candidate_id));
    if (latest && latest->outcome == "not_met" && latest->sitting_id != moved.sitting_id) {
      VIGIL_ASSIGN(auto pending, resits.resit_of(latest->sitting_id));
      if (pending && !pending->sitting_id) {
        VIGIL_TRY(repo.transaction([&]() -> Status { return resits.link_resit(pending->resit_of, moved.sitting_id, clock.wall_ms()); }));
        return ScheduledAttempt{std::move(moved), pending->attempt, pending->resit_of};
      }
    }
    return ScheduledAttempt{std::move(moved), 1, std::nullopt};
  }
  // (2) A new sitting after a released "not met" needs a re-endorsement that has no resit yet.
  VIGIL_ASSIGN(auto latest, latest_released(results, candidate_id));
  std::optional<ResitRow> resit;
  if (latest && latest->outcome == "not_met") {
    VIGIL_ASSIGN(resit, resits.resit_of(latest->sitting_id));
    if (!resit) {
      return fail(Errc::conflict, "candidate " + std::string(candidate_id) + "'s latest result (sitting " + latest->sitting_id +
                                      ", released " + time::utc_date(*latest->released_wall_ms) +
                                      ") is not met: their council manager must re-endorse them for a resit (council page, "
                                      "Results) before they are scheduled again");
    }
    if (resit->sitting_id) {
      return fail(Errc::conflict, "candidate " + std::string(candidate_id) + " already has their resit scheduled (sitting " +
                                      *resit->sitting_id + "); move that sitting instead of adding another");
    }
  }
  VIGIL_ASSIGN(auto s, schedule_sitting(repo, candidate_id, assessment_id, version, start_ms, window_hours, clock));
  if (!resit) return ScheduledAttempt{std::move(s), 1, std::nullopt};
  // A separate transaction from schedule_sitting's (they do not nest); if this step fails the
  // sitting exists unlinked, and scheduling the same window again (a move) links it.
  VIGIL_TRY(repo.transaction([&]() -> Status { return resits.link_resit(resit->resit_of, s.sitting_id, clock.wall_ms()); }));
  return ScheduledAttempt{std::move(s), resit->attempt, resit->resit_of};
}

}  // namespace vigil::server
