"""The `x_api` connection: the app's bearer token and the users whose posts to pull."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from socialpulse.connectors.connection import PlatformConnection, id_list, numeric_id
from socialpulse.connectors.x.client import X_BASE_URL, XClient
from socialpulse.errors import ConnectionConfigError
from socialpulse.typing_aliases import JsonObject


@dataclass(frozen=True)
class XConnection(PlatformConnection):
    user_ids: tuple[str, ...] = ()

    token_name: ClassVar[str] = "bearer token"
    default_base_url: ClassVar[str] = X_BASE_URL

    @classmethod
    def read_extra(cls, conn_id: str, extra: JsonObject) -> dict[str, Any]:
        users = tuple(id_list(extra.get("user_ids"), numeric_id("X user id")))
        if not users:
            raise ConnectionConfigError(
                f"connection '{conn_id}' lists no users: set its extra to "
                '{"user_ids": ["2244994945"]} (numeric ids, not @handles)'
            )
        return {"user_ids": users}

    def client(self, **options: Any) -> XClient:
        return XClient(self.base_url, self.token, conn_id=self.conn_id, **options)
