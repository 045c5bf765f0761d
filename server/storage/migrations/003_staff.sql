-- Schema 3: staff (programme admins, council managers, proctors), endorsements, proctor review and
-- the audit log (issue 6). Numbered 003: 002 is the assessment packages migration.
--
-- Invariants:
--  (1) audit_log is append-only: triggers refuse UPDATE and DELETE.
--  (2) review_flags / review_sessions are derived from what devices and the server already store
--      (records of type flag.raised / flag.ended, integrity_flags) by triggers, so the sync API
--      needs no change and the proctor queue is one indexed read. A malformed flag payload is
--      skipped (json_valid), never a reason to refuse a device's batch. A flag arriving after a
--      session was decided (a device that synced late) reopens it: a decision covers what the
--      proctors saw; the earlier decisions stay in review_decisions.
--  (3) A candidate's endorsement is withdrawn, never deleted.

CREATE TABLE staff_users (
  user_id       INTEGER PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name  TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('programme_admin', 'council_manager', 'proctor')),
  council_id    TEXT REFERENCES councils(council_id),   -- council managers only
  password_salt BLOB NOT NULL,
  password_hash BLOB NOT NULL,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until_wall_ms INTEGER NOT NULL DEFAULT 0,
  created_wall_ms INTEGER NOT NULL,
  disabled_wall_ms INTEGER,
  CHECK ((role = 'council_manager') = (council_id IS NOT NULL))
);

