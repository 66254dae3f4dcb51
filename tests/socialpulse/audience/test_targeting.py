"""Target audiences: markets from the orders, recent buyers out, ranked by expected value, small lists held back."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from socialpulse.audience.targeting import expected_order_value, markets, target_audiences

AS_OF = date(2026, 11, 3)


def profiles(count: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": [f"p{i:03d}" for i in range(count)],
            "in_crm": True,
            "country": ["DE" if i % 5 == 4 else "US" for i in range(count)],
            "avg_order_value": [None if i % 5 == 0 else float(10 + i) for i in range(count)],
            "orders_total": [0 if i % 5 == 0 else 1 for i in range(count)],
            "monetary_total": [0.0 if i % 5 == 0 else float(10 + i) for i in range(count)],
            "recency_days": pd.array(
                [3 if i == 1 else None if i % 5 == 0 else 90 for i in range(count)], dtype="Int64"
            ),
            "segment_id": [i % 2 for i in range(count)],
        }
    )


def orders(campaign: str, people: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": people,
            "utm_campaign": campaign,
            "order_id": people,
            "ordered_at": pd.Timestamp("2026-10-20", tz="UTC"),
            "amount_reporting": 10.0,
        }
    )


def test_markets_are_the_countries_of_a_campaigns_buyers():
    people = profiles(40)
    where = markets(orders("c1", ["p001", "p002", "p003"]), people, AS_OF)
    assert where == {"c1": ["US"]}
    assert markets(orders("c1", ["p001"]), people, date(2027, 3, 1)) == {}  # too old to say


def test_expected_value_falls_back_to_the_segment_then_everyone():
    people = profiles(10)
    value = expected_order_value(people)
    assert value[1] == 11.0  # their own
    segment_zero = people[(people["segment_id"] == 0) & (people["orders_total"] > 0)]
    assert value[0] == pytest.approx(segment_zero["monetary_total"].sum() / segment_zero["orders_total"].sum())


def test_lists_rank_by_expected_value_without_recent_buyers_and_only_when_large_enough():
    people = profiles(400)
    scores = pd.DataFrame({"person_id": people["person_id"], "score": [0.5] * 400})
    campaigns = pd.DataFrame({"account_id": ["1001", "1001"], "campaign_id": ["c1", "c2"]})
    bought = pd.concat([orders("c1", ["p001", "p002", "p003"]), orders("c2", ["p004", "p009"])])
    members, summary, skipped = target_audiences(
        people, scores, campaigns, bought, AS_OF, exclude_days=30, max_size=150
    )
    assert summary["campaign_id"].tolist() == ["c1"] and summary["size"].iloc[0] == 150
    assert skipped == ["c2: 80 people, under 100: not published"]
    chosen = members[members["campaign_id"] == "c1"]
    assert "p001" not in set(chosen["person_id"])  # bought 3 days ago
    assert set(people.set_index("person_id").loc[chosen["person_id"], "country"]) == {"US"}
    assert chosen["expected_value"].is_monotonic_decreasing and chosen["rank"].tolist() == list(range(1, 151))
    assert summary["expected_conversions"].iloc[0] == pytest.approx(75.0)


def test_a_segment_without_buyers_takes_everyones_order_value():
    people = profiles(10).assign(segment_id=[0] * 5 + [1] * 5)
    people.loc[people["segment_id"] == 1, ["orders_total", "monetary_total"]] = [0, 0.0]
    people.loc[people["segment_id"] == 1, "avg_order_value"] = None
    value = expected_order_value(people)
    overall = people["monetary_total"].sum() / people["orders_total"].sum()
    assert value[people["segment_id"] == 1].tolist() == pytest.approx([overall] * 5)
