-- 18: experiment_results: the final fixed-horizon read beside the daily looks, CUPED's adjustment with the
-- unadjusted lift it replaced, and the power plan. Rows written before are null there.
ALTER TABLE experiment_results ADD COLUMN look TEXT;
ALTER TABLE experiment_results ADD COLUMN adjustment TEXT;
ALTER TABLE experiment_results ADD COLUMN unadjusted_lift DOUBLE PRECISION;
ALTER TABLE experiment_results ADD COLUMN unadjusted_lift_low DOUBLE PRECISION;
ALTER TABLE experiment_results ADD COLUMN unadjusted_lift_high DOUBLE PRECISION;
ALTER TABLE experiment_results ADD COLUMN variance_reduction DOUBLE PRECISION;
ALTER TABLE experiment_results ADD COLUMN detectable_lift DOUBLE PRECISION;
ALTER TABLE experiment_results ADD COLUMN days_needed DOUBLE PRECISION;
