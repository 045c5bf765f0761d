-- Schema 8 (issue 13, "answers belong to their candidate and are final at submission"): review
-- decisions are immutable and reach results (docs/STAFF.md, docs/RESULTS.md).
--
-- Invariants:
--  (1) A session's review runs in rounds. A decision ends its round and is written to
--      review_outcomes, which is append-only (triggers refuse UPDATE and DELETE): nothing, not a
--      late flag and not a later round, erases a decision.
--  (2) A flag arriving after a round was decided opens the next round (round + 1, state open);
--      review_sessions.decision then holds only the current round's decision, the earlier ones
--      stay in review_outcomes. (Schema 3's triggers reset the session and wiped its decision.)
--  (3) disputed = 1 once two proctors disagreed in the current round: from then on only a
--      proctor with no decision in this round may decide it (StaffApi, post_session_decision).
--  (4) review_decisions rows carry their round.

ALTER TABLE review_sessions ADD COLUMN round INTEGER NOT NULL DEFAULT 1;
ALTER TABLE review_sessions ADD COLUMN disputed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE review_decisions ADD COLUMN round INTEGER NOT NULL DEFAULT 1;

CREATE TABLE review_outcomes (
  device_id  TEXT NOT NULL,
  session_id TEXT NOT NULL,
  round      INTEGER NOT NULL,
  decision   TEXT NOT NULL CHECK (decision IN ('no_concerns', 'concerns', 'breach')),
  decided_wall_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, session_id, round)
) WITHOUT ROWID;
CREATE INDEX review_outcomes_by_session ON review_outcomes(session_id);
CREATE TRIGGER review_outcomes_no_update BEFORE UPDATE ON review_outcomes
BEGIN SELECT RAISE(ABORT, 'a review decision is immutable'); END;
CREATE TRIGGER review_outcomes_no_delete BEFORE DELETE ON review_outcomes
BEGIN SELECT RAISE(ABORT, 'a review decision is immutable'); END;

-- Sessions decided before this migration: their decision is the outcome of round 1.
INSERT INTO review_outcomes(device_id, session_id, round, decision, decided_wall_ms)
SELECT device_id, session_id, 1, decision, coalesce(decided_wall_ms, 0) FROM review_sessions
 WHERE state = 'decided' AND decision IN ('no_concerns', 'concerns', 'breach');

-- (1) Every decision is written down as it is made.
CREATE TRIGGER review_outcome_recorded AFTER UPDATE OF state ON review_sessions
WHEN NEW.state = 'decided' AND OLD.state <> 'decided'
BEGIN
  INSERT INTO review_outcomes(device_id, session_id, round, decision, decided_wall_ms)
  VALUES (NEW.device_id, NEW.session_id, NEW.round, NEW.decision, coalesce(NEW.decided_wall_ms, 0));
END;

-- (2) The derivation triggers of schema 3, with a new round instead of a wiped decision.
DROP TRIGGER review_flag_raised;
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
    round = CASE WHEN state = 'decided' THEN round + 1 ELSE round END,
    disputed = CASE WHEN state = 'decided' THEN 0 ELSE disputed END,
    proposed_decision = CASE WHEN state = 'decided' THEN NULL ELSE proposed_decision END,
    proposed_by = CASE WHEN state = 'decided' THEN NULL ELSE proposed_by END,
    decision = CASE WHEN state = 'decided' THEN NULL ELSE decision END,
    decided_wall_ms = CASE WHEN state = 'decided' THEN NULL ELSE decided_wall_ms END,
    state = CASE WHEN state = 'decided' THEN 'open' ELSE state END;
END;

DROP TRIGGER review_integrity_flag;
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
    round = CASE WHEN state = 'decided' THEN round + 1 ELSE round END,
    disputed = CASE WHEN state = 'decided' THEN 0 ELSE disputed END,
    proposed_decision = CASE WHEN state = 'decided' THEN NULL ELSE proposed_decision END,
    proposed_by = CASE WHEN state = 'decided' THEN NULL ELSE proposed_by END,
    decision = CASE WHEN state = 'decided' THEN NULL ELSE decision END,
    decided_wall_ms = CASE WHEN state = 'decided' THEN NULL ELSE decided_wall_ms END,
    state = CASE WHEN state = 'decided' THEN 'open' ELSE state END;
END;
