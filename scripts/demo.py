"""`make demo`: the daily pipeline end to end on the embedded defaults.

Prepares a local Airflow home (SQLite metadata), starts the simulator and Airflow as it
runs for real (api-server, scheduler, dag-processor, LocalExecutor), and backfills three
consecutive dates through the scheduler: crm_daily, meta_ads_daily and
organic_social_daily, then attribution_daily, then audience_intelligence and
experiments_daily on the last date, then activate_audiences, approving each new audience
through the REST API as a person would in the UI. It stops everything and prints what
landed, with each planted experiment's decision beside its truth, what each audience sent
to the simulated Meta, and how to open the UI (`make ui`), where each run shows its real duration.
History to learn from comes as it would on a new installation: the first CRM drop is a
full export (a year of orders), the first organic run pulls 90 days of posts.
Running it again leaves the same warehouse rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, timedelta
from pathlib import Path

from socialpulse.config import data_dir
from socialpulse.lake import Lake
from socialpulse.lake.migration import migrate
from socialpulse_dev.devenv import PROJECT_ROOT, airflow_home_env, pipeline_env
from socialpulse_dev.local_airflow import (
    ACTIVATION_DAG,
    ALL_DAGS,
    DEFAULT_PORT,
    IN_ORDER,
    USER,
    Api,
    approve_waiting,
    backfill,
    password,
    pipeline_steps,
    running,
    service_env,
    set_paused,
    wait_for_dags,
)
from socialpulse_dev.simulator.crm_drop import erasure_requests, write_drop, write_erasure_requests
from socialpulse_dev.simulator.process import simulator_process

CRM_EXPORT_DAYS = 365  # the first drop is a full export
DEMO_X_CALLS = 10_000  # per endpoint and window
DEMO_META_CALLS = 100_000  # per minute
BIN = Path(sys.executable).parent


def summary(warehouse: Path, lake: Path) -> None:
    with sqlite3.connect(warehouse) as conn:
        rows = conn.execute(
            "SELECT metric_date, count(*), sum(impressions), sum(clicks), sum(conversions), "
            "round(sum(spend_reporting), 2) FROM campaign_metrics_daily GROUP BY metric_date ORDER BY metric_date"
        ).fetchall()
    print(f"\ncampaign_metrics_daily in {warehouse}: {sum(r[1] for r in rows)} rows")
    print(f"{'metric_date':<12} {'rows':>5} {'impressions':>12} {'clicks':>8} {'conversions':>11} {'spend*':>12}")
    for metric_date, count, impressions, clicks, conversions, spend in rows:
        print(f"{metric_date:<12} {count:>5} {impressions:>12} {clicks:>8} {conversions:>11} {spend:>12}")
    print("* spend of the USD, EUR and JPY accounts converted to the reporting currency, USD")
    with sqlite3.connect(warehouse) as conn:
        posts = conn.execute(
            "SELECT metric_date, platform, count(*), sum(impressions), sum(likes), sum(comments), sum(shares) "
            "FROM post_metrics_daily GROUP BY metric_date, platform ORDER BY metric_date, platform"
        ).fetchall()
        credited = conn.execute(
            "SELECT metric_date, sum(attributed_orders), round(sum(attributed_revenue), 2) FROM campaign_metrics_daily "
            "WHERE attributed_orders IS NOT NULL GROUP BY metric_date ORDER BY metric_date"
        ).fetchall()
    print(f"\npost_metrics_daily: {sum(r[2] for r in posts)} rows (a snapshot per post per run date)")
    print(
        f"{'metric_date':<12} {'platform':<10} {'posts':>5} {'impressions':>12} {'likes':>7} {'comments':>8} "
        f"{'shares':>7}"
    )
    for metric_date, platform, count, impressions, likes, comments, shares in posts:
        print(
            f"{metric_date:<12} {platform:<10} {count:>5} {impressions or 0:>12} {likes or 0:>7} "
            f"{comments or 0:>8} {shares or 0:>7}"
        )
        audit = conn.execute(
            "SELECT ds, entity, rows_in, rows_quarantined, top_reasons FROM pipeline_audit a WHERE run_id = "
            "(SELECT max(run_id) FROM pipeline_audit b WHERE b.ds = a.ds AND b.entity = a.entity) "
            "ORDER BY ds, entity"
        ).fetchall()
    print("\nCRM orders credited to campaigns by utm_campaign (revenue in USD):")
    for metric_date, orders, revenue in credited:
        print(f"{metric_date:<12} {orders:>5} orders {revenue:>12} revenue")
    print("\npipeline_audit (latest run per date): rows in, quarantined, top reasons")
    for ds, entity, rows_in, quarantined, reasons in audit:
        print(f"{ds:<12} {entity:<18} {rows_in:>6} {quarantined:>5}  {reasons if quarantined else ''}")
    print("\nraw zone:  ", *sorted(str(p) for p in (lake / "raw").glob("*/*/ds=*")), sep="\n  ")
    print(
        "clean zone (Delta tables):", *sorted(str(p.parent) for p in (lake / "clean").glob("*/_delta_log")), sep="\n  "
    )


def audience_summary(warehouse: Path, lake: Path, ds: str) -> None:
    """Segments, the model comparison and decision, audiences, recommendations, and where the report is."""
    from socialpulse_dev.audience_truth import (
        against_truth,
        calibration,
        contamination,
        gap_closed,
        incremental,
        recommendation_oracle,
    )

    with sqlite3.connect(warehouse) as conn:
        segments = conn.execute(
            "SELECT segment_id, size, round(100 * conversion_rate, 1), round(avg_order_value, 2),"
            " description FROM audience_segments WHERE as_of_date = ? ORDER BY segment_id",
            (ds,),
        ).fetchall()
        registry = dict(
            conn.execute("SELECT model_name, metrics FROM model_registry WHERE as_of_date = ?", (ds,)).fetchall()
        )
        decision = conn.execute(
            "SELECT decision FROM model_registry WHERE model_name = 'propensity' AND as_of_date = ?", (ds,)
        ).fetchone()[0]
        audiences = conn.execute(
            "SELECT brief, goal, markets, eligible, size, holdout_size, round(expected_conversions, 1), reason "
            "FROM target_audience_summaries WHERE as_of_date = ? ORDER BY brief",
            (ds,),
        ).fetchall()
        distinct = conn.execute(
            "SELECT count(DISTINCT person_id), count(*) FROM target_audiences WHERE as_of_date = ?", (ds,)
        ).fetchone()
    print(f"\naudience_segments as of {ds} (k: the DAG's segments param; segments under 100 people unpublished):")
    for segment_id, size, rate, value, description in segments:
        print(f"  {segment_id:>2}  {size:>5} people  {rate:>5}% bought in 30 days  AOV {value:>7}  {description}")
    models = json.loads(registry["propensity"])
    print("\nconversion propensity on the held-out snapshot (features 30 days before, orders since):")
    print(f"  {'model':<20} {'ROC AUC':>8} {'PR AUC':>7} {'log loss':>9} {'Brier':>7} {'lift@10%':>9}")
    for name in ("tensorflow", "logistic_regression", "gradient_boosting"):
        m = models[name]
        print(
            f"  {name:<20} {m['roc_auc']:>8.4f} {m['pr_auc']:>7.4f} {m['log_loss']:>9.4f} {m['brier']:>7.4f} "
            f"{m['top_decile_lift']:>9.2f}"
        )
    truth = against_truth(Lake.at(lake), ds)
    print(
        f"  {'oracle (planted)':<20} {truth['oracle_auc']:>8.4f}   <- the simulator's truth, never read by the pipeline"
    )
    print(f"  {decision}")
    print(f"  segments against the planted ones: adjusted Rand index {truth['ari']:.3f}")
    quality = json.loads(registry["recommendations"])
    oracle = recommendation_oracle(Lake.at(lake), ds)
    print("\ncontent recommendations on the held-out week (the oracle knows each person's planted interests):")
    for label, part in (("everyone", None), ("with history", "history"), ("cold start", "cold_start")):
        found = [q if part is None else q[part] for q in (quality["model"], quality["popularity"], oracle)]
        print(
            f"  {label:<13} {found[0]['people']:>5} people  "
            + "  ".join(
                f"{name} {found[0][key]:.3f} (popularity {found[1][key]:.3f}, oracle {found[2][key]:.3f}, "
                f"{gap_closed(found[0][key], found[1][key], found[2][key]):.0%} of the gap)"
                for key, name in (("hit_rate_at_3", "hit@3"), ("ndcg_at_3", "NDCG@3"))
            )
        )
    print(
        "\ntarget audiences per campaign brief (sizes only); against the simulator's planted response to the campaign,"
        "\nthe list's expected incremental conversions, the oracle's best list of its size from the same pool, a random"
        " list's:"
    )
    lifted = incremental(Lake.at(lake), ds)
    for brief, goal, markets, eligible, size, held, expected, reason in audiences:
        if reason:
            print(f"  {brief:<24} {goal:<9} not built: {reason}")
            continue
        print(
            f"  {brief:<24} {goal:<9} {markets or '':<10} {size:>4} of {eligible:>4} eligible, "
            f"{held:>3} held out, {expected:>6} expected conversions"
        )
        truth = lifted[brief]
        ratios = (
            f"{truth['to_oracle']:.2f}x the oracle's, {truth['to_random']:.2f}x random"
            if truth["oracle"]
            else "nobody in its pool is persuadable"
        )
        print(
            f"  {'':<24} incremental {truth['incremental']:.1f} (oracle {truth['oracle']:.1f}, random "
            f"{truth['random']:.1f}): {ratios}"
        )
    calibrated = calibration(Lake.at(lake), ds)
    print(
        "  expected / planted conversions in 30 days (the simulator's truth, ± two standard errors of its count): "
        + ", ".join(f"{name} {c['ratio']:.2f} (±{c['noise']:.2f})" for name, c in calibrated.items())
    )
    clean = contamination(Lake.at(lake), ds)
    print(
        f"  {distinct[0]} different people on {distinct[1]} places; on them, without marketing consent: "
        f"{clean['without_consent']}, in the retargeting holdout's control group: {clean['in_holdout_group']}"
    )
    print(f"\naudience report: {lake / 'reports' / 'audience' / f'ds={ds}' / 'report.html'}")


AUDIENCE_TRUTH = "each audience against its holdout; the simulator reaches no one from the lists, so A/A tests"


def experiments_summary(warehouse: Path, lake: Path, ds: str) -> None:
    """Each planted experiment's decision on ds, its primary lift with the always-valid interval, and its truth;
    for CRM arms also the lift without CUPED, the variance CUPED took out and the day of a decision with and
    without it (the dashboard's Experiments page reads the same query)."""
    from socialpulse.dashboard import queries
    from socialpulse.experiments.declarations import AUDIENCE_PREFIX
    from socialpulse_dev.simulator import experiments

    with sqlite3.connect(warehouse) as conn:
        rows = [r for r in queries.experiments(conn) if str(r["as_of_date"]) == ds]
    truth = {name: planted.truth for name, planted in experiments.PLANTED.items()}
    truth[experiments.HOLDOUT_EXPERIMENT] = experiments.HOLDOUT_TRUTH
    print(f"\nexperiments as of {ds} (always-valid 95% intervals, read daily since each start):")
    for row in rows:
        name, winner, detail, low = row["experiment"], row["winning_arm"], row["detail"], row["lift_low"]
        verdict = f"{row['decision']}{f' ({winner})' if winner else ''}, first on {row['decided_since']}"
        read = (
            f"{row['lift']:+.1%} [{low:+.1%}, {row['lift_high']:+.1%}], p = {row['p_value']:.3f}"
            if low is not None
            else "not comparable yet"
        )
        print(f"  {name:<28} {verdict:<42} {row['arm']} vs control on {row['metric']}: {read}")
        if row["adjustment"] == "cuped" and row["unadjusted_lift_low"] is not None:
            print(
                f"  {'':<28} CUPED: {row['lift']:+.1%} against {row['unadjusted_lift']:+.1%} "
                f"[{row['unadjusted_lift_low']:+.1%}, {row['unadjusted_lift_high']:+.1%}] without, variance "
                f"{row['variance_reduction']:.0%} lower; interval off zero on {_day(row['decision_day'])} with "
                f"CUPED, {_day(row['unadjusted_decision_day'])} without"
            )
        if not name.startswith(AUDIENCE_PREFIX):
            print(f"  {'':<28} truth: {truth.get(name, '?')}{f'; {detail}' if detail else ''}")
        elif detail and low is not None:  # "too little data" is what not comparable yet says
            print(f"  {'':<28} {detail}")
    if any(row["experiment"].startswith(AUDIENCE_PREFIX) for row in rows):
        print(f"  {AUDIENCE_PREFIX}<brief>: {AUDIENCE_TRUTH}")
    print(f"experiment charts: {lake / 'reports' / 'experiments' / f'ds={ds}'}, audience holdouts' beside it")


def _day(number: int | None) -> str:
    return f"day {number}" if number else "no day yet"


def erasure_summary(warehouse: Path) -> None:
    """Each erasure request of the newest privacy_erasure run: its line, outcome and rows removed."""
    with sqlite3.connect(warehouse) as conn:
        rows = conn.execute(
            "SELECT request_day, request_line, status, clean_rows, feature_rows, quarantine_rows, warehouse_rows "
            "FROM privacy_erasures WHERE run_id = (SELECT run_id FROM privacy_erasures ORDER BY erased_at DESC "
            "LIMIT 1) ORDER BY request_line"
        ).fetchall()
    print(
        f"\nerasure requests of the drop of {rows[0][0] if rows else '-'} (privacy_erasures; the ids themselves "
        "stay in the raw zone until its retention):"
    )
    for _, line, status, clean, features, quarantine, kept in rows:
        print(
            f"  line {line}  {status:<15} {clean} clean, {features} features, {quarantine} quarantine and {kept} "
            "warehouse rows removed"
        )


def arguments(description: str, extra: Callable[[argparse.ArgumentParser], object] | None = None) -> argparse.Namespace:
    """The demo's options (dates, folders, port), shared by make demo, make ui and the dashboard tour; `extra` adds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--first-date", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=data_dir(), help="lake and warehouse go here")
    parser.add_argument("--airflow-home", type=Path, default=PROJECT_ROOT / ".airflow")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="the api-server's port on 127.0.0.1")
    if extra:
        extra(parser)
    return parser.parse_args()


@contextmanager
def demo_stack(args: argparse.Namespace, dates: list[date]) -> Iterator[tuple[Api, dict]]:
    """The simulator and a local Airflow (api-server, scheduler, dag-processor) on the demo's data."""
    data, home = args.data_dir, args.airflow_home
    data.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **airflow_home_env(home), **service_env(home, args.port)}
    subprocess.run([BIN / "airflow", "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [BIN / "airflow", "pools", "set", "tensorflow", "1", "TensorFlow trainings, one at a time"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # The simulator's "today": two days after the last date, so restated days show.
    as_of = (dates[-1] + timedelta(days=2)).isoformat()
    # X allows 900 engager calls per 15-minute window and Meta's app usage reaches 100% at 600 calls a minute; a
    # first run's 90 days of posts need more, and the connectors would wait as they must on the platforms. The
    # demo's platforms are lenient so the demo does not wait.
    with simulator_process(
        data / "simulator.port",
        "--as-of",
        as_of,
        "--x-rate-limit",
        str(DEMO_X_CALLS),
        "--meta-app-budget",
        str(DEMO_META_CALLS),
    ) as (url, _):
        env.update(pipeline_env(url, data / "warehouse.db", data / "lake", data / "crm"))
        with running(env, home, args.port) as (api, processes):
            wait_for_dags(api, ALL_DAGS, processes)
            yield api, processes


def activate(api: Api, processes, last: str, step: int) -> dict:
    """Backfill activate_audiences for the last date, approving each audience through the REST API as a person
    would under Browse > Required Actions; the simulated Meta's audiences afterwards (its own view, by name)."""
    import requests

    print(f"=== step {step}: backfill {ACTIVATION_DAG} for {last}, approving each new audience", flush=True)
    set_paused(api, [ACTIVATION_DAG], False)
    approved: set[str] = set()  # a task retried asks again: one audience, one approval counted
    runs = backfill(
        api,
        [ACTIVATION_DAG],
        last,
        last,
        processes,
        while_waiting=lambda: approved.update(approve_waiting(api, ACTIVATION_DAG)),
    )
    for run in runs:
        print(f"{run['dag_id']:<22} {run['logical_date'][:10]}  {run['state']}  {run['duration']:6.1f} s", flush=True)
    print(f"approved through the REST API: {len(approved)} audiences", flush=True)
    meta = json.loads(processes.env["AIRFLOW_CONN_META_MARKETING"])["host"]
    state = requests.get(f"{meta}/_simulator/custom_audiences", timeout=30).json()
    return {"raw_values_received": state["raw_values_received"]} | {
        a["name"]: a["members"] for a in state["audiences"].values()
    }


def activation_summary(warehouse: Path, lake: Path, ds: str, on_meta: dict) -> None:
    """Per brief: what its sync sent, Meta's count, the invalid entries, and whether the simulated Meta holds exactly
    the published list without its holdout (mapped to the simulator's people by the demo's pseudonymisation key)."""
    from socialpulse.jobs.audience import read_features
    from socialpulse_dev.audience_truth import pseudonyms
    from socialpulse_dev.devenv import DEMO_KEY
    from socialpulse_dev.simulator.audience import DEFAULT_SIZE, audience

    with sqlite3.connect(warehouse) as conn:
        syncs = conn.execute(
            "SELECT brief, status, rows_sent, approximate_count, invalid_entries, detail FROM audience_syncs "
            "WHERE as_of_date = ? ORDER BY brief",
            (ds,),
        ).fetchall()
    members = read_features(Lake.at(lake), "target_audiences", ds)
    sent = members[~members["in_holdout"].astype(bool)].groupby("brief")["person_id"].agg(set)
    user_of = dict(zip(pseudonyms(7, DEFAULT_SIZE, DEMO_KEY), (m.user_id for m in audience(7)), strict=True))
    print(f"\naudiences sent to the simulated Meta as of {ds} (Custom Audiences; holdouts are never sent):")
    for brief, status, rows, count, invalid, detail in syncs:
        if status != "synced":
            print(f"  {brief:<24} {status:<14} {detail}")
            continue
        expected = sorted(user_of[p] for p in sent.get(brief, set()))
        exact = "yes" if on_meta.get(f"socialpulse:{brief}") == expected else "no"
        print(
            f"  {brief:<24} {status:<14} {rows:>5} rows sent, Meta counts {count:>5}, {invalid} invalid; "
            f"on Meta exactly the list without its holdout: {exact} ({detail})"
        )
    print(f"  raw emails or phones the simulated Meta received: {on_meta['raw_values_received']}")


def open_the_ui(args: argparse.Namespace) -> str:
    return (
        f"  make ui      then open http://127.0.0.1:{args.port}/ as {USER}, password "
        f"{password(args.airflow_home)}\n"
        f"               (in {args.airflow_home / 'simple_auth_manager_passwords.json.generated'}); the dashboard "
        "is Browse > Marketing, each run's data quality its Data quality tab"
    )


def main() -> int:
    args = arguments(__doc__)
    dates = [args.first_date + timedelta(days=i) for i in range(args.days)]
    first, last = dates[0].isoformat(), dates[-1].isoformat()
    data = args.data_dir
    if (data / "lake").is_dir():  # a lake an earlier SocialPulse wrote: its partitions become tables first
        converted = migrate(Lake.at(data / "lake"))
        if any(converted.values()):
            print(
                f"converted {data / 'lake'} from before the Delta tables: {converted['table_days']} days into tables, "
                f"{converted['file_partitions']} versioned partitions into plain folders",
                flush=True,
            )
    for day in dates:  # the simulator's CRM drops: a full export first, then daily increments
        write_drop(data / "crm", day, history_days=CRM_EXPORT_DAYS if day == dates[0] else 0)
    # The last drop carries a suppression list: three people asked to be forgotten, and a typo
    write_erasure_requests(data / "crm", dates[-1], erasure_requests(7, dates[-1]))
    print(
        f"Airflow home {args.airflow_home}: api-server, scheduler and dag-processor on 127.0.0.1:{args.port}",
        flush=True,
    )
    started = time.monotonic()
    with demo_stack(args, dates) as (api, processes):
        try:
            # Each step's DAGs are unpaused for their backfill only: a paused DAG is not started by the assets
            # the step before emitted, so every run the UI shows is one of these backfills.
            for step, (dag_ids, since) in enumerate(pipeline_steps(first, last), start=1):
                print(f"=== step {step}: backfill {', '.join(dag_ids)} for {since} to {last}", flush=True)
                set_paused(api, list(dag_ids), False)
                runs = backfill(api, list(dag_ids), since, last, processes, in_order=IN_ORDER)
                for run in sorted(runs, key=lambda r: (r["dag_id"], r["logical_date"])):
                    print(
                        f"{run['dag_id']:<22} {run['logical_date'][:10]}  {run['state']}  {run['duration']:6.1f} s",
                        flush=True,
                    )
            on_meta = activate(api, processes, last, step + 1)
        finally:  # `make ui` starts a scheduler: nothing runs until a user asks
            with suppress(RuntimeError, OSError):  # an api-server already down must not hide the first error
                set_paused(api, ALL_DAGS, True)
    elapsed = time.monotonic() - started
    summary(data / "warehouse.db", data / "lake")
    audience_summary(data / "warehouse.db", data / "lake", last)
    experiments_summary(data / "warehouse.db", data / "lake", last)
    erasure_summary(data / "warehouse.db")
    activation_summary(data / "warehouse.db", data / "lake", last, on_meta)
    print(
        f"\n{len(dates)} days of every source and attribution, then the audience and experiments runs, backfilled "
        f"through the scheduler in {elapsed:.1f} s (services started and stopped included)"
    )
    print("\nSee the runs, their real durations and logs, and the Marketing dashboard, in the Airflow UI:")
    print(open_the_ui(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
