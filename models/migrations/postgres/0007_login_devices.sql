-- Device cookies (OWASP "Slow Down Online Guessing Attacks with Device
-- Cookies"): a browser that signed in to an account holds a random token,
-- stored here hashed and bound to that account. Such a browser keeps its own
-- small failure budget (login_failures key "dev:<id_hash>"), so that
-- strangers' failures never lock the owner out.
CREATE TABLE login_devices (
  id_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL,
  last_used_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_devices_user ON login_devices(user_id);
