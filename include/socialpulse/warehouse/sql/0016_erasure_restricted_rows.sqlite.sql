-- 16: privacy_erasures.restricted_rows: the erased person's rows of the lake's restricted zone (the matching keys)
ALTER TABLE privacy_erasures ADD COLUMN restricted_rows INTEGER;
