"""Validating and cleaning engagement events against merely reading them.

Writes N synthetic raw engagement events (platform, post_id, user_id, kind and
extracted_at as the raw zone gives them: text, about 1% broken and 2% repeated)
to Parquet, then times, in one process, best of three:

  read        pd.read_parquet of the file: the floor
  clean       read + clean_events: schema validation, quarantine with reasons,
              pseudonymisation through the CRM links, dedup on the natural key

and prints rows per second of each and their ratio.

Usage: python bench/clean.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from socialpulse.transforms.posts import RAW_EVENT_COLUMNS, clean_events
from socialpulse.transforms.privacy import Pseudonymizer, links_from_users
from socialpulse_dev.simulator.audience import audience

PLATFORMS = np.array(["facebook", "instagram", "x"])
KINDS = np.array(["like", "comment", "share"])


def raw_events(rows: int, seed: int = 3) -> pd.DataFrame:
    """Events of 60,000 people on 2,000 posts; some broken, some repeated, as text like the raw zone."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "platform": PLATFORMS[rng.integers(0, 3, rows)],
            "post_id": pd.Series(rng.integers(0, 2_000, rows)).map("post{}".format),
            "user_id": pd.Series(rng.integers(7_000_000_000, 7_000_060_000, rows)).astype(str),
            "kind": KINDS[rng.integers(0, 3, rows)],
            "extracted_at": "2026-11-27T06:00:00+00:00",
        },
        columns=list(RAW_EVENT_COLUMNS),
    )
    broken = rng.random(rows)
    frame.loc[broken < 0.005, "user_id"] = None
    frame.loc[(broken >= 0.005) & (broken < 0.01), "kind"] = "retweet"
    repeated = rng.integers(0, rows, rows // 50)
    frame.iloc[-len(repeated) :] = frame.iloc[repeated].to_numpy()
    return frame


def best_of(runs: int, work) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    users = pd.DataFrame([{"user_id": m.user_id, "facebook_id": m.facebook_id, "x_id": m.x_id} for m in audience(7)])
    pseudonymizer = Pseudonymizer("bench-key-of-enough-bytes", links_from_users(users))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.parquet"
        raw_events(args.rows).to_parquet(path, index=False)
        print(
            f"{args.rows:,} raw engagement events, {path.stat().st_size / 1e6:.1f} MB of Parquet, best of {args.runs}"
        )
        read, _ = best_of(args.runs, lambda: pd.read_parquet(path))
        clean, result = best_of(args.runs, lambda: clean_events(pd.read_parquet(path), pseudonymizer))
    print(f"  {'read only (pd.read_parquet)':<52} {read:7.2f} s  {args.rows / read:12,.0f} rows/s")
    print(
        f"  {'read + validate + pseudonymise + dedup (clean_events)':<52} {clean:7.2f} s  "
        f"{args.rows / clean:12,.0f} rows/s"
    )
    print(
        f"  -> {len(result.clean):,} clean, {len(result.quarantined):,} quarantined, "
        f"{result.duplicates_dropped:,} duplicates dropped; top reasons {result.top_reasons()}"
    )
    print(f"cleaning costs {clean / read:.1f}x a plain read ({read / clean:.2f} of its speed)")


if __name__ == "__main__":
    main()
