#include "server/storage/staff_sqlite_repository.hpp"

#include <nlohmann/json.hpp>

namespace vigil::server {

namespace {

// One candidate's completion state, derived (StaffRepository invariant 3). The CASE lists the
// states from the furthest along back to the first. Flags arrive while a candidate is still
// sitting (sync is continuous): "under review" starts only once the session is submitted.
//
// Schema 12 (issue 16 part 3): after submission the status follows the outcome state of the
// candidate's current sitting (their latest one not superseded by a scheduled resit), decided by
// the one rule (shared/results/outcome.hpp) through vigil_outcome_state() on the
// sitting_outcome_facts view: void_after_review and withheld_identity (with the decision's public
// reason), under_review (a proctor review or the identity check is not finished), and otherwise
// received / submitted until the release. A void or withheld sitting shows no outcome.
//
// The state comes from `st`, kept whole by LIMIT -1 OFFSET 0 so that each candidate's state is
// decided once (SQLite does not flatten a subquery with an OFFSET; flattened, the state's subquery
// would be repeated at each mention below). It is asked only of a candidate with a session:
// without one, nothing the rule reads can be recorded (no review, no identity check, no
// submission). The candidate's other columns stay in the flattened query, so that a page sorted
// and cut to its LIMIT computes them for the rows it shows only. The public reason is read for a
// void or withheld result only.
constexpr const char* k_status_select = R"sql(
SELECT candidate_id, council_id, full_name, work_email, employee_ref, level, last_seen,
  CASE WHEN state IN ('void_after_review', 'withheld_identity') THEN NULL ELSE outcome END AS outcome,
  CASE
    WHEN withdrawn IS NOT NULL THEN 'withdrawn'
    WHEN state = 'void_after_review' THEN 'void_after_review'
    WHEN state = 'withheld_identity' THEN 'withheld_identity'
    WHEN outcome IS NOT NULL THEN 'result_released'
    WHEN state = 'under_review' THEN 'under_review'
    WHEN received > 0 THEN 'received'
    WHEN submitted > 0 THEN 'submitted'
    WHEN last_seen IS NOT NULL THEN 'in_progress'
    WHEN downloaded > 0 THEN 'package_downloaded'
    WHEN devices > 0 THEN 'enrolled'
    ELSE 'endorsed'
  END AS status,
  reendorsed, attempt,
  CASE state
    WHEN 'void_after_review' THEN (SELECT f.void_reason FROM sitting_outcome_facts f WHERE f.sitting_id = current_sitting)
    WHEN 'withheld_identity' THEN (SELECT f.identity_reason FROM sitting_outcome_facts f WHERE f.sitting_id = current_sitting)
  END AS public_reason,
  -- The current sitting's latest appeal (schema 14): open (lodged, assigned or proposed), upheld or
  -- overturned; released_after_appeal is a released result ('result_released') with appeal 'overturned'.
  (SELECT CASE WHEN a.state = 'decided' THEN a.outcome ELSE 'open' END FROM appeals a
    WHERE a.sitting_id = current_sitting ORDER BY a.appeal_id DESC LIMIT 1) AS appeal
FROM (
  SELECT c.candidate_id, c.council_id, c.full_name, c.work_email, coalesce(e.employee_ref, '') AS employee_ref, c.level,
         e.withdrawn_wall_ms AS withdrawn, st.state, st.current_sitting,
         -- The latest released result (results table, one release path: release_results), unless
         -- a resit has been scheduled after it: the status then follows the new attempt.
         (SELECT r.outcome FROM results r WHERE r.candidate_id = c.candidate_id AND r.released_wall_ms IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM resits x WHERE x.resit_of = r.sitting_id AND x.sitting_id IS NOT NULL)
           ORDER BY r.released_wall_ms DESC, r.scored_wall_ms DESC LIMIT 1) AS outcome,
         EXISTS (SELECT 1 FROM resits x WHERE x.candidate_id = c.candidate_id AND x.sitting_id IS NULL) AS reendorsed,
         coalesce((SELECT max(x.attempt) FROM resits x WHERE x.candidate_id = c.candidate_id AND x.sitting_id IS NOT NULL),
                  1) AS attempt,
         (SELECT count(*) FROM devices d WHERE d.candidate_id = c.candidate_id) AS devices,
         (SELECT count(*) FROM devices d JOIN sitting_devices sd ON sd.device_id = d.device_id
           WHERE d.candidate_id = c.candidate_id) AS downloaded,
         (SELECT max(s.last_seen_wall_ms) FROM sessions s WHERE s.candidate_id = c.candidate_id 
           AND NOT EXISTS (SELECT 1 FROM resits x WHERE x.resit_of = s.session_id AND x.sitting_id IS NOT NULL)) AS last_seen,
         (SELECT count(*) FROM sessions s WHERE s.candidate_id = c.candidate_id AND s.submitted_seq IS NOT NULL 
           AND NOT EXISTS (SELECT 1 FROM resits x WHERE x.resit_of = s.session_id AND x.sitting_id IS NOT NULL)) AS submitted,
         (SELECT count(*) FROM sessions s WHERE s.candidate_id = c.candidate_id AND s.receipt IS NOT NULL 
           AND NOT EXISTS (SELECT 1 FROM resits x WHERE x.resit_of = s.session_id AND x.sitting_id IS NOT NULL)) AS received
    FROM candidates c
    JOIN endorsements e ON e.candidate_id = c.candidate_id
    JOIN (
      SELECT k.candidate_id, k.current_sitting,
             CASE WHEN k.has_session THEN
               (SELECT vigil_outcome_state(f.submitted, f.released_wall_ms IS NOT NULL, f.void_wall_ms IS NOT NULL,
                                           f.identity_withheld_wall_ms IS NOT NULL, f.review_open, f.review_awaiting_second,
                                           f.identity_pending, f.identity_awaiting_second, f.appeal_overturned)
                  FROM sitting_outcome_facts f WHERE f.sitting_id = k.current_sitting) END AS state
        FROM (
          SELECT c.candidate_id,
                 -- The current sitting: the latest one not superseded by a scheduled resit.
                 (SELECT t.sitting_id FROM sittings t WHERE t.candidate_id = c.candidate_id
                     AND NOT EXISTS (SELECT 1 FROM resits x WHERE x.resit_of = t.sitting_id AND x.sitting_id IS NOT NULL)
                   ORDER BY t.scheduled_start_wall_ms DESC, t.sitting_id DESC LIMIT 1) AS current_sitting,
                 EXISTS (SELECT 1 FROM sessions s WHERE s.candidate_id = c.candidate_id) AS has_session
            FROM candidates c
           WHERE %COUNCIL%
           LIMIT -1 OFFSET 0) k
       LIMIT -1 OFFSET 0) st ON st.candidate_id = c.candidate_id
   WHERE %COUNCIL%
)
)sql";

