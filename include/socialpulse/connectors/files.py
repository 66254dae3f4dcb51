"""Reading one file from a local path, a file:// URL or an http(s) URL: for drops and reference tables."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from socialpulse.connectors.http import strip_secrets


class SourceFileMissingError(FileNotFoundError):
    """Nothing at the location (no file, or HTTP 404)."""


def read_location(location: str, session: requests.Session | None = None, timeout: float = 60.0) -> bytes:
    """The exact bytes at a path, file:// URL or http(s) URL."""
    split = urlsplit(location)
    if split.scheme in ("http", "https"):
        response = (session or requests.Session()).get(location, timeout=timeout)
        if response.status_code == 404:
            raise SourceFileMissingError(f"{strip_secrets(location)} (HTTP 404)")
        response.raise_for_status()
        return response.content
    path = Path(unquote(split.path) if split.scheme == "file" else location)
    if not path.is_file():
        raise SourceFileMissingError(str(path))
    return path.read_bytes()
