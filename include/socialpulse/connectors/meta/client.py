"""A Graph API client over requests.Session: auth, retries, usage headers, paging."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from socialpulse.connectors.http import RETRYABLE_TRANSPORT_ERRORS, Backoff, RateBudget, redact, strip_secrets
from socialpulse.connectors.meta.errors import (
    MetaApiError,
    MetaReduceDataError,
    MetaRetriesExhaustedError,
    classify,
)

log = logging.getLogger(__name__)


def _usage_pct(headers: requests.structures.CaseInsensitiveDict) -> tuple[float | None, float | None]:
    """Highest usage share and regain time (s) in X-App-Usage / X-Business-Use-Case-Usage."""
    shares, regain = [], None
    for name in ("X-App-Usage", "X-Ad-Account-Usage"):
        try:
            usage = json.loads(headers.get(name) or "{}")
        except ValueError:
            continue
        shares += [float(v) for k, v in usage.items() if k in ("call_count", "total_time", "total_cputime",
                                                                "acc_id_util_pct")]
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


class GraphClient:
    """Calls the Graph API with the token in the Authorization header, never in a URL.

    Retries throttling, 5xx and broken connections with exponential backoff,
    waits as the usage headers ask, and fails at once on anything else.
    """

    def __init__(self, base_url: str, token: str, api_version: str, *, session: requests.Session | None = None,
                 backoff: Backoff | None = None, budget: RateBudget | None = None,
                 timeout: float = 60.0, sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self._token = token
        self.backoff = backoff or Backoff()
        self.budget = budget or RateBudget()
        self.timeout = timeout
        self.sleep = sleep
        self.calls = 0
        self.retries = 0

    def url(self, path: str) -> str:
        return f"{self.base_url}/{self.api_version}/{path.lstrip('/')}"

    def request(self, method: str, url: str, params: dict | None = None) -> dict:
        """One call with retries; returns the decoded JSON body."""
        url = strip_secrets(url)  # next links carry the token; the header already does
        last_error: Exception | None = None
        for attempt in range(self.backoff.attempts):
            pause = self.budget.pause_seconds()
            if pause:
                log.info("usage at %.0f%%: pausing %.1f s before calling Meta", self.budget.usage_pct, pause)
                self.sleep(pause)
            self.calls += 1
            try:
                response = self.session.request(method, url, params=params, timeout=self.timeout)
                body = response.json()
            except (*RETRYABLE_TRANSPORT_ERRORS, ValueError) as exc:
                last_error = exc
                self._wait_retry(attempt, redact(f"{type(exc).__name__}: {exc}", [self._token]))
                continue
            usage, regain = _usage_pct(response.headers)
            self.budget.observe(usage, regain if response.status_code >= 400 else None)
            if response.ok:
                return body
            error = classify(response.status_code, body)
            if not error.retryable:
                raise error
            last_error = error
            self._wait_retry(attempt, str(error))
        raise MetaRetriesExhaustedError(
            f"gave up after {self.backoff.attempts} attempts on {strip_secrets(url)}: {last_error}")

    def _wait_retry(self, attempt: int, reason: str) -> None:
        """Back off before the next attempt; a throttle's regain time is waited by the budget."""
        if attempt + 1 >= self.backoff.attempts:
            return
        self.retries += 1
        delay = self.backoff.delay(attempt)
        log.warning("Meta call failed (%s); retry %d/%d in %.1f s", reason, attempt + 1,
                    self.backoff.attempts - 1, delay)
        self.sleep(delay)

    def pages(self, path: str, params: dict, limit: int) -> Iterator[dict]:
        """Every page of a cursor-paged edge; halves `limit` when Meta asks for less data."""
        url: str | None = self.url(path)
        query: dict | None = {**params, "limit": limit}
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
                url, query = with_query(strip_secrets(url), limit=limit), None


__all__ = ["GraphClient", "MetaApiError", "with_query"]
