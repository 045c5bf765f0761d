-- Vigil client store, schema 2: what sync needs.

-- Enrolment (one row): the server this device belongs to and the device's TLS identity.
CREATE TABLE enrolment (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  candidate_id    TEXT NOT NULL,
  server_trust    TEXT NOT NULL,     -- protocol::ClientTrust JSON (host, port, root CA, pins)
  device_cert_pem TEXT NOT NULL,
  ca_chain_pem    TEXT NOT NULL,
  device_key_pem  BLOB NOT NULL,     -- ECDSA P-256 private key for TLS client authentication
  receipt_public_key  BLOB NOT NULL,
  evidence_public_key BLOB NOT NULL,
  enrolled_wall_ms INTEGER NOT NULL
);

-- Blobs waiting to be uploaded (evidence snapshots, sealed to the server's evidence key).
-- Written in the same transaction as the journal record that refers to them.
CREATE TABLE blobs (
  sha256      BLOB PRIMARY KEY,
  session_id  TEXT NOT NULL,
  priority    INTEGER NOT NULL,
  data        BLOB NOT NULL,
  uploaded_wall_ms INTEGER
) WITHOUT ROWID;

-- Signed receipts from the server, kept forever (the candidate's proof of submission).
CREATE TABLE receipts (
  session_id TEXT PRIMARY KEY,
  receipt    TEXT NOT NULL,
  received_wall_ms INTEGER NOT NULL
) WITHOUT ROWID;
