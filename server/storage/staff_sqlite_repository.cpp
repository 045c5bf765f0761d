#include "server/storage/staff_sqlite_repository.hpp"

#include <nlohmann/json.hpp>

namespace vigil::server {

namespace {

using Lock = std::lock_guard<std::recursive_mutex>;

// One candidate's completion state, derived (StaffRepository invariant 3). The CASE lists the
// states from the furthest along back to the first. Flags arrive while a candidate is still
// sitting (sync is continuous): "under review" starts only once the session is submitted.
constexpr const char* k_status_select = R"sql(
SELECT candidate_id, council_id, full_name, work_email, employee_ref, level, last_seen, outcome,
  CASE
    WHEN withdrawn IS NOT NULL THEN 'withdrawn'
    WHEN outcome IS NOT NULL THEN 'result_released'
    WHEN under_review > 0 AND (received > 0 OR submitted > 0) THEN 'under_review'
    WHEN received > 0 THEN 'received'
    WHEN submitted > 0 THEN 'submitted'
    WHEN last_seen IS NOT NULL THEN 'in_progress'
    WHEN downloaded > 0 THEN 'package_downloaded'
    WHEN devices > 0 THEN 'enrolled'
    ELSE 'endorsed'
  END AS status,
  reendorsed, attempt
FROM (
  SELECT c.candidate_id, c.council_id, c.full_name, c.work_email, e.employee_ref, c.level,
         e.withdrawn_wall_ms AS withdrawn,
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
           AND NOT EXISTS (SELECT 1 FROM resits x WHERE x.resit_of = s.session_id AND x.sitting_id IS NOT NULL)) AS received,
         (SELECT count(*) FROM review_sessions r WHERE r.candidate_id = c.candidate_id AND r.state <> 'decided') AS under_review
    FROM candidates c
    JOIN endorsements e ON e.candidate_id = c.candidate_id
   WHERE %COUNCIL%
)
)sql";

// One council (the index on candidates.council_id is used) or, for ?1 = '', every council. Two
// statements rather than "?1 = '' OR ...", which would make SQLite scan every candidate.
std::string status_select(bool one_council) {
  std::string sql = k_status_select;
  const auto at = sql.find("%COUNCIL%");
  sql.replace(at, 9, one_council ? "c.council_id = ?1" : "?1 = ''");
  return sql;
}

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

constexpr const char* k_user_columns =
    "SELECT user_id, email, display_name, role, council_id, password_salt, password_hash, failed_logins, "
    "locked_until_wall_ms, disabled_wall_ms, must_change_password, password_expires_wall_ms, totp_secret, "
    "totp_pending_secret, totp_last_step FROM staff_users ";

// Runs a prepared statement and reports whether it changed exactly one row.
Result<bool> changed_one(sqlite::Db& db, sqlite::Statement& st) {
  VIGIL_TRY(st.run());
  return sqlite3_changes(db.handle()) == 1;
}

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
  Lock lock(base_.mutex());
  auto& db = base_.db();
  VIGIL_ASSIGN(auto st, db.cached("INSERT INTO staff_users(email, display_name, role, council_id, password_salt, "
                                  "password_hash, created_wall_ms, must_change_password, password_expires_wall_ms) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st.bind(1, u.email).bind(2, u.display_name).bind(3, role_name(u.role));
  if (u.council_id.empty()) st.bind_null(4); else st.bind(4, u.council_id);
  st.bind(5, ByteView(u.password_salt)).bind(6, ByteView(u.password_hash)).bind(7, now_ms);
  st.bind(8, std::int64_t{u.must_change_password ? 1 : 0});
  if (u.password_expires_wall_ms > 0) st.bind(9, u.password_expires_wall_ms); else st.bind_null(9);
  auto r = st.run();
  if (!r && r.error().code == Errc::conflict) {
    return fail(Error(Errc::conflict, "a staff account with this email already exists, or the council is unknown", "email"));
  }
  VIGIL_TRY(r);
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db.handle()));
}

Result<std::optional<StaffUser>> SqliteStaffRepository::user_by_email(std::string_view email) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(std::string(k_user_columns) + "WHERE email = ?"));
  st.bind(1, email);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<StaffUser>{};
  return std::optional<StaffUser>{read_user(st)};
}

Result<std::optional<StaffUser>> SqliteStaffRepository::user(std::int64_t user_id) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(std::string(k_user_columns) + "WHERE user_id = ?"));
  st.bind(1, user_id);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<StaffUser>{};
  return std::optional<StaffUser>{read_user(st)};
}

