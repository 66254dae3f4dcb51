-- 5: campaign_metrics_daily: spend and conversion value in the reporting currency
ALTER TABLE campaign_metrics_daily ADD COLUMN spend_reporting NUMERIC(20,4);
ALTER TABLE campaign_metrics_daily ADD COLUMN conversion_value_reporting NUMERIC(20,4);
ALTER TABLE campaign_metrics_daily ADD COLUMN reporting_currency TEXT;
ALTER TABLE campaign_metrics_daily ADD COLUMN fx_rate DOUBLE PRECISION;
