"""The `meta_marketing` (ads) and `meta_graph` (Pages, Instagram) connections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from socialpulse.config import META_BASE_URL
from socialpulse.connectors.connection import PlatformConnection, id_list, numeric_id
from socialpulse.connectors.meta.client import GraphClient
from socialpulse.connectors.meta.insights import normalize_account_id
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse.errors import ConnectionConfigError
from socialpulse.typing_aliases import JsonObject


@dataclass(frozen=True)
class _GraphApiConnection(PlatformConnection):
    api_version: str = DEFAULT_API_VERSION

    default_base_url: ClassVar[str] = META_BASE_URL

    def client(self, **options: Any) -> GraphClient:
        return GraphClient(self.base_url, self.token, self.api_version, conn_id=self.conn_id, **options)


@dataclass(frozen=True)
class MetaAdsConnection(_GraphApiConnection):
    """The ad accounts whose insights to pull."""

    account_ids: tuple[str, ...] = ()

    @classmethod
    def read_extra(cls, conn_id: str, extra: JsonObject) -> dict[str, Any]:
        accounts = tuple(id_list(extra.get("ad_account_ids"), normalize_account_id))
        if not accounts:
            raise ConnectionConfigError(
                f'connection \'{conn_id}\' lists no ad accounts: set its extra to {{"ad_account_ids": ["123456"]}}'
            )
        return {"account_ids": accounts, "api_version": str(extra.get("api_version") or DEFAULT_API_VERSION)}


@dataclass(frozen=True)
class GraphConnection(_GraphApiConnection):
    """The Facebook Pages and Instagram accounts whose posts to pull, as (platform, id)."""

    sources: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read_extra(cls, conn_id: str, extra: JsonObject) -> dict[str, Any]:
        sources = tuple(
            [("facebook", i) for i in id_list(extra.get("page_ids"), numeric_id("Facebook Page id"))]
            + [("instagram", i) for i in id_list(extra.get("ig_user_ids"), numeric_id("Instagram user id"))]
        )
        if not sources:
            raise ConnectionConfigError(
                f"connection '{conn_id}' lists no pages or Instagram accounts: set its "
                'extra to {"page_ids": ["123"], "ig_user_ids": ["178414..."]}'
            )
        return {"sources": sources, "api_version": str(extra.get("api_version") or DEFAULT_API_VERSION)}
