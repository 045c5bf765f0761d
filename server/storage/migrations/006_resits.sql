-- Schema 6 (issue 7, council results and release): one release path and resits.
--
-- Results are released only per assessment window (release_results, server/results/results.hpp),
-- and the completion status reads the results table. The per-candidate outcomes the first staff
-- pages stored (result_releases: an outcome typed in by an admin, with no score behind it) are
-- dropped: they were never a result a candidate or certificate could rest on.
DROP TABLE IF EXISTS result_releases;

-- A council manager's re-endorsement of a candidate whose released result is "not met", and the
-- resit it allows. One row per not-met sitting (a result is re-endorsed at most once). sitting_id
-- is the new attempt, set when the admin schedules it (vigil-server admin schedule); a sitting
-- is unique per (candidate, assessment), so the resit is always in a later window (another
-- assessment id). attempt is the resit's attempt number: the first sitting is attempt 1.
CREATE TABLE resits (
  resit_of      TEXT PRIMARY KEY REFERENCES sittings(sitting_id),
  candidate_id  TEXT NOT NULL REFERENCES candidates(candidate_id),
  attempt       INTEGER NOT NULL CHECK (attempt >= 2),
  endorsed_by   INTEGER NOT NULL REFERENCES staff_users(user_id),
  endorsed_wall_ms INTEGER NOT NULL,
  sitting_id    TEXT UNIQUE REFERENCES sittings(sitting_id),
  linked_wall_ms INTEGER
) WITHOUT ROWID;
-- The completion status asks, per candidate, for a re-endorsement without a resit yet
-- (sitting_id IS NULL): with sitting_id in this index SQLite does not pick the UNIQUE index on
-- sitting_id, which would scan every pending re-endorsement for each candidate.
CREATE INDEX resits_by_candidate ON resits(candidate_id, sitting_id);
