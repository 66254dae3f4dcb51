-- 14: target audiences per campaign brief (audiences.yaml), with a holdout, instead of one list per active campaign.
-- The per-campaign lists of earlier days are dropped: they were derived, and a rerun of audience_intelligence for a
-- date builds that date's audiences per brief.
DROP TABLE IF EXISTS target_audiences;
DROP TABLE IF EXISTS target_audience_summaries;
CREATE TABLE target_audiences (as_of_date DATE NOT NULL, brief TEXT NOT NULL, campaign_id TEXT NOT NULL, person_id TEXT NOT NULL, rank BIGINT NOT NULL, score DOUBLE PRECISION, topic_affinity DOUBLE PRECISION, expected_value NUMERIC(20,4), in_holdout BOOLEAN NOT NULL, run_id TEXT, PRIMARY KEY (as_of_date, brief, campaign_id, person_id));
CREATE TABLE target_audience_summaries (as_of_date DATE NOT NULL, brief TEXT NOT NULL, account_id TEXT, campaign_ids TEXT, goal TEXT, markets TEXT, eligible BIGINT, excluded BIGINT, size BIGINT, holdout_size BIGINT, expected_conversions DOUBLE PRECISION, expected_value NUMERIC(20,4), reason TEXT, run_id TEXT, PRIMARY KEY (as_of_date, brief));
