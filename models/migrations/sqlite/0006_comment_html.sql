-- A comment's Markdown rendered once, sanitised, when it is written (the
-- measure page shows hundreds of comments per request). Rows from before
-- this column, or filled by SQL, keep '' and are rendered when read.
ALTER TABLE comments ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