// One council (the index on candidates.council_id is used) or, for ?1 = '', every council. Two
// statements rather than "?1 = '' OR ...", which would make SQLite scan every candidate.
std::string status_select(bool one_council) {
  std::string sql = k_status_select;
  for (auto at = sql.find("%COUNCIL%"); at != std::string::npos; at = sql.find("%COUNCIL%")) {
    sql.replace(at, 9, one_council ? "c.council_id = ?1" : "?1 = ''");
  }
  return sql;
}

std::int64_t read_int(const sqlite::Statement& st) { return st.column_int(0); }

StaffUser read_user(const sqlite::Statement& st) {
  StaffUser u;
  u.user_id = st.column_int(0);
  u.email = st.column_text(1);
  u.display_name = st.column_text(2);
  u.role = parse_role(st.column_text(3)).value_or(Role::proctor);
  u.council_id = st.column_is_null(4) ? "" : st.column_text(4);
  u.password_salt = st.column_blob(5);
  u.password_hash = st.column_blob(6);
  u.failed_logins = st.column_int(7);
  u.locked_until_wall_ms = st.column_int(8);
  u.disabled = !st.column_is_null(9);
  u.must_change_password = st.column_int(10) != 0;
  u.password_expires_wall_ms = st.column_is_null(11) ? 0 : st.column_int(11);
  if (!st.column_is_null(12)) u.totp_secret = st.column_blob(12);
  if (!st.column_is_null(13)) u.totp_pending_secret = st.column_blob(13);
  u.totp_last_step = st.column_int(14);
  return u;
}

