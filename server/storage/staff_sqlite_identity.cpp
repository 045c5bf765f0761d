#include "server/storage/staff_sqlite_repository.hpp"

// The identity-check and workload part of SqliteStaffRepository (staff_sqlite_repository.hpp):
// identity checks (schema 11, migrations/011_identity_checks.sql): the queue, decisions and what
// the session's journal says about its identity photos; the proctors' workload (schema 13,
// migrations/013_proctor_workload.sql): the one least-loaded rule for reviews and identity checks,
// automatic assignment, reassignment, and what waits on whom.

#include <array>
#include <tuple>

#include <sqlite3.h>

namespace vigil::server {

namespace {

constexpr const char* k_identity_columns =
    "SELECT ic.device_id, ic.session_id, ic.candidate_id, coalesce(c.full_name, ''), coalesce(c.level, ''), "
    "ic.created_wall_ms, ic.proctor_id, ic.second_proctor_id, ic.state, ic.proposed_decision, ic.proposed_by, "
    "ic.decision, ic.decided_wall_ms FROM identity_checks ic LEFT JOIN candidates c ON c.candidate_id = ic.candidate_id ";

IdentityCheckRow read_identity(const sqlite::Statement& st) {
  IdentityCheckRow r;
  r.device_id = st.column_text(0);
  r.session_id = st.column_text(1);
  r.candidate_id = st.column_text(2);
  r.full_name = st.column_text(3);
  r.level = st.column_text(4);
  r.created_wall_ms = st.column_int(5);
  r.proctor_id = st.column_int_or_null(6).value_or(0);
  r.second_proctor_id = st.column_int_or_null(7).value_or(0);
  r.state = st.column_text(8);
  r.proposed_decision = st.column_text_or_null(9).value_or("");
  r.proposed_by = st.column_int_or_null(10).value_or(0);
  r.decision = st.column_text_or_null(11).value_or("");
  r.decided_wall_ms = st.column_int_or_null(12).value_or(0);
  return r;
}

}  // namespace

Result<std::vector<IdentityCheckRow>> SqliteStaffRepository::identity_queue(std::optional<std::int64_t> proctor_id,
                                                                            std::int64_t limit) {
  if (proctor_id) {
    return base_.collect(std::string(k_identity_columns) +
                             "WHERE (ic.state = 'open' AND ic.proctor_id = ?1) OR (ic.state = 'awaiting_second' AND "
                             "ic.second_proctor_id = ?1) ORDER BY ic.created_wall_ms, ic.session_id LIMIT ?2",
                         read_identity, *proctor_id, limit);
  }
  return base_.collect(std::string(k_identity_columns) +
                           "WHERE ic.state <> 'decided' ORDER BY ic.created_wall_ms, ic.session_id LIMIT ?",
                       read_identity, limit);
}

Result<std::optional<IdentityCheckRow>> SqliteStaffRepository::identity_check(std::string_view device_id,
                                                                              std::string_view session_id) {
  return base_.one(std::string(k_identity_columns) + "WHERE ic.device_id = ? AND ic.session_id = ?", read_identity,
                   device_id, session_id);
}

Status SqliteStaffRepository::assign_identity(std::string_view device_id, std::string_view session_id, bool second,
                                              std::int64_t proctor_id) {
  VIGIL_ASSIGN(const auto changed,
               base_.changes(second ? "UPDATE identity_checks SET second_proctor_id = ? WHERE device_id = ? AND session_id = ? "
                                      "AND state <> 'decided'"
                                    : "UPDATE identity_checks SET proctor_id = ? WHERE device_id = ? AND session_id = ? "
                                      "AND state <> 'decided'",
                             proctor_id, device_id, session_id));
  if (changed != 1) return fail(Errc::conflict, "this identity check has been decided; it can no longer be reassigned");
  return {};
}

Status SqliteStaffRepository::decide_identity(std::string_view device_id, std::string_view session_id,
                                              const IdentityDecisionRow& d, std::string_view state, std::string_view proposed,
                                              std::int64_t proposed_by, std::string_view decision) {
  const auto lock = base_.hold();
  // The decision first: the trigger that withholds a mismatch reads its public reason (schema 12).
  // The caller's transaction undoes it if the check turns out to be decided already.
  VIGIL_TRY(base_.run(
      "INSERT INTO identity_decisions(device_id, session_id, proctor_id, stage, decision, note, wall_ms, public_reason) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, nullif(?, ''))",
      device_id, session_id, d.proctor_id, static_cast<std::int64_t>(d.stage), d.decision, d.note, d.wall_ms,
      d.public_reason));
  VIGIL_ASSIGN(const auto changed,
               base_.changes("UPDATE identity_checks SET state = ?1, proposed_decision = nullif(?2, ''), proposed_by = "
                             "nullif(?3, 0), decision = nullif(?4, ''), decided_wall_ms = CASE WHEN ?1 = 'decided' THEN ?5 END "
                             "WHERE device_id = ?6 AND session_id = ?7 AND state <> 'decided'",
                             state, proposed, proposed_by, decision, d.wall_ms, device_id, session_id));
  if (changed != 1) return fail(Errc::conflict, "this identity check has already been decided");
  return {};
}

Result<std::vector<IdentityDecisionRow>> SqliteStaffRepository::identity_decisions(std::string_view device_id,
                                                                                   std::string_view session_id) {
  return base_.collect(
      "SELECT proctor_id, stage, decision, note, wall_ms, coalesce(public_reason, '') FROM identity_decisions "
      "WHERE device_id = ? AND session_id = ? ORDER BY decision_id LIMIT 100",
      [](const sqlite::Statement& s) {
        return IdentityDecisionRow{s.column_int(0), static_cast<int>(s.column_int(1)), s.column_text(2), s.column_text(3),
                                   s.column_int(4), s.column_text(5)};
      },
      device_id, session_id);
}

Result<IdentityEvidence> SqliteStaffRepository::identity_evidence(std::string_view device_id, std::string_view session_id,
                                                                  std::int64_t max_thumbnails) {
  const auto lock = base_.hold();
  IdentityEvidence out;
  // The last identity.checked record of the session (a device writes one).
  VIGIL_ASSIGN(auto photos,
               base_.one("SELECT coalesce(CAST(json_extract(CAST(payload AS TEXT), '$.face_photo') AS TEXT), ''), "
                         "coalesce(CAST(json_extract(CAST(payload AS TEXT), '$.id_photo') AS TEXT), '') FROM records "
                         "WHERE device_id = ? AND session_id = ? AND type = 'identity.checked' AND "
                         "json_valid(CAST(payload AS TEXT)) ORDER BY seq DESC LIMIT 1",
                         [](const sqlite::Statement& s) { return std::make_pair(s.column_text(0), s.column_text(1)); },
                         device_id, session_id));
  if (photos) std::tie(out.face_photo, out.id_photo) = *photos;
  VIGIL_ASSIGN(out.thumbnails,
               base_.collect("SELECT CAST(json_extract(CAST(payload AS TEXT), '$.sha256') AS TEXT) FROM records "
                             "WHERE device_id = ? AND session_id = ? AND type = 'thumbnail.taken' AND "
                             "json_valid(CAST(payload AS TEXT)) AND json_type(CAST(payload AS TEXT), '$.sha256') = 'text' "
                             "ORDER BY seq LIMIT ?",
                             [](const sqlite::Statement& s) { return s.column_text(0); }, device_id, session_id,
                             max_thumbnails));
  return out;
}

namespace {

constexpr std::array<std::string_view, 2> k_work_kinds{"review", "identity"};

WorkKind read_kind(std::string_view s) { return s == "identity" ? WorkKind::identity : WorkKind::review; }

WorkItem read_work(const sqlite::Statement& st) {
  WorkItem w;
  w.kind = read_kind(st.column_text(0));
  w.device_id = st.column_text(1);
  w.session_id = st.column_text(2);
  w.candidate_id = st.column_text(3);
  w.full_name = st.column_text(4);
  w.since_wall_ms = st.column_int(5);
  w.proctor_id = st.column_int_or_null(6).value_or(0);
  w.part = st.column_text(7);
  w.state = st.column_text(8);
  return w;
}

constexpr const char* k_work_columns =
    "SELECT w.kind, w.device_id, w.session_id, w.candidate_id, coalesce(c.full_name, ''), w.since_wall_ms, w.proctor_id, "
    "w.part, w.state FROM open_work w LEFT JOIN candidates c ON c.candidate_id = w.candidate_id ";

}  // namespace

std::string_view work_kind_name(WorkKind k) noexcept { return k_work_kinds[static_cast<std::size_t>(k)]; }

Result<std::optional<std::int64_t>> SqliteStaffRepository::least_loaded_proctor(WorkKind kind, std::string_view device_id,
                                                                                std::string_view session_id) {
  // Schema 13 invariant 2: the rank is proctor_load's; the same choice the triggers make.
  return base_.one(
      "SELECT l.proctor_id FROM proctor_load l WHERE l.proctor_id NOT IN (SELECT p.proctor_id FROM work_participants p "
      "WHERE p.kind = ?1 AND p.device_id = ?2 AND p.session_id = ?3) ORDER BY l.rank LIMIT 1",
      [](const sqlite::Statement& s) { return s.column_int(0); }, work_kind_name(kind), device_id, session_id);
}

Result<std::optional<std::int64_t>> SqliteStaffRepository::assign_next_proctor(WorkKind kind, std::string_view device_id,
                                                                               std::string_view session_id,
                                                                               std::int64_t now_ms) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(const bool waiting,
               base_.exists("SELECT 1 FROM unassigned_work WHERE kind = ? AND device_id = ? AND session_id = ?",
                            work_kind_name(kind), device_id, session_id));
  if (!waiting) return std::optional<std::int64_t>();
  VIGIL_ASSIGN(auto proctor, least_loaded_proctor(kind, device_id, session_id));
  if (!proctor) return proctor;
  if (kind == WorkKind::review) {
    VIGIL_TRY(assign(device_id, session_id, *proctor, 0, now_ms));
  } else {
    VIGIL_TRY(base_.run("UPDATE identity_checks SET proctor_id = CASE state WHEN 'open' THEN ?1 ELSE proctor_id END, "
                        "second_proctor_id = CASE state WHEN 'awaiting_second' THEN ?1 ELSE second_proctor_id END "
                        "WHERE device_id = ?2 AND session_id = ?3",
                        *proctor, device_id, session_id));
  }
  return proctor;
}

