"""Where the lake is: a local folder or an object store (s3://, gs://, ...), and the options to reach it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from typing_extensions import TypeIs
    from upath import UPath

# A local path, or a universal_pathlib path on an object store (which is not a pathlib.Path).
LakePath = Union[Path, "UPath"]


def lake_path(root: str | os.PathLike[str], storage_options: Mapping[str, Any] | None = None) -> LakePath:
    """A local path for a path or file:// URL, else an object-store path (s3://, gs://, ...) reached with the
    storage options (fsspec's: credentials, endpoint)."""
    text = os.fspath(root) if isinstance(root, str | Path) else str(root)
    split = urlsplit(text)
    if split.scheme in ("", "file") or len(split.scheme) == 1:  # a Windows drive letter is no scheme
        return Path(unquote(split.path) if split.scheme == "file" else text)
    from upath import UPath

    path: UPath = UPath(text, **(storage_options or {}))
    if str(path).rstrip("/") != text.rstrip("/"):  # paths travel between tasks as text: it must name them whole
        raise ValueError(
            f"lake root {text!r}: a {split.scheme}:// path does not keep its host in the path; use "
            "a store whose URL names its bucket (s3://, gs://, az://) or a mounted file system"
        )
    return path


def object_store_protocol(root: str) -> str | None:
    """`s3`, `gs`, ... for a lake root on an object store; None for a local path or file:// URL."""
    scheme = urlsplit(root).scheme
    return scheme if len(scheme) > 1 and scheme != "file" else None


def storage_options(protocol: str, login: str | None, password: str | None, extra: dict[str, Any]) -> dict[str, Any]:
    """fsspec storage options from a connection: its extras as they are (endpoint_url, token, ...), and for
    s3 the key pair as login and password."""
    options = dict(extra)
    if login or password:
        if protocol not in ("s3", "s3a"):
            raise ValueError(
                f"a {protocol}:// lake takes its credentials in the connection's extras (fsspec's "
                f"storage options for {protocol}), not as login and password"
            )
        options.update(key=login, secret=password)
    return options


def ensure_dir(path: LakePath) -> None:
    """A local folder and its parents; nothing on an object store, where prefixes need no creating (and s3fs's
    mkdir would probe, or create, the bucket)."""
    if not on_object_store(path):
        path.mkdir(parents=True, exist_ok=True)


def on_object_store(path: object) -> TypeIs[UPath]:
    """True for a path on an object store (a UPath); local paths are pathlib's, or strings."""
    return not isinstance(path, str | Path)


def safe_key(text: str) -> str:
    """A run id or account id made safe for one path segment."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def partitions(folder: LakePath) -> list[LakePath]:
    """The `ds=` partitions in a folder, oldest date first; none when the folder is not there."""
    try:
        return sorted(folder.glob("ds=*"), key=lambda p: p.name)
    except FileNotFoundError:
        return []
