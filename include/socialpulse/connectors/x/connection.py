"""What the `x_api` connection holds, read from its plain fields."""

from __future__ import annotations

from dataclasses import dataclass

from socialpulse.config import X_API_CONN_ID
from socialpulse.connectors.meta.connection import account_ids, base_url
from socialpulse.connectors.x.client import X_BASE_URL


@dataclass(frozen=True)
class XSettings:
    base_url: str
    bearer_token: str
    user_ids: tuple[str, ...]

    @classmethod
    def from_fields(cls, host: str | None, port: int | None, schema: str | None, password: str | None,
                    extra: dict) -> XSettings:
        if not password:
            raise ValueError(f"connection '{X_API_CONN_ID}' has no bearer token: put it in the password")
        users = tuple(account_ids(extra.get("user_ids")))
        if not users:
            raise ValueError(f"connection '{X_API_CONN_ID}' lists no users: set its extra to "
                             '{"user_ids": ["2244994945"]} (numeric ids, not @handles)')
        return cls(base_url(host, port, schema, default=X_BASE_URL), password, users)

    def __repr__(self) -> str:  # never print the token
        return f"XSettings(base_url={self.base_url!r}, user_ids={self.user_ids!r})"
