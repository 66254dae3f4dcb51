"""The schema validator: every rule broken is named, originals kept, types enforced, latest extraction wins."""

import json

import pandas as pd
import pytest

from socialpulse.schema import Field, Schema
from socialpulse.transforms.validation import top_reasons, validate

SCHEMA = Schema(
    "things",
    (
        Field("id", "string", required=True),
        Field("n", "int", min=0),
        Field("share", "float", min=0, max=1),
        Field("day", "date"),
        Field("at", "timestamp", required=True),
        Field("kind", "string", allowed=frozenset({"a", "b"})),
    ),
    key=("id",),
)


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["id", "n", "share", "day", "at", "kind", "extra"])


GOOD = {"id": "1", "n": "3", "share": "0.5", "day": "2026-11-01", "at": "2026-11-01T10:00:00Z", "kind": "a"}


def test_a_good_row_is_typed_and_undeclared_columns_dropped():
    result = validate(frame({**GOOD, "extra": "x"}), SCHEMA)
    assert len(result.quarantined) == 0 and list(result.clean.columns) == list(SCHEMA.input_names)
    row = result.clean.iloc[0]
    assert row.n == 3 and row.share == 0.5 and str(row.day) == "2026-11-01" and str(row["at"].tz) == "UTC"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "id missing"),
        ({"n": "3.5"}, "n is not a whole number"),
        ({"n": {"value": 3}}, "n is not a whole number"),  # a field that changed type
        ({"n": True}, "n is not a whole number"),
        ({"n": "-1"}, "n below 0"),
        ({"share": "1.5"}, "share outside 0-1"),
        ({"day": "01/11/2026"}, "day is not a YYYY-MM-DD date"),
        ({"at": "yesterday"}, "at is not an ISO 8601 time"),
        ({"kind": "c"}, "kind not one of ['a', 'b']"),
        ({"kind": ["a"]}, "kind is not text"),
    ],
)
def test_each_rule_quarantines_with_its_reason_and_the_original(change, reason):
    result = validate(frame(GOOD, {**GOOD, "id": "2", **change}), SCHEMA)
    assert list(result.clean["id"]) == ["1"]
    assert list(result.quarantined.reason) == [reason]
    original = json.loads(result.quarantined.original.iloc[0])
    assert original[next(iter(change))] == next(iter(change.values()))


def test_all_broken_rules_of_a_row_are_listed():
    result = validate(frame({**GOOD, "n": "-2", "kind": "z", "at": None}), SCHEMA)
    assert result.quarantined.reason.iloc[0] == "n below 0; at missing; kind not one of ['a', 'b']"
    assert top_reasons(result.quarantined.reason) == {"n below 0": 1, "at missing": 1, "kind not one of ['a', 'b']": 1}


def test_a_vanished_required_field_quarantines_every_row_and_is_reported():
    rows = pd.DataFrame([{k: v for k, v in GOOD.items() if k != "at"}])
    result = validate(rows, SCHEMA)
    assert result.missing_fields == ("at",) and list(result.quarantined.reason) == ["at missing"]


def test_duplicates_keep_the_latest_extraction():
    older = {**GOOD, "n": "1", "at": "2026-11-01T00:00:00Z"}
    newer = {**GOOD, "n": "2", "at": "2026-11-02T00:00:00Z"}
    schema = Schema("t", (*SCHEMA.fields[:4], Field("extracted_at", "timestamp")), key=("id",))
    rows = pd.DataFrame([newer, older]).rename(columns={"at": "extracted_at"})
    result = validate(rows, schema)
    assert list(result.clean.n) == [2] and result.duplicates_dropped == 1


def test_problems_found_before_typing_replace_the_field_rules():
    result = validate(frame(GOOD, {"id": None}), SCHEMA, pd.Series(["", "page is not a JSON object"]))
    assert list(result.quarantined.reason) == ["page is not a JSON object"]


def test_empty_input_gives_empty_typed_frames():
    result = validate(frame(), SCHEMA)
    assert result.rows_in == 0 and len(result.clean) == 0 and list(result.quarantined.columns) == ["reason", "original"]


def test_an_upper_bound_alone_is_enforced():
    schema = Schema("t", (Field("n", "float", max=10),))
    assert list(validate(pd.DataFrame({"n": ["3", "11"]}), schema).quarantined.reason) == ["n above 10"]


def test_a_field_needs_a_known_kind():
    with pytest.raises(ValueError, match="kind 'text'"):
        Field("x", "text")


def test_text_longer_than_its_declared_maximum_is_quarantined():
    schema = Schema(
        "t", (Field("id", "string", required=True), Field("city", "string", max_length=5), Field("note", "string"))
    )
    frame = pd.DataFrame(
        {"id": ["a", "b", "c"], "city": ["Paris", "Reykjavik", None], "note": ["ok", "x" * 5_000_000, "ok"]}
    )
    result = validate(frame, schema)
    assert list(result.clean["id"]) == ["a", "c"]
    assert list(result.quarantined["reason"]) == ["city longer than 5 characters; note longer than 1000 characters"]
