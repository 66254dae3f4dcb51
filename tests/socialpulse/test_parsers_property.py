"""Property-based: the CRM drop's and the declarations' parsers, fed random bytes and random YAML and JSON.

Whatever the input, each either reads it or raises its declared error; no message passes the limit; and no
message carries a value of the input. Every generated value carries SENTINEL, which no message of ours can
hold (our templates are lower case, and the names we show are validated lower-case identifiers).
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialpulse.connectors.crm import REQUIRED_COLUMNS, check_header
from socialpulse.errors import MAX_MESSAGE_CHARS, DeclarationError, PersonalDataError, withholding_values
from socialpulse.experiments.declarations import ExperimentError, parse
from socialpulse.freshness import targets
from socialpulse.transforms.crm import clean_orders, clean_users, read_csv_parts
from socialpulse.transforms.currency import Rates
from socialpulse.transforms.privacy import Pseudonymizer

SENTINEL = "QXZ"
PSEUDONYMIZER = Pseudonymizer("k" * 32)
RATES = Rates.from_ecb_csv(b"CURRENCY,TIME_PERIOD,OBS_VALUE\nUSD,2026-10-30,1.25\n", "test rates")
LIMIT = MAX_MESSAGE_CHARS + 60  # the cut message's own tail says how much was cut
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

personal = st.text(min_size=0, max_size=12).map(lambda t: f"{SENTINEL}{t}")  # a value someone typed
plausible = st.sampled_from(
    [
        "34",
        "",
        "F",
        "US",
        "Berlin",
        "2025-01-02",
        "2026-11-02T10:00:00Z",
        "9.90",
        "EUR",
        "120210000000001",
        "u1",
        "0",
        "-1",
        "nan",
        "\x00",
        "\x1b[31m",
        "ava@example.com",
    ]
)
cell = st.one_of(
    personal,
    plausible,
    personal.map(lambda t: f"{t}@example.com"),
    st.builds(lambda a, b: f"+49 30 {a}{b}", st.integers(1000, 9999), personal),
)
header_cell = st.one_of(
    st.sampled_from(
        sorted(
            {c for cs in REQUIRED_COLUMNS.values() for c in cs}
            | {"name", "email", "x_id", "facebook_id", "experiment_a"}
        )
    ),
    personal,
)


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


@st.composite
def drops(draw) -> bytes:
    """A CSV file: a header of known and unknown columns (or none), then rows of mixed cells, or random bytes."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.binary(max_size=300)) + SENTINEL.encode()
    header = draw(st.lists(header_cell, min_size=0, max_size=10))
    width = max(len(header), 1)
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), max_size=6))
    return as_csv(([header] if draw(st.booleans()) else []) + rows)


def assert_safe(error: Exception) -> None:
    message = str(error)
    assert len(message) <= LIMIT, len(message)
    assert SENTINEL not in message and "example.com" not in message, message


@PROPERTY
@given(payload=drops(), name=st.sampled_from(["users.csv", "orders.csv"]))
def test_the_crm_drop_reads_or_fails_with_its_own_error_and_never_quotes_it(payload, name):
    """As the pipeline reads a file: its header checked on landing, then read in parts (of two rows here) and each
    cleaned under the withholding guard."""
    try:
        check_header(name, payload, "2026-11-02", "/drops")
        results = []
        for raw in read_csv_parts(io.BytesIO(payload), 2, name):
            with withholding_values(f"cleaning {name} of 2026-11-02"):
                if name == "users.csv":
                    results.append(clean_users(raw, PSEUDONYMIZER))
                else:
                    results.append(clean_orders(raw, PSEUDONYMIZER, RATES))
    except PersonalDataError as error:
        assert_safe(error)
        assert " failed with " not in str(error), f"a crash, withheld: {error}"  # a bug, not a declared error
        return
    for result in results:
        reasons = " ".join(result.quarantined["reason"].astype(str))
        assert SENTINEL not in reasons and "example.com" not in reasons  # reasons name rules, never values
        assert isinstance(result.clean, pd.DataFrame)


yaml_scalar = st.one_of(
    personal,
    st.integers(-10, 10**30),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.sampled_from(["2026-13-45", "2026-10-01", "conversions_per_click", "0.5", "campaigns"]),
)
yaml_key = st.one_of(
    st.sampled_from(
        [
            "experiments",
            "name",
            "hypothesis",
            "start_date",
            "end_date",
            "arms",
            "primary_metric",
            "minimum_effect",
            "traffic",
            "campaigns",
            "crm_group",
            "crm_column",
            "alpha",
            "guardrail_metrics",
        ]
    ),
    personal,
)
yaml_value = st.recursive(
    yaml_scalar, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(yaml_key, inner, max_size=5), max_leaves=25
)


@st.composite
def declarations(draw) -> str:
    """A declaration file: well-formed YAML of plausible shape, or text with YAML's special characters."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        tokens = st.sampled_from([*"ab:-[]{}&*!|>'\"#%@`,?\n\t 0123", SENTINEL])
        return "".join(draw(st.lists(tokens, max_size=120)))
    document = (
        {"experiments": draw(st.lists(st.dictionaries(yaml_key, yaml_value, max_size=10), max_size=3))}
        if kind < 3
        else draw(yaml_value)
    )
    return yaml.safe_dump(document, allow_unicode=True)


@PROPERTY
@given(text=declarations())
def test_experiment_declarations_parse_or_fail_with_their_own_error_and_never_quote_a_value(text):
    try:
        parse(text, "experiments.yaml")
    except ExperimentError as error:
        assert_safe(error)
        assert str(error).startswith("experiments.yaml"), str(error)  # where, first


json_value = st.recursive(
    st.one_of(personal, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False)),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.one_of(personal, st.sampled_from(["crm_daily", "meta_ads_daily"])), inner, max_size=3)
    ),
    max_leaves=10,
)


@PROPERTY
@given(text=st.one_of(json_value.map(json.dumps), st.text(max_size=60).map(lambda t: SENTINEL + t)))
def test_freshness_targets_read_or_fail_with_their_own_error_and_never_quote_a_value(text):
    try:
        targets({"crm_daily": 8, "meta_ads_daily": 6}, text, "variable 'socialpulse_freshness_hours'")
    except DeclarationError as error:  # any other error escapes and fails the test
        assert_safe(error)
