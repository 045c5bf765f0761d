-- Schema 12 (issue 16 part 3, "withheld and void results"): the public reason of an adverse
-- decision, the review's withheld record, and the facts every outcome state is decided from
-- (docs/RESULTS.md "Outcome states"; the rule: shared/results/outcome.hpp).
--
-- Invariants:
--  (1) An adverse decision carries a public reason: a short sentence the deciding proctors write
--      for the candidate and their council. The staff API requires it for "concerns" and
--      "breach" (review_decisions) and for "does_not_match" (identity_decisions), from the first
--      proctor who proposes and from the second who confirms (shown the first's, to keep or
--      reword). It is kept apart from the proctors' notes, which never leave the review pages.
--  (2) The decided review round keeps the public reason of the decision that decided it
--      (review_outcomes.public_reason, the confirming proctor's); review_outcomes stays
--      append-only (schema 8).
--  (3) An adverse review outcome withholds the sitting's result: a withheld_results row with
--      reason 'conduct' (schema 11 invariant 5), written by a trigger in the same statement as
--      the outcome, for the sitting of the reviewed session's own candidate only, with the
--      outcome's public reason and time. Outcomes decided before this migration get theirs here,
--      without a public reason (''): none was asked for then.
--  (4) withheld_results.public_reason: the reason shown with a withheld or void result, from the
--      decision that withheld it ('' before schema 12). The identity trigger of schema 11 now
--      takes it from the confirming decision, which the staff API writes before it moves the
--      check to decided.
--  (5) sitting_outcome_facts: per sitting, the facts of shared/results/outcome.hpp, each read
--      from the sitting's own candidate's devices and sessions only, plus what the pages show
--      (since when, the public reasons). No state here: the one rule is outcome_state() in C++,
--      which SQL calls as vigil_outcome_state() on the server's connection.

-- (1)
ALTER TABLE review_decisions ADD COLUMN public_reason TEXT;
ALTER TABLE identity_decisions ADD COLUMN public_reason TEXT;
-- (2)
ALTER TABLE review_outcomes ADD COLUMN public_reason TEXT;
-- (4)
ALTER TABLE withheld_results ADD COLUMN public_reason TEXT NOT NULL DEFAULT '';

-- (2) Schema 8's trigger, with the public reason of the round's last decision (the staff API
-- records the decision before it moves the round to decided).
DROP TRIGGER review_outcome_recorded;
CREATE TRIGGER review_outcome_recorded AFTER UPDATE OF state ON review_sessions
WHEN NEW.state = 'decided' AND OLD.state <> 'decided'
BEGIN
  INSERT INTO review_outcomes(device_id, session_id, round, decision, decided_wall_ms, public_reason)
  VALUES (NEW.device_id, NEW.session_id, NEW.round, NEW.decision, coalesce(NEW.decided_wall_ms, 0),
          CASE WHEN NEW.decision IN ('concerns', 'breach') THEN
            (SELECT d.public_reason FROM review_decisions d
              WHERE d.device_id = NEW.device_id AND d.session_id = NEW.session_id AND d.round = NEW.round
                AND d.decision = NEW.decision
              ORDER BY d.decision_id DESC LIMIT 1) END);
END;

-- (3)
CREATE TRIGGER review_outcome_withholds AFTER INSERT ON review_outcomes
WHEN NEW.decision IN ('concerns', 'breach')
BEGIN
  INSERT OR IGNORE INTO withheld_results(sitting_id, candidate_id, reason, withheld_wall_ms, public_reason)
  SELECT t.sitting_id, t.candidate_id, 'conduct', NEW.decided_wall_ms, coalesce(NEW.public_reason, '')
    FROM review_sessions rs JOIN sittings t ON t.sitting_id = rs.session_id AND t.candidate_id = rs.candidate_id
   WHERE rs.device_id = NEW.device_id AND rs.session_id = NEW.session_id;
END;

-- (3) Outcomes decided before this migration.
INSERT OR IGNORE INTO withheld_results(sitting_id, candidate_id, reason, withheld_wall_ms, public_reason)
SELECT t.sitting_id, t.candidate_id, 'conduct', min(o.decided_wall_ms), ''
  FROM review_outcomes o
  JOIN review_sessions rs ON rs.device_id = o.device_id AND rs.session_id = o.session_id
  JOIN sittings t ON t.sitting_id = rs.session_id AND t.candidate_id = rs.candidate_id
 WHERE o.decision IN ('concerns', 'breach')
 GROUP BY t.sitting_id, t.candidate_id;

-- (4) Schema 11's trigger, with the confirming decision's public reason.
DROP TRIGGER identity_mismatch_withholds;
CREATE TRIGGER identity_mismatch_withholds AFTER UPDATE OF state ON identity_checks
WHEN NEW.state = 'decided' AND NEW.decision = 'does_not_match'
BEGIN
  INSERT OR IGNORE INTO withheld_results(sitting_id, candidate_id, reason, withheld_wall_ms, public_reason)
  VALUES (NEW.session_id, NEW.candidate_id, 'identity', coalesce(NEW.decided_wall_ms, 0),
          coalesce((SELECT d.public_reason FROM identity_decisions d
                     WHERE d.device_id = NEW.device_id AND d.session_id = NEW.session_id AND d.decision = 'does_not_match'
                     ORDER BY d.decision_id DESC LIMIT 1), ''));
END;

-- (5) One row per sitting. Each fact looks only at the sitting's own candidate's sessions and
-- reviews (x.candidate_id, rs.candidate_id, w.candidate_id = t.candidate_id): another
-- candidate's device can neither hold nor free someone else's result.
--   submitted_wall_ms   when the server received the first session.submitted record (NULL: not submitted)
--   review_since_wall_ms  when the current review round began, as near as is recorded: its
--                       first flag, or the last decision of an earlier round if later
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
                  AND ic.state = 'awaiting_second') AS identity_awaiting_second
  FROM sittings t LEFT JOIN results r ON r.sitting_id = t.sitting_id;

-- The admin's Results page and release read a window's sittings through the view.
CREATE INDEX sittings_by_assessment ON sittings(assessment_id);
