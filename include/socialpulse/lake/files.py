"""The lake's files: raw payloads as received, reference data, models and reports, each file written whole.

A file is written to a hidden temporary name beside it and moved onto its name: a rename
on a local disk, a copy on an object store, whose PUT shows an object whole or not at all.
A partition of files (raw/<platform>/<entity>/ds=<day>/, reports/<report>/ds=<day>/) is
built in a staging folder and its files are moved in the same way, then the files the new
publish does not have are removed; a failed run leaves the partition as it was. A reader
sees every file whole. While two runs publish one day, it may see files of both: a raw
partition holds one file per account, pulled from the same API for the same day, so both
are that day's payloads. Rows, where a mix would matter, are Delta tables (tables.py).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from socialpulse.errors import FatalError
from socialpulse.lake.storage import LakePath, ensure_dir, on_object_store
from socialpulse.secrets import strip_secrets
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    from upath import UPath

PAGES_FILE = "pages.jsonl.gz"
MANIFEST_FILE = "_manifest.json"
# The gzip tool's default, not Python's 9: on a CRM orders.csv, a third of level 9's time for 2% more bytes.
RAW_GZIP_LEVEL = 6


def sanitize_page(page: object) -> object:
    """The page as received, minus the token Meta echoes into its paging links."""
    paging = page.get("paging") if isinstance(page, dict) else None
    if not isinstance(paging, dict):
        return page
    clean_paging = {
        k: strip_secrets(v) if k in ("next", "previous") and isinstance(v, str) else v for k, v in paging.items()
    }
    return {**cast(JsonObject, page), "paging": clean_paging}  # a dict: its paging is one


@contextmanager
def replacing(path: LakePath) -> Iterator[LakePath]:
    """A hidden temporary path beside `path`, moved onto it when the block succeeds and removed when it fails.

    On an object store the move is a copy: the object appears whole or not at all either way.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        if on_object_store(path):
            cast("UPath", tmp).fs.mv(cast("UPath", tmp).path, path.path)  # beside `path`, so on its store
        else:
            os.replace(cast(Path, tmp), path)
    except BaseException:
        with suppress(OSError):  # the first error is the one to see
            remove_tree(tmp)
        raise


@contextmanager
def local_file_to_write(path: LakePath) -> Iterator[Path]:
    """A file on this machine for a library that writes only to local paths (Keras), put at `path` whole.

    It keeps the suffix (Keras checks it); locally it is a hidden file beside the target, renamed onto it.
    """
    if not on_object_store(path):
        local = path.with_name(f".{path.stem}.{uuid.uuid4().hex}{path.suffix}")
        try:
            yield local
            os.replace(local, path)
        finally:
            local.unlink(missing_ok=True)
        return
    with tempfile.TemporaryDirectory(prefix="socialpulse-") as folder:
        local = Path(folder) / path.name
        yield local
        path.fs.put_file(str(local), path.path)


@contextmanager
def local_file_to_read(path: LakePath) -> Iterator[Path]:
    """The file on this machine, for a library that reads only local paths: itself, or a temporary download."""
    if not on_object_store(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="socialpulse-") as folder:
        local = Path(folder) / path.name
        path.fs.get_file(path.path, str(local))
        yield local


def remove_tree(path: LakePath) -> None:
    """Delete a file or a folder with everything in it; nothing when it is not there."""
    if on_object_store(path):
        if path.fs.exists(path.path):
            path.fs.rm(path.path, recursive=True)
    elif path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _write_json_atomic(path: LakePath, payload: JsonObject) -> None:
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True))


def write_raw_pages(directory: LakePath, pages: Iterable[object], manifest: JsonObject) -> JsonObject:
    """Stream pages into directory/pages.jsonl.gz, one page per line, then write the manifest.

    Returns the manifest with the page, row and byte counts added.
    """
    ensure_dir(directory)
    target = directory / PAGES_FILE
    page_count = row_count = 0
    with replacing(target) as tmp, tmp.open("wb") as raw, gzip.open(raw, "wt", RAW_GZIP_LEVEL, "utf-8") as handle:
        for page in pages:
            data = page.get("data") if isinstance(page, dict) else None
            row_count += len(data) if isinstance(data, list) else 0
            page_count += 1
            handle.write(json.dumps(sanitize_page(page), separators=(",", ":")) + "\n")
    manifest = {**manifest, "pages": page_count, "rows": row_count, "bytes": target.stat().st_size}
    _write_json_atomic(directory / MANIFEST_FILE, manifest)
    return manifest


def write_raw_file(directory: LakePath, name: str, payload: bytes, manifest: JsonObject) -> JsonObject:
    """Store a file exactly as received, gzipped as <name>.gz, then its manifest; returns the manifest."""
    return write_raw_stream(directory, name, lambda sink: sink.write(payload), manifest)


