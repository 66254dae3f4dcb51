"""A Graph API client over requests.Session: auth, retries, usage headers, paging."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from socialpulse.connectors.http import ApiClient
from socialpulse.connectors.meta.errors import (
    MetaApiError,
    MetaReduceDataError,
    MetaRetriesExhaustedError,
    classify,
)
from socialpulse.typing_aliases import JsonObject

log = logging.getLogger(__name__)


def _usage_pct(headers: requests.structures.CaseInsensitiveDict[str]) -> tuple[float | None, float | None]:
    """Highest usage share and regain time (s) in X-App-Usage / X-Business-Use-Case-Usage."""
    shares, regain = [], None
    for name in ("X-App-Usage", "X-Ad-Account-Usage"):
        try:
            usage = json.loads(headers.get(name) or "{}")
        except ValueError:
            continue
        shares += [
            float(v) for k, v in usage.items() if k in ("call_count", "total_time", "total_cputime", "acc_id_util_pct")
        ]
    try:
        buc = json.loads(headers.get("X-Business-Use-Case-Usage") or "{}")
    except ValueError:
        buc = {}
    for entries in buc.values() if isinstance(buc, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            shares += [float(entry.get(k, 0)) for k in ("call_count", "total_time", "total_cputime")]
            minutes = entry.get("estimated_time_to_regain_access") or 0
            regain = max(regain or 0.0, float(minutes) * 60)
    return (max(shares) if shares else None), regain


def with_query(url: str, **params: object) -> str:
    """The URL with these query parameters set (used to halve `limit` on a next link)."""
    split = urlsplit(url)
    query = dict(parse_qsl(split.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    return urlunsplit(split._replace(query=urlencode(query)))


class GraphClient(ApiClient):
    """Calls the Graph API with the token in the Authorization header, never in a URL.

    Retries throttling, 5xx and broken connections with exponential backoff,
    waits as the usage headers ask, and fails at once on anything else.
    """

    platform = "Meta"
    exhausted_error = MetaRetriesExhaustedError

    def __init__(self, base_url: str, token: str, api_version: str, **options: Any) -> None:
        super().__init__(secrets=[token], **options)
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{self.api_version}/{path.lstrip('/')}"

    def observe(self, response: requests.Response) -> None:
        usage, regain = _usage_pct(response.headers)
        self.budget.observe(usage, regain if response.status_code >= 400 else None)

    def classify(self, response: requests.Response, body: object) -> MetaApiError:
        return classify(response.status_code, body, self.conn_id)

    def pages(self, path: str, params: JsonObject, limit: int) -> Iterator[JsonObject]:
        """Every page of a cursor-paged edge; halves `limit` when Meta asks for less data."""
        url: str | None = self.url(path)
        query: JsonObject | None = {**params, "limit": limit}
        pages = rows = 0
        while url:
            try:
                page = self.request("GET", url, query)
            except MetaReduceDataError:
                if limit <= 1:
                    raise
                limit = max(1, limit // 2)
                log.warning("Meta asked for less data: page size now %d", limit)
                if query is not None:
                    query["limit"] = limit
                else:
                    url = with_query(url, limit=limit)
                continue
            pages, rows = pages + 1, rows + len(page.get("data") or [])
            log.info("%s: page %d, %d rows so far", path, pages, rows)
            yield page
            url = (page.get("paging") or {}).get("next")
            if url:
                url, query = with_query(url, limit=limit), None  # request() strips the token
