-- Tamper-evident audit trail (models/audit_chain.go): every event row
-- carries the SHA-256 of its content chained to the previous row's hash.
-- Rows written before this migration get theirs once, in Go, at the next
-- start (the backfill, marked done in audit_chain): SQL computes nothing.
ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT '';

-- One row: whether the backfill ran, and the last verification of the
-- chain (by the daily job or `pacte audit verify`). anchor_* is the head
-- of the last verification that found the chain intact: a later one
-- checks that it is still there, so cutting events off the end shows.
CREATE TABLE audit_chain (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  backfilled BOOLEAN NOT NULL DEFAULT FALSE,
  verified_at DATETIME,
  ok BOOLEAN NOT NULL DEFAULT FALSE,
  events INTEGER NOT NULL DEFAULT 0,
  head_id INTEGER NOT NULL DEFAULT 0,
  head_hash TEXT NOT NULL DEFAULT '',
  problem TEXT NOT NULL DEFAULT '',
  anchor_id INTEGER NOT NULL DEFAULT 0,
  anchor_hash TEXT NOT NULL DEFAULT ''
);
INSERT INTO audit_chain (id) VALUES (1);
