"""Vectorised validation of a frame against its entity's declaration (socialpulse/declarations.py).

Our own, not pandera: we need every failing row back with all the rules it broke
and its original values, for quarantine. pandera's lazy mode reports one
failure case per (row, check) in long form, which we would pivot back; here one
boolean mask per rule is built over the whole frame and the reasons of the few
failing rows are joined, which is all the work there is.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from socialpulse.schema import PSEUDONYM, Schema
from socialpulse.transforms.content import KINDS as PERSONAL_KINDS
from socialpulse.transforms.content import WITHHELD, check_emails, check_text


@dataclass(frozen=True)
class Validated:
    clean: pd.DataFrame
    quarantined: pd.DataFrame  # reason, original
    rows_in: int
    duplicates_dropped: int
    missing_fields: tuple[str, ...] = field(default=())  # fields absent from every input row
    unexpected_fields: tuple[str, ...] = field(default=())  # payload fields nobody declared: a new API field?

    def top_reasons(self, n: int = 3) -> dict[str, int]:
        return top_reasons(self.quarantined["reason"], n)


def combined(parts: list[Validated]) -> Validated:
    """Chunks of one input validated apart, as one result: a field is missing when no chunk had it (a chunk of no
    rows tells only when every chunk is one)."""
    if not parts:
        raise ValueError("combined() needs at least one validated chunk")
    telling = [p for p in parts if p.rows_in] or parts
    missing = set(telling[0].missing_fields).intersection(*(p.missing_fields for p in telling[1:]))
    return Validated(
        pd.concat([p.clean for p in parts], ignore_index=True),
        pd.concat([p.quarantined for p in parts], ignore_index=True),
        sum(p.rows_in for p in parts),
        sum(p.duplicates_dropped for p in parts),
        tuple(f for f in telling[0].missing_fields if f in missing),
        tuple(dict.fromkeys(f for p in parts for f in p.unexpected_fields)),
    )


def top_reasons(reasons: pd.Series, n: int = 3) -> dict[str, int]:
    """The n most frequent rules broken, counting each rule of a multi-rule reason once."""
    counts = Counter(rule for text in reasons for rule in str(text).split("; ") if rule)
    return dict(counts.most_common(n))


def page_rows(page: object) -> tuple[list[Any], str]:
    """The rows of an API page and "", or no rows and why the page has the wrong shape."""
    if not isinstance(page, dict):
        return [], "page is not a JSON object"
    if "data" not in page:
        meta = page.get("meta")
        if isinstance(meta, dict) and meta.get("result_count") == 0:
            return [], ""  # X API v2 leaves `data` out of a page with no results: an empty page, not a broken one
        return [], f"page has no data field (fields: {sorted(page)[:10]})"
    data = page["data"]
    if not isinstance(data, list):
        return [], f"page has no data list (data is {type(data).__name__})"
    return data, ""


def is_text(values: pd.Series) -> pd.Series:
    """True where a value is null or text (not a dict, a list or a number)."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return pd.Series(True, index=values.index)
    return values.isna() | values.map(lambda v: isinstance(v, str))


