"""Looking for secrets and personal data where they must not be: clean zone, warehouse rows, task logs."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pandas as pd

from socialpulse_dev.devenv import DEMO_KEY
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.server import DEFAULT_TOKEN, DEFAULT_X_TOKEN

SECRETS = (DEFAULT_TOKEN, DEFAULT_X_TOKEN, DEMO_KEY)
ID_PATTERN = re.compile(r"\bu\d{6}\b|\b\d{10,20}\b")


def personal_data(seed: int = 7) -> tuple[frozenset[str], frozenset[str]]:
    """(every raw user id of the simulated audience, every name and email)."""
    ids, texts = set(), set()
    for member in audience(seed):
        ids |= {i for i in (member.user_id, member.facebook_id, member.instagram_id, member.x_id) if i}
        texts |= {member.name, member.email}
    return frozenset(ids), frozenset(texts)


def cells(frame: pd.DataFrame) -> set[str]:
    return {str(v) for column in frame.columns for v in frame[column].dropna().unique()}


def findings(text_by_place: dict[str, str], values_by_place: dict[str, set[str]]) -> list[str]:
    """What each place leaks: a secret, the word bearer, a name or email, or a raw user id."""
    ids, texts = personal_data()
    found = []
    for place, text in text_by_place.items():
        lowered = text.lower()
        found += [f"{place}: a token" for s in SECRETS if s in text]
        found += [f"{place}: 'bearer'"] if "bearer" in lowered else []
        found += [f"{place}: name or email {t!r}" for t in texts if t in text]
        found += [f"{place}: raw user id {i!r}" for i in set(ID_PATTERN.findall(text)) & ids]
    for place, values in values_by_place.items():
        found += [f"{place}: raw user id {i!r}" for i in values & ids]
        found += [f"{place}: name or email {t!r}" for t in values & texts]
    return found


def scan_lake_zone(root: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    texts, values = {}, {}
    for path in sorted(root.rglob("*.parquet")):
        frame = pd.read_parquet(path)
        texts[str(path)] = frame.astype(str).to_csv(index=False)
        values[str(path)] = cells(frame)
    return texts, values


def scan_sqlite(path: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    texts, values = {}, {}
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            frame = pd.read_sql_query(f'SELECT * FROM "{table}"', conn)
            texts[f"{path}:{table}"] = frame.astype(str).to_csv(index=False)
            values[f"{path}:{table}"] = cells(frame)
    return texts, values
