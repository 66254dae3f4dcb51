"""What every pipeline step shares: landing raw pages, publishing clean rows with their quarantine and audit, the
run's exchange rates and the run's pseudonymiser. The steps themselves are in socialpulse.jobs, one module per source
or model; neither imports Airflow."""
