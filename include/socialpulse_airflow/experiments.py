"""Tasks of experiments_daily: the declared experiments, read from the file and the variable, evaluated."""

from __future__ import annotations

import logging
from pathlib import Path

from socialpulse.config import DEFAULT_EXPERIMENTS_FILE, EXPERIMENTS_FILE_VARIABLE, EXPERIMENTS_VARIABLE
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import lake_root, variable
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import in_warehouse

log = logging.getLogger(__name__)


def declared_experiments() -> tuple:
    """The experiments of the file (variable socialpulse_experiments_file, default experiments.yaml of the working
    directory) and of the variable socialpulse_experiments (YAML text); a file named by the variable must exist."""
    from socialpulse.bounded_input import read_declaration_file
    from socialpulse.errors import Name
    from socialpulse.experiments.declarations import ExperimentError, combine, parse

    named = variable(EXPERIMENTS_FILE_VARIABLE)
    path = Path(named or DEFAULT_EXPERIMENTS_FILE).absolute()
    if named and not path.is_file():
        raise ExperimentError(
            "variable {variable} names {path}, which is not a file",
            variable=Name(EXPERIMENTS_FILE_VARIABLE),
            path=Name(str(path)),
        )
    from_file = parse(read_declaration_file(path), str(path)) if path.is_file() else ()
    from_variable = parse(variable(EXPERIMENTS_VARIABLE) or "", f"variable {EXPERIMENTS_VARIABLE}")
    experiments = combine(from_file, from_variable)
    log.info(
        "%d experiments declared: %d in %s, %d in variable %s",
        len(experiments),
        len(from_file),
        path,
        len(from_variable),
        EXPERIMENTS_VARIABLE,
    )
    return experiments


@fail_fast
@lineage(
    inputs=["warehouse:campaign_metrics_daily", "lake:clean/crm_users", "lake:clean/crm_orders"],
    outputs=["warehouse:experiment_results", "lake:reports/experiments"],
)
def evaluate(ds: str, run_id: str) -> dict:
    from socialpulse.jobs.experiments import evaluate_all

    experiments = declared_experiments()
    if not experiments:
        log.warning("no experiment declared: nothing to evaluate (docs/experiments.md)")
        return {}
    return in_warehouse(evaluate_all, lake_root(), experiments, ds, run_id)
