-- Retention (models/retention.go). collab_floor is the oldest version of a
-- measure's co-editing log that can still be brought up to date: updates
-- up to it have been compacted away, so a client holding an older version
-- is told "gone" and joins again from the current text. The indexes let
-- the retention job find what is due without scanning the tables.
ALTER TABLE measures ADD COLUMN collab_floor INTEGER NOT NULL DEFAULT 0;
CREATE INDEX notifications_read ON notifications (read_at) WHERE read_at IS NOT NULL;
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
CREATE INDEX sessions_created ON sessions (created_at);
