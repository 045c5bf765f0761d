-- Schema 4 (003 is the staff schema): results and certificates (docs/RESULTS.md,
-- docs/CREDENTIALS.md).

-- Pass marks per assessment window (results::Thresholds as JSON); defaults apply when absent.
CREATE TABLE result_thresholds (
  assessment_id TEXT PRIMARY KEY,
  thresholds    TEXT NOT NULL,
  updated_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- The agreed assessor mark per KSS area of a sitting's written stage (the marking queue of the
-- staff pages writes these; until then `vigil-server results mark-written`).
CREATE TABLE written_marks (
  sitting_id TEXT NOT NULL REFERENCES sittings(sitting_id),
  kss        TEXT NOT NULL,
  mark       INTEGER NOT NULL,
  max_mark   INTEGER NOT NULL,
  entered_wall_ms INTEGER NOT NULL,
  PRIMARY KEY (sitting_id, kss)
) WITHOUT ROWID;

-- The latest score of each sitting (results::ScoreReport as JSON, with item detail). A released
-- result never changes (re-scoring it is refused).
CREATE TABLE results (
  sitting_id    TEXT PRIMARY KEY REFERENCES sittings(sitting_id),
  candidate_id  TEXT NOT NULL REFERENCES candidates(candidate_id),
  assessment_id TEXT NOT NULL,
  version       INTEGER NOT NULL,
  outcome       TEXT NOT NULL,           -- met | not_met | incomplete
  report        TEXT NOT NULL,
  scored_wall_ms INTEGER NOT NULL,
  released_wall_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX results_by_assessment ON results(assessment_id);
CREATE INDEX results_by_candidate ON results(candidate_id);

-- Signed certificates (certificate::Credential as JSON) and their revocation.
CREATE TABLE credentials (
  credential_id TEXT PRIMARY KEY,
  sitting_id    TEXT NOT NULL REFERENCES sittings(sitting_id),
  candidate_id  TEXT NOT NULL REFERENCES candidates(candidate_id),
  credential    TEXT NOT NULL,
  issued_wall_ms INTEGER NOT NULL,
  revoked_wall_ms INTEGER,
  revoked_reason TEXT
) WITHOUT ROWID;
CREATE INDEX credentials_by_sitting ON credentials(sitting_id);
CREATE INDEX credentials_by_candidate ON credentials(candidate_id);
