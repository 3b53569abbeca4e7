CREATE TABLE organizations (
  id BIGSERIAL PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name_fr TEXT NOT NULL,
  name_en TEXT NOT NULL,
  name_ar TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('federation','ministry')),
  created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE pillars (
  key TEXT PRIMARY KEY,
  position BIGINT NOT NULL,
  name_fr TEXT NOT NULL,
  name_en TEXT NOT NULL,
  name_ar TEXT NOT NULL
);

CREATE TABLE axes (
  key TEXT PRIMARY KEY,
  pillar_key TEXT NOT NULL REFERENCES pillars(key),
  position BIGINT NOT NULL,
  name_fr TEXT NOT NULL,
  name_en TEXT NOT NULL,
  name_ar TEXT NOT NULL
);

CREATE TABLE users (
  id BIGSERIAL PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  organization_id BIGINT REFERENCES organizations(id),
  role TEXT NOT NULL CHECK (role IN ('member','reviewer','moderator','admin')),
  status TEXT NOT NULL CHECK (status IN ('invited','active','suspended')),
  password_hash TEXT NOT NULL DEFAULT '',
  locale TEXT NOT NULL DEFAULT 'fr',
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL,
  last_used_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE invitations (
  id BIGSERIAL PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  purpose TEXT NOT NULL CHECK (purpose IN ('invite','setup')),
  user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
  invited_by BIGINT REFERENCES users(id),
  expires_at TIMESTAMPTZ NOT NULL,
  used_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE login_failures (
  id BIGSERIAL PRIMARY KEY,
  key TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures(key, at);

CREATE TABLE events (
  id BIGSERIAL PRIMARY KEY,
  topic TEXT NOT NULL,
  type TEXT NOT NULL,
  actor_id BIGINT,
  measure_id BIGINT,
  subject_user_id BIGINT,
  payload TEXT NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_topic ON events(topic, id);
CREATE INDEX events_actor ON events(actor_id, id);
CREATE INDEX events_measure ON events(measure_id, id);

CREATE TABLE measures (
  id BIGSERIAL PRIMARY KEY,
  title TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',
  pillar TEXT NOT NULL REFERENCES pillars(key),
  axis TEXT REFERENCES axes(key),
  lead_organization_id BIGINT NOT NULL REFERENCES organizations(id),
  visibility TEXT NOT NULL CHECK (visibility IN ('federation','platform')),
  status TEXT NOT NULL CHECK (status IN ('draft','in_review','changes_requested','approved','rejected','withdrawn')),
  revision BIGINT NOT NULL DEFAULT 1,
  published_revision BIGINT,
  submitted_once BOOLEAN NOT NULL DEFAULT FALSE,
  collab_version BIGINT NOT NULL DEFAULT 0,
  created_by BIGINT NOT NULL REFERENCES users(id),
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX measures_status ON measures(status);
CREATE INDEX measures_updated ON measures(updated_at, id);

CREATE TABLE measure_editors (
  measure_id BIGINT NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES users(id),
  added_by BIGINT REFERENCES users(id),
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (measure_id, user_id)
);
CREATE INDEX measure_editors_user ON measure_editors(user_id);

CREATE TABLE measure_cosponsors (
  measure_id BIGINT NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  organization_id BIGINT NOT NULL REFERENCES organizations(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (measure_id, organization_id)
);

CREATE TABLE revisions (
  measure_id BIGINT NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  number BIGINT NOT NULL,
  title TEXT NOT NULL,
  summary TEXT NOT NULL,
  body TEXT NOT NULL,
  pillar TEXT NOT NULL,
  axis TEXT,
  status TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT 'edit',
  authors TEXT NOT NULL DEFAULT '[]',
  collab_version BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (measure_id, number)
);

CREATE TABLE reviews (
  id BIGSERIAL PRIMARY KEY,
  measure_id BIGINT NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  reviewer_id BIGINT NOT NULL REFERENCES users(id),
  decision TEXT NOT NULL CHECK (decision IN ('approved','changes_requested','rejected')),
  note TEXT NOT NULL DEFAULT '',
  revision BIGINT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX reviews_measure ON reviews(measure_id);

CREATE TABLE comments (
  id BIGSERIAL PRIMARY KEY,
  measure_id BIGINT NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  parent_id BIGINT REFERENCES comments(id),
  author_id BIGINT NOT NULL REFERENCES users(id),
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('visible','hidden','deleted')),
  hidden_reason TEXT NOT NULL DEFAULT '',
  hidden_by BIGINT REFERENCES users(id),
  anchor_quote TEXT,
  anchor_from BIGINT,
  anchor_to BIGINT,
  anchor_detached BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ NOT NULL,
  edited_at TIMESTAMPTZ
);
CREATE INDEX comments_measure ON comments(measure_id, id);

CREATE TABLE comment_reports (
  id BIGSERIAL PRIMARY KEY,
  comment_id BIGINT NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  reporter_id BIGINT NOT NULL REFERENCES users(id),
  reason TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  resolved_at TIMESTAMPTZ
);
CREATE INDEX comment_reports_comment ON comment_reports(comment_id);

CREATE TABLE collab_updates (
  measure_id BIGINT NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  client_id TEXT NOT NULL,
  user_id BIGINT REFERENCES users(id),
  changes TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (measure_id, version)
);
