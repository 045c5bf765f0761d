-- Vigil server database, schema 1 (plain SQLite; PostgreSQL is the planned engine at scale, so
-- SQL stays inside server/storage and uses nothing exotic).

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE councils (
  council_id TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  created_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE candidates (
  candidate_id TEXT PRIMARY KEY,
  council_id   TEXT NOT NULL REFERENCES councils(council_id),
  full_name    TEXT NOT NULL,
  work_email   TEXT NOT NULL DEFAULT '',
  level        TEXT NOT NULL,            -- practitioner | practice_supervisor
  created_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX candidates_by_council ON candidates(council_id);

-- One-time enrolment codes: a 4-character public handle (to find the row and count failed tries)
-- and a 12-character secret, stored only as an scrypt hash.
CREATE TABLE enrolment_codes (
  handle       TEXT PRIMARY KEY,
  candidate_id TEXT NOT NULL REFERENCES candidates(candidate_id),
  salt         BLOB NOT NULL,
  secret_hash  BLOB NOT NULL,
  created_wall_ms INTEGER NOT NULL,
  expires_wall_ms INTEGER NOT NULL,
  used_wall_ms INTEGER,
  used_by_device TEXT,
  failed_attempts INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE devices (
  device_id    TEXT PRIMARY KEY,
  candidate_id TEXT NOT NULL REFERENCES candidates(candidate_id),
  cert_serial  TEXT NOT NULL UNIQUE,
  signing_public_key BLOB NOT NULL,     -- Ed25519: verifies journal checkpoints
  enrolled_wall_ms INTEGER NOT NULL,
  revoked_wall_ms INTEGER,
  revoked_reason TEXT
) WITHOUT ROWID;

-- The anchored head of each session's journal: everything up to head_seq is stored and verified.
CREATE TABLE sessions (
  device_id    TEXT NOT NULL REFERENCES devices(device_id),
  session_id   TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  head_seq     INTEGER NOT NULL,
  head_hash    BLOB NOT NULL,
  head_boot_id TEXT NOT NULL,
  head_mono_ns INTEGER NOT NULL,
  head_wall_ms INTEGER NOT NULL,
  submitted_seq INTEGER,                 -- seq of the session.submitted record, once received
  manifest     TEXT,                     -- its payload (the blobs of the submission)
  receipt      TEXT,                     -- the signed receipt (JSON), once complete
  first_seen_wall_ms INTEGER NOT NULL,
  last_seen_wall_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, session_id)
) WITHOUT ROWID;

CREATE TABLE records (
  device_id    TEXT NOT NULL,
  session_id   TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  prev_hash    BLOB NOT NULL,
  boot_id      TEXT NOT NULL,
  mono_ns      INTEGER NOT NULL,
  wall_ms      INTEGER NOT NULL,
  type         TEXT NOT NULL,
  payload_hash BLOB NOT NULL,
  payload      BLOB NOT NULL,
  received_wall_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, session_id, seq)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
  device_id  TEXT NOT NULL,
  session_id TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  head_hash  BLOB NOT NULL,
  wall_ms    INTEGER NOT NULL,
  signature  BLOB NOT NULL,
  PRIMARY KEY (device_id, session_id, seq)
) WITHOUT ROWID;

-- Hypotheses for a human reviewer (never verdicts): chain problems, conflicting resends, clock
-- changes.
CREATE TABLE integrity_flags (
  flag_id    INTEGER PRIMARY KEY,
  device_id  TEXT NOT NULL,
  session_id TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  kind       TEXT NOT NULL,
  detail     TEXT NOT NULL,
  created_wall_ms INTEGER NOT NULL
);
-- One flag per (device, session, seq, kind): a refused batch resent many times is one flag.
CREATE UNIQUE INDEX integrity_flags_unique ON integrity_flags(device_id, session_id, seq, kind);

-- Content-addressed uploads (evidence snapshots, ...), per device. data is allocated at its full
-- size on the first chunk (zeroblob) and filled chunk by chunk; complete once the SHA-256 of all
-- of it matches sha256.
CREATE TABLE blobs (
  blob_id    INTEGER PRIMARY KEY,
  device_id  TEXT NOT NULL,
  sha256     BLOB NOT NULL,
  size       INTEGER NOT NULL,
  received   INTEGER NOT NULL,
  complete_wall_ms INTEGER,
  data       BLOB NOT NULL,
  UNIQUE (device_id, sha256)
);
