"""Targeting at 5,000 and 200,000 people: the build_target_audiences step's time and peak memory, each brief's
expected incremental conversions against the oracle's and a random list's, and calibration per market.

For each size, the clean zone of a first run is generated and the steps before targeting run as in
bench/audience.py (not timed here); then build_target_audiences runs in a process of its own, timed
with its peak resident memory, beside a process that only imports what it imports (the floor any step
pays). The ratios score each brief's list against the simulator's planted response to its campaign
(socialpulse_dev.simulator.campaign_response), which the pipeline never reads: the oracle's list is
the best of the same size from the same eligible pool, a random list that pool's mean times the size.

Usage: python bench/targeting.py [--sizes 5000,200000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from audience import AS_OF, STEPS, prepare_apart, run_step  # bench/audience.py, beside this file

BEFORE = ("build_profiles", "segment_audience", "train_propensity")
IMPORTS_ONLY = "import pandas, numpy; import socialpulse.audience.targeting, socialpulse.jobs.audience"


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

            briefs = incremental(lake, AS_OF, size=size)
            calibrated = calibration(lake, AS_OF, size=size)
        print(f"  {'brief':<20} {'size':>6} {'pool':>7} {'incremental':>12} {'oracle':>8} {'random':>8} ratios")
        for brief, b in briefs.items():
            print(
                f"  {brief:<20} {b['size']:>6,} {b['pool']:>7,} {b['incremental']:>12.1f} {b['oracle']:>8.1f} "
                f"{b['random']:>8.1f} {b['to_oracle']:.2f}x oracle, {b['to_random']:.2f}x random"
            )
        print(
            "  expected / planted conversions in 30 days: "
            + ", ".join(f"{name} {c['ratio']:.3f}" for name, c in calibrated.items())
        )
        total = {k: sum(b[k] for b in briefs.values()) for k in ("incremental", "oracle", "random")}
        table.append((size, seconds, peak, floor[1], total, calibrated))
    print("\n| people | targeting | peak | imports' peak | incremental | oracle | random | to oracle | to random |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size, seconds, peak, floor_peak, total, _ in table:
        print(
            f"| {size:,} | {seconds:.1f} s | {peak:.0f} MiB | {floor_peak:.0f} MiB | {total['incremental']:.1f} | "
            f"{total['oracle']:.1f} | {total['random']:.1f} | {total['incremental'] / total['oracle']:.2f}x | "
            f"{total['incremental'] / total['random']:.2f}x |"
        )


if __name__ == "__main__":
    sys.exit(main())
