-- Suggestions (tracked changes): a span of a measure's current text, in
-- UTF-16 units, and the text proposed in its place (models/suggestions.go).
-- Open suggestions move with every co-edit, like comment anchors; one
-- whose words someone else changed becomes outdated. quote is the text
-- the span covered when it was made (and still covers while open).
CREATE TABLE suggestions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    measure_id INTEGER NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES users(id),
    span_from INTEGER NOT NULL,
    span_to INTEGER NOT NULL,
    insert_text TEXT NOT NULL,
    quote TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    decided_by INTEGER REFERENCES users(id),
    decided_at DATETIME,
    note TEXT NOT NULL DEFAULT '',
    accepted_version INTEGER
);
CREATE INDEX suggestions_measure ON suggestions (measure_id, status, id);
