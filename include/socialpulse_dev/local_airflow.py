"""A local Airflow that runs DAGs as production does: api-server, scheduler and dag-processor on this checkout.

Used by `make demo` (its dates are backfilled through the scheduler, so the UI shows each
run's real duration, which `airflow dags test` does not record) and by `make ui`. The
user is the simple auth manager's `admin`, whose password the api-server generates into
the home on its first start; everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BIN = Path(sys.executable).parent
DEFAULT_PORT = 8080
USER = "admin"
SERVICES = ("api-server", "scheduler", "dag-processor")
SOURCE_DAGS = ("crm_daily", "meta_ads_daily", "organic_social_daily")
# A platform's first run pulls 90 days of posts when no earlier day of it has landed: its days must run in order.
IN_ORDER = ("organic_social_daily",)
ATTRIBUTION_DAG = "attribution_daily"  # after the sources: it credits each day's orders to its campaigns
AUDIENCE_DAG = "audience_intelligence"  # on the last date: the models learn from the history the first runs pulled
EXPERIMENTS_DAG = "experiments_daily"  # on the last date: it recomputes every look since each experiment's start
ERASURE_DAG = "privacy_erasure"  # on the last date, before anything reads the clean zone: its drop's requests
ACTIVATION_DAG = "activate_audiences"  # after the audience, on the last date: a person approves each new audience
ALL_DAGS = [
    *SOURCE_DAGS,
    ATTRIBUTION_DAG,
    AUDIENCE_DAG,
    EXPERIMENTS_DAG,
    ERASURE_DAG,
    ACTIVATION_DAG,
    "source_freshness",
]
# "Database is locked" (HTTP 503) when a backfill is created while the scheduler writes SQLite: tries, 1 s, 2 s, ...
BUSY_TRIES = 6
DATABASE_ERROR = re.compile(r'"reason":\s*"Database error"')  # the api-server's 500 when the metadata DB is busy
FINISHED = ("success", "failed")  # a backfill's runs are all made, queued, when it is created


def service_env(home: Path, port: int) -> dict[str, str]:
    """Settings every service must share: executor, where the execution API is, the JWT secret, the login."""
    secret_file = home / "jwt_secret"
    if not secret_file.exists():  # one per home, so a token outlives a restart of the services
        home.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(secrets.token_urlsafe(64))
        secret_file.chmod(0o600)
    url = f"http://127.0.0.1:{port}"
    return {
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",  # two cores: more processes at once only queue for them
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"{url}/",  # the log links of alert e-mails
        "AIRFLOW__API_AUTH__JWT_SECRET": secret_file.read_text(),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only what is backfilled or triggered runs
    }


def pipeline_steps(first: str, last: str) -> list[tuple[tuple[str, ...], str]]:
    """(DAGs, first day) to backfill in turn up to `last`: the sources, the erasure requests of the last drop,
    attribution, then audience and experiments.

    The erasure comes before anything reads the clean zone, so a rerun of the whole gives the same rows.
    """
    return [
        (SOURCE_DAGS, first),
        ((ERASURE_DAG,), last),
        ((ATTRIBUTION_DAG,), first),
        ((AUDIENCE_DAG, EXPERIMENTS_DAG), last),
    ]


def password(home: Path) -> str:
    """The admin's password, which the api-server generated on its first start."""
    return json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())[USER]


