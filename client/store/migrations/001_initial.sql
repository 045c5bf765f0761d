-- Vigil client store, schema 1. Applied inside one transaction; PRAGMA user_version records it.
-- Everything here is encrypted at rest by SQLCipher (pages, indexes, WAL).

-- Store identity and device keys. format = 'vigil-client-store' marks a file as ours.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE sessions (
  session_id     TEXT PRIMARY KEY,
  assessment_id  TEXT NOT NULL,
  created_wall_ms INTEGER NOT NULL,
  state          TEXT NOT NULL DEFAULT 'started'  -- started | submitted
) WITHOUT ROWID;

-- The current value of each answer. revision counts saves of this item, from 1.
CREATE TABLE answers (
  session_id  TEXT NOT NULL REFERENCES sessions(session_id),
  item_id     TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  value       TEXT NOT NULL,
  saved_wall_ms INTEGER NOT NULL,
  journal_seq INTEGER NOT NULL,
  PRIMARY KEY (session_id, item_id)
) WITHOUT ROWID;

-- Every saved revision (written answers keep their history for review).
CREATE TABLE answer_revisions (
  session_id  TEXT NOT NULL,
  item_id     TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  value       TEXT NOT NULL,
  saved_wall_ms INTEGER NOT NULL,
  journal_seq INTEGER NOT NULL,
  PRIMARY KEY (session_id, item_id, revision)
) WITHOUT ROWID;

-- The hash-chained journal (shared/journal/journal.hpp), one chain per session.
CREATE TABLE journal (
  session_id   TEXT NOT NULL REFERENCES sessions(session_id),
  seq          INTEGER NOT NULL,
  prev_hash    BLOB NOT NULL,
  boot_id      TEXT NOT NULL,
  mono_ns      INTEGER NOT NULL,
  wall_ms      INTEGER NOT NULL,
  type         TEXT NOT NULL,
  payload_hash BLOB NOT NULL,
  payload      BLOB NOT NULL,
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
  session_id TEXT NOT NULL REFERENCES sessions(session_id),
  seq        INTEGER NOT NULL,
  head_hash  BLOB NOT NULL,
  wall_ms    INTEGER NOT NULL,
  signature  BLOB NOT NULL,
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

-- What still has to reach the server. Written in the same transaction as the change it
-- describes; a row is deleted only when the server has acknowledged it.
-- priority: 0 submission, 1 answers, 2 events, 3 evidence (lower goes first).
-- (No AUTOINCREMENT: it would write sqlite_sequence on every save; (session, seq) already
-- orders rows within a session.)
CREATE TABLE outbox (
  session_id  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  priority    INTEGER NOT NULL,
  created_wall_ms INTEGER NOT NULL,
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE INDEX outbox_by_priority ON outbox(priority, session_id, seq);
