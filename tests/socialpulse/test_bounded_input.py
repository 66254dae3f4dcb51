"""Declarations read bounded: no alias bombs, no giant messages, duplicate keys and impossible dates refused."""

from __future__ import annotations

import pytest

from socialpulse.bounded_input import MAX_DECLARATION_BYTES, load_json, load_yaml, read_declaration_file
from socialpulse.errors import MAX_MESSAGE_CHARS, DeclarationError
from socialpulse.experiments.declarations import MAX_EXPERIMENTS, ExperimentError, parse

LAUGHS = (
    "\n".join(
        ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]" for a, b in zip("abcdef", "bcdefg", strict=True)]
    )
    + "\n"
)
EXPERIMENT = """\
  - name: e{n}
    hypothesis: h
    start_date: 2026-10-01
    primary_metric: conversions_per_click
    minimum_effect: 0.1
    arms:
      - {{name: a, campaigns: ["{n}1"], traffic: 0.5}}
      - {{name: b, campaigns: ["{n}2"], traffic: 0.5}}
"""


def experiments(count: int) -> str:
    return "experiments:\n" + "".join(EXPERIMENT.format(n=n) for n in range(count))


def test_nested_aliases_are_refused_before_they_expand():
    assert len(LAUGHS) < 400  # the probe's 379 bytes that grew a 254 MB message
    with pytest.raises(ExperimentError) as caught:
        parse(LAUGHS, "experiments.yaml")
    assert str(caught.value) == (
        "experiments.yaml:1: YAML anchors and aliases (& and *) are not allowed in a declaration: write each value out"
    )
    assert not caught.value.retryable


def test_a_file_past_the_size_limit_is_refused_unread_and_its_message_is_short(tmp_path):
    path = tmp_path / "experiments.yaml"
    path.write_text(experiments(32_000))  # the probe's 32,000 experiments: 42 s and 846 MB to parse before
    with pytest.raises(
        DeclarationError,
        match=rf"experiments.yaml: [\d,]+ bytes, more than the "
        rf"{MAX_DECLARATION_BYTES:,} a declaration may have",
    ):
        read_declaration_file(path)


def test_a_ten_megabyte_value_in_a_variable_is_refused_by_size_with_a_short_message():
    with pytest.raises(ExperimentError) as caught:
        parse("experiments:\n  - name: " + "x" * 10_000_000, "variable socialpulse_experiments")
    assert str(caught.value) == (
        f"variable socialpulse_experiments: 10,000,023 bytes, more than the "
        f"{MAX_DECLARATION_BYTES:,} a declaration may have: split it or keep only what is "
        "in use"
    )


def test_more_experiments_than_the_limit_are_refused_with_the_line():
    with pytest.raises(
        ExperimentError,
        match=rf"x:1: {MAX_EXPERIMENTS + 1} experiments, more than the "
        rf"{MAX_EXPERIMENTS}",
    ):
        parse(experiments(MAX_EXPERIMENTS + 1), "x")
    assert len(parse(experiments(3), "x")) == 3


def test_a_huge_wrong_value_gives_a_short_message_that_does_not_quote_it():
    text = experiments(1).replace("minimum_effect: 0.1", "minimum_effect: " + "9" * 200_000 + "x")
    with pytest.raises(ExperimentError) as caught:
        parse(text, "x")
    assert str(caught.value) == (
        "x:6: experiment 'e0' field 'minimum_effect': expected a number between 0 and 10 "
        "(exclusive), got text of 200,001 characters"
    )


def test_an_impossible_date_is_a_line_numbered_error_that_fails_at_once():
    with pytest.raises(ExperimentError) as caught:
        parse(experiments(2).replace("start_date: 2026-10-01", "start_date: 2026-13-45"), "experiments.yaml")
    assert str(caught.value).startswith(
        "experiments.yaml:4: a value (text of 10 characters) cannot be read: a date or time that does not exist"
    )
    assert not caught.value.retryable


def test_a_duplicate_key_is_an_error_in_yaml_and_json():
    with pytest.raises(ExperimentError, match=r"x:5: a key is repeated \(first on line 4\)"):
        parse(experiments(1).replace("    primary_metric:", "    start_date: 2026-10-02\n    primary_metric:"), "x")
    with pytest.raises(DeclarationError, match="a key is repeated in one object"):
        load_json('{"crm_daily": 9, "crm_daily": 10}', "variable")


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "a: " + "[" * 5_000,
        "!!python/object/apply:os.system ['ls']",
        "a: !!binary 'not base64!'",
        "? [a, b]\n: c",
        "a: 99999999999" + "9" * 5000,
        "\x00",
        "a: '\x07'",
    ],
)
def test_hostile_yaml_is_a_declaration_error_with_a_short_message(text):
    with pytest.raises(DeclarationError) as caught:
        load_yaml(text, "x")
    assert len(str(caught.value)) <= MAX_MESSAGE_CHARS and str(caught.value).startswith("x:")