Result<std::int64_t> SqliteStaffRepository::assign_waiting_work(std::int64_t now_ms) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(auto waiting, base_.collect("SELECT kind, device_id, session_id FROM unassigned_work ORDER BY since_wall_ms, "
                                           "session_id LIMIT 100000",
                                           [](const sqlite::Statement& s) {
                                             return std::tuple(read_kind(s.column_text(0)), s.column_text(1), s.column_text(2));
                                           }));
  std::int64_t assigned = 0;
  // One at a time: each assignment changes the load the next one reads.
  for (const auto& [kind, device, session] : waiting) {
    VIGIL_ASSIGN(auto proctor, assign_next_proctor(kind, device, session, now_ms));
    if (proctor) ++assigned;
  }
  return assigned;
}

Status SqliteStaffRepository::reassign_work(WorkKind kind, std::string_view device_id, std::string_view session_id,
                                            std::int64_t to, std::int64_t by, std::int64_t now_ms) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(const bool open, base_.exists(kind == WorkKind::review
                                                 ? "SELECT 1 FROM review_sessions WHERE device_id = ? AND session_id = ? AND "
                                                   "state <> 'decided'"
                                                 : "SELECT 1 FROM identity_checks WHERE device_id = ? AND session_id = ? AND "
                                                   "state <> 'decided'",
                                             device_id, session_id));
  if (!open) return fail(Errc::conflict, "this has been decided; it can no longer be reassigned");
  VIGIL_ASSIGN(const bool took_part,
               base_.exists("SELECT 1 FROM work_participants WHERE kind = ? AND device_id = ? AND session_id = ? AND "
                            "proctor_id = ?",
                            work_kind_name(kind), device_id, session_id, to));
  if (took_part) {
    return fail(Error(Errc::conflict, "this proctor is already assigned to it or took part in a decision on it; choose "
                                      "someone who did not", "proctor_id"));
  }
  if (kind == WorkKind::identity) {
    return base_.run("UPDATE identity_checks SET proctor_id = CASE state WHEN 'open' THEN ?1 ELSE proctor_id END, "
                     "second_proctor_id = CASE state WHEN 'awaiting_second' THEN ?1 ELSE second_proctor_id END "
                     "WHERE device_id = ?2 AND session_id = ?3",
                     to, device_id, session_id);
  }
  // Those waiting on the review lose it; those who decided in this round keep their assignment
  // (their decision stands, and they may read what they decided).
  VIGIL_TRY(base_.run("DELETE FROM review_assignments WHERE device_id = ?1 AND session_id = ?2 AND proctor_id IN "
                      "(SELECT proctor_id FROM open_work WHERE kind = 'review' AND device_id = ?1 AND session_id = ?2)",
                      device_id, session_id));
  return assign(device_id, session_id, to, by, now_ms);
}

