-- Reaching people (docs/API.md "Mail, notifications…"): who follows which
-- measure, how each person wants each kind of notification, the one-use
-- links mailed for password resets and email changes, and what became of
-- each mail. The job queue's own tables are River's (models/jobs.go).
CREATE TABLE follows (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    measure_id BIGINT NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, measure_id)
);
CREATE INDEX follows_measure ON follows (measure_id);
CREATE TABLE notification_settings (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    delivery TEXT NOT NULL CHECK (delivery IN ('immediate','digest','off')),
    PRIMARY KEY (user_id, kind)
);
ALTER TABLE users ADD COLUMN digest_sent_at TIMESTAMPTZ;
ALTER TABLE notifications ADD COLUMN excerpt TEXT NOT NULL DEFAULT '';
CREATE TABLE account_links (
    id BIGSERIAL PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('reset','email')),
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    new_email TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX account_links_user ON account_links (user_id, purpose);
CREATE TABLE reset_requests (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    client TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX reset_requests_email ON reset_requests (email, created_at);
CREATE INDEX reset_requests_client ON reset_requests (client, created_at);
CREATE TABLE mail_log (
    id BIGSERIAL PRIMARY KEY,
    job_id BIGINT NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent','failed','dropped')),
    detail TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX mail_log_user ON mail_log (user_id, id);
CREATE INDEX mail_log_status ON mail_log (status, id);
CREATE TABLE signing_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
INSERT INTO follows (user_id, measure_id, created_at) SELECT user_id, measure_id, created_at FROM measure_editors;