CandidateStatusRow read_status(const sqlite::Statement& st) {
  CandidateStatusRow r;
  r.candidate_id = st.column_text(0);
  r.council_id = st.column_text(1);
  r.full_name = st.column_text(2);
  r.work_email = st.column_text(3);
  r.employee_ref = st.column_text(4);
  r.level = st.column_text(5);
  r.last_seen_wall_ms = st.column_int_or_null(6);
  r.outcome = st.column_text_or_null(7).value_or("");
  r.status = st.column_text(8);
  r.reendorsed = st.column_int(9) != 0;
  r.attempt = st.column_int(10);
  r.public_reason = st.column_text_or_null(11).value_or("");
  r.appeal = st.column_text_or_null(12).value_or("");
  return r;
}

constexpr const char* k_user_columns =
    "SELECT user_id, email, display_name, role, council_id, password_salt, password_hash, failed_logins, "
    "locked_until_wall_ms, disabled_wall_ms, must_change_password, password_expires_wall_ms, totp_secret, "
    "totp_pending_secret, totp_last_step FROM staff_users ";

}  // namespace

std::string_view role_name(Role r) noexcept {
  switch (r) {
    case Role::programme_admin: return "programme_admin";
    case Role::council_manager: return "council_manager";
    case Role::proctor: return "proctor";
    case Role::assessor: return "assessor";
  }
  return "proctor";
}

std::optional<Role> parse_role(std::string_view s) noexcept {
  if (s == "programme_admin") return Role::programme_admin;
  if (s == "council_manager") return Role::council_manager;
  if (s == "proctor") return Role::proctor;
  if (s == "assessor") return Role::assessor;
  return std::nullopt;
}

Result<std::int64_t> SqliteStaffRepository::add_user(const StaffUser& u, std::int64_t now_ms) {
  const auto lock = base_.hold();  // until the row id is read
  auto r = base_.run(
      "INSERT INTO staff_users(email, display_name, role, council_id, password_salt, password_hash, "
      "created_wall_ms, must_change_password, password_expires_wall_ms) "
      "VALUES (?, ?, ?, nullif(?, ''), ?, ?, ?, ?, nullif(?, 0))",
      u.email, u.display_name, role_name(u.role), u.council_id, u.password_salt, u.password_hash, now_ms,
      u.must_change_password, std::max<std::int64_t>(u.password_expires_wall_ms, 0));
  if (!r && r.error().code == Errc::conflict) {
    return fail(Error(Errc::conflict, "a staff account with this email already exists, or the council is unknown", "email"));
  }
  VIGIL_TRY(r);
  const auto id = static_cast<std::int64_t>(sqlite3_last_insert_rowid(base_.db().handle()));
  // Schema 13 invariant 3: work that waited for an active proctor goes to the new one now.
  if (u.role == Role::proctor) VIGIL_TRY(assign_waiting_work(now_ms));
  return id;
}

Result<std::optional<StaffUser>> SqliteStaffRepository::user_by_email(std::string_view email) {
  return base_.one(std::string(k_user_columns) + "WHERE email = ?", read_user, email);
}

Result<std::optional<StaffUser>> SqliteStaffRepository::user(std::int64_t user_id) {
  return base_.one(std::string(k_user_columns) + "WHERE user_id = ?", read_user, user_id);
}

Result<std::vector<StaffUser>> SqliteStaffRepository::users(std::int64_t limit) {
  return base_.collect(std::string(k_user_columns) + "ORDER BY user_id LIMIT ?", read_user, limit);
}

Status SqliteStaffRepository::set_login_failures(std::int64_t user_id, std::int64_t failed, std::int64_t locked_until_ms) {
  return base_.run("UPDATE staff_users SET failed_logins = ?, locked_until_wall_ms = ? WHERE user_id = ?", failed,
                   locked_until_ms, user_id);
}

