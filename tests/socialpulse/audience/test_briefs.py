from __future__ import annotations

import pytest

from socialpulse.audience.briefs import DEFAULT_HOLDOUT, BriefError, combine, parse
from socialpulse.audience.entities import MIN_PUBLISHED

VALID = """\
audiences:
  - name: spring_fashion
    account_id: act_1001
    campaign_ids: ["10010001", 10010002]
    goal: retarget
    topics: [fashion, music]
    max_size: 5000
  - name: loyal_japan
    account_id: "1003"
    campaign_ids: ["10030001"]
    goal: loyalty
    markets: [JP]
    min_size: 200
    max_size: 20000
    holdout: 0.2
    exclusive: true
"""


def test_a_valid_file_reads_whole():
    (fashion, loyal), errors = parse(VALID, "audiences.yaml")
    assert errors == ()
    assert fashion.account_id == "1001" and fashion.campaign_ids == ("10010001", "10010002")
    assert fashion.goal == "retarget" and fashion.topics == ("fashion", "music") and fashion.markets is None
    assert (fashion.min_size, fashion.max_size, fashion.holdout, fashion.exclusive) == (
        MIN_PUBLISHED,
        5000,
        DEFAULT_HOLDOUT,
        False,
    )
    assert fashion.source == "audiences.yaml:2"
    assert loyal.markets == ("JP",) and loyal.topics == () and loyal.min_size == 200 and loyal.holdout == 0.2
    assert loyal.exclusive


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("goal: retarget", "goal: retargeting"),
            "audiences.yaml:5: brief 'spring_fashion' field 'goal': expected one of",
        ),
        (
            ("topics: [fashion, music]", "topics: [fashion, musik]"),
            "audiences.yaml:6: brief 'spring_fashion' field 'topics': an unknown name "
            "(text of 5 characters, did you mean music?)",
        ),
        (("max_size: 5000", "max_size: 50"), ":7: brief 'spring_fashion' field 'max_size': expected a whole number"),
        (("max_size: 5000", "maxsize: 5000"), ":7: brief 'spring_fashion': an unknown field"),
        (("    max_size: 5000\n", ""), ":2: brief 'spring_fashion': missing the required field 'max_size'"),
        (("account_id: act_1001", "account_id: acme"), ":3: brief 'spring_fashion' field 'account_id': expected"),
        (
            ("goal: retarget", "goal: retarget\n    exclusive: yes please"),
            ":6: brief 'spring_fashion' field 'exclusive'",
        ),
        (("campaign_ids: [", "campaign_ids: [10010001, "), ":4: brief 'spring_fashion' field 'campaign_ids'"),
        (("markets: [JP]", "markets: [Japan]"), ":12: brief 'loyal_japan' field 'markets': an unknown name"),
        (("holdout: 0.2", "holdout: 0.7"), ":15: brief 'loyal_japan' field 'holdout': expected a number between 0"),
    ],
)
def test_a_wrong_brief_is_named_at_its_line_and_the_others_still_build(change, message):
    briefs, errors = parse(VALID.replace(*change, 1), "audiences.yaml")
    assert len(briefs) == 1 and len(errors) == 1, errors
    assert message in str(errors[0])
    assert isinstance(errors[0], BriefError) and not errors[0].retryable


def test_a_wrong_value_is_described_never_quoted():
    secret = "alice@example.com"
    _, errors = parse(VALID.replace("goal: retarget", f"goal: {secret}"), "audiences.yaml")
    assert errors and secret not in str(errors[0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("audiences: [\n", "audiences.yaml:"),
        ("briefs: []\n", "audiences.yaml:1: expected a mapping with the single key 'audiences'"),
        ("audiences: 3\n", "audiences.yaml:1: 'audiences' must be a list"),
    ],
)
def test_a_document_that_cannot_be_read_stops_at_once(text, message):
    with pytest.raises(BriefError, match=message):
        parse(text, "audiences.yaml")


def test_nothing_declared_is_no_brief():
    assert parse("# audiences:\n#   - name: x\n", "audiences.yaml") == ((), ())
    assert parse("audiences: []\n", "audiences.yaml") == ((), ())


def test_a_name_or_campaign_declared_again_is_an_error_at_the_later_declaration():
    from_file, _ = parse(VALID, "audiences.yaml")
    again, _ = parse(VALID.replace("spring_fashion", "summer_fashion"), "variable socialpulse_audiences")
    kept, errors = combine(from_file, again)
    assert [b.name for b in kept] == ["spring_fashion", "loyal_japan"]
    assert len(errors) == 2
    assert "variable socialpulse_audiences:2: brief 'summer_fashion' repeats the name or a campaign of brief " in str(
        errors[0]
    )
