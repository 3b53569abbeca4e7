-- Erasure under law 09-08 (models/erasure.go): an erased account keeps its
-- row, so that its contributions keep an author, with a pseudonym for a
-- name, no email, password or second factor, and the time it was erased.
ALTER TABLE users ADD COLUMN erased_at TIMESTAMPTZ;
