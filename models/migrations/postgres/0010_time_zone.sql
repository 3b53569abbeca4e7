-- Each person's time zone (IANA name) for showing dates. Morocco's
-- (Africa/Casablanca, with its Ramadan change of offset) by default.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Africa/Casablanca';