Status SqliteStaffRepository::disable_user(std::int64_t user_id, std::int64_t now_ms) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(const auto changed, base_.changes("UPDATE staff_users SET disabled_wall_ms = ? WHERE user_id = ? AND "
                                                 "disabled_wall_ms IS NULL",
                                                 now_ms, user_id));
  if (changed != 1) return fail(Errc::not_found, "no such active staff account");
  VIGIL_TRY(base_.run("DELETE FROM staff_sessions WHERE user_id = ?", user_id));
  // Schema 13 invariant 3: what waited on a disabled proctor goes to the active ones.
  VIGIL_TRY(assign_waiting_work(now_ms));
  return {};
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStaffRepository::councils() {
  return base_.collect("SELECT council_id, name FROM councils ORDER BY name LIMIT 1000",
                       [](const sqlite::Statement& s) {
                         return std::pair{s.column_text(0), s.column_text(1)};
                       });
}

Status SqliteStaffRepository::set_password(std::int64_t user_id, ByteView salt, ByteView hash, bool must_change,
                                           std::int64_t expires_ms, ByteView keep_session) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(const auto changed,
               base_.changes("UPDATE staff_users SET password_salt = ?, password_hash = ?, must_change_password = ?, "
                             "password_expires_wall_ms = nullif(?, 0) WHERE user_id = ?",
                             salt, hash, must_change, std::max<std::int64_t>(expires_ms, 0), user_id));
  if (changed != 1) return fail(Errc::not_found, "no such staff account");
  // A new password ends every other sign-in of the account (a thief's included).
  return base_.run("DELETE FROM staff_sessions WHERE user_id = ? AND token_hash <> ?", user_id, keep_session);
}

Status SqliteStaffRepository::set_totp_pending(std::int64_t user_id, ByteView secret) {
  return base_.run("UPDATE staff_users SET totp_pending_secret = ? WHERE user_id = ?", secret, user_id);
}

Status SqliteStaffRepository::confirm_totp(std::int64_t user_id, ByteView secret, std::int64_t step,
                                           const std::vector<Bytes>& recovery_hashes) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(const auto changed,
               base_.changes("UPDATE staff_users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, "
                             "totp_last_step = ? WHERE user_id = ? AND totp_pending_secret = ?",
                             step, user_id, secret));
  if (changed != 1) return fail(Errc::conflict, "this enrolment was replaced by a newer one; start again");
  VIGIL_TRY(base_.run("DELETE FROM staff_recovery_codes WHERE user_id = ?", user_id));
  for (const auto& h : recovery_hashes) {
    VIGIL_TRY(base_.run("INSERT INTO staff_recovery_codes(user_id, code_hash) VALUES (?, ?)", user_id, h));
  }
  return {};
}

Status SqliteStaffRepository::remove_totp(std::int64_t user_id) {
  const auto lock = base_.hold();
  VIGIL_ASSIGN(const auto changed,
               base_.changes("UPDATE staff_users SET totp_secret = NULL, totp_pending_secret = NULL, "
                             "totp_last_step = -1 WHERE user_id = ?",
                             user_id));
  if (changed != 1) return fail(Errc::not_found, "no such staff account");
  return base_.run("DELETE FROM staff_recovery_codes WHERE user_id = ?", user_id);
}

Result<bool> SqliteStaffRepository::accept_totp_step(std::int64_t user_id, std::int64_t step) {
  VIGIL_ASSIGN(const auto changed, base_.changes("UPDATE staff_users SET totp_last_step = ?1 WHERE user_id = ?2 AND "
                                                 "totp_last_step < ?1",
                                                 step, user_id));
  return changed == 1;
}

Result<bool> SqliteStaffRepository::use_recovery_code(std::int64_t user_id, ByteView code_hash, std::int64_t now_ms) {
  VIGIL_ASSIGN(const auto changed, base_.changes("UPDATE staff_recovery_codes SET used_wall_ms = ? WHERE user_id = ? "
                                                 "AND code_hash = ? AND used_wall_ms IS NULL",
                                                 now_ms, user_id, code_hash));
  return changed == 1;
}

