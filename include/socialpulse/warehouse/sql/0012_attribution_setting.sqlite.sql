-- 12: campaign_metrics_daily and _history: the attribution setting Meta reports per campaign-day
ALTER TABLE campaign_metrics_daily ADD COLUMN attribution_setting TEXT;
ALTER TABLE campaign_metrics_history ADD COLUMN attribution_setting TEXT;
