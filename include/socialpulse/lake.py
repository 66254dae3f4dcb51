"""The lake's zones and atomic partition writes, on a local disk or an object store.

raw/<platform>/<entity>/ds=YYYY-MM-DD/account_id=<id>/pages.jsonl.gz   exact payload pages
clean/<entity>/ds=YYYY-MM-DD/part-0000.parquet                          typed rows
_staging/...                                                             work in progress

A partition is built under _staging and swapped in whole, so a rerun replaces
it and a failed run leaves the previous one untouched.

Publishing is safe when runs overlap (a backfill and the scheduled run, a manual
rerun): each publish moves its folder in as a new hidden version,
`.ds=<date>@<time>-<id>`, and `ds=<date>` names the current one. Readers resolve
that name once (`current`) and read the version throughout, so they find the old
or the new complete partition, never half of one, and never none.

On a local disk `ds=<date>` is a symbolic link replaced in one atomic rename;
publishers of one partition take a lock on `.ds=<date>.lock` around the swap and
the cleanup, which keeps the current and the previous version (a reader still in
the previous one has a whole publish to finish) and removes older ones.

On an object store (`s3://`, `gs://`, any fsspec protocol; credentials come as
storage options, see `configure_storage`) there are no links, renames or locks:
a version is copied in under its hidden prefix first, then `ds=<date>` is written
as a small pointer object naming it, in one PUT, which the store makes visible
whole. Versions older than the previous one are removed only once they are an
hour old, so a publisher still copying its version in is never cut short.
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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, Union, cast
from urllib.parse import unquote, urlsplit

from socialpulse.connectors.http import strip_secrets
from socialpulse.errors import FatalError
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    import pandas as pd
    from typing_extensions import TypeIs
    from upath import UPath

# A local path, or a universal_pathlib path on an object store (which is not a pathlib.Path).
LakePath = Union[Path, "UPath"]
_P = TypeVar("_P", Path, "UPath")  # one kind of lake path, kept from argument to result

PAGES_FILE = "pages.jsonl.gz"
MANIFEST_FILE = "_manifest.json"
CLEAN_FILE = "part-0000.parquet"
# An object store's versions other than the current and the previous one are removed once this old.
STALE_VERSION_SECONDS = 3600
_STORAGE_OPTIONS: dict[str, dict[str, Any]] = {}


def lake_path(root: str | os.PathLike[str]) -> LakePath:
    """The lake root: a local path for a path or file:// URL, else an object-store path (s3://, gs://, ...)."""
    text = os.fspath(root) if isinstance(root, str | Path) else str(root)
    split = urlsplit(text)
    if split.scheme in ("", "file") or len(split.scheme) == 1:  # a Windows drive letter is no scheme
        return Path(unquote(split.path) if split.scheme == "file" else text)
    from upath import UPath

    path: UPath = UPath(text, **_STORAGE_OPTIONS.get(split.scheme, {}))
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


def configure_storage(protocol: str, options: dict[str, Any]) -> None:
    """Storage options (credentials, endpoint) for every lake path of a protocol this process opens."""
    _STORAGE_OPTIONS[protocol] = dict(options)


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