Result<std::int64_t> SqliteStaffRepository::recovery_codes_left(std::int64_t user_id) {
  VIGIL_ASSIGN(const auto n,
               base_.one("SELECT count(*) FROM staff_recovery_codes WHERE user_id = ? AND used_wall_ms IS NULL",
                         read_int, user_id));
  return n.value_or(0);
}

Result<std::int64_t> SqliteStaffRepository::throttle_attempt(const std::vector<ThrottleRule>& rules, std::int64_t now_ms) {
  const auto lock = base_.hold();
  // Schema 9 invariant 4: one statement counts the attempt and sets the block, only while no block
  // is in force, so concurrent attempts can neither both slip through a check nor lose a count.
  // The score leaks linearly (a leaky bucket: no pow(), which SQLite builds may lack); the block
  // starts at base_ms once `free` attempts are used (counted rounding up, so that the leak of a
  // few seconds between attempts does not let a sixth one through) and doubles per further
  // failure up to cap_ms.
  constexpr const char* k_score = "(max(0, score_milli - (?2 - updated_wall_ms) * 1000 / ?3) + 1000)";
  const std::string sql = std::string(
      "INSERT INTO login_throttle(key, score_milli, updated_wall_ms, blocked_until_wall_ms) VALUES (?1, 1000, ?2, 0) "
      "ON CONFLICT(key) DO UPDATE SET score_milli = ") + k_score + ", updated_wall_ms = ?2, blocked_until_wall_ms = "
      "CASE WHEN (" + k_score + " + 999) / 1000 >= ?4 THEN ?2 + min(?6, ?5 << min(30, (" + k_score + " + 999) / 1000 - ?4)) "
      "ELSE 0 END "
      "WHERE blocked_until_wall_ms <= ?2";
  for (const auto& r : rules) {
    VIGIL_ASSIGN(const auto counted,
                 base_.changes(sql, r.key, now_ms, std::max<std::int64_t>(1, r.leak_ms), r.free, r.base_ms, r.cap_ms));
    if (counted == 1) continue;
    VIGIL_ASSIGN(const auto until,
                 base_.one("SELECT blocked_until_wall_ms FROM login_throttle WHERE key = ?", read_int, r.key));
    return until ? std::max(*until, now_ms + 1) : now_ms + 1;
  }
  return 0;
}

Status SqliteStaffRepository::throttle_success(const std::vector<std::string>& forget, const std::vector<std::string>& refund) {
  const auto lock = base_.hold();
  for (const auto& k : forget) VIGIL_TRY(base_.run("DELETE FROM login_throttle WHERE key = ?", k));
  for (const auto& k : refund) {
    VIGIL_TRY(base_.run("UPDATE login_throttle SET score_milli = max(0, score_milli - 1000) WHERE key = ?", k));
  }
  return {};
}

Status SqliteStaffRepository::clear_throttle_for(std::string_view email) {
  // Keys are "acct:EMAIL" and "pair:EMAIL|ADDRESS" (staff_api.cpp); compared by prefix, not LIKE,
  // since an email may hold % or _.
  return base_.run(
      "DELETE FROM login_throttle WHERE key = 'acct:' || ?1 "
      "OR substr(key, 1, length(?1) + 6) = 'pair:' || ?1 || '|'",
      email);
}

Status SqliteStaffRepository::count_login_failure(std::optional<std::int64_t> user_id, std::string_view address,
                                                  bool throttled, std::int64_t now_ms) {
  const auto lock = base_.hold();
  if (user_id) {
    VIGIL_TRY(
        base_.run("INSERT INTO staff_login_failures(user_id, failures, last_wall_ms, last_address) "
                  "VALUES (?1, 1, ?2, ?3) ON CONFLICT(user_id) DO UPDATE SET failures = failures + 1, "
                  "last_wall_ms = ?2, last_address = ?3",
                  *user_id, now_ms, address));
  }
  constexpr std::int64_t k_hour_ms = 3'600'000;
  return base_.run(
      "INSERT INTO login_failure_hours(hour_wall_ms, known_account, unknown_account, throttled) "
      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(hour_wall_ms) DO UPDATE SET "
      "known_account = known_account + ?2, unknown_account = unknown_account + ?3, "
      "throttled = throttled + ?4",
      now_ms - now_ms % k_hour_ms, user_id.has_value(), !user_id.has_value(), throttled);
}

