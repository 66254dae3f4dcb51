"""What the `meta_marketing` and `meta_graph` connections hold, read from their plain fields."""

from __future__ import annotations

from dataclasses import dataclass

from socialpulse.config import META_API_VERSION, META_BASE_URL, META_GRAPH_CONN_ID, META_MARKETING_CONN_ID
from socialpulse.connectors.meta.insights import normalize_account_id


def base_url(host: str | None, port: int | None = None, scheme: str | None = None,
             default: str = META_BASE_URL) -> str:
    """Base URL from a connection's host (a bare host or a whole URL), port and scheme."""
    if not host:
        return default
    url = host if "://" in host else f"{scheme or 'https'}://{host}"
    url = url.rstrip("/")
    return f"{url}:{port}" if port and url.count(":") < 2 else url


def account_ids(value: object) -> list[str]:
    """Ad account ids from a JSON list or a comma-separated string, normalised to digits."""
    if isinstance(value, str):
        items = [i for i in value.split(",") if i.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = []
    return [normalize_account_id(i) for i in items]


@dataclass(frozen=True)
class MetaConnection:
    base_url: str
    token: str
    api_version: str
    account_ids: tuple[str, ...]

    @classmethod
    def from_fields(cls, host: str | None, port: int | None, schema: str | None, password: str | None,
                    extra: dict) -> MetaConnection:
        """Validated settings; a missing token or account list fails with what to set."""
        if not password:
            raise ValueError(f"connection '{META_MARKETING_CONN_ID}' has no access token: put it in the password")
        accounts = account_ids(extra.get("ad_account_ids"))
        if not accounts:
            raise ValueError(f"connection '{META_MARKETING_CONN_ID}' lists no ad accounts: set its extra to "
                             '{"ad_account_ids": ["123456"]}')
        return cls(base_url(host, port, schema), password, str(extra.get("api_version") or META_API_VERSION),
                   tuple(accounts))

    def __repr__(self) -> str:  # never print the token
        return f"MetaConnection(base_url={self.base_url!r}, api_version={self.api_version!r}, " \
               f"account_ids={self.account_ids!r})"


@dataclass(frozen=True)
class GraphSources:
    """The `meta_graph` connection: Facebook Pages and Instagram accounts to pull."""

    base_url: str
    token: str
    api_version: str
    sources: tuple[tuple[str, str], ...]  # (platform, account id)

    @classmethod
    def from_fields(cls, host: str | None, port: int | None, schema: str | None, password: str | None,
                    extra: dict) -> GraphSources:
        if not password:
            raise ValueError(f"connection '{META_GRAPH_CONN_ID}' has no access token: put it in the password")
        sources = tuple([("facebook", i) for i in account_ids(extra.get("page_ids"))]
                        + [("instagram", i) for i in account_ids(extra.get("ig_user_ids"))])
        if not sources:
            raise ValueError(f"connection '{META_GRAPH_CONN_ID}' lists no pages or Instagram accounts: set its "
                             'extra to {"page_ids": ["123"], "ig_user_ids": ["178414..."]}')
        return cls(base_url(host, port, schema), password, str(extra.get("api_version") or META_API_VERSION),
                   sources)

    def __repr__(self) -> str:  # never print the token
        return f"GraphSources(base_url={self.base_url!r}, sources={self.sources!r})"
