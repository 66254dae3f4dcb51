"""The lake's zones and atomic partition writes.

raw/<platform>/<entity>/ds=YYYY-MM-DD/account_id=<id>/pages.jsonl.gz   exact payload pages
clean/<entity>/ds=YYYY-MM-DD/part-0000.parquet                          typed rows
_staging/...                                                             work in progress

A partition is built under _staging and swapped in whole, so a rerun replaces
it and a failed run leaves the previous one untouched.

Publishing is safe when runs overlap (a backfill and the scheduled run, a manual
rerun): each publish moves its folder in as a new hidden version,
`.ds=<date>@<time>-<id>`, and `ds=<date>` is a symbolic link to the current one,
replaced in one atomic rename. A reader always finds the old or the new complete
partition, never none. Publishers of one partition take a lock on
`.ds=<date>.lock` around the swap and the cleanup, which keeps the current and the
previous version (a reader still in the previous one has a whole publish to finish)
and removes older ones. On object storage the same protocol holds with the link
replaced by a small pointer object written in one PUT.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from socialpulse.connectors.http import strip_secrets

if TYPE_CHECKING:
    import pandas as pd

PAGES_FILE = "pages.jsonl.gz"
MANIFEST_FILE = "_manifest.json"
CLEAN_FILE = "part-0000.parquet"


def lake_path(root: str | os.PathLike) -> Path:
    """The lake root as a local path; accepts a path or a file:// URL."""
    text = os.fspath(root)
    split = urlsplit(text)
    if split.scheme in ("", "file") or len(split.scheme) == 1:  # a Windows drive letter is no scheme
        return Path(unquote(split.path) if split.scheme == "file" else text)
    raise ValueError(f"lake root {text!r}: only local paths and file:// URLs are supported")


def safe_key(text: str) -> str:
    """A run id or account id made safe for one path segment."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


@dataclass(frozen=True)
class Lake:
    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike) -> Lake:
        return cls(lake_path(root))

    def raw_partition(self, platform: str, entity: str, ds: str) -> Path:
        return self.root / "raw" / platform / entity / f"ds={ds}"

    def raw_partitions(self, platform: str, entity: str) -> list[Path]:
        """Every landed raw partition of an entity, oldest date first."""
        return sorted((self.root / "raw" / platform / entity).glob("ds=*"))

    def staging(self, platform: str, entity: str, ds: str, run_id: str) -> Path:
        return self.root / "_staging" / platform / entity / f"ds={ds}" / safe_key(run_id)

    def clean_partition(self, entity: str, ds: str) -> Path:
        return self.root / "clean" / entity / f"ds={ds}"

    def clean_partitions(self, entity: str, until: str) -> list[Path]:
        """Every clean partition of an entity up to a day, oldest first."""
        return [p for p in sorted((self.root / "clean" / entity).glob("ds=*")) if p.name.removeprefix("ds=") <= until]

    def quarantine_partition(self, entity: str, ds: str) -> Path:
        return self.root / "quarantine" / entity / f"ds={ds}"

    def reference_partition(self, name: str, ds: str) -> Path:
        """Reference data a run used (exchange rates), kept so that a rerun uses the same."""
        return self.root / "reference" / name / f"ds={ds}"

    @property
    def erased_dir(self) -> Path:
        """One empty file per erased person, named by pseudonym: cleaning drops them on every rerun."""
        return self.root / "privacy" / "erased"

    def erased(self) -> frozenset[str]:
        return frozenset(p.name for p in self.erased_dir.iterdir()) if self.erased_dir.is_dir() else frozenset()

    def mark_erased(self, pseudonym: str) -> None:
        self.erased_dir.mkdir(parents=True, exist_ok=True)
        (self.erased_dir / safe_key(pseudonym)).touch()


def sanitize_page(page: object) -> object:
    """The page as received, minus the token Meta echoes into its paging links."""
    paging = page.get("paging") if isinstance(page, dict) else None
    if not isinstance(paging, dict):
        return page
    clean_paging = {k: strip_secrets(v) if k in ("next", "previous") and isinstance(v, str) else v
                    for k, v in paging.items()}
    return {**page, "paging": clean_paging}


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A hidden temporary path beside `path`, moved onto it when the block succeeds and removed when it fails."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def _write_json_atomic(path: Path, payload: dict) -> None:
    with replacing(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True))


def write_raw_pages(directory: Path, pages: Iterable[object], manifest: dict) -> dict:
    """Stream pages into directory/pages.jsonl.gz, one page per line, then write the manifest.

    Returns the manifest with the page, row and byte counts added.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / PAGES_FILE
    page_count = row_count = 0
    with replacing(target) as tmp, gzip.open(tmp, "wt", encoding="utf-8") as handle:
        for page in pages:
            data = page.get("data") if isinstance(page, dict) else None
            row_count += len(data) if isinstance(data, list) else 0
            page_count += 1
            handle.write(json.dumps(sanitize_page(page), separators=(",", ":")) + "\n")
    manifest = {**manifest, "pages": page_count, "rows": row_count, "bytes": target.stat().st_size}
    _write_json_atomic(directory / MANIFEST_FILE, manifest)
    return manifest