class Api:
    """Airflow's REST API (v2) as the admin, with urllib: enough to unpause, backfill and wait."""

    def __init__(self, base_url: str, home: Path) -> None:
        self.base_url = base_url
        answer = self._call("POST", "/auth/token", {"username": USER, "password": password(home)}, token=None)
        self.token = answer["access_token"]

    def _call(self, method: str, path: str, body: dict | None = None, token: str | None = "") -> dict:
        """One request; a 503 is tried again a few times (SQLite metadata answers it while the scheduler writes),
        and so is a reading or idempotent request (GET, PUT) answered 500 "Database error", which the same lock
        gives there (a backfill's cancel met it in a test). A POST is not: it may have been half made."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token or self.token}"
        attempt = 0
        while True:
            attempt += 1
            request = urllib.request.Request(
                self.base_url + path,
                method=method,
                headers=headers,
                data=json.dumps(body).encode() if body is not None else None,
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as error:
                detail = error.read().decode()[:500]
                busy = error.code == 503 or (
                    error.code == 500 and method in ("GET", "PUT") and DATABASE_ERROR.search(detail) is not None
                )
                if not busy or attempt >= BUSY_TRIES:
                    raise RuntimeError(f"{method} {path}: HTTP {error.code} {detail}") from None
                time.sleep(attempt)

    def get(self, path: str) -> dict:
        return self._call("GET", path)

    def post(self, path: str, body: dict) -> dict:
        return self._call("POST", path, body)

    def patch(self, path: str, body: dict) -> dict:
        return self._call("PATCH", path, body)

    def put(self, path: str) -> dict:
        return self._call("PUT", path)


def stop(process: subprocess.Popen) -> None:
    """End a service and everything it started (LocalExecutor workers, uvicorn workers)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def wait_until(what: str, check, timeout: float, processes: Services, every: float = 1.0):
    """Poll `check` until it returns something true; a service that exits for good, or the timeout, stops the wait."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.supervise()
        with suppress(OSError, RuntimeError):
            result = check()
            if result:
                return result
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def log_tail(path: Path, lines: int = 15) -> str:
    with suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


@dataclass(frozen=True)
class Service:
    """One long-running Airflow command; a Celery worker has its own arguments, settings and working directory."""

    name: str  # its log is <home>/logs/<name>.log
    args: tuple[str, ...] = ()  # `airflow <args>`; `airflow <name>` when empty
    env: dict[str, str] = field(default_factory=dict)  # on top of the shared settings
    cwd: Path | None = None


class Services(dict[str, subprocess.Popen]):
    """The running services by name; one that exits is started again, RESTARTS times at most, as a supervisor would.

    Production runs Airflow's services under systemd, Kubernetes or compose's `restart: always`, and the
    scheduler is built to carry on after a restart. Here too: on SQLite metadata, a backfill whose
    creation meets the lock is deleted by Airflow's clean-up while the scheduler already holds its runs,
    and the scheduler exits with StaleDataError (seen in CI). Each restart is printed with the end of the log.
    """

    RESTARTS = 3

    def __init__(self, env: dict[str, str], home: Path, cleanup: ExitStack) -> None:
        super().__init__()
        self.env, self.home, self.cleanup = env, home, cleanup
        self.specs: dict[str, Service] = {}
        self.restarts: dict[str, int] = {}

    def log(self, name: str) -> Path:
        return self.home / "logs" / f"{name}.log"

    def start(self, service: Service) -> None:
        self.specs[service.name] = service
        self.restarts.setdefault(service.name, 0)
        log = self.cleanup.enter_context(self.log(service.name).open("a"))  # a restart's output follows the crash
        self[service.name] = process = subprocess.Popen(
            [BIN / "airflow", *(service.args or (service.name,))],
            env={**self.env, **service.env},
            cwd=service.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.cleanup.callback(stop, process)

    @contextmanager
    def stopped(self, name: str) -> Iterator[None]:
        """`name` stopped (if it runs here) for the block, then started again."""
        if name not in self:
            yield
            return
        stop(self.pop(name))
        try:
            yield
        finally:
            self.start(self.specs[name])

    def supervise(self) -> None:
        """Start again each service that exited; raise with its log's end once it has used up its restarts."""
        for name, process in list(self.items()):
            if process.poll() is None:
                continue
            tail = log_tail(self.log(name))
            if self.restarts[name] >= self.RESTARTS:
                raise RuntimeError(
                    f"airflow {name} exited with {process.returncode} after {self.RESTARTS} restarts; "
                    f"the end of {self.log(name)}:\n{tail}"
                )
            self.restarts[name] += 1
            print(
                f"airflow {name} exited with {process.returncode}; starting it again ({self.restarts[name]} of "
                f"{self.RESTARTS}). The end of {self.log(name)}:\n{tail}",
                file=sys.stderr,
                flush=True,
            )
            self.start(self.specs[name])


@contextmanager
def running(
    env: dict[str, str], home: Path, port: int = DEFAULT_PORT, services: tuple[str | Service, ...] = SERVICES
) -> Iterator[tuple[Api, Services]]:
    """Start the services (logs in <home>/logs/<service>.log), yield an API client once it answers; stop them."""
    (home / "logs").mkdir(parents=True, exist_ok=True)
    for name in (s.name if isinstance(s, Service) else s for s in services):
        (home / "logs" / f"{name}.log").unlink(missing_ok=True)  # each start's logs from a clean page
    with ExitStack() as cleanup:
        processes = Services(env, home, cleanup)
        for service in (s if isinstance(s, Service) else Service(s) for s in services):
            processes.start(service)
        base_url = env.get("AIRFLOW__API__BASE_URL", f"http://127.0.0.1:{port}/").rstrip("/")  # a sub-path too
        wait_until(
            "the api-server",
            lambda: urllib.request.urlopen(f"{base_url}/api/v2/monitor/health", timeout=5).status == 200,
            120,
            processes,
        )
        yield Api(base_url, home), processes


def wait_for_dags(api: Api, dag_ids: list[str], processes: Services, timeout: float = 180) -> None:
    def registered() -> bool:
        known = {d["dag_id"] for d in api.get("/api/v2/dags?limit=100")["dags"]}
        return set(dag_ids) <= known

    wait_until(f"the dag-processor to register {', '.join(dag_ids)}", registered, timeout, processes, every=2)


def set_paused(api: Api, dag_ids: list[str], paused: bool) -> None:
    for dag_id in dag_ids:
        api.patch(f"/api/v2/dags/{dag_id}", {"is_paused": paused})


ANSWER_AFTER_SECONDS = 10  # see answerable()


