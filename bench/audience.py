"""Audience intelligence at 5,000 and 200,000 people: time and peak memory of each step, and model quality.

For each size: the clean zone a first run would leave is generated from the simulator
(socialpulse_dev.audience_inputs, not timed), then every step of audience_intelligence runs
as Airflow would run it, each in a process of its own (imports included), timed with its
peak resident memory (os.wait4). Then, on the same held-out split: ROC AUC of the
TensorFlow model, the logistic regression, the gradient boosting and the oracle (the
simulator's planted probabilities); the adjusted Rand index of the segments against the
planted ones, and KMeans's (the obvious alternative, on the same columns standardised) side by
side, with their fitting times; hit rate@3 and NDCG@3 of the recommendations against popularity and
against the planted-interest oracle, overall, for people with history and cold-start people, and
the share of the popularity-to-oracle gap each closes.

Step processes are started from a parent that holds no data, so each peak is the step's own.

With --profile-tasks 1,2: build_profiles again, its buckets dealt to that many mapped tasks run at once as the
DAG runs them (plan, resolve events, commit, profile people, commit), against the one task.

Usage: python bench/audience.py [--sizes 5000,200000] [--profile-tasks 1,2] [--dsn postgresql://...]
(SQLite without --dsn)
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from socialpulse.lake import Lake

AS_OF = "2026-11-03"
STEPS = (
    ("build_profiles", "from socialpulse.jobs.audience import profile; profile(LAKE, DS)"),
    ("segment_audience", "from socialpulse.jobs.audience import segment; segment(conn(), LAKE, DS, 'bench')"),
    ("train_propensity", "from socialpulse.jobs.propensity import train; train(conn(), LAKE, DS, 'bench')"),
    (
        "build_target_audiences",
        "from socialpulse.audience.briefs import parse; from socialpulse.jobs.audience import target; "
        "from socialpulse_dev.simulator.meta_data import BRIEFS_FILE; "
        "target(conn(), LAKE, DS, 'bench', parse(BRIEFS_FILE.read_text(), str(BRIEFS_FILE))[0], "
        "[('experiment_retargeting', 'holdout')])",
    ),
    ("recommend_content", "from socialpulse.jobs.audience import recommend; recommend(conn(), LAKE, DS, 'bench')"),
    ("build_audience_report", "from socialpulse.jobs.audience_report import build; build(conn(), LAKE, DS)"),
)
PRELUDE = """
import logging, sys
logging.basicConfig(level=logging.WARNING)
from socialpulse.lake import Lake
LAKE, DS, WAREHOUSE = Lake.at(sys.argv[1]), sys.argv[2], sys.argv[3]
def conn():
    if WAREHOUSE.startswith("postgresql://"):
        import psycopg
        return psycopg.connect(WAREHOUSE)
    import sqlite3
    return sqlite3.connect(WAREHOUSE)
"""


def run_together(codes: list[str], lake: str, warehouse: str) -> tuple[float, list[float]]:
    """(seconds, peak MiB of each) of steps run at once, each in a fresh interpreter: as mapped tasks run side by
    side on a worker's slots."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PRELUDE + code, lake, AS_OF, warehouse],
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},  # TensorFlow's start-up notes
        )
        for code in codes
    ]
    peaks = []
    for waited, (process, code) in enumerate(zip(processes, codes, strict=True)):
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            for other in processes[waited + 1 :]:  # none left running behind the bench
                other.kill()
                other.wait()
            raise SystemExit(f"step failed: {code}")
        peaks.append(usage.ru_maxrss / 1024)
    return time.perf_counter() - started, peaks


def run_step(code: str, lake: str, warehouse: str) -> tuple[float, float]:
    """(seconds, peak MiB) of one step in a fresh interpreter."""
    seconds, (peak,) = run_together([code], lake, warehouse)
    return seconds, peak


def profile_in_tasks(lake: str, warehouse: str, tasks: int, xcom: Path) -> tuple[dict[str, float], list[float], int]:
    """build_profiles as audience_intelligence's mapped tasks run it, with its buckets dealt to `tasks` tasks run at
    once, each step in a fresh interpreter and each value passed on in a file as an XCom: (seconds of each stage,
    every process's peak MiB, the shares: fewer than `tasks` when there are fewer buckets). What the scheduler
    adds between tasks is not in it."""
    xcom.mkdir(exist_ok=True)

    def call(function: str, args: str, out: str) -> str:
        return (
            f"import json; from pathlib import Path; from socialpulse.jobs.audience import {function}; "
            f"load = lambda name: json.loads(Path({str(xcom)!r}, name).read_text()); "
            f"Path({str(xcom)!r}, {out!r}).write_text(json.dumps({function}(LAKE, {args})))"
        )

    def each_share(function: str, args: str, out: str) -> list[str]:
        shares = len(json.loads((xcom / "shares").read_text()))
        return [call(function, args.format(n=n), out.format(n=n)) for n in range(shares)]

    def all_shares(name: str) -> str:
        return f"[load(f'{name}{{n}}') for n in range(len(load('shares')))]"

    stages = {
        "plan": lambda: [call("plan_profiles", f"DS, {tasks}", "shares")],
        "resolve events": lambda: each_share("resolve_share", "load('shares')[{n}]", "resolved{n}"),
        "commit events": lambda: [call("commit_resolved", f"load('shares'), {all_shares('resolved')}", "version")],
        "profile people": lambda: each_share("profile_share", "load('shares')[{n}], load('version')", "made{n}"),
        "commit profiles": lambda: [call("commit_profiles", f"load('shares'), {all_shares('made')}", "counts")],
    }
    seconds, peaks = {}, []
    for stage, codes in stages.items():
        seconds[stage], stage_peaks = run_together(codes(), lake, warehouse)
        peaks += stage_peaks
    return seconds, peaks, len(json.loads((xcom / "shares").read_text()))


