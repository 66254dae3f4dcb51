"""The local Airflow's REST client (a busy SQLite metadata DB, HTTP 503, is tried again) and its service supervisor."""

from __future__ import annotations

import importlib.metadata
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from socialpulse_dev import local_airflow
from socialpulse_dev.local_airflow import Api

pytestmark = pytest.mark.integration  # starts and stops service processes


BUSY = {500: {"reason": "Database error", "statement": "hidden"}}  # the api-server's 500 on a busy metadata DB


def airflow_answering(*codes: int):
    """A stand-in api-server: a token, then `codes` in turn for every other request, then 200."""
    answers, seen = list(codes), []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.path)
            code = 201 if self.path == "/auth/token" else (answers.pop(0) if answers else 200)
            body = (
                {"access_token": "t"}
                if self.path == "/auth/token"
                else ({"id": 7} if code < 300 else {"detail": BUSY.get(code, "Database is locked.")})
            )
            self.send_response(code)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        do_PUT = do_POST  # noqa: N815 - the handler's method name

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.fixture
def home(tmp_path, monkeypatch):
    (tmp_path / "simple_auth_manager_passwords.json.generated").write_text(json.dumps({"admin": "pw"}))
    monkeypatch.setattr(local_airflow.time, "sleep", lambda seconds: None)
    return tmp_path


def test_a_locked_metadata_db_is_tried_again(home):
    server, seen = airflow_answering(503, 503)
    try:
        api = Api(f"http://127.0.0.1:{server.server_address[1]}", home)
        assert api.post("/api/v2/backfills", {"dag_id": "x"}) == {"id": 7}
    finally:
        server.shutdown()
    assert seen == ["/auth/token"] + ["/api/v2/backfills"] * 3


def test_a_database_error_is_tried_again_for_a_cancel_but_not_for_a_create(home):
    server, seen = airflow_answering(500, 500, 500)
    try:
        api = Api(f"http://127.0.0.1:{server.server_address[1]}", home)
        with pytest.raises(RuntimeError, match=r"POST /api/v2/backfills: HTTP 500 .*Database error"):
            api.post("/api/v2/backfills", {"dag_id": "x"})  # it may have been half made: not asked again
        assert api.put("/api/v2/backfills/7/cancel") == {"id": 7}  # idempotent: asked again
    finally:
        server.shutdown()
    assert seen.count("/api/v2/backfills/7/cancel") == 3


def test_other_errors_and_a_lock_that_stays_are_named(home):
    server, _ = airflow_answering(409, *[503] * local_airflow.BUSY_TRIES)
    try:
        api = Api(f"http://127.0.0.1:{server.server_address[1]}", home)
        with pytest.raises(RuntimeError, match="POST /api/v2/backfills: HTTP 409"):
            api.post("/api/v2/backfills", {"dag_id": "x"})
        with pytest.raises(RuntimeError, match=r"HTTP 503 .*Database is locked"):
            api.post("/api/v2/backfills", {"dag_id": "x"})
    finally:
        server.shutdown()


@pytest.mark.parametrize("first", [409, 500])
def test_a_backfill_left_half_made_by_an_earlier_try_is_cancelled_and_made_again(home, first):
    """Airflow committed the backfill, then met the lock creating its runs: the next POST answers 409, or the lock
    met the create's own end (500 "Database error")."""
    requests: list[str] = []
    answered = []
    backfills = [
        {"id": 3, "dag_id": "x", "completed_at": "2026-11-01T00:00:00Z"},
        {"id": 4, "dag_id": "x", "completed_at": None},
    ]

    class Handler(BaseHTTPRequestHandler):
        def answer(self, code: int, body: dict) -> None:
            requests.append(f"{self.command} {self.path}")
            self.send_response(code)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def do_POST(self):
            if self.path == "/auth/token":
                self.answer(201, {"access_token": "t"})
            elif first == 500 and not answered:
                answered.append(first)
                self.answer(500, {"detail": BUSY[500]})
            elif any(b["completed_at"] is None for b in backfills):
                self.answer(409, {"detail": "There is already a running backfill for dag x"})
            else:
                self.answer(200, {"id": 5})

        def do_GET(self):
            self.answer(200, {"backfills": backfills, "total_entries": len(backfills)})

        def do_PUT(self):
            backfills[1]["completed_at"] = "2026-11-28T00:00:00Z"
            self.answer(200, backfills[1])

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = Api(f"http://127.0.0.1:{server.server_address[1]}", home)
        assert local_airflow.start_backfill(api, {"dag_id": "x"}) == 5
    finally:
        server.shutdown()
    assert requests[1:] == [
        "POST /api/v2/backfills",
        "GET /api/v2/backfills?dag_id=x&limit=100",
        "PUT /api/v2/backfills/4/cancel",
        "POST /api/v2/backfills",
    ]


def test_a_conflict_of_another_kind_is_named(home):
    server, _ = airflow_answering(409)
    try:
        api = Api(f"http://127.0.0.1:{server.server_address[1]}", home)
        with pytest.raises(RuntimeError, match="HTTP 409"):
            local_airflow.start_backfill(api, {"dag_id": "x"})
    finally:
        server.shutdown()


def test_a_service_that_exits_is_started_again_then_named_with_its_log(tmp_path, capsys):
    """As a supervisor would: each exit is printed and the service restarted; past RESTARTS the error shows its log."""
    from contextlib import ExitStack

    from socialpulse_dev.local_airflow import Service, Services

    (tmp_path / "logs").mkdir()
    with ExitStack() as cleanup:
        services = Services({**local_airflow.os.environ, "AIRFLOW_HOME": str(tmp_path)}, tmp_path, cleanup)
        services.start(Service("short-lived", ("version",)))  # prints the version and exits 0
        for restart in range(1, Services.RESTARTS + 1):
            services["short-lived"].wait(timeout=120)
            services.supervise()
            assert services.restarts["short-lived"] == restart
            assert f"starting it again ({restart} of {Services.RESTARTS})" in capsys.readouterr().err
        services["short-lived"].wait(timeout=120)
        with pytest.raises(RuntimeError, match=r"exited with 0 after 3 restarts") as error:
            services.supervise()
    version = importlib.metadata.version("apache-airflow")
    log = (tmp_path / "logs" / "short-lived.log").read_text()
    assert log.count(version) == Services.RESTARTS + 1  # one version line per start: restarts append to the log
    assert version in str(error.value)
