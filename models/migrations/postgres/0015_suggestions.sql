-- Suggestions (tracked changes): a span of a measure's current text, in
-- UTF-16 units, and the text proposed in its place (models/suggestions.go).
-- Open suggestions move with every co-edit, like comment anchors; one
-- whose words someone else changed becomes outdated. quote is the text
-- the span covered when it was made (and still covers while open).
CREATE TABLE suggestions (
    id BIGSERIAL PRIMARY KEY,
    measure_id BIGINT NOT NULL REFERENCES measures(id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users(id),
    span_from INTEGER NOT NULL,
    span_to INTEGER NOT NULL,
    insert_text TEXT NOT NULL,
    quote TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_at TIMESTAMPTZ,
    note TEXT NOT NULL DEFAULT '',
    accepted_version BIGINT
);
CREATE INDEX suggestions_measure ON suggestions (measure_id, status, id);
