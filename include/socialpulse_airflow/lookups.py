"""Connections and variables users configure, read inside tasks."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialpulse.config import (  # light: names only
    FX_RATES_SOURCE_VARIABLE,
    LAKE_CONN_ID,
    LAKE_ROOT_VARIABLE,
    PSEUDONYMIZATION_CONN_ID,
    RAW_RETENTION_VARIABLE,
    REPORTING_CURRENCY_VARIABLE,
    default_lake_root,
)

log = logging.getLogger(__name__)
DEFAULT_RAW_RETENTION_DAYS = 90

if TYPE_CHECKING:
    from socialpulse.lake import Lake


def day_of(data_interval_start: datetime) -> str:
    """The run's day, YYYY-MM-DD: the UTC day its data interval covers."""
    return data_interval_start.date().isoformat()


def variable(name: str, default: Any = None) -> Any:
    from airflow.sdk import Variable

    return Variable.get(name, default=default)


def declaration_texts(file_variable: str, default_file: Path, text_variable: str, error: type) -> list[tuple[Any, str]]:
    """(YAML, the source its errors name) of a user's declarations: the file `file_variable` names (default
    `default_file` of the working directory; absent, nothing), then the YAML text in `text_variable`. A file the
    variable names must exist: a typo in it would otherwise declare nothing, silently."""
    from socialpulse.bounded_input import read_declaration_file
    from socialpulse.errors import Name

    named = variable(file_variable)
    path = Path(named or default_file).absolute()
    if named and not path.is_file():
        raise error(
            "variable {variable} names {path}, which is not a file", variable=Name(file_variable), path=Name(str(path))
        )
    texts = [(read_declaration_file(path), str(path))] if path.is_file() else []
    return [*texts, (variable(text_variable) or "", f"variable {text_variable}")]


def lake() -> Lake:
    """The lake the variable names, reached with the lake connection's credentials on an object store: built once
    per task and passed down."""
    from airflow.sdk import BaseHook

    return configured_lake(variable(LAKE_ROOT_VARIABLE, str(default_lake_root())), BaseHook.get_connection)


def configured_lake(root: str, get_connection) -> Lake:
    """The lake at a root; on an object store with the `socialpulse_lake` connection's storage options.

    Without the connection the store's own credential chain applies (environment, instance role), logged.
    """
    from airflow.exceptions import AirflowNotFoundException

    from socialpulse import lake as lake_zone
    from socialpulse.lake import storage as lake_storage

    protocol = lake_storage.object_store_protocol(root)
    if protocol is None:
        return lake_zone.Lake.at(root)
    try:
        conn = get_connection(LAKE_CONN_ID)
    except AirflowNotFoundException:
        log.info("connection '%s' is not set: %s uses the machine's own credentials", LAKE_CONN_ID, root)
        return lake_zone.Lake.at(root)
    return lake_zone.Lake.at(root, lake_storage.storage_options(protocol, conn.login, conn.password, conn.extra_dejson))


def platform_connection(conn_id: str, connection_class):
    """The library's view of a platform connection, or None (logged) when it is not configured.

    A connection that is there but lacks what its source needs fails the task at once, naming it.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

    from socialpulse.errors import ConnectionConfigError

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        log.warning("connection '%s' is not configured: skipping its source", conn_id)
        return None
    try:
        return connection_class.from_fields(
            conn_id, conn.host, conn.port, conn.schema, conn.password, conn.extra_dejson
        )
    except (ConnectionConfigError, ValueError) as exc:
        raise AirflowFailException(str(exc)) from exc


def required_connection(conn_id: str, connection_class, what: str):
    """A connection a whole DAG needs: the task is skipped, with the reason, when it is not set."""
    from airflow.sdk.exceptions import AirflowSkipException

    connection = platform_connection(conn_id, connection_class)
    if connection is None:
        raise AirflowSkipException(f"connection '{conn_id}' is not configured: no {what} today")
    return connection


def pseudonymization_secret() -> str:
    """The HMAC secret of connection socialpulse_pseudonymization; without it no person may leave the raw zone."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

    try:
        secret = BaseHook.get_connection(PSEUDONYMIZATION_CONN_ID).password
    except AirflowNotFoundException:
        secret = None
    if not secret:
        raise AirflowFailException(
            f"connection '{PSEUDONYMIZATION_CONN_ID}' has no password: set it to a random "
            "secret of at least 16 bytes; user ids are pseudonymised under it"
        )
    return secret


def currency_kwargs() -> dict:
    """Keyword arguments of the clean steps that convert amounts."""
    return {
        "rates_source": variable(FX_RATES_SOURCE_VARIABLE),
        "reporting": variable(REPORTING_CURRENCY_VARIABLE, "USD"),
    }


def retention_days() -> int:
    return whole_number(RAW_RETENTION_VARIABLE, DEFAULT_RAW_RETENTION_DAYS, "days")


def whole_number(name: str, default: int, of: str) -> int:
    """A variable holding a whole number, 1 or more, checked: a wrong value fails the task at once, naming the
    variable."""
    from airflow.sdk.exceptions import AirflowFailException

    value = variable(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise AirflowFailException(
            f"variable '{name}' is {value!r}: set it to a whole number of {of}, 1 or more (default {default})"
        )
    return number
