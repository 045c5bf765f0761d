-- Schema 9: staff accounts to OWASP ASVS L2 (issue 13): one-time passwords that must be changed,
-- TOTP second factor with recovery codes, idle timeout and re-authentication of browser sessions,
-- and sign-in throttling that can neither lock a person out nor tell which accounts exist.
-- Numbered 009: 008 is the answer-integrity migration.
--
-- Invariants:
--  (1) A password set by someone other than its user (an admin at creation or reset, the CLI) is
--      one-time: must_change_password = 1 and it stops working at password_expires_wall_ms.
--      Nothing but the user's own change (which needs the current password) clears the flag.
--  (2) totp_secret is set only by a verified enrolment (a code from the authenticator matched the
--      pending secret); totp_last_step is the last time step accepted, and a code for that step
--      or an earlier one is refused (replay).
--  (3) Recovery codes are stored as SHA-256 of a 80-bit random code; each is spent once.
--  (4) login_throttle rows are keyed by text the caller chose (an email whether or not an account
--      has it, an address, or both), so throttling says nothing about which accounts exist. Each
--      attempt is counted by one UPSERT before the password is checked (no read-then-write race).
--  (5) Failed sign-ins by nobody are not audit events: they are counted per account in
--      staff_login_failures (one row per account) and per hour in login_failure_hours, and the
--      count reaches the audit log with the account's next successful sign-in.

ALTER TABLE staff_users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff_users ADD COLUMN password_expires_wall_ms INTEGER;
ALTER TABLE staff_users ADD COLUMN totp_secret BLOB;
ALTER TABLE staff_users ADD COLUMN totp_pending_secret BLOB;
ALTER TABLE staff_users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT -1;

-- last_seen: the idle timeout; mfa_ok = 0 while a second factor is still owed; reauth: when the
-- user last re-entered their password (and code) in this session.
ALTER TABLE staff_sessions ADD COLUMN last_seen_wall_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff_sessions ADD COLUMN mfa_ok INTEGER NOT NULL DEFAULT 1;
ALTER TABLE staff_sessions ADD COLUMN reauth_wall_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX staff_sessions_by_user ON staff_sessions(user_id);

CREATE TABLE staff_recovery_codes (
  user_id   INTEGER NOT NULL REFERENCES staff_users(user_id),
  code_hash BLOB NOT NULL,
  used_wall_ms INTEGER,
  PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

CREATE TABLE login_throttle (
  key         TEXT PRIMARY KEY,
  score_milli INTEGER NOT NULL,          -- failures, leaking away linearly with time
  updated_wall_ms INTEGER NOT NULL,
  blocked_until_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE staff_login_failures (
  user_id INTEGER PRIMARY KEY REFERENCES staff_users(user_id),
  failures INTEGER NOT NULL,
  last_wall_ms INTEGER NOT NULL,
  last_address TEXT NOT NULL
);

CREATE TABLE login_failure_hours (
  hour_wall_ms INTEGER PRIMARY KEY,      -- start of the hour (UTC)
  known_account INTEGER NOT NULL,
  unknown_account INTEGER NOT NULL,
  throttled INTEGER NOT NULL
);
