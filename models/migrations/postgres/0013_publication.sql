-- Publication (docs/API.md "Publication, the public Pact and exports"): an
-- approved measure is public only once the ministry publishes it.
-- approved_at is when its published revision was approved;
-- public_changed_at is the last time what the public sees of it changed
-- (published, unpublished, or an amendment approved while published): the
-- portal's Last-Modified.
ALTER TABLE measures ADD COLUMN published_at TIMESTAMPTZ;
ALTER TABLE measures ADD COLUMN published_by BIGINT REFERENCES users(id);
ALTER TABLE measures ADD COLUMN approved_at TIMESTAMPTZ;
ALTER TABLE measures ADD COLUMN public_changed_at TIMESTAMPTZ;
UPDATE measures SET approved_at = (SELECT MAX(r.created_at) FROM reviews r
    WHERE r.measure_id = measures.id AND r.decision = 'approved')
  WHERE published_revision IS NOT NULL;
CREATE INDEX measures_published ON measures (published_at) WHERE published_at IS NOT NULL;
