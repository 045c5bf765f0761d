-- Schema 14 (issue 16 part 4, "appeals"): a candidate asks for a review of a void or withheld
-- result; an admin assigns it to a reviewer who took no part in the decision; two people decide
-- it (docs/STAFF.md "Appeals", docs/RESULTS.md "Appeals"). Numbered 14: 13 is the proctor
-- workload's (issue 16 part 5); the embedded list's order decides the order they run in.
--
-- Invariants:
--  (1) One appeal is about one sitting of its own candidate, lodged by one of that candidate's
--      devices (the device API checks the sitting's candidate before it writes), in the
--      candidate's words (1 to 2000 bytes), against the decision that voided or withheld the
--      result (appealed_state, decision_wall_ms: when the candidate was told). A device's
--      request_id makes a repeated request find the appeal it made.
--  (2) At most one appeal of a sitting is open (lodged, assigned or proposed) at a time.
--  (3) Nobody who took part in the decision reviews the appeal: a staff member who recorded a
--      review decision, a flag decision or an identity decision on the sitting's sessions can be
--      neither its reviewer nor its second reviewer, and cannot record an appeal decision. The
--      staff API refuses them first (and does not offer them); these triggers refuse them in any
--      case. The reviewer and the second reviewer are two people.
--  (4) The outcome needs two people: the assigned reviewer proposes upheld or overturned (stage
--      1), the second reviewer, never the proposer, confirms the same outcome (stage 2), which
--      decides the appeal. A different answer sends it back (disputed) for the admin to assign
--      people who have made no decision on it. Every decision, with its public reason and note,
--      is kept (appeal_decisions is append-only) and a decided appeal is final.
--  (5) Overturned lifts every hold on the sitting's result that existed when the appeal was
--      lodged (withheld_results.lifted_wall_ms, lifted_by_appeal), in the same statement that
--      decides it; upheld lifts nothing. A hold is lifted at most once, and a lifted row changes
--      only back to a new hold: a decision of a later review round (or a later identity check)
--      withholds the result again, with its own time and public reason.
--  (6) sitting_outcome_facts gains appeal_overturned (shared/results/outcome.hpp): an overturned
--      appeal of the sitting's own candidate.

CREATE TABLE appeals (
  appeal_id      INTEGER PRIMARY KEY,
  sitting_id     TEXT NOT NULL,
  candidate_id   TEXT NOT NULL,
  device_id      TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  reason         TEXT NOT NULL CHECK (length(CAST(reason AS BLOB)) BETWEEN 1 AND 2000),
  appealed_state TEXT NOT NULL CHECK (appealed_state IN ('void_after_review', 'withheld_identity')),
  decision_wall_ms INTEGER NOT NULL,            -- the decision appealed against: when the candidate was told
  lodged_wall_ms INTEGER NOT NULL,              -- the server's clock on arrival
  written_wall_ms INTEGER,                      -- the device's clock when the candidate sent it (not trusted)
  state          TEXT NOT NULL DEFAULT 'lodged' CHECK (state IN ('lodged', 'assigned', 'proposed', 'decided')),
  reviewer_id    INTEGER REFERENCES staff_users(user_id),
  second_reviewer_id INTEGER REFERENCES staff_users(user_id),
  assigned_by    INTEGER,
  proposed_outcome TEXT CHECK (proposed_outcome IN ('upheld', 'overturned')),
  proposed_by    INTEGER,
  outcome        TEXT CHECK (outcome IN ('upheld', 'overturned')),
  public_reason  TEXT,                          -- the confirming reviewer's, once decided
  decided_wall_ms INTEGER,
  disputed       INTEGER NOT NULL DEFAULT 0,
  UNIQUE (device_id, request_id),
  CHECK ((state = 'decided') = (outcome IS NOT NULL)),
  CHECK (state <> 'proposed' OR proposed_outcome IS NOT NULL),
  CHECK (state = 'lodged' OR reviewer_id IS NOT NULL),
  CHECK (reviewer_id IS NULL OR second_reviewer_id IS NULL OR reviewer_id <> second_reviewer_id)
);
-- (2)
CREATE UNIQUE INDEX appeals_one_open ON appeals(sitting_id) WHERE state <> 'decided';
CREATE INDEX appeals_by_sitting ON appeals(sitting_id);
CREATE INDEX appeals_by_reviewer ON appeals(reviewer_id, state);
CREATE INDEX appeals_by_second ON appeals(second_reviewer_id, state);

CREATE TABLE appeal_decisions (
  decision_id INTEGER PRIMARY KEY,
  appeal_id   INTEGER NOT NULL REFERENCES appeals(appeal_id),
  staff_id    INTEGER NOT NULL REFERENCES staff_users(user_id),
  stage       INTEGER NOT NULL CHECK (stage IN (1, 2)),   -- 1: the reviewer's proposal, 2: the second's answer
  outcome     TEXT NOT NULL CHECK (outcome IN ('upheld', 'overturned')),
  public_reason TEXT NOT NULL,
  note        TEXT NOT NULL,
  wall_ms     INTEGER NOT NULL
);
CREATE INDEX appeal_decisions_by_appeal ON appeal_decisions(appeal_id);
CREATE TRIGGER appeal_decisions_no_update BEFORE UPDATE ON appeal_decisions
BEGIN SELECT RAISE(ABORT, 'an appeal decision is immutable'); END;
CREATE TRIGGER appeal_decisions_no_delete BEFORE DELETE ON appeal_decisions
BEGIN SELECT RAISE(ABORT, 'an appeal decision is immutable'); END;
CREATE TRIGGER appeals_no_delete BEFORE DELETE ON appeals
BEGIN SELECT RAISE(ABORT, 'an appeal is kept'); END;

-- (3) Who took part in the decisions on a sitting: every staff member who decided its review (any
-- round), one of its flags, or its identity check, on any device's session of that sitting id.
CREATE VIEW sitting_deciders AS
SELECT session_id AS sitting_id, proctor_id AS user_id FROM review_decisions
UNION SELECT session_id, decided_by FROM review_flags WHERE decided_by IS NOT NULL
UNION SELECT session_id, proctor_id FROM identity_decisions;

CREATE TRIGGER appeal_reviewer_took_no_part BEFORE UPDATE OF reviewer_id, second_reviewer_id ON appeals
WHEN EXISTS (SELECT 1 FROM sitting_deciders d WHERE d.sitting_id = NEW.sitting_id
              AND d.user_id IN (NEW.reviewer_id, NEW.second_reviewer_id))
BEGIN SELECT RAISE(ABORT, 'an appeal reviewer must have taken no part in the decision'); END;

CREATE TRIGGER appeal_decision_by_someone_else BEFORE INSERT ON appeal_decisions
WHEN EXISTS (SELECT 1 FROM appeals a JOIN sitting_deciders d ON d.sitting_id = a.sitting_id
              WHERE a.appeal_id = NEW.appeal_id AND d.user_id = NEW.staff_id)
  OR (NEW.stage = 2 AND NEW.staff_id = (SELECT a.proposed_by FROM appeals a WHERE a.appeal_id = NEW.appeal_id))
  OR (SELECT a.state FROM appeals a WHERE a.appeal_id = NEW.appeal_id) = 'decided'
BEGIN SELECT RAISE(ABORT, 'an appeal is decided by two people who took no part in the decision'); END;

-- (4) Final once decided.
CREATE TRIGGER appeal_decided_is_final BEFORE UPDATE ON appeals
WHEN OLD.state = 'decided'
BEGIN SELECT RAISE(ABORT, 'an appeal decision is final'); END;

-- (5) The hold's record of which appeal lifted it.
ALTER TABLE withheld_results ADD COLUMN lifted_by_appeal INTEGER;

CREATE TRIGGER appeal_overturned_lifts AFTER UPDATE OF state ON appeals
WHEN NEW.state = 'decided' AND NEW.outcome = 'overturned'
BEGIN
  UPDATE withheld_results SET lifted_wall_ms = NEW.decided_wall_ms, lifted_by_appeal = NEW.appeal_id
   WHERE sitting_id = NEW.sitting_id AND candidate_id = NEW.candidate_id AND lifted_wall_ms IS NULL
     AND withheld_wall_ms <= NEW.lodged_wall_ms;
END;

-- (5) A hold changes only by being lifted once, or, once lifted, by a new decision holding it again.
CREATE TRIGGER withheld_results_lift_once BEFORE UPDATE ON withheld_results
WHEN NEW.sitting_id <> OLD.sitting_id OR NEW.candidate_id <> OLD.candidate_id OR NEW.reason <> OLD.reason
  OR NOT ((OLD.lifted_wall_ms IS NULL AND NEW.lifted_wall_ms IS NOT NULL AND NEW.withheld_wall_ms = OLD.withheld_wall_ms)
          OR (OLD.lifted_wall_ms IS NOT NULL AND NEW.lifted_wall_ms IS NULL AND NEW.lifted_by_appeal IS NULL))
BEGIN SELECT RAISE(ABORT, 'a withheld result is lifted once, or withheld again by a new decision'); END;

-- (5) Schema 12's triggers, holding a lifted result again when a new decision is made.
DROP TRIGGER review_outcome_withholds;
CREATE TRIGGER review_outcome_withholds AFTER INSERT ON review_outcomes
WHEN NEW.decision IN ('concerns', 'breach')
BEGIN
  INSERT INTO withheld_results(sitting_id, candidate_id, reason, withheld_wall_ms, public_reason)
  SELECT t.sitting_id, t.candidate_id, 'conduct', NEW.decided_wall_ms, coalesce(NEW.public_reason, '')
    FROM review_sessions rs JOIN sittings t ON t.sitting_id = rs.session_id AND t.candidate_id = rs.candidate_id
   WHERE rs.device_id = NEW.device_id AND rs.session_id = NEW.session_id
  ON CONFLICT(sitting_id, reason) DO UPDATE SET withheld_wall_ms = excluded.withheld_wall_ms,
     public_reason = excluded.public_reason, lifted_wall_ms = NULL, lifted_by_appeal = NULL
   WHERE withheld_results.lifted_wall_ms IS NOT NULL;
END;

DROP TRIGGER identity_mismatch_withholds;
CREATE TRIGGER identity_mismatch_withholds AFTER UPDATE OF state ON identity_checks
WHEN NEW.state = 'decided' AND NEW.decision = 'does_not_match'
BEGIN
  INSERT INTO withheld_results(sitting_id, candidate_id, reason, withheld_wall_ms, public_reason)
  VALUES (NEW.session_id, NEW.candidate_id, 'identity', coalesce(NEW.decided_wall_ms, 0),
          coalesce((SELECT d.public_reason FROM identity_decisions d
                     WHERE d.device_id = NEW.device_id AND d.session_id = NEW.session_id AND d.decision = 'does_not_match'
                     ORDER BY d.decision_id DESC LIMIT 1), ''))
  ON CONFLICT(sitting_id, reason) DO UPDATE SET withheld_wall_ms = excluded.withheld_wall_ms,
     public_reason = excluded.public_reason, lifted_wall_ms = NULL, lifted_by_appeal = NULL
   WHERE withheld_results.lifted_wall_ms IS NOT NULL;
END;

-- (6) Schema 12's view with the appeal fact.
DROP VIEW sitting_outcome_facts;
CREATE VIEW sitting_outcome_facts AS
SELECT t.sitting_id, t.candidate_id, t.assessment_id,
       r.outcome AS outcome,
       r.released_wall_ms AS released_wall_ms,
       (SELECT min(rec.received_wall_ms) FROM sessions x
          JOIN records rec ON rec.device_id = x.device_id AND rec.session_id = x.session_id AND rec.seq = x.submitted_seq
         WHERE x.session_id = t.sitting_id AND x.candidate_id = t.candidate_id AND x.submitted_seq IS NOT NULL) AS submitted_wall_ms,
       EXISTS (SELECT 1 FROM sessions x WHERE x.session_id = t.sitting_id AND x.candidate_id = t.candidate_id
                  AND x.submitted_seq IS NOT NULL) AS submitted,
       (SELECT w.withheld_wall_ms FROM withheld_results w WHERE w.sitting_id = t.sitting_id AND
               w.candidate_id = t.candidate_id AND w.reason = 'conduct' AND w.lifted_wall_ms IS NULL) AS void_wall_ms,
       (SELECT w.public_reason FROM withheld_results w WHERE w.sitting_id = t.sitting_id AND
               w.candidate_id = t.candidate_id AND w.reason = 'conduct' AND w.lifted_wall_ms IS NULL) AS void_reason,
       (SELECT w.withheld_wall_ms FROM withheld_results w WHERE w.sitting_id = t.sitting_id AND
               w.candidate_id = t.candidate_id AND w.reason = 'identity' AND w.lifted_wall_ms IS NULL) AS identity_withheld_wall_ms,
       (SELECT w.public_reason FROM withheld_results w WHERE w.sitting_id = t.sitting_id AND
               w.candidate_id = t.candidate_id AND w.reason = 'identity' AND w.lifted_wall_ms IS NULL) AS identity_reason,
       EXISTS (SELECT 1 FROM review_sessions rs WHERE rs.session_id = t.sitting_id AND rs.candidate_id = t.candidate_id
                  AND rs.state = 'open') AS review_open,
       EXISTS (SELECT 1 FROM review_sessions rs WHERE rs.session_id = t.sitting_id AND rs.candidate_id = t.candidate_id
                  AND rs.state = 'awaiting_second') AS review_awaiting_second,
       (SELECT min(max(rs.first_flag_wall_ms, coalesce((SELECT max(o.decided_wall_ms) FROM review_outcomes o
                                                          WHERE o.device_id = rs.device_id AND o.session_id = rs.session_id), 0)))
          FROM review_sessions rs WHERE rs.session_id = t.sitting_id AND rs.candidate_id = t.candidate_id
           AND rs.state <> 'decided') AS review_since_wall_ms,
       EXISTS (SELECT 1 FROM sessions x WHERE x.session_id = t.sitting_id AND x.candidate_id = t.candidate_id
                  AND x.submitted_seq IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM identity_checks ic WHERE ic.device_id = x.device_id AND
                                  ic.session_id = x.session_id AND ic.state IN ('awaiting_second', 'decided'))) AS identity_pending,
       EXISTS (SELECT 1 FROM sessions x JOIN identity_checks ic ON ic.device_id = x.device_id AND ic.session_id = x.session_id
                WHERE x.session_id = t.sitting_id AND x.candidate_id = t.candidate_id AND x.submitted_seq IS NOT NULL
                  AND ic.state = 'awaiting_second') AS identity_awaiting_second,
       EXISTS (SELECT 1 FROM appeals a WHERE a.sitting_id = t.sitting_id AND a.candidate_id = t.candidate_id
                  AND a.outcome = 'overturned') AS appeal_overturned
  FROM sittings t LEFT JOIN results r ON r.sitting_id = t.sitting_id;
