-- 15: user_profiles: orders and their value over a fixed window of 180 days, which the propensity model uses
-- instead of the totals (a total grows from one snapshot to the next). Rows written before are null there.
ALTER TABLE user_profiles ADD COLUMN orders_180d BIGINT;
ALTER TABLE user_profiles ADD COLUMN monetary_180d NUMERIC(20,4);
