-- Notifications: one row per person an event concerns, written in the same
-- transaction as the event (models/notifications.go). read_at is NULL until
-- the person has seen it.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events(id),
    actor_id INTEGER REFERENCES users(id),
    measure_id INTEGER REFERENCES measures(id) ON DELETE CASCADE,
    comment_id INTEGER REFERENCES comments(id) ON DELETE SET NULL,
    read_at DATETIME,
    created_at DATETIME NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
