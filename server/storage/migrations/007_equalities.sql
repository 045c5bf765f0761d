-- Schema 7: equalities self-declarations (docs/EQUALITIES.md). Apart from everything else on
-- purpose: no candidate id, name, device or session is stored here, and no foreign key leads
-- from here to the candidates table.
--
-- subject is a keyed pseudonym of the candidate id (HKDF-SHA256 keyed by the server's receipt
-- seed, server/results/equalities.hpp equalities_subject): the report recomputes it for each scored
-- sitting to join a declaration to its outcome, but the table alone (a copy, a backup, a query
-- by someone without the server's keys) cannot be joined to a person. Only the day of the
-- latest change is kept, not the time, so it cannot be matched to sync traffic.
-- Values are the codes of shared/results/equalities.cpp; NULL means "not answered".
CREATE TABLE equalities_declarations (
  subject     TEXT PRIMARY KEY,
  age_band    TEXT CHECK (age_band IN ('under_25', '25_34', '35_44', '45_54', '55_64', '65_plus', 'prefer_not_to_say')),
  ethnicity   TEXT CHECK (ethnicity IN ('asian', 'black', 'mixed', 'white', 'other', 'prefer_not_to_say')),
  disability  TEXT CHECK (disability IN ('yes', 'no', 'prefer_not_to_say')),
  sex         TEXT CHECK (sex IN ('female', 'male', 'prefer_not_to_say')),
  updated_day TEXT NOT NULL              -- YYYY-MM-DD (UTC)
) WITHOUT ROWID;

-- The report asks, per scored sitting, whether its session was flagged (review_sessions is keyed
-- by device first): one index probe instead of a scan per sitting.
CREATE INDEX review_sessions_by_session ON review_sessions(session_id);