Result<std::vector<StaffUser>> SqliteStaffRepository::users(std::int64_t limit) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(std::string(k_user_columns) + "ORDER BY user_id LIMIT ?"));
  st.bind(1, limit);
  std::vector<StaffUser> out;
  while (true) {
    VIGIL_ASSIGN(bool row, st.step());
    if (!row) break;
    out.push_back(read_user(st));
  }
  return out;
}

Status SqliteStaffRepository::set_login_failures(std::int64_t user_id, std::int64_t failed, std::int64_t locked_until_ms) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("UPDATE staff_users SET failed_logins = ?, locked_until_wall_ms = ? WHERE user_id = ?"));
  st.bind(1, failed).bind(2, locked_until_ms).bind(3, user_id);
  return st.run();
}

Status SqliteStaffRepository::disable_user(std::int64_t user_id, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  VIGIL_ASSIGN(auto st, db.cached("UPDATE staff_users SET disabled_wall_ms = ? WHERE user_id = ? AND disabled_wall_ms IS NULL"));
  st.bind(1, now_ms).bind(2, user_id);
  VIGIL_TRY(st.run());
  if (sqlite3_changes(db.handle()) != 1) return fail(Errc::not_found, "no such active staff account");
  VIGIL_ASSIGN(auto end, db.cached("DELETE FROM staff_sessions WHERE user_id = ?"));
  end.bind(1, user_id);
  return end.run();
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStaffRepository::councils() {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("SELECT council_id, name FROM councils ORDER BY name LIMIT 1000"));
  std::vector<std::pair<std::string, std::string>> out;
  while (true) {
    VIGIL_ASSIGN(bool row, st.step());
    if (!row) break;
    out.emplace_back(st.column_text(0), st.column_text(1));
  }
  return out;
}

Status SqliteStaffRepository::set_password(std::int64_t user_id, ByteView salt, ByteView hash, bool must_change,
                                           std::int64_t expires_ms, ByteView keep_session) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  VIGIL_ASSIGN(auto st, db.cached("UPDATE staff_users SET password_salt = ?, password_hash = ?, must_change_password = ?, "
                                  "password_expires_wall_ms = ? WHERE user_id = ?"));
  st.bind(1, salt).bind(2, hash).bind(3, std::int64_t{must_change ? 1 : 0});
  if (expires_ms > 0) st.bind(4, expires_ms); else st.bind_null(4);
  st.bind(5, user_id);
  VIGIL_ASSIGN(bool one, changed_one(db, st));
  if (!one) return fail(Errc::not_found, "no such staff account");
  // A new password ends every other sign-in of the account (a thief's included).
  VIGIL_ASSIGN(auto end, db.cached("DELETE FROM staff_sessions WHERE user_id = ? AND token_hash <> ?"));
  end.bind(1, user_id).bind(2, keep_session);
  return end.run();
}

Status SqliteStaffRepository::set_totp_pending(std::int64_t user_id, ByteView secret) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("UPDATE staff_users SET totp_pending_secret = ? WHERE user_id = ?"));
  st.bind(1, secret).bind(2, user_id);
  return st.run();
}

Status SqliteStaffRepository::confirm_totp(std::int64_t user_id, ByteView secret, std::int64_t step,
                                           const std::vector<Bytes>& recovery_hashes) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  VIGIL_ASSIGN(auto st, db.cached("UPDATE staff_users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, "
                                  "totp_last_step = ? WHERE user_id = ? AND totp_pending_secret = ?"));
  st.bind(1, step).bind(2, user_id).bind(3, secret);
  VIGIL_ASSIGN(bool one, changed_one(db, st));
  if (!one) return fail(Errc::conflict, "this enrolment was replaced by a newer one; start again");
  VIGIL_ASSIGN(auto del, db.cached("DELETE FROM staff_recovery_codes WHERE user_id = ?"));
  del.bind(1, user_id);
  VIGIL_TRY(del.run());
  for (const auto& h : recovery_hashes) {
    VIGIL_ASSIGN(auto ins, db.cached("INSERT INTO staff_recovery_codes(user_id, code_hash) VALUES (?, ?)"));
    ins.bind(1, user_id).bind(2, ByteView(h));
    VIGIL_TRY(ins.run());
  }
  return {};
}

