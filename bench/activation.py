"""Activation at 200,000 people: a full upload to the simulated Custom Audiences API, then a day's diff.

Both run `jobs.activation.sync` as `activate_audiences` does: the plan, the pending rows written to a
SQLite warehouse, sessions of 10,000 rows over HTTP, the synced rows and the log line. Each runs in a
process of its own, timed (its interpreter's start and imports included), with its peak resident
memory (os.wait4). Beside them, the floor: the same
rows POSTed by a bare requests.Session with every payload built in advance. That is the simulator's
own rate (rows a second), against which each sync's rate is a ratio.

The lake holds one brief's list (none held out) and the people's matching keys: the hashes of the
simulator's planted emails and phones, so every row matches someone. The diff replaces `--change` of
the list with people not on it.

Usage: python bench/activation.py [--people 200000] [--change 0.02]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
import requests

from socialpulse import lake as lake_zone
from socialpulse.connectors.meta.custom_audiences import MAX_ROWS_PER_REQUEST, SCHEMA, new_session_id
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse.jobs.audience import write_features
from socialpulse.jobs.crm import MATCH_KEYS
from socialpulse.warehouse import apply_migrations
from socialpulse_dev.simulator import contacts
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.process import simulator_process
from socialpulse_dev.simulator.server import DEFAULT_TOKEN

DS = "2026-11-03"
BRIEF = "bench"
STEP = """
import logging, sqlite3, sys
logging.basicConfig(level=logging.WARNING)
from socialpulse.audience.briefs import Brief
from socialpulse.connectors.meta.client import GraphClient
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse.jobs.activation import sync
from socialpulse.lake import Lake
from socialpulse_dev.simulator.server import DEFAULT_TOKEN
lake, ds, warehouse, url, people = sys.argv[1:6]
brief = Brief("bench", "1001", ("10010001",), "loyalty", max_size=2 * int(people))
client = GraphClient(url, DEFAULT_TOKEN, DEFAULT_API_VERSION)
entry, _ = sync(sqlite3.connect(warehouse), client, Lake.at(lake), ds, brief, "bench-" + ds, "bench")
print(entry["rows_sent"], entry["approximate_count"], entry["mode"])
"""


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keys(people: int) -> pd.DataFrame:
    """Every simulated person's matching keys under a stand-in pseudonym."""
    members = audience(7, people)
    return pd.DataFrame(
        {
            "person_id": [f"p{i:07d}" for i in range(people)],
            "email_sha256": [sha(contacts.normalized_email(m)) for m in members],
            "phone_sha256": [sha(contacts.normalized_phone(m)) for m in members],
        }
    )


def publish(lake: str, people: pd.Series) -> None:
    write_features(
        lake_zone.Lake.at(lake),
        "target_audiences",
        DS,
        pd.DataFrame({"as_of_date": DS, "brief": BRIEF, "campaign_id": "c", "person_id": people, "in_holdout": False}),
    )


def run_sync(lake: str, warehouse: str, url: str, people: int) -> tuple[float, float, str]:
    """(seconds, peak MiB, what it printed) of one sync in a fresh interpreter."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", STEP, lake, DS, warehouse, url, str(people)], stdout=subprocess.PIPE, text=True
    )
    printed = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("the sync failed")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, printed.strip()


def floor(url: str, rows: pd.DataFrame) -> float:
    """Rows a second the simulator takes from a bare client whose payloads are built before the clock starts."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {DEFAULT_TOKEN}"
    base = f"{url}/{DEFAULT_API_VERSION}"
    audience_id = session.post(f"{base}/act_1001/customaudiences", data={"name": "floor", "subtype": "CUSTOM"}).json()
    data = rows[["email_sha256", "phone_sha256"]].to_numpy().tolist()
    batches = [data[i : i + MAX_ROWS_PER_REQUEST] for i in range(0, len(data), MAX_ROWS_PER_REQUEST)]
    session_id = new_session_id()
    forms = [
        {
            "payload": json.dumps({"schema": list(SCHEMA), "data": batch}),
            "session": json.dumps({"session_id": session_id, "batch_seq": seq, "last_batch_flag": seq == len(batches)}),
        }
        for seq, batch in enumerate(batches, start=1)
    ]
    started = time.perf_counter()
    for form in forms:
        session.post(f"{base}/{audience_id['id']}/users", data=form).raise_for_status()
    return len(rows) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--change", type=float, default=0.02, help="share of the list the diff replaces")
    args = parser.parse_args()
    changed = int(args.people * args.change)
    total = args.people + changed
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lake, warehouse = str(root / "lake"), str(root / "warehouse.db")
        started = time.perf_counter()
        everyone = keys(total)
        lake_zone.Lake.at(lake).restricted(MATCH_KEYS).write_day(everyone, DS)
        publish(lake, everyone["person_id"][: args.people])
        with sqlite3.connect(warehouse) as conn:
            apply_migrations(conn)
        print(
            f"  {total:,} people's keys and a list of {args.people:,} written in {time.perf_counter() - started:.0f} s"
        )
        with simulator_process(root / "port", "--people", str(total), "--meta-app-budget", "10000000", timeout=600) as (
            url,
            _,
        ):
            floor(url, everyone[:1])  # the simulator builds its index of everyone's hashes on its first upload
            floor_rate = floor(url, everyone[: args.people])
            print(f"  the simulator's own rate (bare client, payloads prebuilt): {floor_rate:,.0f} rows/s")
            full = run_sync(lake, warehouse, url, args.people)
            kept = everyone["person_id"][changed : args.people]
            publish(lake, pd.concat([kept, everyone["person_id"][args.people :]], ignore_index=True))
            diff = run_sync(lake, warehouse, url, args.people)
    print("\n| sync | people | rows sent, Meta's count, mode | time | peak | rows/s | rows/s vs the bare client |")
    print("|---|---|---|---|---|---|---|")
    for name, (seconds, peak, printed) in (("full upload", full), (f"diff ({args.change:.0%} replaced)", diff)):
        sent = int(printed.split()[0])
        rate = sent / seconds
        print(
            f"| {name} | {args.people:,} | {printed} | {seconds:.1f} s | {peak:.0f} MiB | {rate:,.0f} | "
            f"{rate / floor_rate:.2f}x |"
        )
    print(f"\nactivation bench at {date.today()}: {args.people:,} people")


if __name__ == "__main__":
    main()
