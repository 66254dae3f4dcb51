"""Tasks of experiments_daily: the declared experiments, and each campaign brief's audience against its holdout,
evaluated."""

from __future__ import annotations

import logging

from socialpulse_airflow.declarations import declared_briefs, declared_experiments
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import lake_root
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import in_warehouse

log = logging.getLogger(__name__)


@fail_fast
@lineage(
    inputs=[
        "warehouse:campaign_metrics_daily",
        "lake:clean/crm_users",
        "lake:clean/crm_orders",
        "lake:features/target_audiences",
    ],
    outputs=["warehouse:experiment_results", "lake:reports/experiments"],
)
def evaluate(ds: str, run_id: str) -> dict:
    """The declared experiments, then an experiment per brief's audience (a declared experiment of the same name
    wins); a brief declared wrong is left to audience_intelligence to report."""
    from socialpulse.jobs.experiments import audience_holdouts, evaluate_all

    experiments = declared_experiments()
    briefs, _ = declared_briefs()
    audiences, assigned = audience_holdouts(lake_root(), ds, {b.name: b.holdout for b in briefs})
    taken = {e.name for e in experiments}
    for clash in sorted(e.name for e in audiences if e.name in taken):
        log.warning("experiment %s is declared: the audience holdout of the same name is not read", clash)
    experiments = (*experiments, *(e for e in audiences if e.name not in taken))
    if not experiments:
        log.warning("no experiment declared and no audience built: nothing to evaluate (docs/experiments.md)")
        return {}
    return in_warehouse(evaluate_all, lake_root(), experiments, ds, run_id, assigned)
