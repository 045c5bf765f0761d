#include "server/storage/appeals_repository.hpp"
#include "server/storage/sqlite_repository.hpp"

namespace vigil::server {

namespace {

constexpr const char* k_appeal_select =
    "SELECT a.appeal_id, a.sitting_id, a.candidate_id, a.device_id, a.request_id, a.reason, a.appealed_state, "
    "a.decision_wall_ms, a.lodged_wall_ms, a.written_wall_ms, a.state, coalesce(a.reviewer_id, 0), "
    "coalesce(a.second_reviewer_id, 0), coalesce(a.proposed_outcome, ''), coalesce(a.proposed_by, 0), "
    "coalesce(a.outcome, ''), coalesce(a.public_reason, ''), coalesce(a.decided_wall_ms, 0), a.disputed, "
    "coalesce(c.full_name, ''), coalesce(c.council_id, ''), coalesce(k.name, c.council_id, ''), coalesce(t.assessment_id, '') "
    "FROM appeals a LEFT JOIN candidates c ON c.candidate_id = a.candidate_id "
    "LEFT JOIN councils k ON k.council_id = c.council_id LEFT JOIN sittings t ON t.sitting_id = a.sitting_id ";

AppealRow read_appeal(const sqlite::Statement& s) {
  AppealRow a;
  a.appeal_id = s.column_int(0);
  a.sitting_id = s.column_text(1);
  a.candidate_id = s.column_text(2);
  a.device_id = s.column_text(3);
  a.request_id = s.column_text(4);
  a.reason = s.column_text(5);
  a.appealed_state = s.column_text(6);
  a.decision_wall_ms = s.column_int(7);
  a.lodged_wall_ms = s.column_int(8);
  a.written_wall_ms = s.column_int_or_null(9);
  a.state = s.column_text(10);
  a.reviewer_id = s.column_int(11);
  a.second_reviewer_id = s.column_int(12);
  a.proposed_outcome = s.column_text(13);
  a.proposed_by = s.column_int(14);
  a.outcome = s.column_text(15);
  a.public_reason = s.column_text(16);
  a.decided_wall_ms = s.column_int(17);
  a.disputed = s.column_int(18) != 0;
  a.full_name = s.column_text(19);
  a.council_id = s.column_text(20);
  a.council_name = s.column_text(21);
  a.assessment_id = s.column_text(22);
  return a;
}

std::optional<std::int64_t> id_or_null(std::int64_t id) { return id ? std::optional<std::int64_t>(id) : std::nullopt; }

}  // namespace

Result<std::int64_t> SqliteAppealRepository::add_appeal(const AppealRow& a) {
  const auto lock = base_.hold();
  VIGIL_TRY(base_.run(
      "INSERT INTO appeals(sitting_id, candidate_id, device_id, request_id, reason, appealed_state, decision_wall_ms, "
      "lodged_wall_ms, written_wall_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      a.sitting_id, a.candidate_id, a.device_id, a.request_id, a.reason, a.appealed_state, a.decision_wall_ms,
      a.lodged_wall_ms, a.written_wall_ms));
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(base_.db().handle()));
}

Result<std::optional<AppealRow>> SqliteAppealRepository::appeal(std::int64_t appeal_id) {
  return base_.one(std::string(k_appeal_select) + "WHERE a.appeal_id = ?", read_appeal, appeal_id);
}

Result<std::optional<AppealRow>> SqliteAppealRepository::appeal_by_request(std::string_view device_id,
                                                                          std::string_view request_id) {
  return base_.one(std::string(k_appeal_select) + "WHERE a.device_id = ? AND a.request_id = ?", read_appeal, device_id,
                   request_id);
}

Result<std::vector<AppealRow>> SqliteAppealRepository::appeals_of_sitting(std::string_view sitting_id) {
  return base_.collect(std::string(k_appeal_select) + "WHERE a.sitting_id = ? ORDER BY a.appeal_id DESC LIMIT 50",
                       read_appeal, sitting_id);
}

Result<std::vector<AppealRow>> SqliteAppealRepository::appeals_of_candidate(std::string_view candidate_id) {
  return base_.collect(std::string(k_appeal_select) + "WHERE a.candidate_id = ? ORDER BY a.appeal_id DESC LIMIT 200",
                       read_appeal, candidate_id);
}

