"""HTTP server speaking the Meta Marketing API insights contract, with fault knobs.

Routes (all under /{version}/):
  GET  act_{id}                     account fields
  GET  act_{id}/insights            synchronous insights, cursor-paged
  POST act_{id}/insights            starts an async report, answers {"report_run_id"}
  GET  {report_run_id}              async_status and async_percent_completion
  GET  {report_run_id}/insights     the report's rows, cursor-paged
  .../customaudiences, {audience_id}[/users|/usersreplace]   Custom Audiences (custom_audiences.py)
  GET  /_simulator/custom_audiences  the simulator's own view of them, for tests and the demo (no Meta route)
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import re
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from socialpulse_dev.simulator import fx_rates, graph_organic, meta_data, x_api
from socialpulse_dev.simulator.audience import DEFAULT_SIZE, columns
from socialpulse_dev.simulator.custom_audiences import CustomAudiences
from socialpulse_dev.simulator.meta_errors import MetaError

DEFAULT_TOKEN = "sim-access-token"
DEFAULT_X_TOKEN = "sim-bearer-token"
DEFAULT_FIELDS = ("account_id", "campaign_id", "campaign_name", "impressions", "spend")
MAX_PAGE_LIMIT = 5000


@dataclass
class SimulatorConfig:
    """What the simulator serves and which faults it injects (all off by default)."""

    seed: int = 7
    people: int = DEFAULT_SIZE  # the simulated audience who like, comment and repost
    token: str = DEFAULT_TOKEN
    as_of: date = field(default_factory=lambda: datetime.now(UTC).date())
    throttle_every: int = 0  # every Nth call answers a throttling error
    regain_minutes: int = 0  # estimated_time_to_regain_access reported when throttled
    error_rate: float = 0.0  # share of calls answered HTTP 500
    latency_ms: int = 0  # added to every answer
    truncate_every: int = 0  # every Nth successful answer is cut short
    invalid_token: bool = False  # every token is refused as expired
    max_rows_per_page: int = 1000  # a larger limit gets "reduce the amount of data"
    async_seconds: float = 0.3  # how long an async report runs
    app_budget: int = 600  # calls per minute that X-App-Usage reports as 100%
    x_token: str = DEFAULT_X_TOKEN  # the bearer token X endpoints accept
    x_rate_limit: int = 900  # X calls per endpoint per window
    x_window_seconds: int = 900  # X's rate-limit window (15 minutes)
    x_monthly_cap: int = 0  # posts X serves before UsageCapExceeded (0: no cap)
    audience_terms_refused: tuple[str, ...] = ()  # ad accounts that have not accepted the Custom Audience terms


_THROTTLES = (
    (17, 2446079, "User request limit reached"),
    (613, None, "Calls to this api have exceeded the rate limit."),
    (80000, 2446079, "There have been too many calls from this ad-account. Wait a bit and try again."),
)


# Meta's throttle for Custom Audience calls: business use case "Custom Audience"
_AUDIENCE_THROTTLE = (
    80003,
    2446079,
    "There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to "
    "/docs/graph-api/overview/rate-limiting#custom-audience.",
)


class SimulatorState:
    """Call counter, usage window and async jobs, shared by the handler threads."""

    def __init__(self, config: SimulatorConfig):
        self.config = config
        self.lock = threading.Lock()
        self.calls = 0
        self.recent: deque[float] = deque()  # call times of the last minute, oldest first
        self.jobs: dict[str, dict] = {}
        self.job_ids = itertools.count(6_100_000_000_000_000)
        self.x = x_api.XState()
        self.custom_audiences = CustomAudiences(config.seed, config.people, config.audience_terms_refused)

    def next_call(self) -> tuple[int, float]:
        """Count a call; return its number and the app usage percentage."""
        with self.lock:
            self.calls += 1
            now = time.monotonic()
            while self.recent and now - self.recent[0] >= 60:
                self.recent.popleft()
            self.recent.append(now)
            return self.calls, min(100.0, 100.0 * len(self.recent) / self.config.app_budget)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])
    except (ValueError, IndexError) as exc:
        raise MetaError(400, 100, "(#100) Invalid cursor", error_type="OAuthException") from exc


class Handler(BaseHTTPRequestHandler):
    """One request; routes Graph-style paths to the simulated Marketing API."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms to each.
    disable_nagle_algorithm = True
    server_version = "SocialPulseSimulator/1"
    state: SimulatorState  # set on the subclass made by serve()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        """Keep test output quiet; URLs may carry tokens."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        params = dict(parse_qsl(split.query))
        if method in ("POST", "DELETE"):
            length = int(self.headers.get("Content-Length") or 0)
            params.update(parse_qsl(self.rfile.read(length).decode()))
        if split.path == "/healthz":
            self._send(200, {"ok": True}, {})
            return
        if split.path == "/_simulator/custom_audiences":
            self._send(200, self.state.custom_audiences.snapshot(), {})
            return
        if split.path.startswith("/2/"):
            self._dispatch_x(split.path, params)
            return
        if split.path.startswith(fx_rates.ECB_PATH_PREFIX):
            self._send_ecb_rates(params)
            return
        config = self.state.config
        number, usage = self.state.next_call()
        headers = {
            "X-App-Usage": json.dumps(
                {"call_count": round(usage), "total_cputime": round(usage / 2), "total_time": round(usage / 2)}
            )
        }
        if config.latency_ms:
            time.sleep(config.latency_ms / 1000)
        try:
            self._check_token(params)
            self._inject_faults(number, split.path)
            payload = self._route(method, split.path, params)
        except MetaError as err:
            headers.update(err.headers)
            self._send(err.status, err.body(), headers)
            return
        truncate = config.truncate_every and number % config.truncate_every == 0
        self._send(200, payload, headers, truncate=bool(truncate))

    def _dispatch_x(self, path: str, params: dict) -> None:
        config = self.state.config
        number, _ = self.state.next_call()
        if config.latency_ms:
            time.sleep(config.latency_ms / 1000)
        try:
            if config.error_rate and random.Random(f"{config.seed}|fault|{number}").random() < config.error_rate:
                raise x_api.XProblemError(503, "Service Unavailable", "Service Unavailable")
            payload, headers = x_api.handle(self.state.x, config, path, params, self.headers.get("Authorization", ""))
        except x_api.XProblemError as problem:
            self._send(problem.status, problem.body, {"Content-Type": "application/problem+json", **problem.headers})
            return
        truncate = config.truncate_every and number % config.truncate_every == 0
        self._send(200, payload, headers, truncate=bool(truncate))

    def _send_ecb_rates(self, params: dict) -> None:
        """The ECB Data Portal's csvdata answer; the ECB needs no key."""
        try:
            since, until = date.fromisoformat(params["startPeriod"]), date.fromisoformat(params["endPeriod"])
        except (KeyError, ValueError):
            self._send_bytes(400, b"startPeriod and endPeriod must be YYYY-MM-DD", "text/plain")
            return
        self._send_bytes(200, fx_rates.ecb_csv(since, until), "text/csv")

    def _check_token(self, params: dict) -> None:
        auth = self.headers.get("Authorization", "")
        token = params.get("access_token") or (auth.split(" ", 1)[1] if " " in auth else "")
        if not token:
            raise MetaError(400, 104, "An access token is required to request this resource.")
        if self.state.config.invalid_token:
            raise MetaError(400, 190, "Error validating access token: Session has expired.", subcode=463)
        if token != self.state.config.token:
            raise MetaError(400, 190, "Invalid OAuth access token - Cannot parse access token")

    def _inject_faults(self, number: int, path: str) -> None:
        config = self.state.config
        if config.throttle_every and number % config.throttle_every == 0:
            audiences = bool(re.search(r"/(customaudiences|users|usersreplace)$", path))
            code, subcode, message = (
                _AUDIENCE_THROTTLE if audiences else _THROTTLES[(number // config.throttle_every) % len(_THROTTLES)]
            )
            match = re.search(r"act_(\d+)", path)
            usage = {
                match.group(1) if match else "0": [
                    {
                        "type": "custom_audience" if audiences else "ads_insights",
                        "call_count": 100,
                        "total_cputime": 40,
                        "total_time": 60,
                        "estimated_time_to_regain_access": config.regain_minutes,
                    }
                ]
            }
            raise MetaError(
                400, code, message, subcode=subcode, headers={"X-Business-Use-Case-Usage": json.dumps(usage)}
            )
        if config.error_rate and random.Random(f"{config.seed}|fault|{number}").random() < config.error_rate:
            raise MetaError(
                500, 2, "An unexpected error has occurred. Please retry your request later.", transient=True
            )

    def _route(self, method: str, path: str, params: dict) -> dict:
        parts = [p for p in path.split("/") if p]
        if len(parts) < 2 or not re.fullmatch(r"v\d+\.\d+", parts[0]):
            raise MetaError(400, 2500, "Unknown path components", error_type="OAuthException")
        rest = parts[1:]
        if rest[0].startswith("act_"):
            acct = meta_data.account(rest[0])
            if acct is None:
                raise MetaError(
                    400,
                    100,
                    f"(#100) Ad account {rest[0]} does not exist or you lack permission",
                    error_type="OAuthException",
                )
            if len(rest) == 1 and method == "GET":
                return {
                    "id": rest[0],
                    "account_id": acct.account_id,
                    "name": acct.name,
                    "timezone_name": acct.timezone_name,
                    "currency": acct.currency,
                }
            if rest[1:] == ["insights"] and method == "GET":
                return self._page(self._insights(acct, params), params, path)
            if rest[1:] == ["customaudiences"] and method == "GET":
                return self._page(self.state.custom_audiences.listed(acct.account_id, params), params, path)
            if rest[1:] == ["customaudiences"] and method == "POST":
                return self.state.custom_audiences.create(acct.account_id, params)
            if rest[1:] == ["insights"] and method == "POST":
                rows = self._insights(acct, params)
                job_id = str(next(self.state.job_ids))
                with self.state.lock:
                    self.state.jobs[job_id] = {"rows": rows, "started": time.monotonic(), "account": acct}
                return {"report_run_id": job_id}
        elif graph_organic.is_organic_id(rest[0]) and method == "GET":
            found = graph_organic.route(
                self.state.config.seed, self.state.config.as_of, rest, params, self.state.config.people
            )
            if isinstance(found, list | tuple):
                return self._page(found, params, path)
            if found is not None:
                return found
        elif self.state.custom_audiences.owns(rest[0]):
            found = self._custom_audience(method, rest, params)
            if found is not None:
                return found
        elif rest[0] in self.state.jobs and method == "GET":
            job = self.state.jobs[rest[0]]
            if len(rest) == 1:
                return self._job_status(rest[0], job)
            if rest[1:] == ["insights"]:
                return self._page(job["rows"], params, path)
        raise MetaError(400, 100, f"(#100) Unsupported {method} request to {path}")

    def _custom_audience(self, method: str, rest: list[str], params: dict) -> dict | None:
        audiences, audience_id = self.state.custom_audiences, rest[0]
        if params.get("method", "").upper() == "DELETE":  # Meta takes a POST with method=DELETE as a DELETE
            method = "DELETE"
        if len(rest) == 1 and method == "GET":
            return audiences.node(audience_id, params)
        if rest[1:] == ["users"] and method in ("POST", "DELETE"):
            return audiences.users(audience_id, params, remove=method == "DELETE")
        if rest[1:] == ["usersreplace"] and method == "POST":
            return audiences.replace(audience_id, params)
        return None

    def _insights(self, acct: meta_data.AdAccount, params: dict) -> list[dict]:
        if params.get("level", "campaign") != "campaign":
            raise MetaError(400, 100, "(#100) The simulator serves level=campaign only")
        if str(params.get("time_increment", "1")) != "1":
            raise MetaError(400, 100, "(#100) The simulator serves time_increment=1 only")
        try:
            time_range = json.loads(params["time_range"])
            since, until = date.fromisoformat(time_range["since"]), date.fromisoformat(time_range["until"])
        except (KeyError, ValueError, TypeError) as exc:
            raise MetaError(400, 100, "(#100) time_range must be {'since':'YYYY-MM-DD','until':'YYYY-MM-DD'}") from exc
        if until < since:
            raise MetaError(400, 100, "(#100) time_range since must not be after until")
        if since < meta_data.retention_start(self.state.config.as_of):
            raise MetaError(
                400, 3018, "(#3018) The start date of the time range cannot be beyond 37 months from the current date"
            )
        if json.loads(params.get("action_breakdowns", '["action_type"]')) != ["action_type"]:
            raise MetaError(400, 100, '(#100) The simulator serves action_breakdowns=["action_type"] only')
        windows = json.loads(params.get("action_attribution_windows", "[]"))
        if not set(windows) <= set(meta_data.ATTRIBUTION_WINDOWS):
            raise MetaError(
                400,
                100,
                f"(#100) The simulator serves action_attribution_windows {list(meta_data.ATTRIBUTION_WINDOWS)} only",
            )
        fields = [f for f in params.get("fields", ",".join(DEFAULT_FIELDS)).split(",") if f]
        rows = meta_data.insight_rows(self.state.config.seed, acct, since, until, self.state.config.as_of)
        keep = set(fields) | {"date_start", "date_stop"}
        return [meta_data.with_windows({k: v for k, v in row.items() if k in keep}, windows) for row in rows]

    def _job_status(self, job_id: str, job: dict) -> dict:
        elapsed = time.monotonic() - job["started"]
        share = 1.0 if self.state.config.async_seconds <= 0 else min(1.0, elapsed / self.state.config.async_seconds)
        return {
            "id": job_id,
            "account_id": job["account"].account_id,
            "async_status": "Job Completed" if share >= 1.0 else "Job Running",
            "async_percent_completion": int(share * 100),
        }

    def _page(self, rows: Sequence[dict], params: dict, path: str) -> dict:
        try:
            limit = int(params.get("limit", 25))
        except ValueError as exc:
            raise MetaError(400, 100, "(#100) limit must be an integer") from exc
        if limit > self.state.config.max_rows_per_page:
            raise MetaError(500, 1, "Please reduce the amount of data you're asking for, then retry your request")
        limit = max(1, min(limit, MAX_PAGE_LIMIT))
        start = _offset(params["after"]) + 1 if "after" in params else 0
        data = rows[start : start + limit]
        last = start + max(len(data), 1) - 1
        # The comments edge counts every comment when asked: summary=true, on every page.
        summary = (
            {"summary": {"order": "chronological", "total_count": len(rows), "can_comment": True}}
            if path.endswith("/comments") and params.get("summary") in ("true", "1")
            else {}
        )
        if not data:  # Meta answers an empty edge as {"data": []}, without paging
            return {"data": [], **summary}
        page = {"data": data, **summary, "paging": {"cursors": {"before": _cursor(start), "after": _cursor(last)}}}
        if start + limit < len(rows):
            query = {k: v for k, v in params.items() if k not in ("after", "before")}
            query["after"] = _cursor(last)
            page["paging"]["next"] = f"http://{self.headers.get('Host')}{path}?{urlencode(query)}"
        return page

    def _send_bytes(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send(self, status: int, payload: dict, headers: dict, truncate: bool = False) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        headers = dict(headers)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json; charset=UTF-8"))
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(body)


def serve(config: SimulatorConfig, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A bound server (port 0 picks a free one) with its audience drawn; call serve_forever() on it.

    The audience is drawn before the first request: lru_cache does not stop concurrent first requests from each
    drawing it, and at a million people four extract tasks' first calls then timed out twice (60 s each).
    """
    columns(config.seed, config.people)  # audience() with it
    handler = type("BoundHandler", (Handler,), {"state": SimulatorState(config)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
