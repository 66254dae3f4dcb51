-- 7: privacy_erasures: who was erased (as a pseudonym), when, and how many rows
CREATE TABLE IF NOT EXISTS privacy_erasures (pseudonym TEXT NOT NULL, run_id TEXT NOT NULL, erased_at TEXT, clean_rows INTEGER, feature_rows INTEGER, warehouse_rows INTEGER, files_rewritten INTEGER, PRIMARY KEY (pseudonym, run_id));
