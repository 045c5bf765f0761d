-- Schema 11 (issue 16 part 2, "an identity check by a person, for every sitting"): a proctor
-- compares the candidate's face photo and ID photo (sealed by the device, referenced by its
-- identity.checked record) with the roster's name and level (docs/STAFF.md "Identity checks").
--
-- Invariants:
--  (1) Every submitted session has one identity check, written by a trigger on sessions when its
--      session.submitted record arrives (the same moment that makes it "submitted" for scoring),
--      so no way of submitting leaves one off. It is assigned at once to the least-loaded active
--      proctor (fewest identity checks not decided), or left unassigned when there is none.
--  (2) The decision is one of matches, does_not_match, cannot_tell. "matches" by the first
--      proctor decides it. "does_not_match" and "cannot_tell" are proposals that wait for a second,
--      different proctor (awaiting_second), whose matches or does_not_match decides it.
--  (3) identity_decisions is append-only (triggers refuse UPDATE and DELETE): every decision, with
--      its note, stays on record; identity_checks.decision holds the final one.
--  (4) A check decided does_not_match withholds the sitting's result: a withheld_results row with
--      reason 'identity', written by a trigger in the same statement as the decision.
--  (5) withheld_results is the one record of a result kept back by a decision (reason 'identity'
--      here; 'conduct' is for the review outcomes of issue 16 part 3). A row ends only by being
--      lifted (lifted_wall_ms, an appeal overturned: part 4), never by deletion. Release skips a
--      sitting with an unlifted row (ResultsRepository invariant 5).
--  (6) Release also skips a sitting whose identity check is not decided (ResultsRepository
--      invariant 5).

CREATE TABLE identity_checks (
  device_id   TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  created_wall_ms INTEGER NOT NULL,
  proctor_id  INTEGER REFERENCES staff_users(user_id),          -- the first proctor
  second_proctor_id INTEGER REFERENCES staff_users(user_id),    -- once it awaits a second
  state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'awaiting_second', 'decided')),
  proposed_decision TEXT CHECK (proposed_decision IN ('does_not_match', 'cannot_tell')),
  proposed_by INTEGER,
  decision    TEXT CHECK (decision IN ('matches', 'does_not_match')),
  decided_wall_ms INTEGER,
  PRIMARY KEY (device_id, session_id),
  CHECK ((state = 'decided') = (decision IS NOT NULL))
) WITHOUT ROWID;
CREATE INDEX identity_checks_by_session ON identity_checks(session_id);
CREATE INDEX identity_checks_by_proctor ON identity_checks(proctor_id, state);
CREATE INDEX identity_checks_by_second ON identity_checks(second_proctor_id, state);

CREATE TABLE identity_decisions (
  decision_id INTEGER PRIMARY KEY,
  device_id   TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  proctor_id  INTEGER NOT NULL REFERENCES staff_users(user_id),
  stage       INTEGER NOT NULL CHECK (stage IN (1, 2)),        -- 1: first proctor, 2: second
  decision    TEXT NOT NULL CHECK (decision IN ('matches', 'does_not_match', 'cannot_tell')),
  note        TEXT NOT NULL,
  wall_ms     INTEGER NOT NULL
);
CREATE INDEX identity_decisions_by_session ON identity_decisions(device_id, session_id);
CREATE TRIGGER identity_decisions_no_update BEFORE UPDATE ON identity_decisions
BEGIN SELECT RAISE(ABORT, 'an identity decision is immutable'); END;
CREATE TRIGGER identity_decisions_no_delete BEFORE DELETE ON identity_decisions
BEGIN SELECT RAISE(ABORT, 'an identity decision is immutable'); END;

CREATE TABLE withheld_results (
  sitting_id   TEXT NOT NULL,
  candidate_id TEXT NOT NULL,
  reason       TEXT NOT NULL CHECK (reason IN ('identity', 'conduct')),
  withheld_wall_ms INTEGER NOT NULL,
  lifted_wall_ms   INTEGER,
  PRIMARY KEY (sitting_id, reason)
) WITHOUT ROWID;
CREATE TRIGGER withheld_results_no_delete BEFORE DELETE ON withheld_results
BEGIN SELECT RAISE(ABORT, 'a withheld result is lifted, never deleted'); END;

-- (1) The least-loaded active proctor, as a view the trigger and the repository share.
CREATE VIEW identity_proctor_load AS
SELECT u.user_id AS proctor_id,
       (SELECT count(*) FROM identity_checks c
         WHERE c.state <> 'decided' AND (c.proctor_id = u.user_id OR
               (c.state = 'awaiting_second' AND c.second_proctor_id = u.user_id))) AS open_checks
  FROM staff_users u
 WHERE u.role = 'proctor' AND u.disabled_wall_ms IS NULL;

CREATE TRIGGER identity_check_on_submission AFTER UPDATE OF submitted_seq ON sessions
WHEN OLD.submitted_seq IS NULL AND NEW.submitted_seq IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO identity_checks(device_id, session_id, candidate_id, created_wall_ms, proctor_id)
  VALUES (NEW.device_id, NEW.session_id, NEW.candidate_id, max(NEW.first_seen_wall_ms, NEW.last_seen_wall_ms),
          (SELECT proctor_id FROM identity_proctor_load ORDER BY open_checks, proctor_id LIMIT 1));
END;

-- (4)
CREATE TRIGGER identity_mismatch_withholds AFTER UPDATE OF state ON identity_checks
WHEN NEW.state = 'decided' AND NEW.decision = 'does_not_match'
BEGIN
  INSERT OR IGNORE INTO withheld_results(sitting_id, candidate_id, reason, withheld_wall_ms)
  VALUES (NEW.session_id, NEW.candidate_id, 'identity', coalesce(NEW.decided_wall_ms, 0));
END;

-- (1) Sessions submitted before this migration whose result is not released get their check now.
INSERT INTO identity_checks(device_id, session_id, candidate_id, created_wall_ms)
SELECT s.device_id, s.session_id, s.candidate_id, max(s.first_seen_wall_ms, s.last_seen_wall_ms)
  FROM sessions s
 WHERE s.submitted_seq IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM results r WHERE r.sitting_id = s.session_id AND r.released_wall_ms IS NOT NULL);
