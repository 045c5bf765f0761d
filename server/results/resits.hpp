#pragma once
// Windows, release and resits for the staff results pages (docs/RESULTS.md "Scoring and release",
// "Not met, and re-endorsement"): what a programme admin sees per assessment window, and the
// re-endorsement that lets a candidate whose released result is "not met" sit again.
//
// Invariants:
//  (1) Only a released "not met" result of a council's own candidate is re-endorsed, at most once
//      (resits.resit_of is the primary key).
//  (2) A candidate whose latest released result is "not met" is scheduled again only after a
//      re-endorsement, and then only once: the new sitting becomes the resit (attempt n + 1,
//      resit_of = the not-met sitting). schedule_attempt is the scheduling path that keeps this;
//      schedule_sitting (packages.hpp) underneath it does not look at results.
//  (3) A sitting is unique per (candidate, assessment): a resit is always in a later window
//      (another assessment id), and a sitting whose result is released is never moved.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "server/storage/repository.hpp"
#include "server/storage/results_repository.hpp"
#include "shared/time/clock.hpp"

namespace vigil::server {

// The candidate's latest released result (by release time), if any.
Result<std::optional<ResultRow>> latest_released(ResultsRepository& results, std::string_view candidate_id);

// The attempt number of a sitting: 1, or the resit's attempt.
Result<std::int64_t> attempt_of(ResitRepository& resits, std::string_view sitting_id);

// (1) Records a council manager's re-endorsement of the candidate's latest released result, which
// must be "not met" and of a candidate of council_id. Returns the row (attempt of the resit).
Result<ResitRow> reendorse_for_resit(Repository& repo, ResultsRepository& results, ResitRepository& resits,
                                     std::string_view candidate_id, std::string_view council_id, std::int64_t by_user,
                                     const time::Clock& clock);

// (2)(3) Schedules (or moves) the candidate's sitting of an assessment as schedule_sitting does,
// refusing a candidate whose latest released result is "not met" without a re-endorsement, and
// linking the new sitting to the not-met one when there is.
struct ScheduledAttempt {
  SittingRow sitting;
  std::int64_t attempt = 1;
  std::optional<std::string> resit_of;
};
Result<ScheduledAttempt> schedule_attempt(Repository& repo, ResultsRepository& results, ResitRepository& resits,
                                          std::string_view candidate_id, std::string_view assessment_id,
                                          std::optional<std::uint32_t> version, std::int64_t start_ms,
                                          std::int64_t window_hours, const time::Clock& clock);

}  // namespace vigil::server
