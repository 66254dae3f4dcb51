"""The lake's files: raw payloads as received, reference data, models and reports, each published whole.

A partition of files is built under a staging folder and swapped in whole, so a
rerun replaces it and a failed run leaves the previous one untouched. Publishing
is safe when runs overlap (a backfill and the scheduled run, a manual rerun): each
publish moves its folder in as a new hidden version, `.ds=<date>@<time>-<id>`, and
`ds=<date>` names the current one. Readers resolve that name once (`current`) and
read the version throughout.

On a local disk `ds=<date>` is a symbolic link replaced in one atomic rename;
publishers of one partition take a lock on `.ds=<date>.lock` around the swap and
the cleanup, which keeps the current and the previous version. On an object store
a version is copied in under its hidden prefix first, then `ds=<date>` is written
as a small pointer object naming it, in one PUT; versions older than the previous
one are removed once they are an hour old.

Rows (the clean, features, quarantine and restricted zones) are Delta tables: tables.py.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import shutil
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from socialpulse.connectors.http import strip_secrets
from socialpulse.errors import FatalError
from socialpulse.lake.storage import LakePath, ensure_dir, on_object_store
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    import pandas as pd
    from upath import UPath

_P = TypeVar("_P", Path, "UPath")  # one kind of lake path, kept from argument to result

PAGES_FILE = "pages.jsonl.gz"
MANIFEST_FILE = "_manifest.json"
# An object store's versions other than the current and the previous one are removed once this old.
STALE_VERSION_SECONDS = 3600


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
    with replacing(target) as tmp, tmp.open("wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as handle:
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
    ensure_dir(directory)
    with replacing(directory / f"{name}.gz") as tmp:
        tmp.write_bytes(gzip.compress(payload))
    manifest = {**manifest, "file": f"{name}.gz", "bytes": len(payload), "rows": max(0, payload.count(b"\n") - 1)}
    _write_json_atomic(directory / MANIFEST_FILE, manifest)
    return manifest


def read_raw_file(directory: LakePath, name: str) -> bytes:
    return gzip.decompress((current(directory) / f"{name}.gz").read_bytes())


KEPT_VERSIONS = 2  # the current one and the one it replaced


def partition_versions(final: LakePath) -> list[LakePath]:
    """The partition's version folders, oldest first (their names start with the time they were published)."""
    try:
        return sorted(final.parent.glob(f".{final.name}@*"), key=lambda p: p.name)
    except FileNotFoundError:
        return []


def _new_version(final: _P) -> _P:
    return final.with_name(f".{final.name}@{time.time_ns():020d}-{uuid.uuid4().hex[:8]}")


def _version_age_seconds(version: LakePath) -> float:
    stamp = version.name.split("@", 1)[1].split("-", 1)[0]
    return (time.time_ns() - int(stamp)) / 1e9


