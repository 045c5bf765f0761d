#include "server/storage/staff_sqlite_repository.hpp"

// The identity-check part of SqliteStaffRepository (staff_sqlite_repository.hpp; schema 11,
// migrations/011_identity_checks.sql): the queue, assignment (least-loaded active proctor),
// decisions and what the session's journal says about its identity photos.

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

Result<std::optional<std::int64_t>> SqliteStaffRepository::least_loaded_proctor(std::int64_t except) {
  return base_.one("SELECT proctor_id FROM identity_proctor_load WHERE proctor_id <> ? ORDER BY open_checks, proctor_id LIMIT 1",
                   [](const sqlite::Statement& s) { return s.column_int(0); }, except);
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

Result<std::int64_t> SqliteStaffRepository::assign_unassigned_identity(std::int64_t limit) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(auto waiting,
               base_.collect("SELECT device_id, session_id FROM identity_checks WHERE proctor_id IS NULL AND state = 'open' "
                             "ORDER BY created_wall_ms LIMIT ?",
                             [](const sqlite::Statement& s) { return std::make_pair(s.column_text(0), s.column_text(1)); },
                             limit));
  std::int64_t assigned = 0;
  // One at a time: each assignment changes the load the next one reads.
  for (const auto& [device, session] : waiting) {
    VIGIL_ASSIGN(auto proctor, least_loaded_proctor(0));
    if (!proctor) break;
    VIGIL_TRY(assign_identity(device, session, false, *proctor));
    ++assigned;
  }
  return assigned;
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

Result<std::vector<IdentityCheckRow>> SqliteStaffRepository::identity_checks_of_sitting(std::string_view sitting_id,
                                                                                        std::string_view candidate_id) {
  return base_.collect(std::string(k_identity_columns) + "WHERE ic.session_id = ? AND ic.candidate_id = ? ORDER BY ic.device_id LIMIT 20",
                       read_identity, sitting_id, candidate_id);
}

}  // namespace vigil::server
