-- Second factor (TOTP, RFC 6238) for reviewers, moderators and admins.
-- The secret is stored as typed by the authenticator app (base32). Encrypting
-- it at rest is out of scope for now: whoever reads this column can also read
-- the sessions table.
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled BOOLEAN NOT NULL DEFAULT FALSE;
-- The last time step accepted, so that a code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- One-time recovery codes, stored hashed.
CREATE TABLE totp_recovery_codes (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX totp_recovery_codes_user_code ON totp_recovery_codes(user_id, code_hash);

-- A sign-in whose password was right and whose code is still awaited: the
-- browser holds the raw id, the table its hash. Short-lived and single-use.
CREATE TABLE pending_logins (
  id_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX pending_logins_expires ON pending_logins(expires_at);