Result<std::vector<AppealRow>> SqliteAppealRepository::appeals(const AppealQuery& q) {
  std::string sql = std::string(k_appeal_select) + "WHERE (?1 IS NULL OR a.reviewer_id = ?1 OR a.second_reviewer_id = ?1) ";
  if (q.state == "open") sql += "AND a.state <> 'decided' ";
  else if (!q.state.empty()) sql += "AND a.state = ?2 ";
  else sql += "AND ?2 IS NOT NULL ";
  sql += "ORDER BY a.state = 'decided', a.appeal_id DESC LIMIT ?3";
  return base_.collect(sql, read_appeal, q.reviewer, q.state, q.limit);
}

Result<std::vector<std::int64_t>> SqliteAppealRepository::sitting_deciders(std::string_view sitting_id) {
  return base_.collect("SELECT DISTINCT user_id FROM sitting_deciders WHERE sitting_id = ? ORDER BY user_id",
                       [](const sqlite::Statement& s) { return s.column_int(0); }, sitting_id);
}

Status SqliteAppealRepository::assign_appeal(std::int64_t appeal_id, std::int64_t reviewer_id,
                                             std::int64_t second_reviewer_id, std::int64_t by) {
  VIGIL_ASSIGN(auto changed,
               base_.changes("UPDATE appeals SET reviewer_id = ?, second_reviewer_id = ?, assigned_by = ?, "
                             "state = CASE WHEN state = 'lodged' THEN 'assigned' ELSE state END "
                             "WHERE appeal_id = ? AND state IN ('lodged', 'assigned')",
                             id_or_null(reviewer_id), id_or_null(second_reviewer_id), by, appeal_id));
  if (changed == 0) return fail(Errc::conflict, "this appeal can no longer be assigned: its reviewer has proposed an outcome, or it is decided");
  return {};
}

Status SqliteAppealRepository::add_appeal_decision(std::int64_t appeal_id, const AppealDecisionRow& d) {
  return base_.run(
      "INSERT INTO appeal_decisions(appeal_id, staff_id, stage, outcome, public_reason, note, wall_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      appeal_id, d.staff_id, d.stage, d.outcome, d.public_reason, d.note, d.wall_ms);
}

Status SqliteAppealRepository::set_appeal_state(std::int64_t appeal_id, const StateChange& s) {
  const bool decided = s.state == "decided";
  const bool back = s.state == "lodged";
  VIGIL_ASSIGN(auto changed,
               base_.changes(
                   "UPDATE appeals SET state = ?, proposed_outcome = ?, proposed_by = ?, outcome = ?, public_reason = ?, "
                   "decided_wall_ms = ?, disputed = ?, "
                   "reviewer_id = CASE WHEN ? THEN NULL ELSE reviewer_id END, "
                   "second_reviewer_id = CASE WHEN ? THEN NULL ELSE second_reviewer_id END "
                   "WHERE appeal_id = ? AND state <> 'decided'",
                   s.state, s.proposed_outcome.empty() ? std::nullopt : std::optional<std::string>(s.proposed_outcome),
                   id_or_null(s.proposed_by), decided ? std::optional<std::string>(s.outcome) : std::nullopt,
                   decided ? std::optional<std::string>(s.public_reason) : std::nullopt,
                   decided ? std::optional<std::int64_t>(s.decided_wall_ms) : std::nullopt, s.disputed ? 1 : 0,
                   back ? 1 : 0, back ? 1 : 0, appeal_id));
  if (changed == 0) return fail(Errc::conflict, "this appeal was decided meanwhile");
  return {};
}

Result<std::vector<AppealDecisionRow>> SqliteAppealRepository::appeal_decisions(std::int64_t appeal_id) {
  return base_.collect(
      "SELECT staff_id, stage, outcome, public_reason, note, wall_ms FROM appeal_decisions WHERE appeal_id = ? "
      "ORDER BY decision_id",
      [](const sqlite::Statement& s) {
        return AppealDecisionRow{s.column_int(0), static_cast<int>(s.column_int(1)), s.column_text(2), s.column_text(3),
                                 s.column_text(4), s.column_int(5)};
      },
      appeal_id);
}

Result<bool> SqliteAppealRepository::window_released(std::string_view assessment_id) {
  return base_.exists("SELECT 1 FROM results WHERE assessment_id = ? AND released_wall_ms IS NOT NULL", assessment_id);
}

Result<std::int64_t> SqliteAppealRepository::release_sitting(std::string_view sitting_id, std::int64_t now_ms) {
  return base_.changes(
      "UPDATE results SET released_wall_ms = ? WHERE sitting_id = ? AND released_wall_ms IS NULL AND outcome IN ('met', 'not_met')",
      now_ms, sitting_id);
}

}  // namespace vigil::server
