-- Schema 13 (issue 16 part 5, "proctor workload"): flagged-session reviews are assigned
-- automatically, like identity checks, by one rule (docs/STAFF.md "Workload").
--
-- Invariants:
--  (1) open_work is the one definition of what waits on whom: a review not decided waits on each
--      proctor assigned to it who has not decided it in its current round (the first proctor, then
--      the second once the first proposed, a third after a disagreement); an identity check not
--      decided waits on its first proctor while open and on its second while awaiting_second
--      (proctor NULL: nobody yet).
--  (2) A proctor's load is the number of open_work rows waiting on them, reviews and identity checks
--      alike. proctor_load ranks the active proctors (role proctor, not disabled) by load, then by
--      user id (the older account first): rank 1 is "the least-loaded active proctor". Every
--      automatic assignment takes the best-ranked proctor who is not among work_participants of
--      that item (assigned to it, or having decided it or one of its flags).
--  (3) A new review (its first flag) and a new identity check go at once to rank 1 (triggers); an
--      item with no active proctor waiting on it (unassigned_work) is assigned when one becomes
--      active (StaffRepository::add_user, disable_user) and its next step when a proctor's
--      decision passes it on (the staff API).
--  (4) Reviews open before this schema with no proctor are assigned here, one at a time, so each
--      sees the load the previous one added.
--  (5) assigned_by 0 in review_assignments: assigned automatically, by this rule.

-- (1)
CREATE VIEW open_work AS
SELECT 'review' AS kind, r.device_id, r.session_id, r.candidate_id, r.first_flag_wall_ms AS since_wall_ms,
       a.proctor_id, CASE r.state WHEN 'awaiting_second' THEN 'second' ELSE 'first' END AS part, r.state
  FROM review_sessions r JOIN review_assignments a ON a.device_id = r.device_id AND a.session_id = r.session_id
 WHERE r.state <> 'decided'
   AND NOT EXISTS (SELECT 1 FROM review_decisions d WHERE d.device_id = r.device_id AND d.session_id = r.session_id
                      AND d.round = r.round AND d.proctor_id = a.proctor_id)
UNION ALL
SELECT 'identity', c.device_id, c.session_id, c.candidate_id, c.created_wall_ms,
       CASE c.state WHEN 'open' THEN c.proctor_id ELSE c.second_proctor_id END,
       CASE c.state WHEN 'open' THEN 'first' ELSE 'second' END, c.state
  FROM identity_checks c
 WHERE c.state <> 'decided';

-- (2)
CREATE VIEW proctor_load AS
SELECT u.user_id AS proctor_id, u.display_name,
       coalesce(sum(w.kind = 'review'), 0) AS open_reviews,
       coalesce(sum(w.kind = 'identity'), 0) AS open_identity_checks,
       count(w.kind) AS load,
       min(w.since_wall_ms) AS oldest_since_wall_ms,
       row_number() OVER (ORDER BY count(w.kind), u.user_id) AS rank
  FROM staff_users u LEFT JOIN open_work w ON w.proctor_id = u.user_id
 WHERE u.role = 'proctor' AND u.disabled_wall_ms IS NULL
 GROUP BY u.user_id;

CREATE VIEW work_participants AS
SELECT 'review' AS kind, device_id, session_id, proctor_id FROM review_assignments
UNION ALL SELECT 'review', device_id, session_id, proctor_id FROM review_decisions
UNION ALL SELECT 'review', device_id, session_id, decided_by FROM review_flags WHERE decided_by IS NOT NULL
UNION ALL SELECT 'identity', device_id, session_id, proctor_id FROM identity_checks WHERE proctor_id IS NOT NULL
UNION ALL SELECT 'identity', device_id, session_id, second_proctor_id FROM identity_checks WHERE second_proctor_id IS NOT NULL
UNION ALL SELECT 'identity', device_id, session_id, proctor_id FROM identity_decisions;

-- (3) Items not decided with no active proctor waiting on them.
CREATE VIEW unassigned_work AS
SELECT i.kind, i.device_id, i.session_id, i.since_wall_ms FROM (
  SELECT 'review' AS kind, device_id, session_id, first_flag_wall_ms AS since_wall_ms FROM review_sessions
   WHERE state <> 'decided'
  UNION ALL
  SELECT 'identity', device_id, session_id, created_wall_ms FROM identity_checks WHERE state <> 'decided') i
 WHERE NOT EXISTS (SELECT 1 FROM open_work w JOIN staff_users u ON u.user_id = w.proctor_id
                    WHERE w.kind = i.kind AND w.device_id = i.device_id AND w.session_id = i.session_id
                      AND u.role = 'proctor' AND u.disabled_wall_ms IS NULL);

