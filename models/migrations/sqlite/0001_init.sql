CREATE TABLE organizations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  slug TEXT NOT NULL UNIQUE,
  name_fr TEXT NOT NULL,
  name_en TEXT NOT NULL,
  name_ar TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('federation','ministry')),
  created_at DATETIME NOT NULL
);

CREATE TABLE pillars (
  key TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  name_fr TEXT NOT NULL,
  name_en TEXT NOT NULL,
  name_ar TEXT NOT NULL
);

CREATE TABLE axes (
  key TEXT PRIMARY KEY,
  pillar_key TEXT NOT NULL REFERENCES pillars(key),
  position INTEGER NOT NULL,
  name_fr TEXT NOT NULL,
  name_en TEXT NOT NULL,
  name_ar TEXT NOT NULL
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  organization_id INTEGER REFERENCES organizations(id),
  role TEXT NOT NULL CHECK (role IN ('member','reviewer','moderator','admin')),
  status TEXT NOT NULL CHECK (status IN ('invited','active','suspended')),
  password_hash TEXT NOT NULL DEFAULT '',
  locale TEXT NOT NULL DEFAULT 'fr',
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  last_seen_at DATETIME NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at DATETIME NOT NULL,
  last_used_at DATETIME
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE invitations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  token_hash TEXT NOT NULL UNIQUE,
  purpose TEXT NOT NULL CHECK (purpose IN ('invite','setup')),
  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
  invited_by INTEGER REFERENCES users(id),
  expires_at DATETIME NOT NULL,
  used_at DATETIME,
  created_at DATETIME NOT NULL
);

CREATE TABLE login_failures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  at DATETIME NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures(key, at);

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  type TEXT NOT NULL,
  actor_id INTEGER,
  measure_id INTEGER,
  subject_user_id INTEGER,
  payload TEXT NOT NULL DEFAULT '{}',
  created_at DATETIME NOT NULL
);
CREATE INDEX events_topic ON events(topic, id);
CREATE INDEX events_actor ON events(actor_id, id);
CREATE INDEX events_measure ON events(measure_id, id);

CREATE TABLE measures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL DEFAULT '',
  pillar TEXT NOT NULL REFERENCES pillars(key),
  axis TEXT REFERENCES axes(key),
  lead_organization_id INTEGER NOT NULL REFERENCES organizations(id),
  visibility TEXT NOT NULL CHECK (visibility IN ('federation','platform')),
  status TEXT NOT NULL CHECK (status IN ('draft','in_review','changes_requested','approved','rejected','withdrawn')),
  revision INTEGER NOT NULL DEFAULT 1,
  published_revision INTEGER,
  submitted_once BOOLEAN NOT NULL DEFAULT FALSE,
  collab_version INTEGER NOT NULL DEFAULT 0,
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE INDEX measures_status ON measures(status);
CREATE INDEX measures_updated ON measures(updated_at, id);

CREATE TABLE measure_editors (
  measure_id INTEGER NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  added_by INTEGER REFERENCES users(id),
  created_at DATETIME NOT NULL,
  PRIMARY KEY (measure_id, user_id)
);
CREATE INDEX measure_editors_user ON measure_editors(user_id);

CREATE TABLE measure_cosponsors (
  measure_id INTEGER NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  organization_id INTEGER NOT NULL REFERENCES organizations(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  created_at DATETIME NOT NULL,
  PRIMARY KEY (measure_id, organization_id)
);

CREATE TABLE revisions (
  measure_id INTEGER NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  title TEXT NOT NULL,
  summary TEXT NOT NULL,
  body TEXT NOT NULL,
  pillar TEXT NOT NULL,
  axis TEXT,
  status TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT 'edit',
  authors TEXT NOT NULL DEFAULT '[]',
  collab_version INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (measure_id, number)
);

CREATE TABLE reviews (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  measure_id INTEGER NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  reviewer_id INTEGER NOT NULL REFERENCES users(id),
  decision TEXT NOT NULL CHECK (decision IN ('approved','changes_requested','rejected')),
  note TEXT NOT NULL DEFAULT '',
  revision INTEGER NOT NULL,
  created_at DATETIME NOT NULL
);
CREATE INDEX reviews_measure ON reviews(measure_id);

CREATE TABLE comments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  measure_id INTEGER NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  parent_id INTEGER REFERENCES comments(id),
  author_id INTEGER NOT NULL REFERENCES users(id),
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('visible','hidden','deleted')),
  hidden_reason TEXT NOT NULL DEFAULT '',
  hidden_by INTEGER REFERENCES users(id),
  anchor_quote TEXT,
  anchor_from INTEGER,
  anchor_to INTEGER,
  anchor_detached BOOLEAN NOT NULL DEFAULT FALSE,
  created_at DATETIME NOT NULL,
  edited_at DATETIME
);
CREATE INDEX comments_measure ON comments(measure_id, id);

CREATE TABLE comment_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
  reporter_id INTEGER NOT NULL REFERENCES users(id),
  reason TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  resolved_at DATETIME
);
CREATE INDEX comment_reports_comment ON comment_reports(comment_id);

CREATE TABLE collab_updates (
  measure_id INTEGER NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  client_id TEXT NOT NULL,
  user_id INTEGER REFERENCES users(id),
  changes TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (measure_id, version)
);
