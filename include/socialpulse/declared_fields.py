"""Reading one mapping of a user's YAML declaration (experiments, audience briefs): typed fields, errors at its line.

Ours, not pydantic: pydantic's errors quote the input and know no YAML line, so a translator of its
errors into these line-numbered, value-free messages (with "did you mean" for a mistyped field) would
be as long as this reader.
The mapping comes from `socialpulse.bounded_input.load_yaml`, which records each key's line.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal, overload

from socialpulse.bounded_input import load_yaml
from socialpulse.errors import DeclarationError, Name, describe, unknown
from socialpulse.typing_aliases import JsonObject

MAX_ITEMS = 200  # in one list field


def declared_items(text: str | bytes, source: str, key: str, limit: int, error: type[DeclarationError]) -> list[Any]:
    """The items of one YAML document `<key>: [...]` (none for an empty document), each a mapping with its lines;
    a document that cannot be read as such raises `error` at once, naming `source`."""
    try:
        document = load_yaml(text, source)
    except DeclarationError as failure:
        raise error(str(failure)) from None
    if document is None:
        return []
    if not isinstance(document, dict) or set(document["__lines__"]) != {key}:
        raise error("{source}:1: expected a mapping with the single key '{key}'", source=Name(source), key=Name(key))
    listed, line = document[key] or [], document["__lines__"][key]
    if not isinstance(listed, list):
        raise error("{source}:{line}: '{key}' must be a list", source=Name(source), line=line, key=Name(key))
    if len(listed) > limit:
        raise error(
            "{source}:{line}: {n} {key}, more than the {limit} one file or variable may declare",
            source=Name(source),
            line=line,
            n=len(listed),
            key=Name(key),
            limit=limit,
        )
    return listed


class FieldReader:
    """Reads one mapping's fields, raising errors that point at the field's line."""

    def __init__(
        self, mapping: JsonObject, source: str, what: str, error: type[DeclarationError] = DeclarationError
    ) -> None:
        self.mapping, self.source, self.what, self.error = mapping, source, what, error

    def fail(self, key: str | None, problem: str, **facts: object) -> DeclarationError:
        line = self.mapping["__lines__"].get(key, self.mapping["__line__"]) if key else self.mapping["__line__"]
        field = f" field '{key}'" if key else ""
        return self.error(
            "{source}:{line}: {what}{field}: " + problem,
            source=Name(self.source),
            line=line,
            what=Name(self.what),
            field=Name(field),
            **facts,
        )

    def check_keys(self, allowed: set[str]) -> None:
        for key in self.mapping["__lines__"]:
            if key not in allowed:
                line = self.mapping["__lines__"][key]
                raise self.error(
                    "{source}:{line}: {what}: an unknown field ({key}); expected one of {allowed}",
                    source=Name(self.source),
                    line=line,
                    what=Name(self.what),
                    key=unknown(key, allowed),
                    allowed=[Name(k) for k in sorted(allowed)],
                )

    def get(self, key: str, required: bool = True) -> Any:
        value = self.mapping.get(key)
        if value is None and required:
            raise self.fail(None, f"missing the required field '{key}'")
        return value

    @overload
    def text(self, key: str, required: Literal[True] = True, pattern: re.Pattern[str] | None = None) -> str: ...
    @overload
    def text(self, key: str, required: bool, pattern: re.Pattern[str] | None = None) -> str | None: ...

    def text(self, key: str, required: bool = True, pattern: re.Pattern[str] | None = None) -> str | None:
        value = self.get(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "expected text, got {got}", got=describe(value))
        if pattern and not pattern.fullmatch(value):
            raise self.fail(
                key, "the value ({got}) must match {pattern}", got=describe(value), pattern=Name(pattern.pattern)
            )
        return value.strip()

    @overload
    def day(self, key: str, required: Literal[True] = True) -> date: ...
    @overload
    def day(self, key: str, required: bool) -> date | None: ...

    def day(self, key: str, required: bool = True) -> date | None:
        value = self.get(key, required)
        if isinstance(value, datetime):
            raise self.fail(key, "expected a date YYYY-MM-DD, got a time: an experiment's looks are days")
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(key, "expected a date YYYY-MM-DD, got {got}", got=describe(value)) from None

    @overload
    def number(self, key: str, low: float, high: float, required: Literal[True] = True) -> float: ...
    @overload
    def number(self, key: str, low: float, high: float, required: bool) -> float | None: ...

    def number(self, key: str, low: float, high: float, required: bool = True) -> float | None:
        value = self.get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not low < value < high:
            got = (
                Name(f"{value:g}")
                if isinstance(value, int | float) and not isinstance(value, bool)
                else describe(value)
            )
            raise self.fail(
                key, "expected a number between {low} and {high} (exclusive), got {got}", low=low, high=high, got=got
            )
        return float(value)

    def items(self, key: str, required: bool = True, limit: int = MAX_ITEMS) -> list[Any]:
        value = self.get(key, required)
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            raise self.fail(key, "expected a non-empty list, got {got}", got=describe(value))
        if len(value) > limit:
            raise self.fail(key, "{n} items, more than the {limit} allowed", n=len(value), limit=limit)
        return value

    def whole(self, key: str, low: int, high: int, default: int) -> int:
        """A whole number from low to high (inclusive), or the default when the field is absent."""
        value = self.get(key, required=False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            got = Name(str(value)) if isinstance(value, int) and not isinstance(value, bool) else describe(value)
            raise self.fail(key, "expected a whole number from {low} to {high}, got {got}", low=low, high=high, got=got)
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(key, "expected true or false, got {got}", got=describe(value))
        return value

    def names(self, key: str, allowed: frozenset[str], required: bool = True) -> tuple[str, ...]:
        """A list of names, each one of `allowed` (an unknown one is described, with the closest known name)."""
        found = []
        for item in self.items(key, required):
            if not isinstance(item, str) or item not in allowed:
                raise self.fail(key, "an unknown name ({got})", got=unknown(item, sorted(allowed)))
            found.append(item)
        if len(set(found)) < len(found):
            raise self.fail(key, "a name is listed twice")
        return tuple(found)
