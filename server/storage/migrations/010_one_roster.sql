-- Schema 10 (issue 16, "a council cannot see a candidate who sat"): one roster. Until now a
-- candidate added with `vigil-server admin add-candidate` had a candidates row but no endorsements
-- row, and the council's completion status (take-up) reads the two joined, so a council never saw
-- a candidate the programme had added, whatever they did. Numbered 010: 009 is staff accounts.
--
-- Invariants:
--  (1) Every candidate is on their council's roster: one endorsements row per candidates row,
--      written by a trigger on candidates, so no way of adding a candidate (the command line, the
--      council's page or upload, a test, a tool) can leave one off. The council page's own
--      details (employee reference, exemptions, extra time) are then set on that row.
--  (2) employee_ref is NULL when nobody gave one (the command line asks for none); UNIQUE still
--      holds for the references given (SQLite's UNIQUE lets NULLs repeat).
--  (3) endorsed_by NULL: added from the command line.
--  (4) audit_log.via says who acted without a signed-in user: 'command_line' or 'device';
--      'staff' for a signed-in user. Rows written before schema 10 have NULL.

-- (2) employee_ref was NOT NULL: SQLite cannot drop a NOT NULL, so the table is rebuilt (nothing
-- references endorsements and no trigger reads it).
CREATE TABLE endorsements_10 (
  candidate_id  TEXT PRIMARY KEY REFERENCES candidates(candidate_id),
  council_id    TEXT NOT NULL REFERENCES councils(council_id),
  employee_ref  TEXT,
  exemptions    TEXT NOT NULL DEFAULT '',
  extra_time_percent  INTEGER NOT NULL DEFAULT 0,
  extra_break_minutes INTEGER NOT NULL DEFAULT 0,
  endorsed_wall_ms INTEGER NOT NULL,
  endorsed_by   INTEGER,
  withdrawn_wall_ms INTEGER,
  withdrawn_reason TEXT,
  UNIQUE (council_id, employee_ref)
) WITHOUT ROWID;
INSERT INTO endorsements_10(candidate_id, council_id, employee_ref, exemptions, extra_time_percent,
                            extra_break_minutes, endorsed_wall_ms, endorsed_by, withdrawn_wall_ms, withdrawn_reason)
SELECT candidate_id, council_id, employee_ref, exemptions, extra_time_percent, extra_break_minutes,
       endorsed_wall_ms, endorsed_by, withdrawn_wall_ms, withdrawn_reason
  FROM endorsements;
DROP TABLE endorsements;
ALTER TABLE endorsements_10 RENAME TO endorsements;
CREATE INDEX endorsements_by_council ON endorsements(council_id);

-- (1) The backfill: every candidate added without an endorsement joins their council's roster,
-- endorsed when they were added.
INSERT INTO endorsements(candidate_id, council_id, employee_ref, endorsed_wall_ms, endorsed_by)
SELECT c.candidate_id, c.council_id, NULL, c.created_wall_ms, NULL
  FROM candidates c
 WHERE NOT EXISTS (SELECT 1 FROM endorsements e WHERE e.candidate_id = c.candidate_id);

-- (1) From now on, in the same statement as the candidate.
CREATE TRIGGER candidate_on_roster AFTER INSERT ON candidates
BEGIN
  INSERT INTO endorsements(candidate_id, council_id, employee_ref, endorsed_wall_ms, endorsed_by)
  VALUES (NEW.candidate_id, NEW.council_id, NULL, NEW.created_wall_ms, NULL);
END;

-- (4)
ALTER TABLE audit_log ADD COLUMN via TEXT;
