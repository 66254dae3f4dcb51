"""The X API v2 endpoints of the simulator, with its rate-limit headers and RFC 7807 problems.

GET /2/users/:id/tweets           start_time, end_time, max_results (5-100), pagination_token
GET /2/tweets/:id/liking_users    max_results (1-100), pagination_token
GET /2/tweets/:id/retweeted_by    max_results (1-100), pagination_token
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from socialpulse_dev.simulator import x_data

PROBLEMS = "https://api.twitter.com/2/problems"


class XProblemError(Exception):
    """An error answer as an RFC 7807 problem document."""

    def __init__(self, status: int, title: str, detail: str, problem_type: str = "about:blank", **extra):
        super().__init__(detail)
        self.status = status
        self.headers: dict[str, str] = {}
        self.body = {"title": title, "detail": detail, "type": problem_type, "status": status, **extra}


@dataclass
class XState:
    """Rate-limit windows per endpoint and the posts read this month."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    posts_read: int = 0


def _rate_limit(state: XState, endpoint: str, limit: int, window: int) -> dict:
    """Count a call against the endpoint's window (15 minutes on X); 429 past its limit."""
    with state.lock:
        now = time.time()
        started, used = state.windows.get(endpoint, (now, 0))
        if now - started >= window:
            started, used = now, 0
        used += 1
        state.windows[endpoint] = (started, used)
    headers = {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(max(0, limit - used)),
        "x-rate-limit-reset": str(math.ceil(started + window)),
    }
    if used > limit:
        problem = XProblemError(429, "Too Many Requests", "Too Many Requests")
        problem.headers = headers
        raise problem
    return headers


def _int_param(params: dict, name: str, low: int, high: int, default: int) -> int:
    value = params.get(name, str(default))
    if not value.isdigit() or not low <= int(value) <= high:
        raise XProblemError(
            400,
            "Invalid Request",
            "One or more parameters to your request was invalid.",
            f"{PROBLEMS}/invalid-request",
            errors=[
                {
                    "parameters": {name: [value]},
                    "message": f"The `{name}` query parameter value [{value}] is not between {low} and {high}",
                }
            ],
        )
    return int(value)


def _time_param(params: dict, name: str) -> datetime | None:
    if name not in params:
        return None
    try:
        return datetime.fromisoformat(params[name].replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise XProblemError(
            400, "Invalid Request", f"Invalid {name}: {params[name]} is not RFC 3339", f"{PROBLEMS}/invalid-request"
        ) from exc


def _paged(items: Sequence, params: dict, max_results: int) -> tuple[Sequence, dict]:
    start = int(params["pagination_token"], 16) if params.get("pagination_token") else 0
    page = items[start : start + max_results]
    meta = {"result_count": len(page)}
    if start + max_results < len(items):
        meta["next_token"] = format(start + max_results, "x").rjust(8, "0")
    return page, meta


def handle(state: XState, config, path: str, params: dict, authorization: str) -> tuple[dict, dict]:
    """(body, headers) of a successful answer; raises XProblemError otherwise."""
    if authorization != f"Bearer {config.x_token}" or config.invalid_token:
        raise XProblemError(401, "Unauthorized", "Unauthorized")
    as_of = datetime.combine(config.as_of + timedelta(days=1), datetime.min.time(), UTC)
    if match := re.fullmatch(r"/2/users/(\d+)/tweets", path):
        headers = _rate_limit(state, "users/tweets", config.x_rate_limit, config.x_window_seconds)
        account = x_data.x_account(match.group(1))
        if account is None:
            return {
                "errors": [
                    {
                        "value": match.group(1),
                        "detail": f"Could not find user with id: [{match.group(1)}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": "id",
                        "type": f"{PROBLEMS}/resource-not-found",
                    }
                ]
            }, headers
        start = _time_param(params, "start_time") or as_of - timedelta(days=7)
        end = min(_time_param(params, "end_time") or as_of, as_of)
        max_results = _int_param(params, "max_results", 5, 100, 10)
        posts = [
            p
            for offset in range((end - start).days + 2)
            for p in x_data.posts_on(config.seed, account, (start + timedelta(days=offset)).date())
            if start <= p.created_at < end
        ]
        posts.sort(key=lambda p: p.created_at, reverse=True)  # newest first, as X answers
        page, meta = _paged(posts, params, max_results)
        with state.lock:
            if config.x_monthly_cap and state.posts_read + len(page) > config.x_monthly_cap:
                raise XProblemError(
                    429,
                    "UsageCapExceeded",
                    "Usage cap exceeded: Monthly product cap",
                    f"{PROBLEMS}/usage-capped",
                    period="Monthly",
                    scope="Product",
                )
            state.posts_read += len(page)
        data = [
            {
                "id": p.id,
                "text": p.text,
                "edit_history_tweet_ids": [p.id],
                "created_at": p.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "public_metrics": x_data.public_metrics(config.seed, p, as_of, config.people),
            }
            for p in page
        ]
        if data:
            meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
        return ({"data": data, "meta": meta} if data else {"meta": meta}), headers
    if match := re.fullmatch(r"/2/tweets/(\d+)/(liking_users|retweeted_by)", path):
        headers = _rate_limit(state, f"tweets/{match.group(2)}", config.x_rate_limit, config.x_window_seconds)
        post = x_data.find_post(config.seed, match.group(1))
        kind = "like" if match.group(2) == "liking_users" else "repost"
        visible = x_data.visible_engagers(config.seed, post, kind, as_of, config.people) if post else ()
        page, meta = _paged(visible, params, _int_param(params, "max_results", 1, 100, 100))
        data = [{"id": m.x_id, "name": m.name, "username": f"user{m.user_id[1:]}"} for m in page]
        return ({"data": data, "meta": meta} if data else {"meta": meta}), headers
    raise XProblemError(404, "Not Found", f"No route for {path}")