Status SqliteStaffRepository::remove_totp(std::int64_t user_id) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  VIGIL_ASSIGN(auto st, db.cached("UPDATE staff_users SET totp_secret = NULL, totp_pending_secret = NULL, "
                                  "totp_last_step = -1 WHERE user_id = ?"));
  st.bind(1, user_id);
  VIGIL_ASSIGN(bool one, changed_one(db, st));
  if (!one) return fail(Errc::not_found, "no such staff account");
  VIGIL_ASSIGN(auto del, db.cached("DELETE FROM staff_recovery_codes WHERE user_id = ?"));
  del.bind(1, user_id);
  return del.run();
}

Result<bool> SqliteStaffRepository::accept_totp_step(std::int64_t user_id, std::int64_t step) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  VIGIL_ASSIGN(auto st, db.cached("UPDATE staff_users SET totp_last_step = ?1 WHERE user_id = ?2 AND totp_last_step < ?1"));
  st.bind(1, step).bind(2, user_id);
  return changed_one(db, st);
}

Result<bool> SqliteStaffRepository::use_recovery_code(std::int64_t user_id, ByteView code_hash, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  VIGIL_ASSIGN(auto st, db.cached("UPDATE staff_recovery_codes SET used_wall_ms = ? WHERE user_id = ? AND code_hash = ? "
                                  "AND used_wall_ms IS NULL"));
  st.bind(1, now_ms).bind(2, user_id).bind(3, code_hash);
  return changed_one(db, st);
}

Result<std::int64_t> SqliteStaffRepository::recovery_codes_left(std::int64_t user_id) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("SELECT count(*) FROM staff_recovery_codes WHERE user_id = ? AND used_wall_ms IS NULL"));
  st.bind(1, user_id);
  VIGIL_ASSIGN(bool row, st.step());
  return row ? st.column_int(0) : 0;
}

Result<std::int64_t> SqliteStaffRepository::throttle_attempt(const std::vector<ThrottleRule>& rules, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
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
    VIGIL_ASSIGN(auto st, db.cached(sql));
    st.bind(1, r.key).bind(2, now_ms).bind(3, std::max<std::int64_t>(1, r.leak_ms)).bind(4, r.free).bind(5, r.base_ms)
        .bind(6, r.cap_ms);
    VIGIL_ASSIGN(bool counted, changed_one(db, st));
    if (counted) continue;
    VIGIL_ASSIGN(auto q, db.cached("SELECT blocked_until_wall_ms FROM login_throttle WHERE key = ?"));
    q.bind(1, r.key);
    VIGIL_ASSIGN(bool row, q.step());
    return row ? std::max(q.column_int(0), now_ms + 1) : now_ms + 1;
  }
  return 0;
}

Status SqliteStaffRepository::throttle_success(const std::vector<std::string>& forget, const std::vector<std::string>& refund) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  for (const auto& k : forget) {
    VIGIL_ASSIGN(auto st, db.cached("DELETE FROM login_throttle WHERE key = ?"));
    st.bind(1, k);
    VIGIL_TRY(st.run());
  }
  for (const auto& k : refund) {
    VIGIL_ASSIGN(auto st, db.cached("UPDATE login_throttle SET score_milli = max(0, score_milli - 1000) WHERE key = ?"));
    st.bind(1, k);
    VIGIL_TRY(st.run());
  }
  return {};
}

Status SqliteStaffRepository::clear_throttle_for(std::string_view email) {
  Lock lock(base_.mutex());
  // Keys are "acct:EMAIL" and "pair:EMAIL|ADDRESS" (staff_api.cpp); compared by prefix, not LIKE,
  // since an email may hold % or _.
  VIGIL_ASSIGN(auto st, base_.db().cached("DELETE FROM login_throttle WHERE key = 'acct:' || ?1 "
                                          "OR substr(key, 1, length(?1) + 6) = 'pair:' || ?1 || '|'"));
  st.bind(1, email);
  return st.run();
}

