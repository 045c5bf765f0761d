#include "server/storage/staff_sqlite_repository.hpp"

// The review half of SqliteStaffRepository (staff_sqlite_repository.hpp): the proctors' queue,
// a session's flags and timeline, assignments and decisions. The accounts, councils, candidates
// and audit half is in staff_sqlite_repository.cpp.

#include <sqlite3.h>

namespace vigil::server {

namespace {

// Confidence is REAL in the schema; read back as thousandths (the statement wrapper reads integers).
double thousandths(std::int64_t v) { return static_cast<double>(v) / 1000.0; }

QueueEntry read_queue(const sqlite::Statement& st) {
  QueueEntry q;
  q.device_id = st.column_text(0);
  q.session_id = st.column_text(1);
  q.candidate_id = st.column_text(2);
  q.flag_count = st.column_int(3);
  q.max_severity = st.column_int(4);
  q.max_confidence = thousandths(st.column_int(5));
  q.first_flag_wall_ms = st.column_int(6);
  q.state = st.column_text(7);
  q.proposed_decision = st.column_text_or_null(8).value_or("");
  q.proposed_by = st.column_int_or_null(9).value_or(0);
  q.decision = st.column_text_or_null(10).value_or("");
  q.round = st.column_int(11);
  q.disputed = st.column_int(12) != 0;
  return q;
}

ReviewFlagRow read_flag(const sqlite::Statement& st) {
  ReviewFlagRow f;
  f.flag_row = st.column_int(0);
  f.seq = static_cast<std::uint64_t>(st.column_int(1));
  f.source = st.column_text(2);
  f.flag_id = st.column_text(3);
  f.check = st.column_text(4);
  f.severity = st.column_int(5);
  f.confidence = thousandths(st.column_int(6));
  f.start_wall_ms = st.column_int(7);
  f.end_wall_ms = st.column_int_or_null(8);
  const auto ev = nlohmann::json::parse(st.column_text(9), nullptr, false);
  if (ev.is_array()) {
    for (const auto& x : ev) {
      if (x.is_string()) f.evidence.push_back(x.get<std::string>());
    }
  }
  f.decision = st.column_text_or_null(10).value_or("");
  f.decision_note = st.column_text_or_null(11).value_or("");
  f.decided_by = st.column_int_or_null(12).value_or(0);
  return f;
}

constexpr const char* k_queue_columns =
    "r.device_id, r.session_id, r.candidate_id, r.flag_count, r.max_severity, CAST(round(r.max_confidence * 1000) AS "
    "INTEGER), r.first_flag_wall_ms, r.state, r.proposed_decision, r.proposed_by, r.decision, r.round, r.disputed";

}  // namespace

Result<std::vector<QueueEntry>> SqliteStaffRepository::queue(std::optional<std::int64_t> proctor_id, std::string_view state,
                                                             std::int64_t limit) {
  const auto lock = base_.hold();
  auto& db = base_.db();
  // Review priority: severity, then confidence, then the oldest first (the index's order).
  const std::string where = state.empty() ? "r.state IN ('open', 'awaiting_second')" : "r.state = ?2";
  const std::string order = " ORDER BY r.max_severity DESC, r.max_confidence DESC, r.first_flag_wall_ms LIMIT ?3";
  std::string sql;
  if (proctor_id) {
    sql = std::string("SELECT ") + k_queue_columns +
          " FROM review_assignments a JOIN review_sessions r ON r.device_id = a.device_id AND r.session_id = a.session_id"
          " WHERE a.proctor_id = ?1 AND " + where + order;
  } else {
    sql = std::string("SELECT ") + k_queue_columns + " FROM review_sessions r WHERE ?1 = ?1 AND " + where + order;
  }
  VIGIL_ASSIGN(auto st, db.cached(sql));
  st.bind(1, proctor_id.value_or(0));
  if (!state.empty()) st.bind(2, state);
  st.bind(3, limit);
  return sqlite::collect<QueueEntry>(st, read_queue);
}

Result<std::optional<QueueEntry>> SqliteStaffRepository::review_session(std::string_view device_id,
                                                                        std::string_view session_id) {
  return base_.one(
      std::string("SELECT ") + k_queue_columns + " FROM review_sessions r WHERE r.device_id = ? AND r.session_id = ?",
      read_queue, device_id, session_id);
}

Result<std::vector<ReviewFlagRow>> SqliteStaffRepository::review_flags(std::string_view device_id,
                                                                       std::string_view session_id) {
  return base_.collect(
      "SELECT flag_row, seq, source, flag_id, check_name, severity, "
      "CAST(round(confidence * 1000) AS INTEGER), start_wall_ms, end_wall_ms, evidence, decision, "
      "decision_note, decided_by FROM review_flags WHERE device_id = ? AND session_id = ? "
      "ORDER BY start_wall_ms, flag_row LIMIT 5000",
      read_flag, device_id, session_id);
}

Result<TimelinePage> SqliteStaffRepository::timeline(std::string_view device_id, std::string_view session_id,
                                                     std::uint64_t after_seq, std::int64_t limit, std::size_t max_bytes) {
  const auto lock = base_.hold();
  // Answers are not part of a conduct review: answer.saved and item.viewed are left out. Rows are
  // read one at a time and reading stops at the budget, so a page never holds more than
  // max_bytes (plus one payload of at most 1 MiB) in memory.
  VIGIL_ASSIGN(auto st, base_.db().cached(
                            "SELECT seq, wall_ms, type, CAST(payload AS TEXT), length(payload) FROM records WHERE device_id = ? "
                            "AND session_id = ? AND seq > ? AND type NOT IN ('answer.saved', 'item.viewed') ORDER BY seq LIMIT ?"));
  st.bind_all(device_id, session_id, after_seq, limit + 1);
  TimelinePage page;
  std::size_t bytes = 0;
  while (true) {
    VIGIL_ASSIGN(bool row, st.step());
    if (!row) break;
    const auto size = static_cast<std::size_t>(st.column_int(4));
    if (static_cast<std::int64_t>(page.events.size()) == limit || (!page.events.empty() && bytes + size > max_bytes)) {
      page.more = true;
      break;
    }
    bytes += size;
    page.events.push_back({static_cast<std::uint64_t>(st.column_int(0)), st.column_int(1), st.column_text(2), st.column_text(3)});
  }
  st.reset();  // stopped early: release the read before the cached statement is reused
  return page;
}

Result<std::vector<std::int64_t>> SqliteStaffRepository::assigned_proctors(std::string_view device_id,
                                                                           std::string_view session_id) {
  return base_.collect(
      "SELECT proctor_id FROM review_assignments WHERE device_id = ? AND session_id = ? "
      "ORDER BY assigned_wall_ms",
      [](const sqlite::Statement& s) { return s.column_int(0); }, device_id, session_id);
}

Status SqliteStaffRepository::assign(std::string_view device_id, std::string_view session_id, std::int64_t proctor_id,
                                     std::int64_t by, std::int64_t now_ms) {
  return base_.run(
      "INSERT OR IGNORE INTO review_assignments(device_id, session_id, proctor_id, "
      "assigned_by, assigned_wall_ms) VALUES (?, ?, ?, ?, ?)",
      device_id, session_id, proctor_id, by, now_ms);
}

Result<bool> SqliteStaffRepository::session_references_blob(std::string_view device_id, std::string_view session_id,
                                                            std::string_view sha_hex) {
  return base_.exists(
      "SELECT 1 FROM review_flags f, json_each(f.evidence) j WHERE f.device_id = ?1 AND "
      "f.session_id = ?2 AND j.value = ?3 "
      "UNION ALL SELECT 1 FROM records WHERE device_id = ?1 AND session_id = ?2 AND type IN "
      "('thumbnail.taken', 'identity.checked', 'session.submitted') AND "
      "instr(CAST(payload AS TEXT), ?3) > 0 LIMIT 1",
      device_id, session_id, sha_hex);
}

Status SqliteStaffRepository::decide_flag(std::int64_t flag_row, std::string_view device_id, std::string_view session_id,
                                          std::string_view decision, std::string_view note, std::int64_t by,
                                          std::int64_t now_ms) {
  VIGIL_ASSIGN(
      const auto changed,
      base_.changes("UPDATE review_flags SET decision = ?, decision_note = ?, decided_by = ?, decided_wall_ms = ? "
                    "WHERE flag_row = ? AND device_id = ? AND session_id = ?",
                    decision, note, by, now_ms, flag_row, device_id, session_id));
  if (changed != 1) return fail(Errc::not_found, "no such flag in this session");
  return {};
}

Status SqliteStaffRepository::add_session_decision(std::string_view device_id, std::string_view session_id,
                                                   const DecisionRow& d) {
  return base_.run(
      "INSERT INTO review_decisions(device_id, session_id, proctor_id, decision, note, "
      "wall_ms, round, public_reason) VALUES (?, ?, ?, ?, ?, ?, ?, nullif(?, ''))",
      device_id, session_id, d.proctor_id, d.decision, d.note, d.wall_ms, d.round, d.public_reason);
}

Status SqliteStaffRepository::set_review_state(std::string_view device_id, std::string_view session_id,
                                               std::string_view state, std::string_view proposed,
                                               std::int64_t proposed_by, std::string_view decision, bool disputed,
                                               std::int64_t now_ms) {
  // A decided round is final (schema 8): only a new flag (the triggers) moves it on.
  VIGIL_ASSIGN(const auto changed,
               base_.changes("UPDATE review_sessions SET state = ?1, proposed_decision = nullif(?2, ''), "
                             "proposed_by = nullif(?3, 0), decision = nullif(?4, ''), disputed = ?5, decided_wall_ms = "
                             "CASE WHEN ?1 = 'decided' THEN ?6 END WHERE device_id = ?7 AND session_id = ?8 AND "
                             "state <> 'decided'",
                             state, proposed, proposed_by, decision, disputed, now_ms, device_id, session_id));
  if (changed != 1) return fail(Errc::conflict, "this session has already been decided");
  return {};
}

Result<std::vector<DecisionRow>> SqliteStaffRepository::decisions(std::string_view device_id, std::string_view session_id) {
  return base_.collect(
      "SELECT proctor_id, decision, note, wall_ms, round, coalesce(public_reason, '') FROM review_decisions "
      "WHERE device_id = ? AND session_id = ? ORDER BY decision_id LIMIT 1000",
      [](const sqlite::Statement& s) {
        return DecisionRow{s.column_int(0), s.column_text(1), s.column_text(2), s.column_int(3), s.column_int(4),
                           s.column_text(5)};
      },
      device_id, session_id);
}

Result<std::vector<QueueEntry>> SqliteStaffRepository::reviews_of_sitting(std::string_view sitting_id,
                                                                          std::string_view candidate_id) {
  return base_.collect(std::string("SELECT ") + k_queue_columns +
                           " FROM review_sessions r WHERE r.session_id = ? AND r.candidate_id = ? ORDER BY r.device_id LIMIT 20",
                       read_queue, sitting_id, candidate_id);
}

}  // namespace vigil::server