Result<LoginFailures> SqliteStaffRepository::take_login_failures(std::int64_t user_id) {
  VIGIL_ASSIGN(auto taken, base_.one(
                               "DELETE FROM staff_login_failures WHERE user_id = ? "
                               "RETURNING failures, last_wall_ms, last_address",
                               [](const sqlite::Statement& s) {
                                 return LoginFailures{s.column_int(0), s.column_int(1), s.column_text(2)};
                               },
                               user_id));
  return taken.value_or(LoginFailures{});
}

Status SqliteStaffRepository::touch_staff_session(ByteView token_hash, std::int64_t now_ms) {
  return base_.run("UPDATE staff_sessions SET last_seen_wall_ms = ? WHERE token_hash = ?", now_ms, token_hash);
}

Status SqliteStaffRepository::set_staff_session_auth(ByteView token_hash, bool mfa_ok, std::int64_t reauth_ms) {
  return base_.run("UPDATE staff_sessions SET mfa_ok = ?, reauth_wall_ms = ? WHERE token_hash = ?", mfa_ok, reauth_ms,
                   token_hash);
}

Status SqliteStaffRepository::add_staff_session(ByteView token_hash, const StaffSessionRow& s, std::int64_t now_ms) {
  const auto lock = base_.hold();
  // Expired sessions go when a new one starts: the table stays the size of the signed-in staff.
  VIGIL_TRY(base_.run("DELETE FROM staff_sessions WHERE expires_wall_ms <= ?", now_ms));
  return base_.run(
      "INSERT INTO staff_sessions(token_hash, user_id, csrf_token, created_wall_ms, expires_wall_ms, "
      "last_seen_wall_ms, mfa_ok, reauth_wall_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6, ?7)",
      token_hash, s.user_id, s.csrf_token, now_ms, s.expires_wall_ms, s.mfa_ok, s.reauth_wall_ms);
}

Result<std::optional<StaffSessionRow>> SqliteStaffRepository::staff_session(ByteView token_hash, std::int64_t now_ms) {
  return base_.one(
      "SELECT user_id, csrf_token, expires_wall_ms, last_seen_wall_ms, mfa_ok, reauth_wall_ms "
      "FROM staff_sessions WHERE token_hash = ? AND expires_wall_ms > ?",
      [](const sqlite::Statement& s) {
        return StaffSessionRow{s.column_int(0), s.column_text(1),     s.column_int(2),
                               s.column_int(3), s.column_int(4) != 0, s.column_int(5)};
      },
      token_hash, now_ms);
}

Status SqliteStaffRepository::delete_staff_session(ByteView token_hash) {
  return base_.run("DELETE FROM staff_sessions WHERE token_hash = ?", token_hash);
}

Status SqliteStaffRepository::add_endorsement(const EndorsementRow& e, std::int64_t endorsed_by, std::int64_t now_ms) {
  const auto lock = base_.hold();
  // Schema 10 invariant 1: adding the candidate puts them on the roster; the council's own
  // details go on that row.
  VIGIL_TRY(base_.add_candidate(e.candidate, now_ms));
  VIGIL_TRY(
      base_.run("UPDATE endorsements SET employee_ref = nullif(?, ''), exemptions = ?, extra_time_percent = ?, "
                "extra_break_minutes = ?, endorsed_by = ? WHERE candidate_id = ?",
                e.employee_ref, e.exemptions, e.extra_time_percent, e.extra_break_minutes, endorsed_by,
                e.candidate.candidate_id));
  // The runner's accommodations (migration 002) come from the endorsement.
  return base_.set_accommodations(e.candidate.candidate_id,
                                  {static_cast<std::uint32_t>(e.extra_time_percent),
                                   static_cast<std::uint32_t>(e.extra_break_minutes), e.exemptions == "knowledge_only"},
                                  now_ms);
}

