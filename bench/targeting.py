"""Targeting at 5,000 and 200,000 people: the build_target_audiences step's time and peak memory, each brief's
expected incremental conversions against the oracle's and a random list's, and calibration per market.

For each size, the clean zone of a first run is generated and the steps before targeting run as in
bench/audience.py (not timed here); then build_target_audiences runs in a process of its own, timed
with its peak resident memory, beside a process that only imports what it imports (the floor any step
pays). The ratios score each brief's list against the simulator's planted response to its campaign
(socialpulse_dev.simulator.campaign_response), which the pipeline never reads: the oracle's list is
the best of the same size from the same eligible pool, a random list that pool's mean times the size.

Beside the pipeline's ranking (propensity x topic affinity x order value, a response model), two
alternatives rank the same pools, side by side:
- **T-learner**: per goal, a logistic regression of the sent people's orders and one of the held-out
  people's in the simulator's past lists (CRM columns experiment_campaign_<id>), on the propensity
  model's labelled snapshots and features plus the share of engagement on the brief's topics; a
  person's uplift is the difference. What the past holdouts can teach.
- **ceiling**: gradient boosting fitted on the planted uplift itself (two folds, each scored by the
  model of the other), on the profile's numeric columns and the brief's topic share: what any model
  of these features could reach, not something a pipeline can learn.

Usage: python bench/targeting.py [--sizes 5000,200000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from audience import AS_OF, STEPS, prepare_apart, run_step  # bench/audience.py, beside this file

from socialpulse.lake import Lake

BEFORE = ("build_profiles", "segment_audience", "train_propensity")
SENT, HELD_OUT = "sent", "holdout"  # the simulator's past lists' groups
IMPORTS_ONLY = "import pandas, numpy; import socialpulse.audience.targeting, socialpulse.jobs.audience"


def topic_share(rows: pd.DataFrame, topics: tuple[str, ...]) -> np.ndarray:
    columns = [f"topic_{t}" for t in topics]
    return rows[columns].astype("Float64").astype(float).fillna(0.0).sum(axis=1).to_numpy()


def numeric(rows: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return rows[columns].astype("Float64").astype(float).to_numpy(na_value=np.nan)


def t_learner(lake: str, briefs: tuple) -> dict[str, pd.Series]:
    """Per brief: each person's uplift (sent minus held-out probability) as the T-learner estimates it."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from socialpulse.audience.propensity import NUMERIC
    from socialpulse.experiments.observations import groups_of
    from socialpulse.jobs.audience import read_crm_people, read_features
    from socialpulse_dev.simulator.campaign_response import COLUMN_PREFIX

    crm = read_crm_people(Lake.at(lake), AS_OF).set_index("person_id", drop=False)
    snapshots = [read_features(Lake.at(lake), f"propensity_{name}", AS_OF) for name in ("train", "eval")]
    features = [*NUMERIC, "brief_share"]
    by_goal: dict[str, list[pd.DataFrame]] = {}
    for brief in briefs:
        for campaign in brief.campaign_ids:
            groups = groups_of(crm, f"{COLUMN_PREFIX}{campaign}")
            for rows in snapshots:
                group = rows["person_id"].map(groups)
                known = group.isin([SENT, HELD_OUT]).to_numpy()
                by_goal.setdefault(brief.goal, []).append(
                    rows.loc[known, [*NUMERIC, "label"]].assign(
                        brief_share=topic_share(rows[known], brief.topics), sent=(group[known] == SENT).to_numpy()
                    )
                )
    models = {}
    for goal, frames in by_goal.items():
        history = pd.concat(frames, ignore_index=True)
        arms = []
        for arm in (history[history["sent"]], history[~history["sent"]]):
            model = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1000))
            arms.append(model.fit(numeric(arm, features), arm["label"].astype(int)))
        models[goal] = arms
    scoring = read_features(Lake.at(lake), "propensity_rows", AS_OF)
    found = {}
    for brief in briefs:
        rows = numeric(scoring.assign(brief_share=topic_share(scoring, brief.topics)), features)
        sent, held_out = models[brief.goal]
        uplift = sent.predict_proba(rows)[:, 1] - held_out.predict_proba(rows)[:, 1]
        found[brief.name] = pd.Series(uplift, index=scoring["person_id"].to_numpy())
    return found


def ceiling(pool: pd.DataFrame, profiles: pd.DataFrame, topics: tuple[str, ...]) -> np.ndarray:
    """The planted uplift of the pool's people as gradient boosting predicts it from their profile, two-fold."""
    from sklearn.ensemble import GradientBoostingRegressor

    rows = profiles.reindex(pool["person_id"].to_numpy()).assign(brief_share=lambda r: topic_share(r, topics))
    columns = [c for c in rows.columns if rows[c].dtype.kind in "fiub" or str(rows[c].dtype) in ("Int64", "Float64")]
    features = np.nan_to_num(numeric(rows, columns), nan=-1.0)
    truth, fold = pool["true"].to_numpy(), np.arange(len(pool)) % 2
    estimate = np.zeros(len(pool))
    if truth.max() == truth.min():
        return estimate
    for k in (0, 1):
        model = GradientBoostingRegressor(n_estimators=100, max_depth=3, random_state=7)
        estimate[fold == k] = model.fit(features[fold != k], truth[fold != k]).predict(features[fold == k])
    return estimate


