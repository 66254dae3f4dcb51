"""Files over http(s) come through the same retrying client as the platform APIs."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from socialpulse.connectors.files import FileClient, FileRefusedError, SourceFileMissingError, read_location
from socialpulse.connectors.http import Backoff
from socialpulse.errors import RetriesExhaustedError
from tests.fakes import RecordedTime


@pytest.fixture
def file_server() -> Iterator:
    """A server answering each path with the statuses queued for it, then 200 with the body."""
    answers: dict[str, list[int]] = {}
    calls: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            calls.append(self.path)
            queued = answers.get(self.path, [])
            status = queued.pop(0) if queued else 200
            body = b"a,b\n1,2\n" if status == 200 else b"no"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", answers, calls
    server.shutdown()
    server.server_close()


def client(attempts: int = 4) -> tuple[FileClient, list[float]]:
    time = RecordedTime()
    return FileClient(backoff=Backoff(attempts=attempts), sleep=time.sleep), time.sleeps


def test_5xx_and_429_are_retried_with_backoff(file_server):
    url, answers, calls = file_server
    answers["/f.csv"] = [503, 429]
    files, sleeps = client()
    assert read_location(f"{url}/f.csv", files) == b"a,b\n1,2\n"
    assert calls == ["/f.csv"] * 3 and sleeps == [1.0, 2.0]


def test_404_is_missing_and_403_fails_at_once(file_server):
    url, answers, calls = file_server
    answers["/gone.csv"], answers["/secret.csv"] = [404], [403]
    files, sleeps = client()
    with pytest.raises(SourceFileMissingError, match="HTTP 404"):
        read_location(f"{url}/gone.csv", files)
    with pytest.raises(FileRefusedError, match="HTTP 403"):
        read_location(f"{url}/secret.csv", files)
    assert len(calls) == 2 and sleeps == []


def test_gives_up_after_its_attempts(file_server):
    url, answers, _ = file_server
    answers["/down.csv"] = [500] * 5
    files, _ = client(attempts=3)
    with pytest.raises(RetriesExhaustedError, match="HTTP 500"):
        read_location(f"{url}/down.csv", files)


def test_a_token_in_the_url_is_sent_but_never_shown(file_server):
    url, answers, calls = file_server
    answers["/signed.csv?access_token=s3cr3t"] = [500] * 5
    files, _ = client(attempts=2)
    with pytest.raises(RetriesExhaustedError) as caught:
        read_location(f"{url}/signed.csv?access_token=s3cr3t", files)
    assert calls == ["/signed.csv?access_token=s3cr3t"] * 2  # the file server got what it needs
    assert "s3cr3t" not in str(caught.value) and "/signed.csv" in str(caught.value)
    with pytest.raises(RetriesExhaustedError) as caught:
        read_location("http://user:pa55@127.0.0.1:9/x.csv", client(attempts=1)[0])
    assert "pa55" not in str(caught.value)