Result<std::optional<EndorsementRow>> SqliteStaffRepository::endorsement(std::string_view candidate_id) {
  return base_.one(
      "SELECT c.candidate_id, c.council_id, c.full_name, c.work_email, c.level, coalesce(e.employee_ref, ''), "
      "e.exemptions, e.extra_time_percent, e.extra_break_minutes, e.withdrawn_wall_ms "
      "FROM candidates c JOIN endorsements e ON e.candidate_id = c.candidate_id WHERE c.candidate_id = ?",
      [](const sqlite::Statement& s) {
        EndorsementRow e;
        e.candidate = {s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(3), s.column_text(4)};
        e.employee_ref = s.column_text(5);
        e.exemptions = s.column_text(6);
        e.extra_time_percent = s.column_int(7);
        e.extra_break_minutes = s.column_int(8);
        e.withdrawn_wall_ms = s.column_int_or_null(9);
        return e;
      },
      candidate_id);
}

Result<bool> SqliteStaffRepository::employee_ref_taken(std::string_view council_id, std::string_view employee_ref) {
  return base_.exists("SELECT 1 FROM endorsements WHERE council_id = ? AND employee_ref = ?", council_id, employee_ref);
}

Result<bool> SqliteStaffRepository::work_email_taken(std::string_view council_id, std::string_view email) {
  return base_.exists("SELECT 1 FROM candidates WHERE council_id = ? AND work_email = ? COLLATE NOCASE", council_id,
                      email);
}

Result<bool> SqliteStaffRepository::candidate_id_taken(std::string_view candidate_id) {
  return base_.exists("SELECT 1 FROM candidates WHERE candidate_id = ?", candidate_id);
}

Status SqliteStaffRepository::withdraw(std::string_view candidate_id, std::string_view reason, std::int64_t now_ms) {
  VIGIL_ASSIGN(const auto changed, base_.changes("UPDATE endorsements SET withdrawn_wall_ms = ?, withdrawn_reason = ? "
                                                 "WHERE candidate_id = ? AND withdrawn_wall_ms IS NULL",
                                                 now_ms, reason, candidate_id));
  if (changed != 1) return fail(Errc::conflict, "this candidate is already withdrawn");
  return {};
}

Status SqliteStaffRepository::set_headcount(std::string_view council_id, std::int64_t eligible, std::int64_t now_ms) {
  return base_.run(
      "INSERT INTO council_headcount(council_id, eligible, updated_wall_ms) VALUES (?, ?, ?) "
      "ON CONFLICT(council_id) DO UPDATE SET eligible = excluded.eligible, "
      "updated_wall_ms = excluded.updated_wall_ms",
      council_id, eligible, now_ms);
}

Result<std::vector<std::string>> SqliteStaffRepository::candidates_needing_codes(std::string_view council_id,
                                                                                 std::int64_t now_ms, std::int64_t limit) {
  return base_.collect(
      "SELECT e.candidate_id FROM endorsements e WHERE e.council_id = ? AND e.withdrawn_wall_ms IS NULL "
      "AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.candidate_id = e.candidate_id) "
      "AND NOT EXISTS (SELECT 1 FROM enrolment_codes k WHERE k.candidate_id = e.candidate_id "
      "AND k.used_wall_ms IS NULL AND k.expires_wall_ms > ?) ORDER BY e.candidate_id LIMIT ?",
      [](const sqlite::Statement& s) { return s.column_text(0); }, council_id, now_ms, limit);
}

Result<StatusPage> SqliteStaffRepository::status(const StatusQuery& q) {
  const auto lock = base_.hold();  // the count and the page from one state of the database
  const std::string like = q.search.empty() ? "" : "%" + q.search + "%";
  const std::string filter =
      " WHERE (?2 = '' OR status = ?2) AND (?3 = '' OR full_name LIKE ?3 OR work_email LIKE ?3 OR employee_ref LIKE ?3)";
  const std::string select = status_select(!q.council_id.empty());
  // Without a status filter the count needs no state: the roster rows the search matches.
  const std::string count =
      q.status.empty()
          ? std::string("SELECT count(*) FROM candidates c JOIN endorsements e ON e.candidate_id = c.candidate_id WHERE ") +
                (q.council_id.empty() ? "?1 = ''" : "c.council_id = ?1") +
                " AND ?2 = '' AND (?3 = '' OR c.full_name LIKE ?3 OR c.work_email LIKE ?3 OR coalesce(e.employee_ref, '') LIKE ?3)"
          : "SELECT count(*) FROM (" + select + ")" + filter;
  VIGIL_ASSIGN(const auto total, base_.one(count, read_int, q.council_id, q.status, like));
  StatusPage page;
  page.total = total.value_or(0);
  VIGIL_ASSIGN(page.rows, base_.collect("SELECT * FROM (" + select + ")" + filter +
                                            " ORDER BY full_name, candidate_id LIMIT ?4 OFFSET ?5",
                                        read_status, q.council_id, q.status, like, q.limit, q.offset));
  return page;
}

