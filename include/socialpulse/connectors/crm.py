"""The first-party CRM drop: users.csv and orders.csv of a day, from a folder or a URL, and its erasure requests.

The source (variable `socialpulse_crm_source`) is a local folder, a file:// URL or
an http(s) URL; a day's drop is `<source>/ds=YYYY-MM-DD/{users,orders}.csv`, and, on a
day someone asked to be forgotten, `erasure_requests.csv` beside them: the suppression
list a CRM exports (docs/privacy.md). These files hold personal data: their errors name
files, columns and counts only (socialpulse.errors), never a cell.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from socialpulse.connectors.files import FileClient, SourceFileMissingError, open_location
from socialpulse.errors import Name, NotLandedError, PersonalDataError
from socialpulse.secrets import strip_secrets

DROP_FILES = ("users.csv", "orders.csv")
ERASURE_FILE = "erasure_requests.csv"
REQUIRED_COLUMNS = {
    "users.csv": ("user_id", "age", "gender", "country", "city", "signup_date"),
    "orders.csv": ("order_id", "user_id", "ordered_at", "amount", "currency", "utm_campaign"),
    ERASURE_FILE: ("user_id",),
}


class CrmDropError(PersonalDataError):
    """The drop is unreadable or lacks required columns: say which and where. No retry changes it."""


class CrmDropMissingError(NotLandedError):
    """The day's drop has not arrived (yet): a retry later may find it."""


COPY_BYTES = 1 << 20  # bytes of a drop's file checked and copied at a time
MAX_HEADER_BYTES = 1 << 20  # a first line longer than this is no header


@contextmanager
def _opened(source: str, relative: str, client: FileClient | None) -> Iterator[IO[bytes]]:
    location = f"{source.rstrip('/')}/{relative}"
    try:
        with open_location(location, client) as stream:
            yield stream
    except SourceFileMissingError as exc:
        raise CrmDropMissingError(
            "no CRM file at {where}: has the day's drop arrived in {source}?",
            where=Name(strip_secrets(str(exc))),
            source=Name(strip_secrets(source)),
        ) from None


def looks_like_data(cell: str) -> bool:
    """Whether a header cell reads like a value (an email, a number, a date) rather than a column name."""
    text = cell.strip()
    return "@" in text or text.replace("-", "").replace(".", "").replace(":", "").isdigit()


def check_header(name: str, payload: bytes, ds: str, source: str) -> None:
    """Refuse a file that is not UTF-8 or lacks a column its cleaning needs, naming only the expected columns
    (checked_copy of the whole file)."""
    checked_copy(io.BytesIO(payload), None, name, ds, source)


def checked_copy(stream: IO[bytes], sink: IO[bytes] | None, name: str, ds: str, source: str) -> None:
    """Copy a file of the drop from stream to sink COPY_BYTES at a time, refusing it when it is not UTF-8 or its
    header lacks a column its cleaning needs; the file is never held whole.

    The header is the first row: when it is missing, that row is a person, so the message
    counts its cells and says whether they look like data, and quotes none of them.
    """
    decoder, copied = codecs.getincrementaldecoder("utf-8")(), 0  # a BOM is UTF-8 too: offsets are the file's
    first: bytes | None = b""  # the first line, until it is checked
    while True:
        chunk = stream.read(COPY_BYTES)
        pending = len(decoder.getstate()[0])  # bytes of a character the last chunk began
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise CrmDropError(
                "{file} of the drop of {ds} in {source} is not UTF-8 text (byte {byte}); export it as "
                "UTF-8, with or without a BOM",
                byte=copied - pending + exc.start,
                **_where(name, ds, source),
            ) from None
        if first is not None:
            first += chunk
            if b"\n" in chunk or not chunk:
                _check_columns(name, first.split(b"\n", 1)[0].decode("utf-8-sig"), ds, source)
                first = None
            elif len(first) > MAX_HEADER_BYTES:
                raise CrmDropError(
                    "{file} of {ds} in {source} has no line end in its first {limit} bytes: export it as CSV with "
                    "one header row and a line end after each row",
                    limit=MAX_HEADER_BYTES,
                    **_where(name, ds, source),
                )
        if not chunk:
            return
        if sink is not None:
            sink.write(chunk)
        copied += len(chunk)


def _where(name: str, ds: str, source: str) -> dict[str, Name]:
    return {"file": Name(name), "ds": Name(ds), "source": Name(strip_secrets(source))}


def _check_columns(name: str, line: str, ds: str, source: str) -> None:
    try:
        header = [c.strip() for c in next(csv.reader(io.StringIO(line)), [])]
    except csv.Error:
        header = []
    missing = [Name(c) for c in REQUIRED_COLUMNS[name] if c not in header]
    if not missing:
        return
    hint = ""
    if len(missing) == len(REQUIRED_COLUMNS[name]):
        data_like = sum(looks_like_data(c) for c in header)
        hint = (
            f"; none of its {len(header)} header cells names a column it needs"
            + (f" and {data_like} of them look like values (an email, a number, a date)" if data_like else "")
            + ": is the header row missing?"
        )
    raise CrmDropError(
        "{file} of {ds} lacks columns {missing}{hint}", missing=missing, hint=Name(hint), **_where(name, ds, source)
    )


def copy_drop_file(source: str, ds: str, name: str, sink: IO[bytes], *, client: FileClient | None = None) -> None:
    """One file of the day's drop into sink as it comes, checked as it is copied (checked_copy)."""
    with _opened(source, f"ds={ds}/{name}", client) as stream:
        checked_copy(stream, sink, name, ds, source)


def fetch_erasure_requests(source: str, ds: str, *, client: FileClient | None = None) -> bytes | None:
    """The exact bytes of the day's erasure requests, header checked; None on a day without any."""
    try:
        with _opened(source, f"ds={ds}/{ERASURE_FILE}", client) as stream:
            payload = stream.read()
    except CrmDropMissingError:
        return None
    check_header(ERASURE_FILE, payload, ds, source)
    return payload