Status SqliteStaffRepository::count_login_failure(std::optional<std::int64_t> user_id, std::string_view address,
                                                  bool throttled, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  if (user_id) {
    VIGIL_ASSIGN(auto st, db.cached("INSERT INTO staff_login_failures(user_id, failures, last_wall_ms, last_address) "
                                    "VALUES (?1, 1, ?2, ?3) ON CONFLICT(user_id) DO UPDATE SET failures = failures + 1, "
                                    "last_wall_ms = ?2, last_address = ?3"));
    st.bind(1, *user_id).bind(2, now_ms).bind(3, address);
    VIGIL_TRY(st.run());
  }
  VIGIL_ASSIGN(auto st, db.cached("INSERT INTO login_failure_hours(hour_wall_ms, known_account, unknown_account, throttled) "
                                  "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(hour_wall_ms) DO UPDATE SET "
                                  "known_account = known_account + ?2, unknown_account = unknown_account + ?3, "
                                  "throttled = throttled + ?4"));
  constexpr std::int64_t k_hour_ms = 3'600'000;
  st.bind(1, now_ms - now_ms % k_hour_ms).bind(2, std::int64_t{user_id ? 1 : 0}).bind(3, std::int64_t{user_id ? 0 : 1})
      .bind(4, std::int64_t{throttled ? 1 : 0});
  return st.run();
}

Result<LoginFailures> SqliteStaffRepository::take_login_failures(std::int64_t user_id) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  VIGIL_ASSIGN(auto st, db.cached("DELETE FROM staff_login_failures WHERE user_id = ? RETURNING failures, last_wall_ms, last_address"));
  st.bind(1, user_id);
  VIGIL_ASSIGN(bool row, st.step());
  LoginFailures out;
  if (row) out = {st.column_int(0), st.column_int(1), st.column_text(2)};
  st.reset();
  return out;
}

Status SqliteStaffRepository::touch_staff_session(ByteView token_hash, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("UPDATE staff_sessions SET last_seen_wall_ms = ? WHERE token_hash = ?"));
  st.bind(1, now_ms).bind(2, token_hash);
  return st.run();
}

Status SqliteStaffRepository::set_staff_session_auth(ByteView token_hash, bool mfa_ok, std::int64_t reauth_ms) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("UPDATE staff_sessions SET mfa_ok = ?, reauth_wall_ms = ? WHERE token_hash = ?"));
  st.bind(1, std::int64_t{mfa_ok ? 1 : 0}).bind(2, reauth_ms).bind(3, token_hash);
  return st.run();
}

Status SqliteStaffRepository::add_staff_session(ByteView token_hash, const StaffSessionRow& s, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  // Expired sessions go when a new one starts: the table stays the size of the signed-in staff.
  VIGIL_ASSIGN(auto purge, db.cached("DELETE FROM staff_sessions WHERE expires_wall_ms <= ?"));
  purge.bind(1, now_ms);
  VIGIL_TRY(purge.run());
  VIGIL_ASSIGN(auto st, db.cached("INSERT INTO staff_sessions(token_hash, user_id, csrf_token, created_wall_ms, "
                                  "expires_wall_ms, last_seen_wall_ms, mfa_ok, reauth_wall_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  st.bind(1, token_hash).bind(2, s.user_id).bind(3, s.csrf_token).bind(4, now_ms).bind(5, s.expires_wall_ms)
      .bind(6, now_ms).bind(7, std::int64_t{s.mfa_ok ? 1 : 0}).bind(8, s.reauth_wall_ms);
  return st.run();
}

Result<std::optional<StaffSessionRow>> SqliteStaffRepository::staff_session(ByteView token_hash, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("SELECT user_id, csrf_token, expires_wall_ms, last_seen_wall_ms, mfa_ok, "
                                          "reauth_wall_ms FROM staff_sessions WHERE token_hash = ? AND expires_wall_ms > ?"));
  st.bind(1, token_hash).bind(2, now_ms);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<StaffSessionRow>{};
  return std::optional<StaffSessionRow>{StaffSessionRow{st.column_int(0), st.column_text(1), st.column_int(2),
                                                        st.column_int(3), st.column_int(4) != 0, st.column_int(5)}};
}

Status SqliteStaffRepository::delete_staff_session(ByteView token_hash) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("DELETE FROM staff_sessions WHERE token_hash = ?"));
  st.bind(1, token_hash);
  return st.run();
}