Result<StatusSummary> SqliteStaffRepository::status_summary(std::string_view council_id) {
  const auto lock = base_.hold();  // the counts and the headcount from one state of the database
  StatusSummary out;
  VIGIL_ASSIGN(const auto rows, base_.collect(
                                    "SELECT status, count(*), sum(outcome = 'met') FROM (" +
                                        status_select(!council_id.empty()) + ") GROUP BY status",
                                    [](const sqlite::Statement& s) {
                                      return std::tuple{s.column_text(0), s.column_int(1), s.column_int(2)};
                                    },
                                    council_id));
  for (const auto& [status, count, met] : rows) {
    out.by_status.emplace_back(status, count);
    out.met += met;
  }
  // sum() is NULL when no council has a headcount: the count says whether one has.
  VIGIL_ASSIGN(const auto headcount,
               base_.one(
                   "SELECT sum(eligible), count(*) FROM council_headcount WHERE (?1 = '' OR council_id = ?1)",
                   [](const sqlite::Statement& s) {
                     return std::pair{s.column_int(0), s.column_int(1)};
                   },
                   council_id));
  if (headcount && headcount->second > 0) out.eligible_headcount = headcount->first;
  return out;
}

Status SqliteStaffRepository::audit(const AuditEntry& e) {
  // Schema 10 invariant 4: the staff API always acts for a signed-in user, so an entry without
  // one comes from the command-line tools.
  return base_.run(
      "INSERT INTO audit_log(wall_ms, user_id, action, target, detail, via) "
      "VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?2 IS NULL THEN 'command_line' ELSE 'staff' END)",
      e.wall_ms, e.user_id, e.action, e.target, e.detail);
}

// Who acted, for people to read (schema 10 invariant 4). Rows from before schema 10 have no `via`:
// the device API's refusals are its device.* actions, failed sign-ins were login* actions, and the
// command-line tools wrote every other entry without a user.
constexpr const char* k_audit_who = R"sql(
  CASE
    WHEN a.user_id IS NOT NULL THEN coalesce(u.display_name || ' (' || u.email || ')', 'user ' || a.user_id)
    WHEN a.via = 'device' OR (a.via IS NULL AND a.action LIKE 'device.%') THEN 'device'
    WHEN a.via = 'command_line' OR (a.via IS NULL AND a.action NOT LIKE 'login%') THEN 'command line'
    ELSE 'not signed in'
  END)sql";

Result<std::vector<AuditLine>> SqliteStaffRepository::audit_entries(std::int64_t before, std::int64_t limit) {
  return base_.collect(
      std::string("SELECT a.audit_id, a.wall_ms, a.user_id, a.action, a.target, a.detail, ") + k_audit_who +
          " FROM audit_log a LEFT JOIN staff_users u ON u.user_id = a.user_id "
          "WHERE (?1 = 0 OR a.audit_id < ?1) ORDER BY a.audit_id DESC LIMIT ?2",
      [](const sqlite::Statement& s) {
        AuditLine a;
        a.audit_id = s.column_int(0);
        a.wall_ms = s.column_int(1);
        a.user_id = s.column_int_or_null(2);
        a.action = s.column_text(3);
        a.target = s.column_text(4);
        a.detail = s.column_text(5);
        a.who = s.column_text(6);
        return a;
      },
      before, limit);
}

}  // namespace vigil::server