def write_raw_file(directory: Path, name: str, payload: bytes, manifest: dict) -> dict:
    """Store a file exactly as received, gzipped as <name>.gz, then its manifest; returns the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    with replacing(directory / f"{name}.gz") as tmp, gzip.open(tmp, "wb") as handle:
        handle.write(payload)
    manifest = {**manifest, "file": f"{name}.gz", "bytes": len(payload),
                "rows": max(0, payload.count(b"\n") - 1)}
    _write_json_atomic(directory / MANIFEST_FILE, manifest)
    return manifest


def read_raw_file(directory: Path, name: str) -> bytes:
    with gzip.open(directory / f"{name}.gz", "rb") as handle:
        return handle.read()


KEPT_VERSIONS = 2  # the current one and the one it replaced


def partition_versions(final: Path) -> list[Path]:
    """The partition's version folders, oldest first (their names start with the time they were published)."""
    return sorted(final.parent.glob(f".{final.name}@*"))


@contextmanager
def partition_lock(final: Path) -> Iterator[None]:
    """Exclusive among the publishers of one partition, across processes."""
    final.parent.mkdir(parents=True, exist_ok=True)
    with (final.parent / f".{final.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish_partition(staging: Path, final: Path) -> None:
    """Make a fully written staging folder the partition, replacing any previous one atomically."""
    if not staging.is_dir():
        raise FileNotFoundError(f"nothing staged at {staging}: did the extract tasks run for this run?")
    with partition_lock(final):
        previous = final.with_name(os.readlink(final)) if final.is_symlink() else None
        version = final.with_name(f".{final.name}@{time.time_ns():020d}-{uuid.uuid4().hex[:8]}")
        os.rename(staging, version)
        if final.exists() and not final.is_symlink():  # written before versions: becomes the previous one, once
            previous = final.with_name(f".{final.name}@{0:020d}-unversioned")
            os.rename(final, previous)
        link = final.with_name(f".{final.name}.link-{uuid.uuid4().hex}")
        os.symlink(version.name, link)
        os.replace(link, final)
        for old in partition_versions(final):  # kept: the new one and the one it replaced, whatever the clocks say
            if old not in (version, previous):
                shutil.rmtree(old, ignore_errors=True)


def remove_partition(final: Path) -> None:
    """Delete a partition: its link (or folder, if written before versions), every version and leftover.

    The lock file stays (a few bytes): removing it while another publisher waits on it would let two in.
    """
    with partition_lock(final):
        if final.is_symlink():
            final.unlink()
        elif final.exists():
            shutil.rmtree(final)
        leftovers = [*final.parent.glob(f".{final.name}@*"), *final.parent.glob(f".{final.name}.*.tmp"),
                     *final.parent.glob(f".{final.name}.link-*")]
        for leftover in leftovers:
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


def write_manifest(directory: Path, manifest: dict) -> None:
    _write_json_atomic(directory / MANIFEST_FILE, manifest)


def read_manifest(directory: Path) -> dict:
    """The manifest of a folder or partition; a partition replaced while it was read is read again, as it is now."""
    for _ in range(KEPT_VERSIONS + 3):
        try:
            return json.loads((directory / MANIFEST_FILE).read_text())
        except FileNotFoundError:
            if not directory.is_symlink():
                raise
    return json.loads((directory / MANIFEST_FILE).read_text())


class RawPayloadError(ValueError):
    """A landed raw file cannot be read: it names the file, which stays where it is, and what to do."""


def read_raw_pages(partition: Path) -> Iterator[tuple[dict, dict]]:
    """(account manifest, page) for every page of a landed raw partition."""
    for account_dir in sorted(p for p in partition.iterdir() if p.is_dir()):
        manifest = read_manifest(account_dir)
        path = account_dir / PAGES_FILE
        lines = 0
        fix = "it is kept as it arrived: rerun the extract and land tasks of this date to pull it again"
        try:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                for line in handle:
                    lines += 1
                    yield manifest, json.loads(line)
        except FileNotFoundError:
            raise  # the partition was replaced while read: a retry reads the new one
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise RawPayloadError(f"{path} is truncated or corrupt after {lines} lines ({exc}); {fix}") from exc
        except ValueError as exc:
            raise RawPayloadError(f"{path} line {lines} is not valid JSON ({exc}); {fix}") from exc


def rewrite_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Replace one Parquet file atomically, leaving its partition's other files alone."""
    with replacing(path) as tmp:
        frame.to_parquet(tmp, index=False)


def read_clean_partitions(paths: list[Path], columns: list[str] | None = None) -> pd.DataFrame:
    """Clean partitions as one frame, oldest first; a column an older partition lacks is null there."""
    import pandas as pd

    frames = []
    for path in paths:
        frame = pd.read_parquet(path.resolve() / CLEAN_FILE)
        frames.append(frame.reindex(columns=columns) if columns else frame)
    return pd.concat(frames, ignore_index=True)


@contextmanager
def staged(partition: Path) -> Iterator[Path]:
    """A staging folder beside the partition: published whole when the block ends, removed if it fails."""
    staging = partition.with_name(f".{partition.name}.{uuid.uuid4().hex}.tmp")
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish_partition(staging, partition)


def write_clean_partition(frame: pd.DataFrame, partition: Path) -> Path:
    """Write a frame as the partition's only Parquet file, swapped in whole."""
    with staged(partition) as staging:
        frame.to_parquet(staging / CLEAN_FILE, index=False)
    return partition.resolve() / CLEAN_FILE  # this run's version, even if another run publishes after it
