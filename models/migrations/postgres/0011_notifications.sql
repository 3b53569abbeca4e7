-- Notifications: one row per person an event concerns, written in the same
-- transaction as the event (models/notifications.go). read_at is NULL until
-- the person has seen it.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    event_id BIGINT NOT NULL REFERENCES events(id),
    actor_id BIGINT REFERENCES users(id),
    measure_id BIGINT REFERENCES measures(id) ON DELETE CASCADE,
    comment_id BIGINT REFERENCES comments(id) ON DELETE SET NULL,
    read_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
