"""The library's error model: messages from safe parts only, bounded, and exceptions from parsers withheld."""

from __future__ import annotations

from datetime import date

import pytest

from socialpulse.errors import (
    MAX_MESSAGE_CHARS,
    Name,
    PersonalDataError,
    SocialPulseError,
    describe,
    unknown,
    withholding_values,
)


def test_facts_that_are_not_names_numbers_or_days_are_described_not_quoted():
    error = SocialPulseError(
        "{file}: column {column} at row {row} on {day} holds {value}",
        file=Name("users.csv"),
        column=Name("city"),
        row=12,
        day=date(2026, 11, 2),
        value="ava@example.com",
    )
    assert str(error) == "users.csv: column city at row 12 on 2026-11-02 holds <text of 15 characters>"
    assert not error.retryable


def test_a_message_is_cut_to_its_limit_keeping_where_it_starts():
    error = SocialPulseError("experiments.yaml:3: " + "x" * 10_000_000)
    assert len(str(error)) < MAX_MESSAGE_CHARS + 60 and str(error).startswith("experiments.yaml:3: ")
    assert str(error).endswith("(9,999,420 more characters cut)")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (None, "nothing"),
        (True, "true/false"),
        (3.5, "a number"),
        ("abc", "text of 3 characters"),
        ({"a": 1}, "a mapping of 1 keys"),
        ([1, 2], "a list of 2 items"),
        (object(), "a object"),
    ],
)
def test_describe_says_what_a_value_is_never_what_it_says(value, said):
    assert describe(value) == said


def test_an_unknown_name_is_described_with_the_closest_known_one():
    assert (
        unknown("minimum_efect", ["alpha", "minimum_effect"]) == "text of 13 characters, did you mean minimum_effect?"
    )
    assert unknown("zzz", ["alpha"]) == "text of 3 characters"


def test_a_parser_s_message_is_withheld_with_its_type_and_place():
    with pytest.raises(PersonalDataError) as caught, withholding_values("cleaning users.csv of 2026-11-02"):
        raise ValueError("invalid literal for int() with base 10: 'ava@example.com'")
    message = str(caught.value)
    assert "ava@example.com" not in message and caught.value.__cause__ is None and caught.value.__suppress_context__
    assert message.startswith("cleaning users.csv of 2026-11-02 failed with ValueError at test_errors.py:")
    assert caught.value.retryable  # an unknown failure is retried, as before


def test_our_own_errors_pass_through_the_guard_as_they_are():
    own = PersonalDataError("users.csv lacks columns {missing}", missing=[Name("user_id")])
    with pytest.raises(PersonalDataError) as caught, withholding_values("reading"):
        raise own
    assert caught.value is own


def test_every_error_the_project_raises_says_once_whether_to_retry():
    """Each exception class of the library and its Airflow side is a SocialPulseError under exactly one of
    RetryableError and FatalError; a family (one platform's answers) only groups members that are."""
    import importlib
    import inspect
    import pkgutil

    from socialpulse.errors import FatalError, RetryableError, SocialPulseError

    defined = set()
    for package in ("socialpulse", "socialpulse_airflow"):
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            members = inspect.getmembers(importlib.import_module(module.name), inspect.isclass)
            defined |= {c for _, c in members if issubclass(c, BaseException) and c.__module__ == module.name}
    assert len(defined) > 20
    outside = sorted(c.__qualname__ for c in defined if not issubclass(c, SocialPulseError))
    assert outside == []
    undecided = sorted(
        c.__qualname__
        for c in defined - {SocialPulseError, RetryableError, FatalError}
        if issubclass(c, RetryableError) == issubclass(c, FatalError)
        and not (c.__subclasses__() and all(issubclass(s, RetryableError | FatalError) for s in c.__subclasses__()))
    )
    assert undecided == []
    for error in defined:
        assert error.retryable is issubclass(error, RetryableError), error.__qualname__
