#pragma once
// ResultsRepository: what scoring, release and certificates store (schema 4,
// migrations/004_results.sql), behind an interface like Repository so SQL stays in the storage
// implementation. The SQLite implementation shares SqliteRepository's connection and lock, so a
// change spanning both is one Repository::transaction.
//
// Invariants the implementations keep:
//  (1) A released result is never overwritten: put_result on a released sitting fails (conflict).
//  (2) Release only sets released_wall_ms on results that are decided (met / not_met) and not yet
//      released; incomplete results stay unreleased.
//  (3) A revoked credential stays revoked (revoking again keeps the first time and reason).
//  (4) Release skips a sitting whose proctor review (of its own candidate's devices) is open or
//      awaiting a second proctor, or has an adverse outcome (concerns or breach, confirmed by two
//      proctors) in any round; those are counted as withheld (issue 13, finding 3).
//  (5) Release also skips a sitting with a submitted session of its own candidate whose identity
//      check is not decided (or missing), and a sitting withheld by a decision (withheld_results,
//      not lifted: reason 'identity' after two proctors found the photos do not match); schema 11.
//  (6) Invariants 4 and 5 are one rule since schema 12: release releases a scored, decided result
//      exactly when outcome_state() (shared/results/outcome.hpp) of its sitting's facts
//      (sitting_facts, the sitting_outcome_facts view) is not_released. An adverse review outcome
//      is read from its withheld_results row (reason 'conduct'), which the schema writes with it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/core/result.hpp"
#include "shared/results/outcome.hpp"
#include "shared/results/scoring.hpp"

namespace vigil::server {

struct ResultRow {
  std::string sitting_id;
  std::string candidate_id;
  std::string assessment_id;
  std::uint32_t version = 0;
  std::string outcome;          // results::outcome_name
  std::string report_json;      // results::to_json(report, true)
  std::int64_t scored_wall_ms = 0;
  std::optional<std::int64_t> released_wall_ms;
};

struct CredentialRow {
  std::string credential_id;
  std::string sitting_id;
  std::string candidate_id;
  std::string credential_json;  // certificate::to_json(credential)
  std::int64_t issued_wall_ms = 0;
  std::optional<std::int64_t> revoked_wall_ms;
  std::string revoked_reason;
};

struct ReleaseCounts {
  std::int64_t released = 0;        // newly released now
  std::int64_t already = 0;         // released before
  std::int64_t incomplete = 0;      // still awaiting marking: not released
  std::int64_t withheld_under_review = 0;  // (4) review open or awaiting a second proctor
  std::int64_t withheld_adverse = 0;       // (4) concerns or breach confirmed by two proctors
  std::int64_t awaiting_identity = 0;      // (5) the identity check is not decided yet
  std::int64_t withheld_identity = 0;      // (5) two proctors found the photos do not match
};

// One row of the sitting_outcome_facts view (schema 12): the facts outcome_state() decides a
// sitting's state from, and what the pages show beside the state.
struct SittingFactsRow {
  std::string sitting_id;
  std::string candidate_id;
  std::string assessment_id;
  std::string outcome;                              // met | not_met | incomplete; empty: not scored
  std::optional<std::int64_t> released_wall_ms;
  std::optional<std::int64_t> submitted_wall_ms;    // the first session.submitted's arrival
  results::OutcomeFacts facts;
  std::optional<std::int64_t> void_wall_ms;         // the adverse review outcome's time
  std::string void_reason;                          // its public reason ('' before schema 12)
  std::optional<std::int64_t> identity_withheld_wall_ms;
  std::string identity_reason;
  std::optional<std::int64_t> review_since_wall_ms; // the current review round's start, if not decided
};

// What proctor review says about releasing a sitting's result (invariant 4).
enum class ReviewHold { none, under_review, adverse };
// What the identity check says about releasing it (invariant 5).
enum class IdentityHold { none, pending, withheld };

class ResultsRepository {
 public:
  virtual ~ResultsRepository() = default;

  virtual Status put_thresholds(std::string_view assessment_id, std::string_view json, std::int64_t now_ms) = 0;
  virtual Result<std::optional<std::string>> thresholds(std::string_view assessment_id) = 0;

  // Replaces every written mark of the sitting.
  virtual Status put_written_marks(std::string_view sitting_id, const std::vector<results::WrittenAreaMark>& marks,
                                   std::int64_t now_ms) = 0;
  // nullopt when the sitting has no written marks yet.
  virtual Result<std::optional<std::vector<results::WrittenAreaMark>>> written_marks(std::string_view sitting_id) = 0;

  // The answer.saved value of each item of a sitting that counts (docs/SYNC.md "Which answers
  // count"): the sitting's own candidate's devices only, nothing after the submission, the most
  // recently enrolled device that answered an item wins, revisions compared within one device.
  virtual Result<results::Answers> answers(std::string_view session_id) = 0;
  // True when a device of the sitting's candidate has sent its session.submitted record.
  virtual Result<bool> submitted(std::string_view session_id) = 0;

  virtual Status put_result(const ResultRow& r) = 0;  // (1)
  virtual Result<std::optional<ResultRow>> result(std::string_view sitting_id) = 0;
  virtual Result<std::vector<ResultRow>> results_of_assessment(std::string_view assessment_id) = 0;
  virtual Result<std::vector<ResultRow>> results_of_candidate(std::string_view candidate_id) = 0;
  virtual Result<ReleaseCounts> release(std::string_view assessment_id, std::int64_t now_ms) = 0;  // (2), (4)
  virtual Result<ReviewHold> review_hold(std::string_view sitting_id) = 0;  // (4)
  virtual Result<IdentityHold> identity_hold(std::string_view sitting_id) = 0;  // (5)

  // (6) The facts of one sitting, of every sitting of a candidate (by scheduled start), of a
  // window (by sitting id) and of a council's candidates (by name, then scheduled start; at most
  // limit rows).
  virtual Result<std::optional<SittingFactsRow>> sitting_facts(std::string_view sitting_id) = 0;
  virtual Result<std::vector<SittingFactsRow>> sitting_facts_of_candidate(std::string_view candidate_id) = 0;
  virtual Result<std::vector<SittingFactsRow>> sitting_facts_of_assessment(std::string_view assessment_id) = 0;
  virtual Result<std::vector<SittingFactsRow>> sitting_facts_of_council(std::string_view council_id, std::int64_t limit) = 0;

  virtual Status add_credential(const CredentialRow& c) = 0;
  virtual Result<std::optional<CredentialRow>> credential(std::string_view credential_id) = 0;
  // The newest unrevoked credential of a sitting.
  virtual Result<std::optional<CredentialRow>> current_credential(std::string_view sitting_id) = 0;
  virtual Status revoke_credential(std::string_view credential_id, std::string_view reason, std::int64_t now_ms) = 0;  // (3)
  virtual Result<std::vector<CredentialRow>> revoked_credentials() = 0;
};

// ---- resits: re-endorsement after "not met" and window summaries (rules: server/results/resits.hpp) ----

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
};

}  // namespace vigil::server