def answerable(detail: dict) -> bool:
    """Whether a person would answer a Human-in-the-loop request now: its task is parked awaiting input, and has been
    for ANSWER_AFTER_SECONDS.

    Airflow 3.3 resumes a parked task from the answer at once. When the resumed try is queued before the scheduler
    has handled the executor's report that the parking process exited (about a second), the scheduler takes it for
    a try killed outside it and retries the task, which asks again and drops the answer (seen in the task logs of
    the activation test: an approved request's attempt 2, then its timeout). A person takes longer than that; a
    script must wait as long."""
    asked = datetime.fromisoformat(detail["created_at"])
    waited = (datetime.now(UTC) - asked).total_seconds()
    return detail["task_instance"]["state"] == "awaiting_input" and waited >= ANSWER_AFTER_SECONDS


def approve_waiting(api: Api, dag_id: str, at_most: int = 1) -> list[str]:
    """Approve requests of the DAG's runs waiting for a person (answerable()), `at_most` a call, through the REST API
    as the UI's Required Actions page does; the subjects approved. One at a time, as a person clicks: a burst of
    answers resumes as many tasks at once, and on SQLite metadata their writes met the scheduler's lock in a test."""
    pending = api.get(f"/api/v2/dags/{dag_id}/dagRuns/~/hitlDetails?response_received=false&limit=100")
    waiting = [d for d in pending["hitl_details"] if answerable(d)][:at_most]
    for detail in waiting:
        ti = detail["task_instance"]
        api.patch(
            f"/api/v2/dags/{dag_id}/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/{ti['map_index']}"
            "/hitlDetails",
            {"chosen_options": ["Approve"], "params_input": {}},
        )
    return [detail["subject"] for detail in waiting]


def start_backfill(api: Api, body: dict) -> int:
    """Create a backfill; one left running (by an earlier try, or not yet marked complete) is cancelled first.

    Airflow commits a backfill before creating its runs: when the metadata DB is locked in between
    (HTTP 503, tried again) and its clean-up fails too, the half-made backfill blocks the next try (409).
    The lock can also meet the create itself or its audit-log row (HTTP 500 "Database error", seen in make
    test's demo after a 503): whatever it left is cancelled, and the backfill made again.
    """
    try:
        return api.post("/api/v2/backfills", body)["id"]
    except RuntimeError as error:
        blocked = "HTTP 409" in str(error) and "already a running backfill" in str(error)
        if not blocked and not ("HTTP 500" in str(error) and DATABASE_ERROR.search(str(error))):
            raise
    for left in api.get(f"/api/v2/backfills?dag_id={body['dag_id']}&limit=100")["backfills"]:
        if left["completed_at"] is None:
            api.put(f"/api/v2/backfills/{left['id']}/cancel")
    return api.post("/api/v2/backfills", body)["id"]


def backfill(
    api: Api,
    dag_ids: list[str],
    first: str,
    last: str,
    processes: Services,
    timeout: float = 900,
    in_order: tuple[str, ...] = (),
    while_waiting: Callable[[], object] | None = None,
) -> list[dict]:
    """Backfill the days first..last of each DAG at once, rerunning days done before; the runs when all are done.

    The DAGs named in `in_order` run one day at a time, oldest first; `while_waiting` is called at each look (to
    answer the runs' approvals). Raises naming the runs that did not succeed.
    """
    # On SQLite, a backfill created while the scheduler writes met the lock in CI three ways (a 503 with its runs
    # half made, a scheduler that died holding runs Airflow's clean-up deleted, a 60 s lock): it is created while
    # the scheduler is stopped, which costs a scheduler start (about 5 s) a step.
    on_sqlite = processes.env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "").startswith("sqlite")
    with processes.stopped("scheduler") if on_sqlite else nullcontext():
        for dag_id in dag_ids:
            start_backfill(
                api,
                {
                    "dag_id": dag_id,
                    "from_date": f"{first}T00:00:00Z",
                    "to_date": f"{last}T00:00:00Z",
                    "reprocess_behavior": "completed",
                    "max_active_runs": 1 if dag_id in in_order else 3,
                },
            )

    def finished() -> list[dict] | None:
        """Every run of the days once none is queued or running (the backfills' own completed_at lags up to 30 s)."""
        if while_waiting is not None:
            while_waiting()
        runs = [
            run
            for dag_id in dag_ids
            for run in api.get(
                f"/api/v2/dags/{dag_id}/dagRuns?limit=100&logical_date_gte={first}T00:00:00Z"
                f"&logical_date_lte={last}T00:00:00Z"
            )["dag_runs"]
        ]
        done = {r["dag_id"] for r in runs} == set(dag_ids) and all(r["state"] in FINISHED for r in runs)
        return runs if done else None

    runs = wait_until(f"the backfills of {', '.join(dag_ids)}", finished, timeout, processes, every=2)
    failed = [f"{r['dag_id']} {r['logical_date'][:10]}: {r['state']}" for r in runs if r["state"] != "success"]
    if failed:
        raise RuntimeError(
            f"runs did not succeed: {'; '.join(failed)}; their task logs are in the UI and under "
            "the Airflow home's logs/"
        )
    return runs
