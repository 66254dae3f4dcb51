"""Names users configure and the embedded defaults; light enough to import anywhere."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Airflow connection ids (see docs/configuration.md).
META_MARKETING_CONN_ID = "meta_marketing"
META_GRAPH_CONN_ID = "meta_graph"
X_API_CONN_ID = "x_api"
WAREHOUSE_CONN_ID = "marketing_warehouse"
PSEUDONYMIZATION_CONN_ID = "socialpulse_pseudonymization"  # password = the HMAC key
LAKE_CONN_ID = "socialpulse_lake"  # an object-store lake's credentials: login/password or extras (storage options)
ALERTS_CONN_ID = "socialpulse_alerts"  # smtp: the server, and from_email and to in its extras

# Airflow variables.
LAKE_ROOT_VARIABLE = "socialpulse_lake_root"
CRM_SOURCE_VARIABLE = "socialpulse_crm_source"
REPORTING_CURRENCY_VARIABLE = "socialpulse_reporting_currency"  # default USD
FX_RATES_SOURCE_VARIABLE = "socialpulse_fx_rates_source"  # default: the ECB's daily reference rates
RAW_RETENTION_VARIABLE = "socialpulse_raw_retention_days"  # default 90
FIRST_RUN_LOOKBACK_VARIABLE = "socialpulse_first_run_lookback_days"  # default 90: posts a platform's first run pulls
EXPERIMENTS_FILE_VARIABLE = "socialpulse_experiments_file"  # default: experiments.yaml of the checkout
FRESHNESS_HOURS_VARIABLE = "socialpulse_freshness_hours"  # JSON {source DAG: UTC hour of D+1}, over the defaults
EXPERIMENTS_VARIABLE = "socialpulse_experiments"  # more experiments, as YAML text in the variable itself

# Embedded defaults: everything under ./data of the checkout.
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_LAKE_ROOT = DEFAULT_DATA_DIR / "lake"
DEFAULT_EXPERIMENTS_FILE = PROJECT_ROOT / "experiments.yaml"

META_BASE_URL = "https://graph.facebook.com"

# Meta restates insights (attribution) for up to 28 days after the day.
DEFAULT_LOOKBACK_DAYS = 28
