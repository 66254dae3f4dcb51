-- 7: privacy_erasures: who was erased (as a pseudonym), when, and how many rows
CREATE TABLE IF NOT EXISTS privacy_erasures (pseudonym TEXT NOT NULL, run_id TEXT NOT NULL, erased_at TIMESTAMPTZ, clean_rows BIGINT, feature_rows BIGINT, warehouse_rows BIGINT, files_rewritten BIGINT, PRIMARY KEY (pseudonym, run_id));
