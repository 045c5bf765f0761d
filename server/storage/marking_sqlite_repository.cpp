#include "server/storage/marking_sqlite_repository.hpp"

#include <mutex>

namespace vigil::server {

namespace {

using Lock = std::lock_guard<std::recursive_mutex>;

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
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(
                            "SELECT s.sitting_id, s.candidate_id, s.assessment_id, s.version, s.scheduled_start_wall_ms, "
                            "s.window_end_wall_ms FROM sittings s WHERE EXISTS (SELECT 1 FROM sessions x WHERE "
                            "x.session_id = s.sitting_id AND x.candidate_id = s.candidate_id AND x.submitted_seq IS NOT NULL) "
                            "AND NOT EXISTS (SELECT 1 FROM "
                            "marking_scripts m WHERE m.sitting_id = s.sitting_id) "
                            "ORDER BY s.scheduled_start_wall_ms, s.sitting_id LIMIT ?"));
  st.bind(1, limit);
  return sqlite::collect<SittingRow>(st, [](const sqlite::Statement& s) {
    return SittingRow{s.column_text(0), s.column_text(1), s.column_text(2), static_cast<std::uint32_t>(s.column_int(3)),
                      s.column_int(4), s.column_int(5)};
  });
}

Status SqliteMarkingRepository::add_script(const ScriptRow& s) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("INSERT INTO marking_scripts(script_id, sitting_id, assessment_id, state, "
                                          "final_marks, created_wall_ms) VALUES (?, ?, ?, ?, ?, ?)"));
  st.bind(1, s.script_id).bind(2, s.sitting_id).bind(3, s.assessment_id).bind(4, s.state).bind(6, s.created_wall_ms);
  if (s.final_marks.empty()) st.bind_null(5);
  else st.bind(5, s.final_marks);
  return st.run();
}

Result<std::optional<ScriptRow>> SqliteMarkingRepository::script(std::string_view script_id) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(std::string(k_script_columns) + "WHERE script_id = ?"));
  st.bind(1, script_id);
  return sqlite::one<ScriptRow>(st, script_row);
}

Result<std::optional<ScriptRow>> SqliteMarkingRepository::script_of_sitting(std::string_view sitting_id) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(std::string(k_script_columns) + "WHERE sitting_id = ?"));
  st.bind(1, sitting_id);
  return sqlite::one<ScriptRow>(st, script_row);
}

Result<std::vector<ScriptRow>> SqliteMarkingRepository::markable_by(std::int64_t assessor_id, std::int64_t limit) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(std::string(k_script_columns) +
                                          "WHERE state IN ('first', 'second', 'third') AND NOT EXISTS (SELECT 1 FROM "
                                          "markings k WHERE k.script_id = marking_scripts.script_id AND k.assessor_id = ?) "
                                          "ORDER BY script_seq LIMIT ?"));
  st.bind(1, assessor_id).bind(2, limit);
  return sqlite::collect<ScriptRow>(st, script_row);
}

Result<std::vector<ScriptRow>> SqliteMarkingRepository::final_unscored(std::int64_t limit) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(std::string(k_script_columns) +
                                          "WHERE state = 'final' AND scored_wall_ms IS NULL ORDER BY script_seq LIMIT ?"));
  st.bind(1, limit);
  return sqlite::collect<ScriptRow>(st, script_row);
}

Status SqliteMarkingRepository::set_script_state(std::string_view script_id, std::string_view state,
                                                 std::string_view final_marks) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("UPDATE marking_scripts SET state = ?, final_marks = ? WHERE script_id = ?"));
  st.bind(1, state).bind(3, script_id);
  if (final_marks.empty()) st.bind_null(2);
  else st.bind(2, final_marks);
  return st.run();
}

Status SqliteMarkingRepository::set_script_scored(std::string_view script_id, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("UPDATE marking_scripts SET scored_wall_ms = ? WHERE script_id = ?"));
  st.bind(1, now_ms).bind(2, script_id);
  return st.run();
}

Status SqliteMarkingRepository::add_marking(const MarkingRow& m) {
  Lock lock(base_.mutex());
  {
    // (2) checked here so the caller gets a clear conflict, not a constraint message.
    VIGIL_ASSIGN(auto chk, base_.db().cached("SELECT 1 FROM markings WHERE script_id = ? AND (round = ? OR assessor_id = ?)"));
    chk.bind(1, m.script_id).bind(2, m.round).bind(3, m.assessor_id);
    VIGIL_ASSIGN(bool taken, chk.step());
    chk.reset();
    if (taken) return fail(Errc::conflict, "this script already has that marking, or you have marked it before");
  }
  VIGIL_ASSIGN(auto st, base_.db().cached("INSERT INTO markings(script_id, round, assessor_id, marks, wall_ms) "
                                          "VALUES (?, ?, ?, ?, ?)"));
  st.bind(1, m.script_id).bind(2, m.round).bind(3, m.assessor_id).bind(4, m.marks_json).bind(5, m.wall_ms);
  return st.run();
}

Result<std::vector<MarkingRow>> SqliteMarkingRepository::markings(std::string_view script_id) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("SELECT script_id, round, assessor_id, marks, wall_ms FROM markings "
                                          "WHERE script_id = ? ORDER BY round"));
  st.bind(1, script_id);
  return sqlite::collect<MarkingRow>(st, [](const sqlite::Statement& s) {
    return MarkingRow{s.column_text(0), s.column_int(1), s.column_int(2), s.column_text(3), s.column_int(4)};
  });
}

Result<std::vector<MarkingProgressRow>> SqliteMarkingRepository::progress() {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(
                            "SELECT assessment_id, sum(state = 'first'), sum(state = 'second'), sum(state = 'third'), "
                            "sum(state = 'final') FROM marking_scripts WHERE state != 'none' GROUP BY assessment_id "
                            "ORDER BY assessment_id"));
  return sqlite::collect<MarkingProgressRow>(st, [](const sqlite::Statement& s) {
    return MarkingProgressRow{s.column_text(0), s.column_int(1), s.column_int(2), s.column_int(3), s.column_int(4)};
  });
}

}  // namespace vigil::server
