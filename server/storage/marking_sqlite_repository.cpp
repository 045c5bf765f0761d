#include "server/storage/marking_sqlite_repository.hpp"

#include <mutex>

namespace vigil::server {

namespace {

constexpr const char* k_script_columns =
    "SELECT script_id, sitting_id, assessment_id, state, coalesce(final_marks, ''), created_wall_ms, scored_wall_ms "
    "FROM marking_scripts ";

ScriptRow script_row(const sqlite::Statement& st) {
  ScriptRow s{st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3), st.column_text(4),
              st.column_int(5), std::nullopt};
  if (!st.column_is_null(6)) s.scored_wall_ms = st.column_int(6);
  return s;
}

}  // namespace

Result<std::vector<SittingRow>> SqliteMarkingRepository::submitted_sittings_without_script(std::int64_t limit) {
  return base_.collect(
      "SELECT s.sitting_id, s.candidate_id, s.assessment_id, s.version, s.scheduled_start_wall_ms, "
      "s.window_end_wall_ms FROM sittings s WHERE EXISTS (SELECT 1 FROM sessions x WHERE "
      "x.session_id = s.sitting_id AND x.candidate_id = s.candidate_id AND x.submitted_seq IS NOT NULL) "
      "AND NOT EXISTS (SELECT 1 FROM "
      "marking_scripts m WHERE m.sitting_id = s.sitting_id) "
      "ORDER BY s.scheduled_start_wall_ms, s.sitting_id LIMIT ?",
      [](const sqlite::Statement& s) {
        return SittingRow{s.column_text(0), s.column_text(1),
                          s.column_text(2), static_cast<std::uint32_t>(s.column_int(3)),
                          s.column_int(4),  s.column_int(5)};
      },
      limit);
}

Status SqliteMarkingRepository::add_script(const ScriptRow& s) {
  return base_.run(
      "INSERT INTO marking_scripts(script_id, sitting_id, assessment_id, state, final_marks, created_wall_ms) "
      "VALUES (?, ?, ?, ?, nullif(?, ''), ?)",
      s.script_id, s.sitting_id, s.assessment_id, s.state, s.final_marks, s.created_wall_ms);
}

Result<std::optional<ScriptRow>> SqliteMarkingRepository::script(std::string_view script_id) {
  return base_.one(std::string(k_script_columns) + "WHERE script_id = ?", script_row, script_id);
}

Result<std::optional<ScriptRow>> SqliteMarkingRepository::script_of_sitting(std::string_view sitting_id) {
  return base_.one(std::string(k_script_columns) + "WHERE sitting_id = ?", script_row, sitting_id);
}

Result<std::vector<ScriptRow>> SqliteMarkingRepository::markable_by(std::int64_t assessor_id, std::int64_t limit) {
  return base_.collect(std::string(k_script_columns) +
                           "WHERE state IN ('first', 'second', 'third') AND NOT EXISTS (SELECT 1 FROM "
                           "markings k WHERE k.script_id = marking_scripts.script_id AND k.assessor_id = ?) "
                           "ORDER BY script_seq LIMIT ?",
                       script_row, assessor_id, limit);
}

Result<std::vector<ScriptRow>> SqliteMarkingRepository::final_unscored(std::int64_t limit) {
  return base_.collect(
      std::string(k_script_columns) + "WHERE state = 'final' AND scored_wall_ms IS NULL ORDER BY script_seq LIMIT ?",
      script_row, limit);
}

Status SqliteMarkingRepository::set_script_state(std::string_view script_id, std::string_view state,
                                                 std::string_view final_marks) {
  return base_.run("UPDATE marking_scripts SET state = ?, final_marks = nullif(?, '') WHERE script_id = ?", state,
                   final_marks, script_id);
}

Status SqliteMarkingRepository::set_script_scored(std::string_view script_id, std::int64_t now_ms) {
  return base_.run("UPDATE marking_scripts SET scored_wall_ms = ? WHERE script_id = ?", now_ms, script_id);
}

Status SqliteMarkingRepository::add_marking(const MarkingRow& m) {
  const auto lock = base_.hold();
  // (2) checked here so the caller gets a clear conflict, not a constraint message.
  VIGIL_ASSIGN(const bool taken,
               base_.exists("SELECT 1 FROM markings WHERE script_id = ? AND (round = ? OR assessor_id = ?)",
                            m.script_id, m.round, m.assessor_id));
  if (taken) return fail(Errc::conflict, "this script already has that marking, or you have marked it before");
  return base_.run("INSERT INTO markings(script_id, round, assessor_id, marks, wall_ms) VALUES (?, ?, ?, ?, ?)",
                   m.script_id, m.round, m.assessor_id, m.marks_json, m.wall_ms);
}

Result<std::vector<MarkingRow>> SqliteMarkingRepository::markings(std::string_view script_id) {
  return base_.collect(
      "SELECT script_id, round, assessor_id, marks, wall_ms FROM markings "
      "WHERE script_id = ? ORDER BY round",
      [](const sqlite::Statement& s) {
        return MarkingRow{s.column_text(0), s.column_int(1), s.column_int(2), s.column_text(3), s.column_int(4)};
      },
      script_id);
}

Result<std::vector<MarkingProgressRow>> SqliteMarkingRepository::progress() {
  return base_.collect(
      "SELECT assessment_id, sum(state = 'first'), sum(state = 'second'), sum(state = 'third'), "
      "sum(state = 'final') FROM marking_scripts WHERE state != 'none' GROUP BY assessment_id "
      "ORDER BY assessment_id",
      [](const sqlite::Statement& s) {
        return MarkingProgressRow{s.column_text(0), s.column_int(1), s.column_int(2), s.column_int(3), s.column_int(4)};
      });
}

}  // namespace vigil::server
