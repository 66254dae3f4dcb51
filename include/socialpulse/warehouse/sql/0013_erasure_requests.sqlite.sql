-- 13: privacy_erasures: each request's outcome (erased, already_erased, not_found), its drop and line, quarantine rows
ALTER TABLE privacy_erasures ADD COLUMN quarantine_rows INTEGER;
ALTER TABLE privacy_erasures ADD COLUMN status TEXT;
ALTER TABLE privacy_erasures ADD COLUMN request_day TEXT;
ALTER TABLE privacy_erasures ADD COLUMN request_line INTEGER;
-- Rows recorded before these columns existed (a null status) were erasures asked for by hand.
