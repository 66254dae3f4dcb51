"""Names users configure and the embedded defaults; light enough to import anywhere."""

from __future__ import annotations

import os
from pathlib import Path

# Airflow connection ids (see docs/configuration.md).
META_MARKETING_CONN_ID = "meta_marketing"
META_GRAPH_CONN_ID = "meta_graph"
X_API_CONN_ID = "x_api"
WAREHOUSE_CONN_ID = "marketing_warehouse"
PSEUDONYMIZATION_CONN_ID = "socialpulse_pseudonymization"  # password = the HMAC secret
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
AUDIENCES_FILE_VARIABLE = "socialpulse_audiences_file"  # default: audiences.yaml of the checkout
AUDIENCES_VARIABLE = "socialpulse_audiences"  # more campaign briefs, as YAML text in the variable itself
PROFILE_TASKS_VARIABLE = "socialpulse_profile_tasks"  # mapped tasks the profiles' buckets go to
DEFAULT_PROFILE_TASKS = 2  # both cores of a 2-core worker: 0.69x the time of one share (docs/scale.md)

# Embedded defaults, wherever the package is installed: the lake under the data directory (the environment
# variable SOCIALPULSE_DATA_DIR, else ./data of the working directory), the experiments in ./experiments.yaml, the
# campaign briefs in ./audiences.yaml.
DATA_DIR_ENV = "SOCIALPULSE_DATA_DIR"
DEFAULT_EXPERIMENTS_FILE = Path("experiments.yaml")
DEFAULT_AUDIENCES_FILE = Path("audiences.yaml")


def data_dir() -> Path:
    """Where the embedded defaults keep their files: $SOCIALPULSE_DATA_DIR, or ./data of the working directory."""
    return Path(os.environ.get(DATA_DIR_ENV) or "data").absolute()


def default_lake_root() -> Path:
    """The lake when the variable socialpulse_lake_root is not set."""
    return data_dir() / "lake"


META_BASE_URL = "https://graph.facebook.com"

# Meta restates insights (attribution) for up to 28 days after the day.
DEFAULT_LOOKBACK_DAYS = 28