@dataclass(frozen=True)
class Lake:
    root: LakePath

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> Lake:
        return cls(lake_path(root))

    def raw_partition(self, platform: str, entity: str, ds: str) -> LakePath:
        return self.root / "raw" / platform / entity / f"ds={ds}"

    def raw_partitions(self, platform: str, entity: str) -> list[LakePath]:
        """Every landed raw partition of an entity, oldest date first."""
        return partitions(self.root / "raw" / platform / entity)

    def staging(self, platform: str, entity: str, ds: str, run_id: str) -> LakePath:
        return self.root / "_staging" / platform / entity / f"ds={ds}" / safe_key(run_id)

    def clean_partition(self, entity: str, ds: str) -> LakePath:
        return self.root / "clean" / entity / f"ds={ds}"

    def clean_partitions(self, entity: str, until: str) -> list[LakePath]:
        """Every clean partition of an entity up to a day, oldest first."""
        return [p for p in partitions(self.root / "clean" / entity) if p.name.removeprefix("ds=") <= until]

    def quarantine_partition(self, entity: str, ds: str) -> LakePath:
        return self.root / "quarantine" / entity / f"ds={ds}"

    def restricted_partition(self, entity: str, ds: str) -> LakePath:
        """Data only activation reads (the hashed emails and phones of match_keys): never the dashboard's or a
        report's input, erased like the clean zone."""
        return self.root / "restricted" / entity / f"ds={ds}"

    def reference_partition(self, name: str, ds: str) -> LakePath:
        """Reference data a run used (exchange rates), kept so that a rerun uses the same."""
        return self.root / "reference" / name / f"ds={ds}"

    @property
    def erased_dir(self) -> LakePath:
        """The suppression list: one empty file per erased person, named by the SHA-256 digest of their pseudonym
        (socialpulse.transforms.privacy.erasure_digest), so that it holds no pseudonym; cleaning and the audience
        steps drop these people on every rerun."""
        return self.root / "privacy" / "suppressed"

    @property
    def legacy_erased_dir(self) -> LakePath:
        """Where an older SocialPulse listed erased people by pseudonym itself; migrate_erased() empties it."""
        return self.root / "privacy" / "erased"

    def erased(self) -> frozenset[str]:
        """The digests of every erased person (the legacy list's pseudonyms digested as read)."""
        from socialpulse.transforms.privacy import erasure_digest

        digests = {p.name for p in self.erased_dir.iterdir()} if self.erased_dir.is_dir() else set()
        if self.legacy_erased_dir.is_dir():
            digests |= {erasure_digest(p.name) for p in self.legacy_erased_dir.iterdir()}
        return frozenset(digests)

    def mark_erased(self, digest: str) -> None:
        ensure_dir(self.erased_dir)
        (self.erased_dir / safe_key(digest)).touch()

    def migrate_erased(self) -> int:
        """Move the legacy list's people into the suppression list by digest; how many moved."""
        from socialpulse.transforms.privacy import erasure_digest

        if not self.legacy_erased_dir.is_dir():
            return 0
        moved = 0
        for marker in cast("list[LakePath]", list(self.legacy_erased_dir.iterdir())):
            self.mark_erased(erasure_digest(marker.name))
            marker.unlink()
            moved += 1
        return moved


def sanitize_page(page: object) -> object:
    """The page as received, minus the token Meta echoes into its paging links."""
    paging = page.get("paging") if isinstance(page, dict) else None
    if not isinstance(paging, dict):
        return page
    clean_paging = {
        k: strip_secrets(v) if k in ("next", "previous") and isinstance(v, str) else v for k, v in paging.items()
    }
    return {**cast(JsonObject, page), "paging": clean_paging}  # a dict: its paging is one


def partitions(folder: LakePath) -> list[LakePath]:
    """The `ds=` partitions in a folder, oldest date first; none when the folder is not there."""
    try:
        return sorted(folder.glob("ds=*"), key=lambda p: p.name)
    except FileNotFoundError:
        return []


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


def rewrite_parquet(path: LakePath, frame: pd.DataFrame) -> None:
    """Replace one Parquet file atomically, leaving its partition's other files alone."""
    with replacing(path) as tmp:
        write_parquet(frame, tmp)


def read_clean_partitions(paths: list[LakePath], columns: list[str] | None = None) -> pd.DataFrame:
    """Clean partitions as one frame, oldest first; a column an older partition lacks is null there."""
    import pandas as pd

    frames = []
    for path in paths:
        frame = read_parquet(current(path) / CLEAN_FILE)
        frames.append(frame.reindex(columns=columns) if columns else frame)
    return pd.concat(frames, ignore_index=True)


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


def write_clean_partition(frame: pd.DataFrame, partition: LakePath) -> LakePath:
    """Write a frame as the partition's only Parquet file, swapped in whole."""
    with staged(partition) as staging:
        write_parquet(frame, staging / CLEAN_FILE)
    return current(partition) / CLEAN_FILE