def prepare_apart(size: int, root: Path, dsn: str | None) -> tuple[str, str, int]:
    """prepare() in a process of its own: a step's peak memory counts from its fork, which must not carry the
    gigabytes the generator held (Linux starts a child's high-water mark at its parent's size)."""
    command = [sys.executable, __file__, "--prepare", str(size), "--root", str(root)] + (["--dsn", dsn] if dsn else [])
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    *lines, last = done.stdout.strip().splitlines()
    print(*lines, sep="\n")
    found = json.loads(last)
    return found["lake"], found["warehouse"], found["events"]


def prepare(size: int, root: Path, dsn: str | None) -> tuple[str, str, int]:
    from socialpulse.warehouse import apply_migrations
    from socialpulse_dev.audience_inputs import clean_zone, write_clean_zone

    started = time.perf_counter()
    zone = clean_zone(size, date.fromisoformat(AS_OF))
    lake = str(root / "lake")
    write_clean_zone(Lake.at(lake), zone, AS_OF)
    print(
        f"  generated {len(zone.users):,} CRM users, {len(zone.orders):,} orders, {len(zone.events):,} engagement "
        f"events on {len(zone.posts):,} posts in {time.perf_counter() - started:.0f} s (not timed below)",
        flush=True,
    )
    if dsn:
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as admin:
            schema = f"bench_audience_{size}"
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            admin.execute(f"CREATE SCHEMA {schema}")
        warehouse = f"{dsn}{'&' if '?' in dsn else '?'}options=-csearch_path%3D{schema}"
        with psycopg.connect(warehouse) as conn:
            apply_migrations(conn)
    else:
        warehouse = str(root / "warehouse.db")
        with sqlite3.connect(warehouse) as conn:
            apply_migrations(conn)
    return lake, warehouse, len(zone.events)


def quality(lake: str, warehouse: str, size: int) -> dict:
    from socialpulse_dev.audience_truth import against_truth, calibration

    conn = sqlite3.connect(warehouse) if not warehouse.startswith("postgresql://") else None
    if conn is None:
        import psycopg

        conn = psycopg.connect(warehouse)
    cursor = conn.cursor()
    cursor.execute("SELECT model_name, metrics FROM model_registry")
    metrics = {name: json.loads(text) for name, text in cursor.fetchall()}
    conn.close()
    truth = against_truth(Lake.at(lake), AS_OF, size=size)
    return {
        "auc": {
            m: metrics["propensity"][m]["roc_auc"] for m in ("tensorflow", "logistic_regression", "gradient_boosting")
        }
        | {"oracle": truth["oracle_auc"]},
        "ari": truth["ari"],
        "k": metrics["segments"]["k"],
        "recommendations": metrics["recommendations"],
        "calibration": calibration(Lake.at(lake), AS_OF, size=size),
    }


