#pragma once
// EqualitiesRepository: the equalities declarations (schema 7, migrations/007_equalities.sql) and
// the two read-only facts the report joins them to. Kept apart from Repository and
// ResultsRepository so that no code path that serves staff pages or devices reads a
// declaration by accident: only server/results/equalities.cpp uses this interface.
//
// Invariants the implementations keep:
//  (1) One row per subject; put_declaration replaces it whole (the latest declaration wins).
//  (2) Nothing here returns a list of declarations with their subjects: a declaration is read
//      only by a subject the caller computed from a candidate id it already holds.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/core/result.hpp"
#include "shared/results/equalities.hpp"

namespace vigil::server {

class SqliteRepository;

class EqualitiesRepository {
 public:
  virtual ~EqualitiesRepository() = default;

  virtual Status put_declaration(std::string_view subject, const results::EqualitiesDeclaration& d, std::string_view day) = 0;
  virtual Result<std::optional<results::EqualitiesDeclaration>> declaration(std::string_view subject) = 0;

  // One row per scored sitting of the window (the results table, schema 4): its candidate, its
  // outcome, and whether any device's copy of its session has a proctoring flag that is pending
  // or was upheld (the review tables, schema 3: flagged and not decided "no_concerns").
  struct SittingOutcome {
    std::string candidate_id;
    std::string outcome;  // results::outcome_name
    bool flagged = false;
  };
  virtual Result<std::vector<SittingOutcome>> window_outcomes(std::string_view assessment_id) = 0;
  // Assessment windows with at least one scored sitting, sorted.
  virtual Result<std::vector<std::string>> windows_with_results() = 0;
};

// On the server's SQLite database, sharing SqliteRepository's connection and lock.
class SqliteEqualitiesRepository final : public EqualitiesRepository {
 public:
  explicit SqliteEqualitiesRepository(SqliteRepository& base) : base_(base) {}

  Status put_declaration(std::string_view subject, const results::EqualitiesDeclaration& d, std::string_view day) override;
  Result<std::optional<results::EqualitiesDeclaration>> declaration(std::string_view subject) override;
  Result<std::vector<SittingOutcome>> window_outcomes(std::string_view assessment_id) override;
  Result<std::vector<std::string>> windows_with_results() override;

 private:
  SqliteRepository& base_;
};

}  // namespace vigil::server
