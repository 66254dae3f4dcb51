-- 3: campaign_metrics_daily: orders and revenue attributed by utm_campaign
ALTER TABLE campaign_metrics_daily ADD COLUMN attributed_orders BIGINT;
ALTER TABLE campaign_metrics_daily ADD COLUMN attributed_revenue NUMERIC(20,4);