Status SqliteStaffRepository::add_endorsement(const EndorsementRow& e, std::int64_t endorsed_by, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  VIGIL_TRY(base_.add_candidate(e.candidate, now_ms));
  VIGIL_ASSIGN(auto st, base_.db().cached(
                            "INSERT INTO endorsements(candidate_id, council_id, employee_ref, exemptions, "
                            "extra_time_percent, extra_break_minutes, endorsed_wall_ms, endorsed_by) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  st.bind(1, e.candidate.candidate_id).bind(2, e.candidate.council_id).bind(3, e.employee_ref).bind(4, e.exemptions)
      .bind(5, e.extra_time_percent).bind(6, e.extra_break_minutes).bind(7, now_ms).bind(8, endorsed_by);
  VIGIL_TRY(st.run());
  // The runner's accommodations (migration 002) come from the endorsement.
  return base_.set_accommodations(e.candidate.candidate_id,
                                  {static_cast<std::uint32_t>(e.extra_time_percent),
                                   static_cast<std::uint32_t>(e.extra_break_minutes), e.exemptions == "knowledge_only"},
                                  now_ms);
}

Result<std::optional<EndorsementRow>> SqliteStaffRepository::endorsement(std::string_view candidate_id) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(
                            "SELECT c.candidate_id, c.council_id, c.full_name, c.work_email, c.level, e.employee_ref, "
                            "e.exemptions, e.extra_time_percent, e.extra_break_minutes, e.withdrawn_wall_ms "
                            "FROM candidates c JOIN endorsements e ON e.candidate_id = c.candidate_id "
                            "WHERE c.candidate_id = ?"));
  st.bind(1, candidate_id);
  VIGIL_ASSIGN(bool row, st.step());
  if (!row) return std::optional<EndorsementRow>{};
  EndorsementRow e;
  e.candidate = {st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3), st.column_text(4)};
  e.employee_ref = st.column_text(5);
  e.exemptions = st.column_text(6);
  e.extra_time_percent = st.column_int(7);
  e.extra_break_minutes = st.column_int(8);
  if (!st.column_is_null(9)) e.withdrawn_wall_ms = st.column_int(9);
  return std::optional<EndorsementRow>{std::move(e)};
}

Result<bool> SqliteStaffRepository::employee_ref_taken(std::string_view council_id, std::string_view employee_ref) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("SELECT 1 FROM endorsements WHERE council_id = ? AND employee_ref = ?"));
  st.bind(1, council_id).bind(2, employee_ref);
  return st.step();
}

Result<bool> SqliteStaffRepository::work_email_taken(std::string_view council_id, std::string_view email) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("SELECT 1 FROM candidates WHERE council_id = ? AND work_email = ? COLLATE NOCASE"));
  st.bind(1, council_id).bind(2, email);
  return st.step();
}

Result<bool> SqliteStaffRepository::candidate_id_taken(std::string_view candidate_id) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("SELECT 1 FROM candidates WHERE candidate_id = ?"));
  st.bind(1, candidate_id);
  return st.step();
}

Status SqliteStaffRepository::withdraw(std::string_view candidate_id, std::string_view reason, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("UPDATE endorsements SET withdrawn_wall_ms = ?, withdrawn_reason = ? "
                                          "WHERE candidate_id = ? AND withdrawn_wall_ms IS NULL"));
  st.bind(1, now_ms).bind(2, reason).bind(3, candidate_id);
  VIGIL_TRY(st.run());
  if (sqlite3_changes(base_.db().handle()) != 1) return fail(Errc::conflict, "this candidate is already withdrawn");
  return {};
}

Status SqliteStaffRepository::set_headcount(std::string_view council_id, std::int64_t eligible, std::int64_t now_ms) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("INSERT INTO council_headcount(council_id, eligible, updated_wall_ms) VALUES (?, ?, ?) "
                                          "ON CONFLICT(council_id) DO UPDATE SET eligible = excluded.eligible, "
                                          "updated_wall_ms = excluded.updated_wall_ms"));
  st.bind(1, council_id).bind(2, eligible).bind(3, now_ms);
  return st.run();
}

Result<std::vector<std::string>> SqliteStaffRepository::candidates_needing_codes(std::string_view council_id,
                                                                                 std::int64_t now_ms, std::int64_t limit) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached(
                            "SELECT e.candidate_id FROM endorsements e WHERE e.council_id = ? AND e.withdrawn_wall_ms IS NULL "
                            "AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.candidate_id = e.candidate_id) "
                            "AND NOT EXISTS (SELECT 1 FROM enrolment_codes k WHERE k.candidate_id = e.candidate_id "
                            "AND k.used_wall_ms IS NULL AND k.expires_wall_ms > ?) ORDER BY e.candidate_id LIMIT ?"));
  st.bind(1, council_id).bind(2, now_ms).bind(3, limit);
  std::vector<std::string> out;
  while (true) {
    VIGIL_ASSIGN(bool row, st.step());
    if (!row) break;
    out.push_back(st.column_text(0));
  }
  return out;
}

