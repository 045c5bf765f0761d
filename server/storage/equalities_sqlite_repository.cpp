#include <mutex>

#include "server/storage/equalities_repository.hpp"
#include "server/storage/sqlite_repository.hpp"

namespace vigil::server {

using Lock = std::lock_guard<std::recursive_mutex>;

Status SqliteEqualitiesRepository::put_declaration(std::string_view subject, const results::EqualitiesDeclaration& d,
                                                   std::string_view day) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(
                            "INSERT INTO equalities_declarations(subject, age_band, ethnicity, disability, sex, updated_day) "
                            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(subject) DO UPDATE SET age_band = excluded.age_band, "
                            "ethnicity = excluded.ethnicity, disability = excluded.disability, sex = excluded.sex, "
                            "updated_day = excluded.updated_day"));
  st.bind(1, subject);
  int i = 2;
  for (const auto& c : results::equalities_characteristics()) {
    const auto& v = d.get(c.field);
    if (v) st.bind(i, std::string_view(*v));
    else st.bind_null(i);
    ++i;
  }
  st.bind(6, day);
  return st.run();  // (1)
}

Result<std::optional<results::EqualitiesDeclaration>> SqliteEqualitiesRepository::declaration(std::string_view subject) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(
                            "SELECT age_band, ethnicity, disability, sex FROM equalities_declarations WHERE subject = ?"));
  st.bind(1, subject);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<results::EqualitiesDeclaration>{};
  results::EqualitiesDeclaration d;
  int i = 0;
  for (const auto& c : results::equalities_characteristics()) {
    if (!st.column_is_null(i)) d.get(c.field) = st.column_text(i);
    ++i;
  }
  return std::optional<results::EqualitiesDeclaration>{std::move(d)};
}

Result<std::vector<EqualitiesRepository::SittingOutcome>> SqliteEqualitiesRepository::window_outcomes(
    std::string_view assessment_id) {
  Lock lock(base_.mutex());
  // review_sessions_by_session (migration 007) makes the flag lookup one index probe per sitting.
  VIGIL_ASSIGN(auto st, base_.db().cached(
                            "SELECT r.candidate_id, r.outcome, EXISTS (SELECT 1 FROM review_sessions s "
                            "WHERE s.session_id = r.sitting_id AND s.candidate_id = r.candidate_id AND s.flag_count > 0 "
                            "AND (s.decision IS NULL OR s.decision <> 'no_concerns')) "
                            "FROM results r WHERE r.assessment_id = ?"));
  st.bind(1, assessment_id);
  return sqlite::collect<SittingOutcome>(st, [](const sqlite::Statement& s) {
    return SittingOutcome{s.column_text(0), s.column_text(1), s.column_int(2) != 0};
  });
}

Result<std::vector<std::string>> SqliteEqualitiesRepository::windows_with_results() {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("SELECT DISTINCT assessment_id FROM results ORDER BY assessment_id"));
  return sqlite::collect<std::string>(st, [](const sqlite::Statement& s) { return s.column_text(0); });
}

}  // namespace vigil::server
