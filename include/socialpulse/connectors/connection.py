"""What an Airflow connection to a platform holds, read from its plain fields: one pattern for every platform.

A connection class names its token and default host, reads its own `extra`, and
builds its client; every message names the connection it came from, and no
repr shows the token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from socialpulse.errors import ConnectionConfigError
from socialpulse.typing_aliases import JsonObject


def base_url(host: str | None, port: int | None, scheme: str | None, default: str) -> str:
    """Base URL from a connection's host (a bare host or a whole URL), port and scheme."""
    if not host:
        return default
    url = host if "://" in host else f"{scheme or 'https'}://{host}"
    url = url.rstrip("/")
    return f"{url}:{port}" if port and url.count(":") < 2 else url


def id_list(value: object, normalize: Callable[[str], str]) -> list[str]:
    """Ids from a JSON list or a comma-separated string, each normalised (and checked) by `normalize`."""
    if isinstance(value, str):
        items = [i for i in value.split(",") if i.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = []
    return [normalize(str(i).strip()) for i in items]


def numeric_id(what: str) -> Callable[[str], str]:
    """A normaliser that refuses anything but digits, naming what the id is."""

    def check(text: str) -> str:
        if not text.isdigit():
            raise ConnectionConfigError(f"{what} {text!r} is not numeric: use the numeric id")
        return text

    return check


@dataclass(frozen=True)
class PlatformConnection:
    """Base URL, token and the connection's name; subclasses add what their `extra` holds."""

    conn_id: str
    base_url: str
    token: str = field(repr=False)

    token_name: ClassVar[str] = "access token"
    default_base_url: ClassVar[str] = ""

    @classmethod
    def from_fields(
        cls,
        conn_id: str,
        host: str | None,
        port: int | None,
        schema: str | None,
        password: str | None,
        extra: JsonObject,
    ) -> Self:
        """The validated connection; a missing token or id list fails naming the connection and what to set."""
        if not password:
            raise ConnectionConfigError(f"connection '{conn_id}' has no {cls.token_name}: put it in the password")
        return cls(
            conn_id,
            base_url(host, port, schema, cls.default_base_url),
            password,
            **cls.read_extra(conn_id, extra or {}),
        )

    @classmethod
    def read_extra(cls, conn_id: str, extra: JsonObject) -> dict[str, Any]:
        raise NotImplementedError
