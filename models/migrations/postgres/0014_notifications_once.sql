-- One notification per event and person: a fan-out cut short and run
-- again skips the people it already told (models/fanout.go).
CREATE UNIQUE INDEX notifications_event_user ON notifications (event_id, user_id);
