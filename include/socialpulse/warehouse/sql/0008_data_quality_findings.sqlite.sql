-- 8: data_quality_findings: anomalies found in loaded data, each recorded once
CREATE TABLE IF NOT EXISTS data_quality_findings (entity TEXT NOT NULL, day TEXT NOT NULL, metric TEXT NOT NULL, check_name TEXT NOT NULL, value REAL, expected_low REAL, expected_high REAL, severity TEXT, detail TEXT, run_id TEXT, found_at TEXT, PRIMARY KEY (entity, day, metric, check_name));
