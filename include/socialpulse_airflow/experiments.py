"""Tasks of experiments_daily: the declared experiments, read from the file and the variable, evaluated."""

from __future__ import annotations

import logging

from socialpulse.config import DEFAULT_EXPERIMENTS_FILE, EXPERIMENTS_FILE_VARIABLE, EXPERIMENTS_VARIABLE
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import declaration_texts, lake
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import in_warehouse

log = logging.getLogger(__name__)


def declared_experiments() -> tuple:
    """The experiments of the file (variable socialpulse_experiments_file, default experiments.yaml of the working
    directory) and of the variable socialpulse_experiments (YAML text); a file named by the variable must exist."""
    from socialpulse.experiments.declarations import ExperimentError, combine, parse

    texts = declaration_texts(
        EXPERIMENTS_FILE_VARIABLE, DEFAULT_EXPERIMENTS_FILE, EXPERIMENTS_VARIABLE, ExperimentError
    )
    declared = [parse(text, source) for text, source in texts]
    experiments = combine(*declared)
    log.info(
        "%d experiments declared: %s",
        len(experiments),
        ", ".join(f"{len(found)} in {source}" for found, (_, source) in zip(declared, texts, strict=True)),
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
    return in_warehouse(evaluate_all, lake(), experiments, ds, run_id)