def write_raw_stream(
    directory: LakePath, name: str, fill: Callable[[IO[bytes]], object], manifest: JsonObject
) -> JsonObject:
    """write_raw_file of a file `fill(sink)` writes as it comes: never held whole. Returns the manifest, with the
    file's bytes and rows (its lines after the header)."""
    ensure_dir(directory)
    with (
        replacing(directory / f"{name}.gz") as tmp,
        tmp.open("wb") as stored,
        gzip.open(stored, "wb", RAW_GZIP_LEVEL) as packed,
    ):
        counted = _Counted(cast(IO[bytes], packed))
        fill(cast(IO[bytes], counted))
    manifest = {**manifest, "file": f"{name}.gz", "bytes": counted.bytes, "rows": max(0, counted.lines - 1)}
    _write_json_atomic(directory / MANIFEST_FILE, manifest)
    return manifest


class _Counted(io.RawIOBase):
    """A writable stream passing bytes on, counting them and their line ends."""

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink, self.bytes, self.lines = sink, 0, 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = bytes(data)
        self.sink.write(view)
        self.bytes += len(view)
        self.lines += view.count(b"\n")
        return len(view)


def read_raw_file(directory: LakePath, name: str) -> bytes:
    return gzip.decompress((directory / f"{name}.gz").read_bytes())


@contextmanager
def open_raw_file(directory: LakePath, name: str) -> Iterator[IO[bytes]]:
    """A stored file as a stream of its bytes as received, for a reader that never holds it whole."""
    with (directory / f"{name}.gz").open("rb") as stored, gzip.open(stored, "rb") as stream:
        yield cast(IO[bytes], stream)


def files_under(folder: LakePath) -> list[str]:
    """The files under a folder, as paths relative to it; none when it is not there."""
    if on_object_store(folder):
        base = folder.path.rstrip("/") + "/"
        return sorted(p.removeprefix(base) for p in folder.fs.find(base)) if folder.fs.isdir(base) else []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def partition_exists(partition: LakePath) -> bool:
    return bool(partition.fs.isdir(partition.path)) if on_object_store(partition) else partition.is_dir()


def publish_partition(staging: LakePath, final: LakePath) -> None:
    """Move a fully written staging folder's files into the partition, each whole, then remove the partition's
    files the staging folder did not have, then the staging folder."""
    new = files_under(staging)
    if not new:
        raise FileNotFoundError(f"nothing staged at {staging}: did the extract tasks run for this run?")
    for name in new:
        source, target = staging / name, final / name
        if on_object_store(target):
            target.fs.mv(cast("UPath", source).path, target.path)  # staged on the partition's store
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(cast(Path, source), target)
    for name in set(files_under(final)) - set(new):
        with suppress(FileNotFoundError):  # another publish of the day removed it too
            (final / name).unlink()
    if not on_object_store(final):  # folders the removed files leave empty (a store has no folders)
        for folder in sorted((p for p in final.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            with suppress(OSError):  # not empty, or removed by another publish
                folder.rmdir()
    remove_tree(staging)


@contextmanager
def staged(partition: LakePath) -> Iterator[LakePath]:
    """A staging folder beside the partition: published when the block ends, removed if it fails."""
    staging = partition.with_name(f".{partition.name}.{uuid.uuid4().hex}.tmp")
    ensure_dir(staging)
    try:
        yield staging
    except BaseException:
        with suppress(OSError):
            remove_tree(staging)
        raise
    publish_partition(staging, partition)


def write_manifest(directory: LakePath, manifest: JsonObject) -> None:
    _write_json_atomic(directory / MANIFEST_FILE, manifest)


def read_manifest(directory: LakePath) -> JsonObject:
    path = directory / MANIFEST_FILE
    if on_object_store(path):  # one GET: an object replaced meanwhile is read whole, old or new
        return cast(JsonObject, json.loads(path.fs.cat_file(path.path)))
    return cast(JsonObject, json.loads(path.read_text()))


class RawPayloadError(FatalError):
    """A landed raw file cannot be read: it names the file, which stays where it is, and what to do."""


def read_raw_pages(partition: LakePath) -> Iterator[tuple[JsonObject, JsonObject]]:
    """(account manifest, page) for every page of a landed raw partition, streamed line by line."""
    for account_dir in sorted((p for p in partition.iterdir() if p.is_dir()), key=lambda p: p.name):
        manifest = read_manifest(account_dir)
        path = account_dir / PAGES_FILE
        lines = 0
        fix = "it is kept as it arrived: rerun the extract and land tasks of this date to pull it again"
        try:
            with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
                for line in handle:
                    lines += 1
                    yield manifest, json.loads(line)
        except (gzip.BadGzipFile, zlib.error, EOFError, UnicodeDecodeError) as exc:  # not the network's errors
            raise RawPayloadError(f"{path} is truncated or corrupt after {lines} lines ({exc}); {fix}") from exc
        except ValueError as exc:
            raise RawPayloadError(f"{path} line {lines} is not valid JSON ({exc}); {fix}") from exc