def kmeans_side_by_side(lake: str, k: int, size: int) -> dict:
    """Adjusted Rand index and fitting time of the latent-class model and of KMeans at the same k, same profiles."""
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from socialpulse.audience.segments import FIT_SAMPLE, fit_segments, segment_features, standardised
    from socialpulse.jobs.audience import read_features
    from socialpulse_dev.audience_truth import planted

    profiles = read_features(Lake.at(lake), "user_profiles", AS_OF)
    truth = planted(size=size)["segment"].reindex(profiles["person_id"]).to_numpy()
    known = pd.notna(truth)
    found = {}
    started = time.perf_counter()
    labels = fit_segments(profiles, None, k).assign(profiles)
    found["latent class"] = (time.perf_counter() - started, adjusted_rand_score(truth[known], labels[known]))
    started = time.perf_counter()
    points = standardised(segment_features(profiles))
    fitted = KMeans(k, n_init=10, random_state=7).fit(points[:FIT_SAMPLE])
    labels = fitted.predict(points)
    found["KMeans"] = (time.perf_counter() - started, adjusted_rand_score(truth[known], labels[known]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,200000")
    parser.add_argument("--dsn", help="a Postgres DSN for the warehouse (default: a SQLite file)")
    parser.add_argument(
        "--profile-tasks",
        default="",
        help="also build the profiles in this many mapped tasks run at once, e.g. 1,2 (default: not)",
    )
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)  # internal: prepare_apart's child
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        lake, warehouse, events = prepare(args.prepare, args.root, args.dsn)
        print(json.dumps({"lake": lake, "warehouse": warehouse, "events": events}))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"\n== {size:,} people ==", flush=True)
        with tempfile.TemporaryDirectory(prefix="socialpulse-audience-bench-") as tmp:
            lake, warehouse, events = prepare_apart(size, Path(tmp), args.dsn)
            total = 0.0
            for step, code in STEPS:
                seconds, peak = run_step(code, lake, warehouse)
                total += seconds
                print(f"  {step:<24} {seconds:7.1f} s   peak {peak:7.0f} MiB", flush=True)
                if step == "build_profiles":  # the same day again, its buckets dealt to mapped tasks
                    for tasks in (int(t) for t in args.profile_tasks.split(",") if t):
                        stages, peaks, shares = profile_in_tasks(lake, warehouse, tasks, Path(tmp) / f"xcom-{tasks}")
                        print(
                            f"    in {shares} mapped task(s) at once: {sum(stages.values()):7.1f} s "
                            f"({sum(stages.values()) / seconds:.2f}x one task), largest peak {max(peaks):.0f} MiB: "
                            + ", ".join(f"{stage} {took:.1f} s" for stage, took in stages.items()),
                            flush=True,
                        )
            print(f"  {'whole DAG':<24} {total:7.1f} s")
            from socialpulse_dev.audience_truth import gap_closed, recommendation_oracle

            figures = quality(lake, warehouse, size)
            side = kmeans_side_by_side(lake, figures["k"], size)
            oracle = recommendation_oracle(Lake.at(lake), AS_OF, size=size)
        auc, recs = figures["auc"], figures["recommendations"]
        print(
            f"  ROC AUC  tensorflow {auc['tensorflow']:.4f}  logistic {auc['logistic_regression']:.4f}  "
            f"boosting {auc['gradient_boosting']:.4f}  oracle {auc['oracle']:.4f}  "
            f"(tensorflow / oracle {auc['tensorflow'] / auc['oracle']:.3f})"
        )
        print(
            "  expected / planted conversions in 30 days: "
            + ", ".join(
                f"{name} {c['ratio']:.3f} (±{c['noise']:.3f}, {c['people']:,})"
                for name, c in figures["calibration"].items()
            )
        )
        print(f"  segments k={figures['k']}  adjusted Rand index vs planted {figures['ari']:.3f}")
        for name, (seconds, ari) in side.items():
            print(f"    {name:<13} fitted in {seconds:6.1f} s, adjusted Rand index {ari:.3f}")
        closed = {}
        for label, part in (("everyone", None), ("with history", "history"), ("cold start", "cold_start")):
            model, popular, best = (q if part is None else q[part] for q in (recs["model"], recs["popularity"], oracle))
            for key in ("hit_rate_at_3", "ndcg_at_3"):
                closed[(label, key)] = gap_closed(model[key], popular[key], best[key])
            print(
                f"  recommendations, {label} ({model['people']:,} people): "
                + "; ".join(
                    f"{name} {model[key]:.3f} vs popularity {popular[key]:.3f}, oracle {best[key]:.3f}: "
                    f"{closed[(label, key)]:.0%} of the gap"
                    for key, name in (("hit_rate_at_3", "hit@3"), ("ndcg_at_3", "NDCG@3"))
                )
            )
        rows.append((size, events, total, auc, figures["ari"], side["KMeans"][1], recs, closed))
    print(
        "\n| people | events | whole DAG | TF AUC | GB AUC | oracle AUC | ARI | KMeans ARI | hit@3 | NDCG@3 | "
        "gap closed hit@3 / NDCG@3 | cold start: gap closed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size, events, total, auc, ari, kmeans_ari, recs, closed in rows:
        print(
            f"| {size:,} | {events:,} | {total:.0f} s | {auc['tensorflow']:.4f} | {auc['gradient_boosting']:.4f} "
            f"| {auc['oracle']:.4f} | {ari:.3f} | {kmeans_ari:.3f} | {recs['model']['hit_rate_at_3']:.3f} | "
            f"{recs['model']['ndcg_at_3']:.3f} | {closed[('everyone', 'hit_rate_at_3')]:.0%} / "
            f"{closed[('everyone', 'ndcg_at_3')]:.0%} | {closed[('cold start', 'hit_rate_at_3')]:.0%} / "
            f"{closed[('cold start', 'ndcg_at_3')]:.0%} |"
        )


if __name__ == "__main__":
    main()
