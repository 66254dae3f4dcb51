"""An X API v2 client: bearer auth, x-rate-limit-* headers, RFC 7807 errors, token paging."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from socialpulse.connectors.http import ApiClient
from socialpulse.connectors.x.errors import XApiError, XRequestError, XRetriesExhaustedError, classify
from socialpulse.typing_aliases import JsonObject

log = logging.getLogger(__name__)
X_BASE_URL = "https://api.x.com"


class XClient(ApiClient):
    """Waits for the window's reset when x-rate-limit-remaining reaches 0 or a 429 arrives;
    stops at once on a spent monthly cap or a refused token."""

    platform = "X"
    exhausted_error = XRetriesExhaustedError

    def __init__(
        self, base_url: str, bearer_token: str, *, wall_clock: Callable[[], float] = time.time, **options: Any
    ) -> None:
        super().__init__(secrets=[bearer_token], **options)
        self.base_url = (base_url or X_BASE_URL).rstrip("/")
        self.session.headers["Authorization"] = f"Bearer {bearer_token}"
        self.wall_clock = wall_clock

    def url(self, path: str) -> str:
        return f"{self.base_url}/2/{path.lstrip('/')}"

    def observe(self, response: requests.Response) -> None:
        remaining = response.headers.get("x-rate-limit-remaining")
        reset = response.headers.get("x-rate-limit-reset")
        if reset and (response.status_code == 429 or remaining == "0"):
            self.budget.observe(regain_seconds=max(0.0, float(reset) - self.wall_clock()) + 1.0)

    def classify(self, response: requests.Response, body: object) -> XApiError:
        return classify(response.status_code, body, self.conn_id)

    def pages(self, path: str, params: JsonObject) -> Iterator[JsonObject]:
        """Every page of a token-paged endpoint (meta.next_token -> pagination_token)."""
        query, pages = dict(params), 0
        while True:
            page = self.request("GET", self.url(path), query)
            if page.get("errors") and not page.get("data"):
                raise XRequestError(f"X answered errors for {path}: {page['errors'][:3]}", status=200)
            pages += 1
            log.info("%s: page %d, %d results", path, pages, (page.get("meta") or {}).get("result_count", 0))
            yield page
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                return
            query["pagination_token"] = token
