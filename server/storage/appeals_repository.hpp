#pragma once
// AppealRepository: candidates' appeals of void or withheld results (schema 14,
// migrations/014_appeals.sql) and the decisions on them. The rules are in
// server/results/appeals.hpp; the schema's triggers keep invariants 3 to 5 of the migration
// whatever calls this (nobody who took part in the decision reviews the appeal, two people decide
// it, overturned lifts the holds).
//
// Invariants the implementations keep:
//  (1) add_appeal fails with conflict when the sitting has an open appeal or the device used the
//      request id before (the caller looks for the earlier appeal first).
//  (2) Every list is bounded by a limit the caller passes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/core/result.hpp"

namespace vigil::server {

class SqliteRepository;

struct AppealRow {
  std::int64_t appeal_id = 0;
  std::string sitting_id;
  std::string candidate_id;
  std::string device_id;
  std::string request_id;
  std::string reason;                  // the candidate's words
  std::string appealed_state;          // void_after_review | withheld_identity
  std::int64_t decision_wall_ms = 0;   // the decision appealed against (when the candidate was told)
  std::int64_t lodged_wall_ms = 0;
  std::optional<std::int64_t> written_wall_ms;
  std::string state = "lodged";        // lodged | assigned | proposed | decided
  std::int64_t reviewer_id = 0;        // 0: none
  std::int64_t second_reviewer_id = 0; // 0: none
  std::string proposed_outcome;        // upheld | overturned, from the proposal on
  std::int64_t proposed_by = 0;
  std::string outcome;                 // upheld | overturned, once decided
  std::string public_reason;           // the confirming reviewer's, once decided
  std::int64_t decided_wall_ms = 0;
  bool disputed = false;
  // Joined for the pages: the candidate's roster name, council and the sitting's window.
  std::string full_name;
  std::string council_id;
  std::string council_name;
  std::string assessment_id;
};

struct AppealDecisionRow {
  std::int64_t staff_id = 0;
  int stage = 1;                 // 1: the reviewer's proposal, 2: the second reviewer's answer
  std::string outcome;           // upheld | overturned
  std::string public_reason;     // for the candidate and their council
  std::string note;              // the reviewer's own reasons: the appeal pages only
  std::int64_t wall_ms = 0;
};

struct AppealQuery {
  std::optional<std::int64_t> reviewer;   // set: appeals where this person is reviewer or second reviewer
  std::string state;                      // empty: any; "open": not decided; or one state
  std::int64_t limit = 100;
};

class AppealRepository {
 public:
  virtual ~AppealRepository() = default;

  virtual Result<std::int64_t> add_appeal(const AppealRow& a) = 0;  // (1)
  virtual Result<std::optional<AppealRow>> appeal(std::int64_t appeal_id) = 0;
  virtual Result<std::optional<AppealRow>> appeal_by_request(std::string_view device_id, std::string_view request_id) = 0;
  // Newest first.
  virtual Result<std::vector<AppealRow>> appeals_of_sitting(std::string_view sitting_id) = 0;
  virtual Result<std::vector<AppealRow>> appeals_of_candidate(std::string_view candidate_id) = 0;
  // Open ones first, then newest first.
  virtual Result<std::vector<AppealRow>> appeals(const AppealQuery& q) = 0;
  // Everyone who recorded a decision on the sitting's review, flags or identity check.
  virtual Result<std::vector<std::int64_t>> sitting_deciders(std::string_view sitting_id) = 0;
  // Sets the reviewer and second reviewer (0: none) of an appeal that is lodged or assigned, and
  // moves a lodged one to assigned.
  virtual Status assign_appeal(std::int64_t appeal_id, std::int64_t reviewer_id, std::int64_t second_reviewer_id,
                               std::int64_t by) = 0;
  virtual Status add_appeal_decision(std::int64_t appeal_id, const AppealDecisionRow& d) = 0;
  // Moves the appeal on after a decision. state "lodged" (a dispute) also clears both reviewers.
  struct StateChange {
    std::string state;
    std::string proposed_outcome;
    std::int64_t proposed_by = 0;
    std::string outcome;
    std::string public_reason;
    std::int64_t decided_wall_ms = 0;
    bool disputed = false;
  };
  virtual Status set_appeal_state(std::int64_t appeal_id, const StateChange& s) = 0;
  virtual Result<std::vector<AppealDecisionRow>> appeal_decisions(std::int64_t appeal_id) = 0;
  // Whether any result of the window has been released (the window's release has happened).
  virtual Result<bool> window_released(std::string_view assessment_id) = 0;
  // Releases one sitting's scored, decided result now (after an overturned appeal); how many
  // rows changed (0 or 1).
  virtual Result<std::int64_t> release_sitting(std::string_view sitting_id, std::int64_t now_ms) = 0;
};

class SqliteAppealRepository final : public AppealRepository {
 public:
  explicit SqliteAppealRepository(SqliteRepository& base) : base_(base) {}

  Result<std::int64_t> add_appeal(const AppealRow& a) override;
  Result<std::optional<AppealRow>> appeal(std::int64_t appeal_id) override;
  Result<std::optional<AppealRow>> appeal_by_request(std::string_view device_id, std::string_view request_id) override;
  Result<std::vector<AppealRow>> appeals_of_sitting(std::string_view sitting_id) override;
  Result<std::vector<AppealRow>> appeals_of_candidate(std::string_view candidate_id) override;
  Result<std::vector<AppealRow>> appeals(const AppealQuery& q) override;
  Result<std::vector<std::int64_t>> sitting_deciders(std::string_view sitting_id) override;
  Status assign_appeal(std::int64_t appeal_id, std::int64_t reviewer_id, std::int64_t second_reviewer_id,
                       std::int64_t by) override;
  Status add_appeal_decision(std::int64_t appeal_id, const AppealDecisionRow& d) override;
  Status set_appeal_state(std::int64_t appeal_id, const StateChange& s) override;
  Result<std::vector<AppealDecisionRow>> appeal_decisions(std::int64_t appeal_id) override;
  Result<bool> window_released(std::string_view assessment_id) override;
  Result<std::int64_t> release_sitting(std::string_view sitting_id, std::int64_t now_ms) override;

 private:
  SqliteRepository& base_;
};

}  // namespace vigil::server