Result<std::vector<WorkItem>> SqliteStaffRepository::open_work(std::optional<std::int64_t> proctor_id, std::int64_t limit) {
  if (proctor_id) {
    return base_.collect(std::string(k_work_columns) + "WHERE w.proctor_id = ? ORDER BY w.since_wall_ms, w.session_id LIMIT ?",
                         read_work, *proctor_id, limit);
  }
  // Every item with each active proctor it waits on, and a row (proctor 0) for each item nobody
  // active waits on.
  return base_.collect(std::string(k_work_columns) +
                           "WHERE w.proctor_id IN (SELECT proctor_id FROM proctor_load) "
                           "UNION ALL SELECT u.kind, u.device_id, u.session_id, coalesce(r.candidate_id, i.candidate_id), "
                           "coalesce(c.full_name, ''), u.since_wall_ms, NULL, CASE coalesce(r.state, i.state) WHEN "
                           "'awaiting_second' THEN 'second' ELSE 'first' END, coalesce(r.state, i.state) FROM unassigned_work u "
                           "LEFT JOIN review_sessions r ON u.kind = 'review' AND r.device_id = u.device_id AND r.session_id = "
                           "u.session_id LEFT JOIN identity_checks i ON u.kind = 'identity' AND i.device_id = u.device_id AND "
                           "i.session_id = u.session_id LEFT JOIN candidates c ON c.candidate_id = coalesce(r.candidate_id, "
                           "i.candidate_id) ORDER BY 6, 3 LIMIT ?",
                       read_work, limit);
}

