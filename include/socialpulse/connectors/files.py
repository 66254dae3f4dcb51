"""Reading one file from a local path, a file:// URL or an http(s) URL: CRM drops and reference rates.

Over http(s) the file comes through the same retrying client as the platform APIs:
5xx, 408, 429 and broken or cut-short answers are retried with backoff; a 404 is
"not there (yet)"; any other refusal fails at once.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

import requests

from socialpulse.connectors.http import ApiClient
from socialpulse.errors import FatalError, NotLandedError, RetryableError
from socialpulse.secrets import strip_secrets

RETRYABLE_STATUS = frozenset({408, 429})


class SourceFileMissingError(NotLandedError):
    """Nothing at the location (no file, or HTTP 404)."""


class FileRefusedError(FatalError):
    """An http(s) server refused the file (a 4xx other than 404, 408 and 429): its address or rights are wrong."""


class FileServerBusyError(RetryableError):
    """An http(s) server could not serve the file now (5xx, 408, 429)."""


class FileClient(ApiClient):
    """GETs whole files over http(s), with the shared retries and backoff."""

    platform = "file server"
    send_url_secrets = True  # a signed or token URL works as given; logs and errors show it stripped

    def classify(self, response: requests.Response, body: object) -> Exception:
        where = strip_secrets(response.url)
        if response.status_code == 404:
            return SourceFileMissingError(f"{where} (HTTP 404)")
        busy = response.status_code >= 500 or response.status_code in RETRYABLE_STATUS
        return (FileServerBusyError if busy else FileRefusedError)(f"{where} answered HTTP {response.status_code}")


def read_location(location: str, client: FileClient | None = None) -> bytes:
    """The exact bytes at a path, file:// URL or http(s) URL."""
    with open_location(location, client) as stream:
        return stream.read()


@contextmanager
def open_location(location: str, client: FileClient | None = None) -> Iterator[IO[bytes]]:
    """The bytes at a path or file:// URL as a stream, never held whole; over http(s), the body, fetched whole with
    the client's retries (a cut-short body is fetched again), as a stream of it."""
    split = urlsplit(location)
    if split.scheme in ("http", "https"):
        yield io.BytesIO((client or FileClient()).request_bytes(location))
        return
    path = Path(unquote(split.path) if split.scheme == "file" else location)
    if not path.is_file():
        raise SourceFileMissingError(str(path))
    with path.open("rb") as stream:
        yield stream
