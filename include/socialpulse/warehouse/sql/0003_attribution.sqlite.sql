-- 3: campaign_metrics_daily: orders and revenue attributed by utm_campaign
ALTER TABLE campaign_metrics_daily ADD COLUMN attributed_orders INTEGER;
ALTER TABLE campaign_metrics_daily ADD COLUMN attributed_revenue REAL;
