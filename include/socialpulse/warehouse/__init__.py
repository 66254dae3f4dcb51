"""Warehouse DDL, migrations and bulk upserts for Postgres and the embedded SQLite file.

Names load on first use (PEP 562): the entity declarations import warehouse.tables at DAG
parse time, which must not import pandas through the loader.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"LoadResult": "load", "upsert_frame": "load", "apply_migrations": "migrations"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
