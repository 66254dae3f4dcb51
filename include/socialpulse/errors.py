"""The library's errors: a message built only from parts that are safe to show, bounded, and whether to retry.

A message goes to the task log, the `failure` XCom, the failure e-mail and the run's summary,
so it must never carry a value read from a personal-data source (a CRM drop, an engagement
payload) nor grow with its input. An error names columns, positions, counts, files and the
names this code declares; a value it is about is described (`text of 12 characters`), never
quoted. `SocialPulseError(template, **facts)` enforces that: every fact must be a number, a
day, or a `Name` (a name the code or a user's configuration gives); any other text is
replaced by its description. `withholding_values` turns any other exception raised while
reading personal data into one that names its type and place, never its message, which a
parser may have filled with the input.

Whether to retry is said here too, once: every error the library raises on purpose is a
`RetryableError` (a later try may succeed: throttled, a server's 5xx, a file or a day not
there yet) or a `FatalError` (no retry changes it: a person must fix a token, a connection,
a file or a declaration first), as the Singer SDK splits its API errors. A family of errors
(one platform's answers) sits directly under `SocialPulseError` and each of its members
picks one of the two. The Airflow side reads only the `retryable` attribute.
"""

from __future__ import annotations

import difflib
import traceback
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

MAX_MESSAGE_CHARS = 600  # a message longer than this is cut, keeping its start: the location comes first


class Name(str):
    """Text this code or a user's configuration gives (a column, a file, a setting, a metric): safe to show."""

    __slots__ = ()


def describe(value: object) -> Name:
    """What a value is, without what it says: its kind and size."""
    if value is None:
        return Name("nothing")
    if isinstance(value, bool):
        return Name("true/false")
    if isinstance(value, int | float):
        return Name("a number")
    if isinstance(value, str | bytes):
        return Name(f"{'text' if isinstance(value, str) else 'bytes'} of {len(value):,} characters")
    if isinstance(value, date):
        return Name("a date")
    if isinstance(value, Mapping):
        return Name(f"a mapping of {len(value):,} keys")
    if isinstance(value, list | tuple | set | frozenset):
        return Name(f"a list of {len(value):,} items")
    return Name(f"a {type(value).__name__}")


def unknown(value: object, known: Iterable[str]) -> Name:
    """An unknown name described, with the known one it is closest to: a typo is found without quoting it."""
    close = difflib.get_close_matches(value, list(known), n=1) if isinstance(value, str) else []
    return Name(f"{describe(value)}{f', did you mean {close[0]}?' if close else ''}")


def shown(fact: object) -> str:
    """A fact as a message may show it: names, numbers and days as they are, other values described."""
    if isinstance(fact, Name):
        return str(fact)
    if isinstance(fact, bool):
        return str(fact).lower()
    if isinstance(fact, int):
        return f"{fact:,}" if abs(fact) >= 10_000 else str(fact)
    if isinstance(fact, float | date):
        return str(fact)
    if isinstance(fact, list | tuple) and all(isinstance(f, Name | int) for f in fact):
        return "[" + ", ".join(shown(f) for f in fact) + "]"
    return f"<{describe(fact)}>"  # text from anywhere else: its kind and size only


def bounded(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """The text, cut to `limit` characters with what was cut counted."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters cut)"


class SocialPulseError(Exception):
    """An error the library raises on purpose: a bounded message from safe parts, and whether a retry may help.

    `template` is written by this code; each `{fact}` in it is filled with `shown(fact)`, so a
    value from the input is described, never quoted. Without facts the template is the message.
    """

    retryable: bool = False  # what no retry can change fails the task at once (socialpulse_airflow.retries)

    def __init__(self, template: str, /, **facts: object) -> None:
        message = template.format(**{k: shown(v) for k, v in facts.items()}) if facts else template
        super().__init__(bounded(message))


class RetryableError(SocialPulseError):
    """A later try may succeed: throttled, a server's 5xx, a file or a day that has not arrived yet."""

    retryable = True


class FatalError(SocialPulseError):
    """No retry can change it: a person must fix a token, a connection, a file or a declaration first."""

    retryable = False


class RetriesExhaustedError(RetryableError):
    """Retryable failures went on past a client's retry budget; the scheduler's retries, minutes apart, may still
    find the platform back."""


class ConnectionConfigError(FatalError):
    """An Airflow connection lacks what its source needs (or holds what it must not): which, and what to set."""


class NotLandedError(RetryableError):
    """What a step reads has not arrived yet (a drop, a file, a source's day): a later try may find it."""


class DeclarationError(FatalError):
    """A file or variable a user declares (experiments, freshness targets) cannot be used: where, and what to fix."""


class PersonalDataError(FatalError):
    """Reading a personal-data source failed; the message names columns, rows and counts, never values."""


@contextmanager
def withholding_values(what: str) -> Iterator[None]:
    """Inside, an exception that is not a SocialPulseError becomes a PersonalDataError naming its type and the
    line that raised it, without its message or chain (a parser's message quotes its input).

    The task log, XCom and e-mail then show where it failed; the traceback's frames (files
    and lines, no values) go with it. An error that says whether to retry keeps saying it;
    another is retried, as before.
    """
    try:
        yield
    except SocialPulseError:
        raise
    except Exception as error:
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "an unknown line"
        withheld = PersonalDataError(
            "{what} failed with {kind} at {where}; its message is withheld, as it may "
            "quote personal data (the frames: {frames})",
            what=Name(what),
            kind=Name(type(error).__name__),
            where=Name(where),
            frames=Name(" < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames[-6:]))),
        )
        withheld.retryable = getattr(error, "retryable", True)  # a classified failure keeps its class
        raise withheld from None
