"""The first-party CRM drop: users.csv and orders.csv of a day, from a folder or a URL.

The source (variable `socialpulse_crm_source`) is a local folder, a file:// URL or
an http(s) URL; a day's drop is `<source>/ds=YYYY-MM-DD/{users,orders}.csv`.
"""

from __future__ import annotations

import csv
import io

from socialpulse.connectors.files import FileClient, SourceFileMissingError, read_location
from socialpulse.connectors.http import strip_secrets

DROP_FILES = ("users.csv", "orders.csv")
REQUIRED_COLUMNS = {
    "users.csv": ("user_id", "age", "gender", "country", "city", "signup_date"),
    "orders.csv": ("order_id", "user_id", "ordered_at", "amount", "currency", "utm_campaign"),
}


class CrmDropError(Exception):
    """The drop is unreadable or lacks required columns: say which and where. No retry changes it."""

    retryable = False


class CrmDropMissingError(CrmDropError):
    """The day's drop has not arrived (yet): a retry later may find it."""

    retryable = True


def _read(source: str, relative: str, client: FileClient | None) -> bytes:
    location = f"{source.rstrip('/')}/{relative}"
    try:
        return read_location(location, client)
    except SourceFileMissingError as exc:
        raise CrmDropMissingError(f"no CRM file at {exc}: has the day's drop arrived in {strip_secrets(source)}?") \
            from exc


def fetch_drop(source: str, ds: str, *, client: FileClient | None = None) -> dict[str, bytes]:
    """{file name: exact bytes} of the day's drop, after checking each file's header."""
    drop = {name: _read(source, f"ds={ds}/{name}", client) for name in DROP_FILES}
    for name, payload in drop.items():
        try:
            text = payload.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CrmDropError(f"{name} of the drop of {ds} in {strip_secrets(source)} is not UTF-8 text (byte "
                               f"{exc.start}: {exc.reason}); export it as UTF-8, with or without a BOM") from exc
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
        missing = [c for c in REQUIRED_COLUMNS[name] if c not in header]
        if missing:
            raise CrmDropError(f"{name} of {ds} lacks columns {missing}; its header is {header}")
    return drop
