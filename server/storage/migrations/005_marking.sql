-- Schema 5: assessors and blind marking of written answers (docs/RESULTS.md "Marking written
-- answers", docs/STAFF.md "Assessors").

-- The assessor role: staff_users is rebuilt because SQLite cannot alter a CHECK constraint.
-- Migrations run with foreign keys off (references are checked before commit), so the tables
-- that reference staff_users keep pointing at the rebuilt table under the same name.
CREATE TABLE staff_users_new (
  user_id       INTEGER PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name  TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('programme_admin', 'council_manager', 'proctor', 'assessor')),
  council_id    TEXT REFERENCES councils(council_id),   -- council managers only
  password_salt BLOB NOT NULL,
  password_hash BLOB NOT NULL,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until_wall_ms INTEGER NOT NULL DEFAULT 0,
  created_wall_ms INTEGER NOT NULL,
  disabled_wall_ms INTEGER,
  CHECK ((role = 'council_manager') = (council_id IS NOT NULL))
);
INSERT INTO staff_users_new(user_id, email, display_name, role, council_id, password_salt, password_hash,
                            failed_logins, locked_until_wall_ms, created_wall_ms, disabled_wall_ms)
  SELECT user_id, email, display_name, role, council_id, password_salt, password_hash,
         failed_logins, locked_until_wall_ms, created_wall_ms, disabled_wall_ms FROM staff_users;
DROP TABLE staff_users;
ALTER TABLE staff_users_new RENAME TO staff_users;

-- One script per submitted sitting. script_id is random and is all an assessor ever sees of it
-- (blind marking); the sitting it belongs to stays on the server.
--   state: first | second | third (awaiting that marking), final (marks agreed), none (nothing
--   to mark: no written stage, exempt (knowledge_only), or marked outside the queue).
--   final_marks: the final WrittenAreaMark list as JSON, once final.
--   scored_wall_ms: when the final marks were stored (set_written_marks) and the sitting scored.
CREATE TABLE marking_scripts (
  script_seq    INTEGER PRIMARY KEY,       -- creation order: the queue is oldest first
  script_id     TEXT NOT NULL UNIQUE,
  sitting_id    TEXT NOT NULL UNIQUE REFERENCES sittings(sitting_id),
  assessment_id TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('first', 'second', 'third', 'final', 'none')),
  final_marks   TEXT,
  created_wall_ms INTEGER NOT NULL,
  scored_wall_ms INTEGER
);
CREATE INDEX marking_scripts_by_state ON marking_scripts(state, script_seq);
CREATE INDEX marking_scripts_by_assessment ON marking_scripts(assessment_id);

-- Every marking of a script (1 first, 2 second, 3 third), never changed. marks: JSON
-- [{"kss","mark","max","comment"}]. One assessor marks a script at most once, which is what
-- makes the second and third markers different people.
CREATE TABLE markings (
  marking_id  INTEGER PRIMARY KEY,
  script_id   TEXT NOT NULL REFERENCES marking_scripts(script_id),
  round       INTEGER NOT NULL CHECK (round IN (1, 2, 3)),
  assessor_id INTEGER NOT NULL REFERENCES staff_users(user_id),
  marks       TEXT NOT NULL,
  wall_ms     INTEGER NOT NULL,
  UNIQUE (script_id, round),
  UNIQUE (script_id, assessor_id)
);
CREATE TRIGGER markings_no_update BEFORE UPDATE ON markings
  BEGIN SELECT RAISE(ABORT, 'markings cannot be changed'); END;
CREATE TRIGGER markings_no_delete BEFORE DELETE ON markings
  BEGIN SELECT RAISE(ABORT, 'markings cannot be deleted'); END;