def alternatives(lake: str, size: int) -> dict[str, dict[str, float]]:
    """Per brief built: the planted incremental conversions of the list of its size each ranking picks."""
    from socialpulse.audience.briefs import parse
    from socialpulse.jobs.audience import read_features
    from socialpulse_dev.audience_truth import uplift
    from socialpulse_dev.simulator.meta_data import BRIEFS_FILE

    briefs = parse(BRIEFS_FILE.read_text(), str(BRIEFS_FILE))[0]
    truth = uplift(size=size)
    members = read_features(Lake.at(lake), "target_audiences", AS_OF)
    pools = read_features(Lake.at(lake), "target_candidates", AS_OF)
    profiles = read_features(Lake.at(lake), "user_profiles", AS_OF).set_index("person_id")
    learned = t_learner(lake, briefs)
    found = {}
    for brief in briefs:
        size_of_list = members.loc[members["brief"] == brief.name, "person_id"].nunique()
        if not size_of_list:
            continue
        planted = truth[truth["campaign_id"].isin(brief.campaign_ids)].groupby("person_id")["uplift"].sum()
        pool = pools[pools["brief"] == brief.name].drop_duplicates("person_id")
        pool = pool.assign(true=pool["person_id"].map(planted).fillna(0.0).to_numpy())
        pool = pool.assign(t_learner=pool["person_id"].map(learned[brief.name]).to_numpy())
        pool = pool.assign(ceiling=ceiling(pool, profiles, brief.topics))
        found[brief.name] = {k: float(pool.nlargest(size_of_list, k)["true"].sum()) for k in ("t_learner", "ceiling")}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,200000")
    args = parser.parse_args()
    steps = dict(STEPS)
    table = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"\n== {size:,} people ==", flush=True)
        with tempfile.TemporaryDirectory(prefix="socialpulse-targeting-bench-") as tmp:
            lake, warehouse, _ = prepare_apart(size, Path(tmp), None)
            for step in BEFORE:
                seconds, peak = run_step(steps[step], lake, warehouse)
                print(f"  {step:<24} {seconds:7.1f} s   peak {peak:7.0f} MiB   (before targeting)", flush=True)
            floor = run_step(IMPORTS_ONLY, lake, warehouse)
            seconds, peak = run_step(steps["build_target_audiences"], lake, warehouse)
            print(
                f"  {'build_target_audiences':<24} {seconds:7.1f} s   peak {peak:7.0f} MiB   "
                f"(its imports alone: {floor[0]:.1f} s, {floor[1]:.0f} MiB)",
                flush=True,
            )
            from socialpulse_dev.audience_truth import calibration, incremental

            briefs = incremental(Lake.at(lake), AS_OF, size=size)
            calibrated = calibration(Lake.at(lake), AS_OF, size=size)
            other = alternatives(lake, size)
        print(
            f"  {'brief':<20} {'size':>6} {'pool':>7} {'oracle':>8} {'random':>8} {'pipeline':>9} {'T-learner':>10} "
            f"{'ceiling':>8}   pipeline's ratios"
        )
        for brief, b in briefs.items():
            print(
                f"  {brief:<20} {b['size']:>6,} {b['pool']:>7,} {b['oracle']:>8.1f} {b['random']:>8.1f} "
                f"{b['incremental']:>9.1f} {other[brief]['t_learner']:>10.1f} {other[brief]['ceiling']:>8.1f}   "
                f"{b['to_oracle']:.2f}x oracle, {b['to_random']:.2f}x random"
            )
        print(
            "  expected / planted conversions in 30 days: "
            + ", ".join(f"{name} {c['ratio']:.3f} (±{c['noise']:.3f})" for name, c in calibrated.items())
        )
        total = {k: sum(b[k] for b in briefs.values()) for k in ("incremental", "oracle", "random")}
        total |= {k: sum(o[k] for o in other.values()) for k in ("t_learner", "ceiling")}
        table.append((size, seconds, peak, floor[1], total))
    print(
        "\n| people | targeting | peak | imports' peak | oracle | random | pipeline | T-learner | ceiling | "
        "pipeline / oracle | pipeline / random | T-learner / oracle | ceiling / oracle |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size, seconds, peak, floor_peak, total in table:
        oracle = total["oracle"]
        print(
            f"| {size:,} | {seconds:.1f} s | {peak:.0f} MiB | {floor_peak:.0f} MiB | {oracle:.1f} | "
            f"{total['random']:.1f} | {total['incremental']:.1f} | {total['t_learner']:.1f} | {total['ceiling']:.1f} | "
            f"{total['incremental'] / oracle:.2f}x | {total['incremental'] / total['random']:.2f}x | "
            f"{total['t_learner'] / oracle:.2f}x | {total['ceiling'] / oracle:.2f}x |"
        )


if __name__ == "__main__":
    sys.exit(main())