Result<StatusPage> SqliteStaffRepository::status(const StatusQuery& q) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  const std::string like = q.search.empty() ? "" : "%" + q.search + "%";
  const std::string filter =
      " WHERE (?2 = '' OR status = ?2) AND (?3 = '' OR full_name LIKE ?3 OR work_email LIKE ?3 OR employee_ref LIKE ?3)";
  const std::string select = status_select(!q.council_id.empty());
  VIGIL_ASSIGN(auto count, db.cached("SELECT count(*) FROM (" + select + ")" + filter));
  count.bind(1, q.council_id).bind(2, q.status).bind(3, like);
  VIGIL_ASSIGN(bool has, count.step());
  StatusPage page;
  page.total = has ? count.column_int(0) : 0;
  VIGIL_ASSIGN(auto st, db.cached("SELECT * FROM (" + select + ")" + filter +
                                  " ORDER BY full_name, candidate_id LIMIT ?4 OFFSET ?5"));
  st.bind(1, q.council_id).bind(2, q.status).bind(3, like).bind(4, q.limit).bind(5, q.offset);
  while (true) {
    VIGIL_ASSIGN(bool row, st.step());
    if (!row) break;
    CandidateStatusRow r;
    r.candidate_id = st.column_text(0);
    r.council_id = st.column_text(1);
    r.full_name = st.column_text(2);
    r.work_email = st.column_text(3);
    r.employee_ref = st.column_text(4);
    r.level = st.column_text(5);
    if (!st.column_is_null(6)) r.last_seen_wall_ms = st.column_int(6);
    r.outcome = st.column_is_null(7) ? "" : st.column_text(7);
    r.status = st.column_text(8);
    r.reendorsed = st.column_int(9) != 0;
    r.attempt = st.column_int(10);
    page.rows.push_back(std::move(r));
  }
  return page;
}

Result<StatusSummary> SqliteStaffRepository::status_summary(std::string_view council_id) {
  Lock lock(base_.mutex());
  auto& db = base_.db();
  StatusSummary out;
  VIGIL_ASSIGN(auto st, db.cached("SELECT status, count(*), sum(outcome = 'met') FROM (" +
                                  status_select(!council_id.empty()) + ") GROUP BY status"));
  st.bind(1, council_id);
  while (true) {
    VIGIL_ASSIGN(bool row, st.step());
    if (!row) break;
    out.by_status.emplace_back(st.column_text(0), st.column_int(1));
    out.met += st.column_int(2);
  }
  VIGIL_ASSIGN(auto hc, db.cached("SELECT sum(eligible), count(*) FROM council_headcount WHERE (?1 = '' OR council_id = ?1)"));
  hc.bind(1, council_id);
  VIGIL_ASSIGN(bool row, hc.step());
  if (row && hc.column_int(1) > 0) out.eligible_headcount = hc.column_int(0);
  return out;
}

Status SqliteStaffRepository::audit(const AuditEntry& e) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("INSERT INTO audit_log(wall_ms, user_id, action, target, detail) VALUES (?, ?, ?, ?, ?)"));
  st.bind(1, e.wall_ms);
  if (e.user_id) st.bind(2, *e.user_id); else st.bind_null(2);
  st.bind(3, e.action).bind(4, e.target).bind(5, e.detail);
  return st.run();
}

Result<std::vector<AuditEntry>> SqliteStaffRepository::audit_entries(std::int64_t before, std::int64_t limit) {
  Lock lock(base_.mutex());
  VIGIL_ASSIGN(auto st, base_.db().cached("SELECT audit_id, wall_ms, user_id, action, target, detail FROM audit_log "
                                          "WHERE (?1 = 0 OR audit_id < ?1) ORDER BY audit_id DESC LIMIT ?2"));
  st.bind(1, before).bind(2, limit);
  std::vector<AuditEntry> out;
  while (true) {
    VIGIL_ASSIGN(bool row, st.step());
    if (!row) break;
    AuditEntry a;
    a.audit_id = st.column_int(0);
    a.wall_ms = st.column_int(1);
    if (!st.column_is_null(2)) a.user_id = st.column_int(2);
    a.action = st.column_text(3);
    a.target = st.column_text(4);
    a.detail = st.column_text(5);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace vigil::server
