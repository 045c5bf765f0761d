#include <mutex>

#include "server/storage/equalities_repository.hpp"
#include "server/storage/sqlite_repository.hpp"

namespace vigil::server {

Status SqliteEqualitiesRepository::put_declaration(std::string_view subject, const results::EqualitiesDeclaration& d,
                                                   std::string_view day) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(auto st, base_.db().cached(
                            "INSERT INTO equalities_declarations(subject, age_band, ethnicity, disability, sex, updated_day) "
                            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(subject) DO UPDATE SET age_band = excluded.age_band, "
                            "ethnicity = excluded.ethnicity, disability = excluded.disability, sex = excluded.sex, "
                            "updated_day = excluded.updated_day"));
  st.bind(1, subject);
  int i = 2;
  for (const auto& c : results::equalities_characteristics()) {
    st.bind_value(i++, d.get(c.field));
  }
  st.bind(6, day);
  return st.run();  // (1)
}

Result<std::optional<results::EqualitiesDeclaration>> SqliteEqualitiesRepository::declaration(std::string_view subject) {
  return base_.one(
      "SELECT age_band, ethnicity, disability, sex FROM equalities_declarations WHERE subject = ?",
      [](const sqlite::Statement& s) {
        results::EqualitiesDeclaration d;
        int i = 0;
        for (const auto& c : results::equalities_characteristics()) d.get(c.field) = s.column_text_or_null(i++);
        return d;
      },
      subject);
}

Result<std::vector<EqualitiesRepository::SittingOutcome>> SqliteEqualitiesRepository::window_outcomes(
    std::string_view assessment_id) {
  // review_sessions_by_session (migration 007) makes the flag lookup one index probe per sitting.
  return base_.collect(
      "SELECT r.candidate_id, r.outcome, EXISTS (SELECT 1 FROM review_sessions s "
      "WHERE s.session_id = r.sitting_id AND s.candidate_id = r.candidate_id AND s.flag_count > 0 "
      "AND (s.decision IS NULL OR s.decision <> 'no_concerns')) "
      "FROM results r WHERE r.assessment_id = ?",
      [](const sqlite::Statement& s) {
        return SittingOutcome{s.column_text(0), s.column_text(1), s.column_int(2) != 0};
      },
      assessment_id);
}

Result<std::vector<std::string>> SqliteEqualitiesRepository::windows_with_results() {
  return base_.collect("SELECT DISTINCT assessment_id FROM results ORDER BY assessment_id",
                       [](const sqlite::Statement& s) { return s.column_text(0); });
}

}  // namespace vigil::server
