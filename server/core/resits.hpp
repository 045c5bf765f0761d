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

#include "server/core/repository.hpp"
#include "server/core/results_repository.hpp"
#include "server/core/sqlite_repository.hpp"
#include "shared/time/clock.hpp"

namespace vigil::server::core {

struct ResitRow {
  std::string resit_of;        // the not-met sitting
  std::string candidate_id;
  std::int64_t attempt = 2;    // of the resit
  std::int64_t endorsed_by = 0;
  std::int64_t endorsed_wall_ms = 0;
  std::optional<std::string> sitting_id;  // the resit, once scheduled
};

// One assessment window's counts for the admin's Results page.
struct WindowSummary {
  std::string assessment_id;
  std::int64_t sittings = 0;
  std::int64_t submitted = 0;    // a device has sent session.submitted
  std::int64_t scored = 0;       // has a result
  std::int64_t incomplete = 0;   // scored, awaiting marking (written marks missing)
  std::int64_t met = 0;
  std::int64_t not_met = 0;
  std::int64_t released = 0;
};

// A released result of one of a council's candidates.
struct CouncilResultRow {
  ResultRow result;
  std::string full_name;
};

class ResitRepository {
 public:
  virtual ~ResitRepository() = default;
  virtual Status add_resit(const ResitRow& r) = 0;  // conflict when the sitting was re-endorsed already
  virtual Result<std::optional<ResitRow>> resit_of(std::string_view not_met_sitting_id) = 0;
  // The re-endorsement whose resit is this sitting; nullopt for a first attempt.
  virtual Result<std::optional<ResitRow>> resit_by_sitting(std::string_view sitting_id) = 0;
  virtual Status link_resit(std::string_view not_met_sitting_id, std::string_view sitting_id, std::int64_t now_ms) = 0;
  // Every window that has a sitting, by assessment id.
  virtual Result<std::vector<WindowSummary>> windows() = 0;
  // Sittings of the window that a device has submitted and whose result is not released.
  virtual Result<std::vector<std::string>> submitted_unreleased(std::string_view assessment_id) = 0;
  // The released results of the council's candidates (never an unreleased one), by name then
  // release time; at most limit rows.
  virtual Result<std::vector<CouncilResultRow>> released_of_council(std::string_view council_id, std::int64_t limit) = 0;
};

class SqliteResitRepository final : public ResitRepository {
 public:
  explicit SqliteResitRepository(SqliteRepository& base) : base_(base) {}
  Status add_resit(const ResitRow& r) override;
  Result<std::optional<ResitRow>> resit_of(std::string_view not_met_sitting_id) override;
  Result<std::optional<ResitRow>> resit_by_sitting(std::string_view sitting_id) override;
  Status link_resit(std::string_view not_met_sitting_id, std::string_view sitting_id, std::int64_t now_ms) override;
  Result<std::vector<WindowSummary>> windows() override;
  Result<std::vector<std::string>> submitted_unreleased(std::string_view assessment_id) override;
  Result<std::vector<CouncilResultRow>> released_of_council(std::string_view council_id, std::int64_t limit) override;

 private:
  SqliteRepository& base_;
};

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

}  // namespace vigil::server::core