@contextmanager
def partition_lock(final: LakePath) -> Iterator[None]:
    """Exclusive among the publishers of one local partition, across processes; none on an object store."""
    if on_object_store(final):
        yield
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    with (final.parent / f".{final.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current(partition: LakePath) -> LakePath:
    """The version a partition names now (a version folder or any other path: itself); read it throughout."""
    if on_object_store(partition):
        if names_a_version(partition):  # one GET: a pointer replaced meanwhile is read whole, old or new
            return partition.with_name(json.loads(partition.fs.cat_file(partition.path))["version"])
        return partition
    return partition.resolve()


def names_a_version(path: LakePath) -> bool:
    """A partition's link (local) or pointer object (object store)."""
    if on_object_store(path):
        return path.name.startswith("ds=") and path.fs.isfile(path.path)
    return path.is_symlink()


def partition_exists(partition: LakePath) -> bool:
    if on_object_store(partition):
        return cast(bool, partition.fs.isfile(partition.path))
    return partition.is_dir()


def publish_partition(staging: LakePath, final: LakePath) -> None:
    """Make a fully written staging folder the partition, replacing any previous one atomically."""
    if not staging.is_dir():
        raise FileNotFoundError(f"nothing staged at {staging}: did the extract tasks run for this run?")
    if on_object_store(final):
        _publish_on_object_store(cast("UPath", staging), final)  # staged on the partition's store
        return
    with partition_lock(final):
        previous = final.with_name(os.readlink(final)) if final.is_symlink() else None
        version = _new_version(final)
        os.rename(cast(Path, staging), version)  # staged on the partition's local disk
        if final.exists() and not final.is_symlink():  # written before versions: becomes the previous one, once
            previous = final.with_name(f".{final.name}@{0:020d}-unversioned")
            os.rename(final, previous)
        link = final.with_name(f".{final.name}.link-{uuid.uuid4().hex}")
        os.symlink(version.name, link)
        os.replace(link, final)
        for old in partition_versions(final):  # kept: the new one and the one it replaced, whatever the clocks say
            if old not in (version, previous):
                shutil.rmtree(cast(Path, old), ignore_errors=True)  # a local partition's versions are local


def _publish_on_object_store(staging: UPath, final: UPath) -> None:
    """Copy the staging prefix in as a new version, then point the partition at it in one PUT."""
    fs = final.fs
    previous = current(final) if partition_exists(final) else None
    version = staging if staging.name.startswith(f".{final.name}@") else _new_version(final)
    if version is not staging:
        fs.copy(staging.path.rstrip("/") + "/", version.path.rstrip("/") + "/", recursive=True)
    final.write_text(json.dumps({"version": version.name}))
    if version is not staging:  # only now: a land task that failed before the pointer can be retried
        fs.rm(staging.path, recursive=True)
    _remove_stale_versions(final, {version.name, previous.name if previous else ""})


def _remove_stale_versions(final: LakePath, keep: set[str]) -> None:
    """Versions an hour old that neither `keep` nor the pointer (read again now) names: no publisher is in them."""
    named = current(final).name if partition_exists(final) else ""
    for old in partition_versions(final):
        if old.name not in keep | {named} and _version_age_seconds(old) > STALE_VERSION_SECONDS:
            remove_tree(old)


def remove_partition(final: LakePath) -> None:
    """Delete a partition: its link or pointer (or folder, if written before versions), its versions and leftovers.

    A local lock file stays (a few bytes): removing it while another publisher waits on it would let two in. On
    an object store a version younger than the hour that the pointer did not name may be a publisher's still
    writing: it stays for a later removal (retention or the next publish).
    """
    if on_object_store(final):  # no lock: a version younger than the hour may be another publisher's, kept
        named = current(final).name if partition_exists(final) else ""
        final.unlink(missing_ok=True)
        for version in partition_versions(final):
            if version.name == named or _version_age_seconds(version) > STALE_VERSION_SECONDS:
                remove_tree(version)
        return
    with partition_lock(final):
        if final.is_symlink():
            final.unlink()
        elif final.exists():
            shutil.rmtree(final)
        leftovers = [
            *final.parent.glob(f".{final.name}@*"),
            *final.parent.glob(f".{final.name}.*.tmp"),
            *final.parent.glob(f".{final.name}.link-*"),
        ]
        for leftover in leftovers:
            remove_tree(leftover)


def write_manifest(directory: LakePath, manifest: JsonObject) -> None:
    _write_json_atomic(directory / MANIFEST_FILE, manifest)


def read_manifest(directory: LakePath) -> JsonObject:
    """The manifest of a folder or partition; a partition replaced while it was read is read again, as it is now."""
    for _ in range(KEPT_VERSIONS + 3):
        try:
            return cast(JsonObject, json.loads((current(directory) / MANIFEST_FILE).read_text()))
        except FileNotFoundError:
            if not names_a_version(directory):
                raise
    return cast(JsonObject, json.loads((current(directory) / MANIFEST_FILE).read_text()))


class RawPayloadError(FatalError):
    """A landed raw file cannot be read: it names the file, which stays where it is, and what to do."""


def read_raw_pages(partition: LakePath) -> Iterator[tuple[JsonObject, JsonObject]]:
    """(account manifest, page) for every page of a landed raw partition, streamed line by line."""
    version = current(partition)
    for account_dir in sorted((p for p in version.iterdir() if p.is_dir()), key=lambda p: p.name):
        manifest = read_manifest(account_dir)
        path = account_dir / PAGES_FILE
        lines = 0
        fix = "it is kept as it arrived: rerun the extract and land tasks of this date to pull it again"
        try:
            with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
                for line in handle:
                    lines += 1
                    yield manifest, json.loads(line)
        except FileNotFoundError:
            raise  # the partition was replaced while read: a retry reads the new one
        except (gzip.BadGzipFile, zlib.error, EOFError, UnicodeDecodeError) as exc:  # not the network's errors
            raise RawPayloadError(f"{path} is truncated or corrupt after {lines} lines ({exc}); {fix}") from exc
        except ValueError as exc:
            raise RawPayloadError(f"{path} line {lines} is not valid JSON ({exc}); {fix}") from exc


def _arrow_filesystem(path: LakePath) -> tuple[Any, str]:
    """pyarrow's view of where a path lives: its own local file system, or the object store through fsspec."""
    if on_object_store(path):
        from pyarrow.fs import FSSpecHandler, PyFileSystem

        return PyFileSystem(FSSpecHandler(path.fs)), path.path
    return None, os.fspath(path)


def read_parquet(path: LakePath, columns: list[str] | None = None) -> pd.DataFrame:
    """One Parquet file (or a partition's current version's) through pyarrow's file system layer."""
    import pandas as pd

    filesystem, where = _arrow_filesystem(path)
    return pd.read_parquet(where, columns=columns, filesystem=filesystem)


def write_parquet(frame: pd.DataFrame, path: LakePath) -> None:
    filesystem, where = _arrow_filesystem(path)
    frame.to_parquet(where, index=False, filesystem=filesystem)


@contextmanager
def staged(partition: LakePath) -> Iterator[LakePath]:
    """A staging folder beside the partition: published whole when the block ends, removed if it fails.

    On an object store it is the new version's own prefix, which nothing reads before the pointer names it.
    """
    if on_object_store(partition):
        staging: LakePath = _new_version(partition)
    else:
        staging = partition.with_name(f".{partition.name}.{uuid.uuid4().hex}.tmp")
        staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        with suppress(OSError):
            remove_tree(staging)
        raise
    publish_partition(staging, partition)
