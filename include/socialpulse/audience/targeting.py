"""Target audiences: for each active campaign, the people in its markets worth reaching, by expected value.

A campaign's markets are the countries of the people whose orders came through it
(utm_campaign) in the last MARKET_DAYS, each with at least MARKET_SHARE of them: the ads
report no geography per campaign, the orders do. Expected value = propensity x expected
order value (the person's average, else their segment's, else everyone's).
People who ordered in the last `exclude_days` are left out; erased people are gone already.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from socialpulse.audience.entities import MIN_PUBLISHED

MARKET_DAYS = 90
MARKET_SHARE = 0.05


def markets(orders: pd.DataFrame, profiles: pd.DataFrame, as_of: date) -> dict[str, list[str]]:
    """campaign_id -> its countries, from its orders of the last MARKET_DAYS."""
    end = pd.Timestamp(as_of + timedelta(days=1), tz="UTC")
    recent = orders[(orders["ordered_at"] >= end - pd.Timedelta(days=MARKET_DAYS)) & (orders["ordered_at"] < end)]
    recent = recent.dropna(subset=["utm_campaign"]).merge(profiles[["person_id", "country"]], on="person_id")
    shares = recent.groupby("utm_campaign")["country"].value_counts(normalize=True)
    return {str(c): sorted(s.index.get_level_values(1)) for c, s in shares[shares >= MARKET_SHARE].groupby(level=0)}


def expected_order_value(profiles: pd.DataFrame) -> pd.Series:
    """Each person's average order value, else their segment's, else everyone's."""
    aov = profiles["avg_order_value"].astype("Float64").astype(float)
    overall = profiles["monetary_total"].sum() / max(profiles["orders_total"].sum(), 1)
    grouped = profiles.groupby("segment_id")
    by_segment = grouped["monetary_total"].sum() / grouped["orders_total"].sum().where(lambda n: n > 0)
    return aov.fillna(profiles["segment_id"].map(by_segment)).fillna(overall)


def target_audiences(
    profiles: pd.DataFrame,
    scores: pd.DataFrame,
    campaigns: pd.DataFrame,
    orders: pd.DataFrame,
    as_of: date,
    exclude_days: int,
    max_size: int,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(members, one summary row per published list, campaigns left out and why)."""
    if exclude_days < 0 or max_size < MIN_PUBLISHED:
        raise ValueError(f"exclude_days must be >= 0 and max_size >= {MIN_PUBLISHED}; got {exclude_days}, {max_size}")
    people = profiles.merge(scores[["person_id", "score"]], on="person_id")
    people = people.assign(expected_value=people["score"] * expected_order_value(people).to_numpy())
    recent_buyer = people["recency_days"].astype("Float64").fillna(10**6) < exclude_days
    eligible = people[people["in_crm"] & ~recent_buyer]
    where = markets(orders, profiles, as_of)
    members, summaries, skipped = [], [], []
    for campaign in campaigns.itertuples(index=False):
        countries = where.get(str(campaign.campaign_id))
        if not countries:
            skipped.append(f"{campaign.campaign_id}: no orders in {MARKET_DAYS} days to learn its markets from")
            continue
        chosen = (
            eligible[eligible["country"].isin(countries)]
            .sort_values(["expected_value", "person_id"], ascending=[False, True])
            .head(max_size)
        )
        if len(chosen) < MIN_PUBLISHED:
            skipped.append(f"{campaign.campaign_id}: {len(chosen)} people, under {MIN_PUBLISHED}: not published")
            continue
        members.append(
            pd.DataFrame(
                {
                    "as_of_date": as_of,
                    "campaign_id": str(campaign.campaign_id),
                    "person_id": chosen["person_id"].to_numpy(),
                    "rank": range(1, len(chosen) + 1),
                    "score": chosen["score"].to_numpy(),
                    "expected_value": chosen["expected_value"].to_numpy(),
                }
            )
        )
        summaries.append(
            {
                "as_of_date": as_of,
                "campaign_id": str(campaign.campaign_id),
                "account_id": str(campaign.account_id),
                "markets": ", ".join(countries),
                "size": len(chosen),
                "expected_conversions": float(chosen["score"].sum()),
                "expected_value": float(chosen["expected_value"].sum()),
            }
        )
    columns = ["as_of_date", "campaign_id", "person_id", "rank", "score", "expected_value"]
    return (
        pd.concat(members, ignore_index=True) if members else pd.DataFrame(columns=columns),
        pd.DataFrame(
            summaries,
            columns=[
                "as_of_date",
                "campaign_id",
                "account_id",
                "markets",
                "size",
                "expected_conversions",
                "expected_value",
            ],
        ),
        skipped,
    )
