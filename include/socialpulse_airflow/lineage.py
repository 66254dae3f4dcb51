"""OpenLineage: the lake and warehouse tables each task read and wrote, reported when it succeeds.

The OpenLineage provider reports every task's run by itself; what it cannot see inside a
TaskFlow function is which datasets it touched. `@lineage(inputs=..., outputs=...)` names
them as `lake:<zone>/<entity>` or `warehouse:<table>`, and resolves them at run time, where
the lake's root and the warehouse connection are known, into datasets named by OpenLineage's
naming convention (https://openlineage.io/docs/spec/naming), so that Marquez, DataHub or a
warehouse's lineage view joins them with what other tools report:

- a local lake: namespace `file`, name the table's absolute folder;
- an object-store lake: namespace `s3://<bucket>` (or another scheme), name the table's key prefix;
- a Postgres warehouse: namespace `postgres://<host>:<port>`, name `<database>.<schema>.<table>`;
- a SQLite warehouse: namespace `sqlite://<file>`, name `main.<table>`.

Without an OpenLineage transport configured (docs/lineage.md) nothing is sent, and a failure
to send never fails the task: the provider logs it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from socialpulse.config import WAREHOUSE_CONN_ID

F = TypeVar("F", bound=Callable[..., Any])
LAKE, WAREHOUSE = "lake:", "warehouse:"
NOT_A_TABLE = "{!r} names no table: write lake:<zone>/<entity> or warehouse:<table>"


def dataset_name(table: str, lake_root: str, warehouse: Any) -> tuple[str, str]:
    """(namespace, name) of `lake:<zone>/<entity>` or `warehouse:<table>` under OpenLineage's naming convention."""
    from urllib.parse import urlsplit

    if table.startswith(LAKE):
        path = f"{lake_root.rstrip('/')}/{table.removeprefix(LAKE)}"
        split = urlsplit(path)
        if split.scheme and split.scheme != "file":  # s3://bucket/prefix/...
            return f"{split.scheme}://{split.netloc}", split.path.lstrip("/")
        from pathlib import Path

        return "file", str(Path(split.path if split.scheme else path).resolve())  # a path or a file:// URL
    if table.startswith(WAREHOUSE):
        name = table.removeprefix(WAREHOUSE)
        if warehouse.conn_type == "sqlite":
            return f"sqlite://{warehouse.host}", f"main.{name}"
        return f"postgres://{warehouse.host}:{warehouse.port or 5432}", f"{warehouse.schema}.public.{name}"
    raise ValueError(NOT_A_TABLE.format(table))


def lineage(inputs: Iterable[str] = (), outputs: Iterable[str] = ()) -> Callable[[F], F]:
    """Report the tables a task function read and wrote, once it has returned."""
    reads, writes = tuple(inputs), tuple(outputs)
    for table in (*reads, *writes):
        if not table.startswith((LAKE, WAREHOUSE)):
            raise ValueError(NOT_A_TABLE.format(table))

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            result = function(*args, **kwargs)
            report(reads, writes)
            return result

        return run  # type: ignore[return-value]

    return decorate


def report(reads: Iterable[str], writes: Iterable[str]) -> None:
    """Send the task's datasets as an OpenLineage event of its run (nothing when OpenLineage is not configured)."""
    from airflow.providers.openlineage import conf

    if conf.is_disabled():
        return  # asked first: the provider's API takes a second to import, a cost for nothing without a transport
    from airflow.providers.openlineage.api import emit_dataset_lineage
    from airflow.sdk import BaseHook
    from openlineage.client.event_v2 import Dataset

    from socialpulse_airflow.lookups import lake

    tables = [*reads, *writes]
    warehouse = BaseHook.get_connection(WAREHOUSE_CONN_ID) if any(t.startswith(WAREHOUSE) for t in tables) else None
    root = str(lake().root) if any(t.startswith(LAKE) for t in tables) else ""
    named = {t: Dataset(*dataset_name(t, root, warehouse)) for t in tables}
    emit_dataset_lineage(inputs=[named[t] for t in reads], outputs=[named[t] for t in writes])
