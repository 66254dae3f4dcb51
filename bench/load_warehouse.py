"""Upsert N campaign-day rows into Postgres three ways, side by side in one run.

1. SocialPulse's loader: COPY into a temporary table, then INSERT ... ON CONFLICT
   DO UPDATE into campaign_metrics_daily (primary key, logged), one transaction.
2. pandas DataFrame.to_sql(method="multi"): what users write by hand.
3. A bare COPY into an empty UNLOGGED table with no keys: the floor.

Each way starts from the same DataFrame, in key order as the clean zone writes
it, and an empty table in a fresh schema.
Usage: python bench/load_warehouse.py [--rows 1000000] [--dsn "host=127.0.0.1 user=postgres dbname=test"]
"""

from __future__ import annotations

import argparse
import time
import uuid

import numpy as np
import pandas as pd
import psycopg

from socialpulse.transforms.entities import CAMPAIGN_METRICS_DAILY, CAMPAIGN_METRICS_HISTORY
from socialpulse.warehouse import apply_migrations, upsert_frame
from socialpulse.warehouse.load import copy_into

# The columns the ads load owns: what our loader writes, and so what the others write too.
TABLE = CAMPAIGN_METRICS_DAILY.only(
    {name for name, _ in CAMPAIGN_METRICS_DAILY.columns if not name.startswith("attributed_")}
)


def synthetic_frame(rows: int, seed: int = 1) -> pd.DataFrame:
    """Campaign-day rows shaped like the clean zone's, keys unique."""
    rng = np.random.default_rng(seed)
    campaigns = 1_000
    index = np.arange(rows)
    impressions = rng.integers(1_000, 100_000, rows)
    clicks = (impressions * rng.uniform(0.004, 0.03, rows)).astype(int)
    frame = pd.DataFrame(
        {
            "metric_date": pd.to_datetime("2020-01-01") + pd.to_timedelta(index // campaigns, unit="D"),
            "platform": "meta_ads",
            "account_id": (1000 + index % 7).astype(str),
            "campaign_id": (index % campaigns).astype(str),
            "campaign_name": "Campaign " + pd.Series(index % campaigns).astype(str),
            "currency": "USD",
            "attribution_setting": "7d_click_1d_view",
        }
    )
    frame["metric_date"] = frame["metric_date"].dt.date
    counts = {
        "impressions": impressions,
        "reach": impressions // 2,
        "clicks": clicks,
        "link_clicks": clicks // 2,
        "landing_page_views": clicks // 3,
        "likes": clicks // 4,
        "comments": clicks // 20,
        "shares": clicks // 30,
        "conversions": clicks // 40,
    }
    for name, values in counts.items():
        frame[name] = pd.array(values, dtype="Int64")
    frame["spend"] = np.round(impressions * rng.uniform(0.004, 0.01, rows), 2)
    frame["conversion_value"] = np.round(frame["conversions"].astype(float) * 45.5, 2)
    for rate in ("ctr", "cpc", "cpm", "engagement_rate", "conversion_rate", "cost_per_conversion", "roas"):
        frame[rate] = rng.uniform(0, 1, rows)
    frame["spend_reporting"], frame["conversion_value_reporting"] = frame["spend"], frame["conversion_value"]
    frame["reporting_currency"], frame["fx_rate"] = "USD", 1.0
    frame["extracted_at"] = pd.Timestamp("2026-11-27T06:00:00Z")
    # In key order, as the clean zone writes it (transforms sort by the natural key).
    return frame.sort_values(list(TABLE.key), ignore_index=True)


def timed(label: str, work) -> float:
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(f"  {label:<58} {seconds:8.2f} s", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dsn", default="host=127.0.0.1 port=5432 user=postgres dbname=test")
    args = parser.parse_args()
    frame = synthetic_frame(args.rows)
    print(f"{args.rows:,} rows x {len(frame.columns)} columns, Postgres at '{args.dsn}'")
    schema = f"sp_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.dsn) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}")
        conn.commit()
        try:
            apply_migrations(conn)
            ours = timed(
                "socialpulse upsert (COPY -> temp, INSERT ON CONFLICT)",
                lambda: upsert_frame(conn, TABLE, frame, "bench"),
            )
            again = timed(
                "socialpulse upsert again, same rows (all unchanged)",
                lambda: upsert_frame(conn, TABLE, frame, "bench-2"),
            )
            conn.execute("TRUNCATE campaign_metrics_daily, campaign_metrics_history")
            conn.commit()
            with_history = timed(
                "socialpulse upsert + history versions (as the DAG loads)",
                lambda: upsert_frame(conn, TABLE, frame, "bench-3", history=CAMPAIGN_METRICS_HISTORY),
            )

            conn.execute(f"CREATE TABLE to_sql_target ({TABLE.column_defs('postgres')})")
            conn.commit()
            from sqlalchemy import create_engine

            info = conn.info
            engine = create_engine(
                f"postgresql+psycopg://{info.user}@{info.host}:{info.port}/{info.dbname}",
                connect_args={"options": f"-csearch_path={schema}"},
            )
            to_sql = timed(
                'pandas to_sql(method="multi", chunksize=1000)',
                lambda: frame.assign(run_id="bench").to_sql(
                    "to_sql_target", engine, if_exists="append", index=False, method="multi", chunksize=1000
                ),
            )
            engine.dispose()

            conn.execute(f"CREATE UNLOGGED TABLE bare_target ({TABLE.column_defs('postgres')})")
            conn.commit()

            def bare_copy() -> None:
                with conn.cursor() as cursor:
                    copy_into(
                        cursor,
                        "bare_target",
                        TABLE.column_names,
                        frame.assign(run_id="bench")[list(TABLE.column_names)],
                    )
                conn.commit()

            bare = timed("bare COPY into an empty UNLOGGED table (floor)", bare_copy)
            counts = [
                conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("campaign_metrics_daily", "to_sql_target", "bare_target")
            ]
            assert counts == [args.rows] * 3, counts
            history = conn.execute("SELECT count(*) FROM campaign_metrics_history").fetchone()[0]
            assert history == args.rows, history
        finally:
            conn.rollback()
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
            conn.commit()
    rate = args.rows / ours
    print(f"\nrows/s  socialpulse {rate:12,.0f}   (rerun, unchanged: {args.rows / again:,.0f})")
    print(f"rows/s  to_sql      {args.rows / to_sql:12,.0f}")
    print(f"rows/s  bare COPY   {args.rows / bare:12,.0f}")
    print(f"socialpulse vs to_sql:    {to_sql / ours:6.1f}x faster   (target >= 10x)")
    print(f"socialpulse vs bare COPY: {bare / ours:6.2f} of its speed (target >= 0.5)")
    print(
        f"with history vs bare COPY: {bare / with_history:5.2f} of its speed "
        f"({args.rows / with_history:,.0f} rows/s; history costs {with_history / ours - 1:+.0%})"
    )


if __name__ == "__main__":
    main()
