-- Vigil client store, schema 3: small named values that must survive a crash with the answers
-- (the runner's persisted timer and position, an unlocked package's content key). Encrypted at
-- rest with the rest of the store; never synced (the journal records what happened).
CREATE TABLE state (
  name            TEXT PRIMARY KEY,
  value           BLOB NOT NULL,
  updated_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;
