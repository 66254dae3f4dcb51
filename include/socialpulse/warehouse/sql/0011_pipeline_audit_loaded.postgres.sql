-- 11: pipeline_audit.loaded_at: when the run's publishing step loaded the audited day (freshness counts only these)
ALTER TABLE pipeline_audit ADD COLUMN loaded_at TIMESTAMPTZ;
-- Rows audited before the column existed: taken as loaded, as the freshness check took every audited day until now.
UPDATE pipeline_audit SET loaded_at = extracted_at;
