#pragma once
// ResultsRepository on the server's SQLite database, sharing SqliteRepository's connection and
// lock so that scoring, release and certificates join the caller's Repository::transaction.
#include "server/storage/results_repository.hpp"
#include "server/storage/sqlite_repository.hpp"

namespace vigil::server {

// A results row from columns 0..7 of a statement, in the table's order: sitting_id, candidate_id,
// assessment_id, version, outcome, report, scored_wall_ms, released_wall_ms (NULL: unreleased).
ResultRow result_row_from(const sqlite::Statement& st);

class SqliteResultsRepository final : public ResultsRepository {
 public:
  explicit SqliteResultsRepository(SqliteRepository& base) : base_(base) {}

  Status put_thresholds(std::string_view assessment_id, std::string_view json, std::int64_t now_ms) override;
  Result<std::optional<std::string>> thresholds(std::string_view assessment_id) override;
  Status put_written_marks(std::string_view sitting_id, const std::vector<results::WrittenAreaMark>& marks,
                           std::int64_t now_ms) override;
  Result<std::optional<std::vector<results::WrittenAreaMark>>> written_marks(std::string_view sitting_id) override;
  Result<results::Answers> answers(std::string_view session_id) override;
  Result<bool> submitted(std::string_view session_id) override;
  Status put_result(const ResultRow& r) override;
  Result<std::optional<ResultRow>> result(std::string_view sitting_id) override;
  Result<std::vector<ResultRow>> results_of_assessment(std::string_view assessment_id) override;
  Result<std::vector<ResultRow>> results_of_candidate(std::string_view candidate_id) override;
  Result<ReleaseCounts> release(std::string_view assessment_id, std::int64_t now_ms) override;
  Result<ReviewHold> review_hold(std::string_view sitting_id) override;
  Result<IdentityHold> identity_hold(std::string_view sitting_id) override;
  Result<std::optional<SittingFactsRow>> sitting_facts(std::string_view sitting_id) override;
  Result<std::vector<SittingFactsRow>> sitting_facts_of_candidate(std::string_view candidate_id) override;
  Result<std::vector<SittingFactsRow>> sitting_facts_of_assessment(std::string_view assessment_id) override;
  Result<std::vector<SittingFactsRow>> sitting_facts_of_council(std::string_view council_id, std::int64_t limit) override;
  Status add_credential(const CredentialRow& c) override;
  Result<std::optional<CredentialRow>> credential(std::string_view credential_id) override;
  Result<std::optional<CredentialRow>> current_credential(std::string_view sitting_id) override;
  Status revoke_credential(std::string_view credential_id, std::string_view reason, std::int64_t now_ms) override;
  Result<std::vector<CredentialRow>> revoked_credentials() override;

 private:
  SqliteRepository& base_;
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

 private:
  SqliteRepository& base_;
};

}  // namespace vigil::server