Result<std::vector<std::int64_t>> SqliteStaffRepository::waiting_on(WorkKind kind, std::string_view device_id,
                                                                    std::string_view session_id) {
  return base_.collect("SELECT proctor_id FROM open_work WHERE kind = ? AND device_id = ? AND session_id = ? AND "
                       "proctor_id IS NOT NULL ORDER BY proctor_id LIMIT 100",
                       [](const sqlite::Statement& s) { return s.column_int(0); }, work_kind_name(kind), device_id, session_id);
}

Result<std::vector<ProctorLoad>> SqliteStaffRepository::workload() {
  return base_.collect(
      "SELECT proctor_id, display_name, open_reviews, open_identity_checks, oldest_since_wall_ms FROM proctor_load "
      "ORDER BY display_name, proctor_id LIMIT 10000",
      [](const sqlite::Statement& s) {
        return ProctorLoad{s.column_int(0), s.column_text(1), s.column_int(2), s.column_int(3), s.column_int_or_null(4)};
      });
}

Result<std::vector<IdentityCheckRow>> SqliteStaffRepository::identity_checks_of_sitting(std::string_view sitting_id,
                                                                                        std::string_view candidate_id) {
  return base_.collect(std::string(k_identity_columns) + "WHERE ic.session_id = ? AND ic.candidate_id = ? ORDER BY ic.device_id LIMIT 20",
                       read_identity, sitting_id, candidate_id);
}

}  // namespace vigil::server