-- The proctors' queues read oldest first.
CREATE INDEX review_sessions_by_age ON review_sessions(state, first_flag_wall_ms);

-- (3) Identity checks: schema 11's trigger, now on the shared load.
DROP TRIGGER identity_check_on_submission;
DROP VIEW identity_proctor_load;
CREATE TRIGGER identity_check_on_submission AFTER UPDATE OF submitted_seq ON sessions
WHEN OLD.submitted_seq IS NULL AND NEW.submitted_seq IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO identity_checks(device_id, session_id, candidate_id, created_wall_ms, proctor_id)
  VALUES (NEW.device_id, NEW.session_id, NEW.candidate_id, max(NEW.first_seen_wall_ms, NEW.last_seen_wall_ms),
          (SELECT proctor_id FROM proctor_load ORDER BY rank LIMIT 1));
END;

-- (3) Reviews: the first flag of a session makes its review_sessions row.
CREATE TRIGGER review_assigned_on_arrival AFTER INSERT ON review_sessions
BEGIN
  INSERT OR IGNORE INTO review_assignments(device_id, session_id, proctor_id, assigned_by, assigned_wall_ms)
  SELECT NEW.device_id, NEW.session_id, proctor_id, 0, NEW.first_flag_wall_ms FROM proctor_load ORDER BY rank LIMIT 1;
END;

-- (4) A trigger run once per waiting review by a no-op update, then dropped: each run reads the
-- load as the runs before it left it.
CREATE TRIGGER review_assign_existing AFTER UPDATE OF candidate_id ON review_sessions
BEGIN
  INSERT OR IGNORE INTO review_assignments(device_id, session_id, proctor_id, assigned_by, assigned_wall_ms)
  SELECT NEW.device_id, NEW.session_id, l.proctor_id, 0, NEW.first_flag_wall_ms FROM proctor_load l
   WHERE l.proctor_id NOT IN (SELECT p.proctor_id FROM work_participants p
                               WHERE p.kind = 'review' AND p.device_id = NEW.device_id AND p.session_id = NEW.session_id)
   ORDER BY l.rank LIMIT 1;
END;
UPDATE review_sessions SET candidate_id = candidate_id
 WHERE EXISTS (SELECT 1 FROM unassigned_work u WHERE u.kind = 'review' AND u.device_id = review_sessions.device_id
                  AND u.session_id = review_sessions.session_id);
DROP TRIGGER review_assign_existing;

-- (4) Identity checks schema 11 made for earlier sittings (no proctor), and any waiting on a
-- proctor who has been disabled, the same way.
CREATE TRIGGER identity_assign_existing AFTER UPDATE OF candidate_id ON identity_checks
BEGIN
  UPDATE identity_checks SET
    proctor_id = CASE WHEN state = 'open' THEN coalesce((
      SELECT l.proctor_id FROM proctor_load l
       WHERE l.proctor_id NOT IN (SELECT p.proctor_id FROM work_participants p
                                   WHERE p.kind = 'identity' AND p.device_id = NEW.device_id AND p.session_id = NEW.session_id)
       ORDER BY l.rank LIMIT 1), proctor_id) ELSE proctor_id END,
    second_proctor_id = CASE WHEN state = 'awaiting_second' THEN coalesce((
      SELECT l.proctor_id FROM proctor_load l
       WHERE l.proctor_id NOT IN (SELECT p.proctor_id FROM work_participants p
                                   WHERE p.kind = 'identity' AND p.device_id = NEW.device_id AND p.session_id = NEW.session_id)
       ORDER BY l.rank LIMIT 1), second_proctor_id) ELSE second_proctor_id END
   WHERE device_id = NEW.device_id AND session_id = NEW.session_id;
END;
UPDATE identity_checks SET candidate_id = candidate_id
 WHERE EXISTS (SELECT 1 FROM unassigned_work u WHERE u.kind = 'identity' AND u.device_id = identity_checks.device_id
                  AND u.session_id = identity_checks.session_id);
DROP TRIGGER identity_assign_existing;