def _scalars(values: pd.Series) -> pd.Series:
    """The values with dicts, lists and booleans blanked, so that only they fail to parse as numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values
    ok = is_text(values)
    if not ok.all():
        ok |= values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    return values.where(ok)


def _parse(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """(typed values, mask of present values that could not be typed)."""
    present = values.notna()
    if kind == "string":
        ok = is_text(values)
        return values.where(ok).astype("string"), present & ~ok
    if kind == "bool":
        typed = values.map({True: True, False: False, "true": True, "false": False}).astype("boolean")
    elif kind in ("int", "float"):
        typed = pd.to_numeric(_scalars(values), errors="coerce")
        if kind == "int":
            typed = typed.where(typed.isna() | (typed == np.floor(typed)))
            typed = typed.astype("Float64").astype("Int64")
        else:
            typed = typed.astype("Float64")
    elif kind == "date":
        if pd.api.types.is_datetime64_any_dtype(values):
            typed = values.dt.date
        else:
            parsed = pd.to_datetime(values.where(is_text(values)), format="%Y-%m-%d", errors="coerce")
            typed = parsed.dt.date.where(parsed.notna(), None)
    else:  # timestamp
        if pd.api.types.is_datetime64_any_dtype(values):
            typed = values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")
        else:
            typed = pd.to_datetime(values.where(is_text(values)), utc=True, format="ISO8601", errors="coerce")
    return typed, present & typed.isna()


_RULE_TEXT = {
    "string": "is not text",
    "int": "is not a whole number",
    "float": "is not a number",
    "date": "is not a YYYY-MM-DD date",
    "timestamp": "is not an ISO 8601 time",
    "bool": "is not true/false",
}


def _withhold(frame: pd.DataFrame, personal: dict[str, pd.Series]) -> pd.DataFrame:
    """The frame with every value that looks personal (`personal`: column -> the kind of each flagged row) replaced
    by what it looks like, in its cell and its original payload: the quarantine keeps why a row was refused, not
    the contact data it held."""
    if not personal:
        return frame
    frame = frame.copy()
    for name, kinds in personal.items():
        marks = kinds.map(lambda kind: WITHHELD.format(kind=PERSONAL_KINDS[kind]))
        if "_original" in frame:
            values = frame.loc[kinds.index, name].astype(str)
            frame.loc[kinds.index, "_original"] = [
                original.replace(json.dumps(value)[1:-1], mark)
                for original, value, mark in zip(
                    frame.loc[kinds.index, "_original"].astype(str), values, marks, strict=True
                )
            ]
        frame[name] = frame[name].astype(object)
        frame.loc[kinds.index, name] = marks
    return frame


def _originals(frame: pd.DataFrame, rows: pd.Index) -> list[str]:
    if "_original" in frame:
        return cast(list[str], frame.loc[rows, "_original"].astype(str).tolist())
    originals = frame.loc[rows].astype(object)
    originals = originals.where(originals.notna(), None)  # null, not NaN, in the JSON
    return [json.dumps(r, default=str, sort_keys=True) for r in originals.to_dict("records")]


def validate(frame: pd.DataFrame, schema: Schema, problems: pd.Series | None = None) -> Validated:
    """Type every declared field, quarantine rows breaking any rule, keep the latest extraction per key.

    A declared field absent from the input is null throughout, which a required
    field turns into one reason per row. Columns not declared are dropped. Text
    columns pass their content checks (transforms/content.py): a value that looks
    like contact data is quarantined and withheld from the quarantine's copy.
    `problems` holds reasons found before typing ("" for none), such as a payload's
    shape; a row with one is quarantined for it alone, as its fields mean nothing.
    """
    reasons = pd.Series("", index=frame.index, dtype=object)

    def fail(mask: pd.Series, text: str) -> None:
        nonlocal reasons
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            reasons = reasons.mask(mask, reasons + text + "; ")

    typed: dict[str, pd.Series] = {}
    personal: dict[str, pd.Series] = {}
    missing = tuple(f.name for f in schema.inputs if f.name not in frame)
    for spec in schema.inputs:
        values = frame[spec.name] if spec.name in frame else pd.Series(None, index=frame.index, dtype=object)
        column, bad = _parse(values, spec.kind)
        fail(bad, f"{spec.name} {_RULE_TEXT[spec.kind]}")
        if spec.required:
            fail(values.isna(), f"{spec.name} missing")
        if spec.min is not None and spec.max is not None:
            fail(~column.between(spec.min, spec.max) & column.notna(), f"{spec.name} outside {spec.min:g}-{spec.max:g}")
        elif spec.min is not None:
            fail(column < spec.min, f"{spec.name} below {spec.min:g}")
        elif spec.max is not None:
            fail(column > spec.max, f"{spec.name} above {spec.max:g}")
        allowed = spec.allowed_values
        kinds = None
        if spec.kind == "string" and allowed is None:
            checked = check_text(column, spec.text, schema.entity, spec.name)
            column, kinds = checked.values, checked.personal
            fail(checked.control, f"{spec.name} holds control characters")
        elif spec.text != PSEUDONYM:  # a number, a day, a listed value: an email there is a mislabelled file too
            kinds = check_emails(values, schema.entity, spec.name)
        flagged = kinds[kinds != ""] if kinds is not None else ()
        if len(flagged):  # rare: compared kind by kind only then
            personal[spec.name] = flagged
            for kind, text in PERSONAL_KINDS.items():
                fail(kinds == kind, f"{spec.name} looks like {text}")
        if spec.kind == "string":
            fail(column.str.len() > spec.max_length, f"{spec.name} longer than {spec.max_length} characters")
        if allowed is not None:
            fail(column.notna() & ~column.isin(allowed), spec.not_allowed())
        typed[spec.name] = column
    if problems is not None:
        shapeless = problems.fillna("").astype(str) != ""
        reasons = reasons.mask(shapeless, problems)
    bad_rows = reasons != ""
    quarantined = pd.DataFrame(
        {
            "reason": reasons[bad_rows].str.rstrip("; ").tolist(),
            "original": _originals(_withhold(frame, personal), frame.index[bad_rows]),
        },
        dtype="string",
    )
    clean = pd.DataFrame(typed, index=frame.index).loc[~bad_rows]
    before = len(clean)
    if schema.key:
        if "extracted_at" in clean and clean["extracted_at"].nunique() > 1:  # one extraction: already in order
            clean = clean.sort_values("extracted_at", kind="stable")
        clean = clean.drop_duplicates(list(schema.key), keep="last").sort_values(list(schema.key), kind="stable")
    return Validated(clean.reset_index(drop=True), quarantined, len(frame), before - len(clean), missing)