-- Signed-in browsers: only the SHA-256 of the cookie's token is stored.
CREATE TABLE staff_sessions (
  token_hash BLOB PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES staff_users(user_id),
  csrf_token TEXT NOT NULL,
  created_wall_ms INTEGER NOT NULL,
  expires_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- The council's endorsement of a candidate (candidates holds name, email, level).
CREATE TABLE endorsements (
  candidate_id  TEXT PRIMARY KEY REFERENCES candidates(candidate_id),
  council_id    TEXT NOT NULL REFERENCES councils(council_id),
  employee_ref  TEXT NOT NULL,
  exemptions    TEXT NOT NULL DEFAULT '',
  extra_time_percent  INTEGER NOT NULL DEFAULT 0,
  extra_break_minutes INTEGER NOT NULL DEFAULT 0,
  endorsed_wall_ms INTEGER NOT NULL,
  endorsed_by   INTEGER,
  withdrawn_wall_ms INTEGER,
  withdrawn_reason TEXT,
  UNIQUE (council_id, employee_ref)
) WITHOUT ROWID;
CREATE INDEX endorsements_by_council ON endorsements(council_id);
-- Not UNIQUE: candidates added before this migration (admin add-candidate) may share an email;
-- the endorsement checks refuse new duplicates instead.
CREATE INDEX candidates_by_council_email ON candidates(council_id, work_email);

CREATE TABLE council_headcount (
  council_id TEXT PRIMARY KEY REFERENCES councils(council_id),
  eligible   INTEGER NOT NULL CHECK (eligible >= 0),
  updated_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Outcomes, once the programme releases them (read by the completion status).
CREATE TABLE result_releases (
  candidate_id TEXT PRIMARY KEY REFERENCES candidates(candidate_id),
  outcome      TEXT NOT NULL,          -- met | not_met
  released_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Completion status reads these per candidate.
CREATE INDEX devices_by_candidate ON devices(candidate_id);
CREATE INDEX sessions_by_candidate ON sessions(candidate_id);
CREATE INDEX sitting_devices_by_device ON sitting_devices(device_id);   -- "package downloaded"

-- One row per flag a reviewer sees: from a device's flag.raised record (source 'device') or from
-- the server's own integrity checks (source 'server').
CREATE TABLE review_flags (
  flag_row   INTEGER PRIMARY KEY,
  device_id  TEXT NOT NULL,
  session_id TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  source     TEXT NOT NULL,
  flag_id    TEXT NOT NULL,
  check_name TEXT NOT NULL,
  severity   INTEGER NOT NULL,            -- 1 low, 2 medium, 3 high
  confidence REAL NOT NULL,
  start_wall_ms INTEGER NOT NULL,
  end_wall_ms INTEGER,
  evidence   TEXT NOT NULL DEFAULT '[]',  -- JSON array of blob SHA-256s
  decision   TEXT,                        -- dismiss | note | concern
  decision_note TEXT,
  decided_by INTEGER,
  decided_wall_ms INTEGER,
  UNIQUE (device_id, session_id, source, seq)
);
CREATE INDEX review_flags_by_flag_id ON review_flags(device_id, session_id, flag_id);

-- One row per session with flags: the proctor queue.
CREATE TABLE review_sessions (
  device_id  TEXT NOT NULL,
  session_id TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  flag_count INTEGER NOT NULL DEFAULT 0,
  max_severity INTEGER NOT NULL DEFAULT 0,
  max_confidence REAL NOT NULL DEFAULT 0,
  first_flag_wall_ms INTEGER NOT NULL,
  state      TEXT NOT NULL DEFAULT 'open',    -- open | awaiting_second | decided
  proposed_decision TEXT,                     -- concerns | breach, awaiting a second proctor
  proposed_by INTEGER,
  decision   TEXT,                            -- no_concerns | concerns | breach, once decided
  decided_wall_ms INTEGER,
  PRIMARY KEY (device_id, session_id)
) WITHOUT ROWID;
CREATE INDEX review_sessions_queue ON review_sessions(state, max_severity DESC, max_confidence DESC, first_flag_wall_ms);
CREATE INDEX review_sessions_by_candidate ON review_sessions(candidate_id);

CREATE TABLE review_assignments (
  device_id  TEXT NOT NULL,
  session_id TEXT NOT NULL,
  proctor_id INTEGER NOT NULL REFERENCES staff_users(user_id),
  assigned_by INTEGER NOT NULL,
  assigned_wall_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, session_id, proctor_id)
) WITHOUT ROWID;
CREATE INDEX review_assignments_by_proctor ON review_assignments(proctor_id);

-- Every session decision, in order (the current state is in review_sessions).
CREATE TABLE review_decisions (
  decision_id INTEGER PRIMARY KEY,
  device_id  TEXT NOT NULL,
  session_id TEXT NOT NULL,
  proctor_id INTEGER NOT NULL,
  decision   TEXT NOT NULL,
  note       TEXT NOT NULL,
  wall_ms    INTEGER NOT NULL
);
CREATE INDEX review_decisions_by_session ON review_decisions(device_id, session_id);

CREATE TABLE audit_log (
  audit_id  INTEGER PRIMARY KEY AUTOINCREMENT,
  wall_ms   INTEGER NOT NULL,
  user_id   INTEGER,                 -- NULL: not signed in (a failed login)
  action    TEXT NOT NULL,
  target    TEXT NOT NULL,
  detail    TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- (2) Derivation triggers.
CREATE TRIGGER review_flag_raised AFTER INSERT ON records
WHEN NEW.type = 'flag.raised' AND json_valid(CAST(NEW.payload AS TEXT))
BEGIN
  INSERT OR IGNORE INTO review_flags(device_id, session_id, seq, source, flag_id, check_name, severity, confidence,
                                     start_wall_ms, evidence)
  VALUES (NEW.device_id, NEW.session_id, NEW.seq, 'device',
          CAST(coalesce(json_extract(CAST(NEW.payload AS TEXT), '$.flag_id'), NEW.seq) AS TEXT),
          CAST(coalesce(json_extract(CAST(NEW.payload AS TEXT), '$.check'), 'unknown') AS TEXT),
          CASE json_extract(CAST(NEW.payload AS TEXT), '$.severity') WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END,
          max(0.0, min(1.0, coalesce(CAST(json_extract(CAST(NEW.payload AS TEXT), '$.confidence') AS REAL), 0.0))),
          coalesce(CAST(json_extract(CAST(NEW.payload AS TEXT), '$.start_wall_ms') AS INTEGER), NEW.wall_ms),
          CASE json_type(CAST(NEW.payload AS TEXT), '$.evidence') WHEN 'array'
               THEN json_extract(CAST(NEW.payload AS TEXT), '$.evidence') ELSE '[]' END);
  INSERT INTO review_sessions(device_id, session_id, candidate_id, flag_count, max_severity, max_confidence,
                              first_flag_wall_ms)
  SELECT NEW.device_id, NEW.session_id, s.candidate_id, 1, f.severity, f.confidence, f.start_wall_ms
    FROM sessions s, review_flags f
   WHERE s.device_id = NEW.device_id AND s.session_id = NEW.session_id
     AND f.device_id = NEW.device_id AND f.session_id = NEW.session_id AND f.source = 'device' AND f.seq = NEW.seq
  ON CONFLICT(device_id, session_id) DO UPDATE SET
    flag_count = flag_count + 1,
    max_severity = max(max_severity, excluded.max_severity),
    max_confidence = max(max_confidence, excluded.max_confidence),
    first_flag_wall_ms = min(first_flag_wall_ms, excluded.first_flag_wall_ms),
    state = CASE WHEN state = 'decided' THEN 'open' ELSE state END,
    decision = CASE WHEN state = 'decided' THEN NULL ELSE decision END;
END;

CREATE TRIGGER review_flag_ended AFTER INSERT ON records
WHEN NEW.type = 'flag.ended' AND json_valid(CAST(NEW.payload AS TEXT))
BEGIN
  UPDATE review_flags
     SET end_wall_ms = coalesce(CAST(json_extract(CAST(NEW.payload AS TEXT), '$.end_wall_ms') AS INTEGER), NEW.wall_ms)
   WHERE device_id = NEW.device_id AND session_id = NEW.session_id AND source = 'device'
     AND flag_id = CAST(json_extract(CAST(NEW.payload AS TEXT), '$.flag_id') AS TEXT);
END;

CREATE TRIGGER review_integrity_flag AFTER INSERT ON integrity_flags
BEGIN
  INSERT OR IGNORE INTO review_flags(device_id, session_id, seq, source, flag_id, check_name, severity, confidence,
                                     start_wall_ms)
  VALUES (NEW.device_id, NEW.session_id, NEW.seq, 'server', 'server-' || NEW.flag_id, NEW.kind, 2, 1.0,
          NEW.created_wall_ms);
  INSERT INTO review_sessions(device_id, session_id, candidate_id, flag_count, max_severity, max_confidence,
                              first_flag_wall_ms)
  SELECT NEW.device_id, NEW.session_id, d.candidate_id, 1, 2, 1.0, NEW.created_wall_ms
    FROM devices d WHERE d.device_id = NEW.device_id
  ON CONFLICT(device_id, session_id) DO UPDATE SET
    flag_count = flag_count + 1,
    max_severity = max(max_severity, 2),
    max_confidence = 1.0,
    first_flag_wall_ms = min(first_flag_wall_ms, excluded.first_flag_wall_ms),
    state = CASE WHEN state = 'decided' THEN 'open' ELSE state END,
    decision = CASE WHEN state = 'decided' THEN NULL ELSE decision END;
END;
