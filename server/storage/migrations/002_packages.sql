-- Schema 2: assessment packages, their marking schemes, sittings (schedules), start codes and
-- candidates' accommodations (docs/PACKAGE-FORMAT.md).

-- One row per built assessment version. package is the signed, encrypted file devices download;
-- content_key_wrapped is the package's AES-256-GCM content key, itself encrypted under a key
-- derived from the server's package key (keys/package.key), so the database alone does not open
-- a package.
CREATE TABLE packages (
  assessment_id TEXT NOT NULL,
  version       INTEGER NOT NULL,
  level         TEXT NOT NULL,             -- practitioner | practice_supervisor
  title         TEXT NOT NULL,
  key_id        TEXT NOT NULL,
  content_key_wrapped BLOB NOT NULL,
  plaintext_sha256 BLOB NOT NULL,          -- to tell a rebuild of the same content from a change
  package       BLOB NOT NULL,
  package_sha256 BLOB NOT NULL,
  created_wall_ms INTEGER NOT NULL,
  PRIMARY KEY (assessment_id, version)
) WITHOUT ROWID;

-- The answer keys, rationales and rubrics (JSON, assessment::to_json(MarkingScheme)): never sent
-- to a device.
CREATE TABLE marking_schemes (
  assessment_id TEXT NOT NULL,
  version       INTEGER NOT NULL,
  scheme        TEXT NOT NULL,
  PRIMARY KEY (assessment_id, version),
  FOREIGN KEY (assessment_id, version) REFERENCES packages(assessment_id, version)
) WITHOUT ROWID;

-- A candidate's sitting of one assessment: one per (candidate, assessment); rescheduling moves it.
-- sitting_id is also the client's journal session id.
CREATE TABLE sittings (
  sitting_id    TEXT PRIMARY KEY,
  candidate_id  TEXT NOT NULL REFERENCES candidates(candidate_id),
  assessment_id TEXT NOT NULL,
  version       INTEGER NOT NULL,
  scheduled_start_wall_ms INTEGER NOT NULL,
  window_end_wall_ms INTEGER NOT NULL,
  created_wall_ms INTEGER NOT NULL,
  UNIQUE (candidate_id, assessment_id),
  FOREIGN KEY (assessment_id, version) REFERENCES packages(assessment_id, version)
) WITHOUT ROWID;

-- The current start code of a sitting, never stored as such: only the content key locked under
-- scrypt(code) (package::CodeLock). Re-issuing replaces the row, which revokes the old code for
-- every grant issued afterwards.
CREATE TABLE start_codes (
  sitting_id   TEXT PRIMARY KEY REFERENCES sittings(sitting_id),
  salt         BLOB NOT NULL,
  scrypt_n     INTEGER NOT NULL,
  scrypt_r     INTEGER NOT NULL,
  scrypt_p     INTEGER NOT NULL,
  nonce        BLOB NOT NULL,
  locked_key   BLOB NOT NULL,
  issued_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- The X25519 key-agreement key each device registered when it asked for a sitting's grant: the
-- online key release is sealed to it.
CREATE TABLE sitting_devices (
  sitting_id   TEXT NOT NULL REFERENCES sittings(sitting_id),
  device_id    TEXT NOT NULL REFERENCES devices(device_id),
  kx_public    BLOB NOT NULL,
  granted_wall_ms INTEGER NOT NULL,
  key_released_wall_ms INTEGER,
  PRIMARY KEY (sitting_id, device_id)
) WITHOUT ROWID;

-- Reasonable adjustments and exemptions, set at endorsement.
CREATE TABLE candidate_accommodations (
  candidate_id TEXT PRIMARY KEY REFERENCES candidates(candidate_id),
  extra_time_percent INTEGER NOT NULL DEFAULT 0,
  extra_break_minutes INTEGER NOT NULL DEFAULT 0,
  knowledge_only INTEGER NOT NULL DEFAULT 0,
  updated_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;
