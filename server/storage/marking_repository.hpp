#pragma once
// MarkingRepository: the written scripts assessors mark and every marking of them (schema 5,
// migrations/005_marking.sql), behind an interface like ResultsRepository. The SQLite
// implementation shares SqliteRepository's connection and lock, so a marking, its audit row and
// the script's new state are one Repository::transaction.
//
// Invariants the implementations keep:
//  (1) A marking is never changed or deleted (the schema refuses UPDATE and DELETE).
//  (2) One assessor marks a script at most once, and each round (1, 2, 3) is marked once:
//      add_marking fails (conflict) otherwise, so two markers of a script are always different.
//  (3) Every list is bounded by a limit the caller passes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/storage/repository.hpp"
#include "shared/core/result.hpp"

namespace vigil::server {

// Script states: awaiting the first / second / third marking, final, or none (nothing to mark).
inline constexpr std::string_view k_script_first = "first";
inline constexpr std::string_view k_script_second = "second";
inline constexpr std::string_view k_script_third = "third";
inline constexpr std::string_view k_script_final = "final";
inline constexpr std::string_view k_script_none = "none";

struct ScriptRow {
  std::string script_id;       // random, opaque: all an assessor sees of the sitting
  std::string sitting_id;
  std::string assessment_id;
  std::string state;           // k_script_*
  std::string final_marks;     // JSON list of WrittenAreaMark once final, else ""
  std::int64_t created_wall_ms = 0;
  std::optional<std::int64_t> scored_wall_ms;  // final marks stored and the sitting scored
};

struct MarkingRow {
  std::string script_id;
  std::int64_t round = 1;      // 1 first, 2 second, 3 third
  std::int64_t assessor_id = 0;
  std::string marks_json;      // [{"kss","mark","max","comment"}]
  std::int64_t wall_ms = 0;
};

struct MarkingProgressRow {
  std::string assessment_id;
  std::int64_t awaiting_first = 0, awaiting_second = 0, awaiting_third = 0, final = 0;
};

class MarkingRepository {
 public:
  virtual ~MarkingRepository() = default;

  // Submitted sittings (a session.submitted record has arrived) that have no script yet,
  // scheduled earliest first.
  virtual Result<std::vector<SittingRow>> submitted_sittings_without_script(std::int64_t limit) = 0;
  virtual Status add_script(const ScriptRow& s) = 0;
  virtual Result<std::optional<ScriptRow>> script(std::string_view script_id) = 0;
  virtual Result<std::optional<ScriptRow>> script_of_sitting(std::string_view sitting_id) = 0;
  // Scripts awaiting a first, second or third marking that the assessor has not marked, oldest
  // first.
  virtual Result<std::vector<ScriptRow>> markable_by(std::int64_t assessor_id, std::int64_t limit) = 0;
  // Final scripts whose marks have not reached the results yet (a failure after the marking).
  virtual Result<std::vector<ScriptRow>> final_unscored(std::int64_t limit) = 0;
  virtual Status set_script_state(std::string_view script_id, std::string_view state, std::string_view final_marks) = 0;
  virtual Status set_script_scored(std::string_view script_id, std::int64_t now_ms) = 0;

  virtual Status add_marking(const MarkingRow& m) = 0;                                  // (1) (2)
  virtual Result<std::vector<MarkingRow>> markings(std::string_view script_id) = 0;     // by round

  // Scripts per assessment window and state (none left out), by assessment id.
  virtual Result<std::vector<MarkingProgressRow>> progress() = 0;
};

}  // namespace vigil::server
