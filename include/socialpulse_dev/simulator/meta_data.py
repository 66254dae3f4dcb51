"""Deterministic Meta ads data: every value depends only on (seed, account, campaign, date, as-of).

Insights for a day keep changing for 28 days after it, as Meta's attribution
restates conversions; `as_of` is the simulator's "today".
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from socialpulse_dev.simulator import experiments
from socialpulse_dev.simulator.audience import rng_for

RESTATEMENT_DAYS = 28

# Purchases reported under three overlapping action types, as Meta does.
PURCHASE_ACTION_TYPES = ("purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase")
# Of the purchases in Meta's standard windows, the share after a click (the rest after a view only).
CLICK_THROUGH_SHARE = 0.85
ATTRIBUTION_WINDOWS = ("7d_click", "1d_view")  # the windows an action carries when a request asks for them
RETENTION_MONTHS = 37  # Meta answers error 3018 for a start older than this


def retention_start(today: date) -> date:
    """The oldest start Meta accepts: 37 months before today (the day clamped to the month's length)."""
    year, month = divmod(today.year * 12 + today.month - 1 - RETENTION_MONTHS, 12)
    return date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))


def with_windows(row: dict, windows: list[str]) -> dict:
    """A row's actions with only the attribution windows the request asked for: none asked, "value" only."""
    for field in ("actions", "action_values"):
        if field in row:
            row[field] = [
                {k: v for k, v in entry.items() if k not in ATTRIBUTION_WINDOWS or k in windows} for entry in row[field]
            ]
    return row


@dataclass(frozen=True)
class AdAccount:
    account_id: str
    name: str
    timezone_name: str
    currency: str
    # Spend per 1,000 impressions, in the account currency.
    cpm: float
    # The ad sets' attribution setting, which the actions' "value" follows; JP counts clicks only.
    attribution_setting: str = "7d_click_1d_view"


ACCOUNTS: tuple[AdAccount, ...] = (
    AdAccount("1001", "SocialPulse US", "America/Los_Angeles", "USD", 7.5),
    AdAccount("1002", "SocialPulse DE", "Europe/Berlin", "EUR", 6.2),
    AdAccount("1003", "SocialPulse JP", "Asia/Tokyo", "JPY", 950.0, "7d_click"),
)

# Each theme's goal and the topics it sells: what the simulator's audiences.yaml declares for its campaigns.
THEME_BRIEFS = {
    "Spring Sale": ("win_back", ("deals", "home")),
    "Retargeting": ("retarget", ("fashion", "kids")),
    "Brand Awareness": ("prospect", ("music", "travel")),
    "New Arrivals": ("loyalty", ("fashion", "tech")),
    "Loyalty": ("loyalty", ("home", "food")),
    "Lookalike": ("prospect", ("tech", "business")),
}
_THEMES = tuple(THEME_BRIEFS)
BRIEFS_FILE = Path(__file__).with_name("audiences.yaml")  # a brief per campaign of seed 7


def account(account_id: str) -> AdAccount | None:
    """The simulated account with this id (with or without the act_ prefix)."""
    wanted = account_id.removeprefix("act_")
    return next((a for a in ACCOUNTS if a.account_id == wanted), None)


def campaigns(seed: int, acct: AdAccount) -> list[tuple[str, str]]:
    """(campaign_id, campaign_name) pairs of an account, stable for a seed."""
    rng = random.Random(f"{seed}|{acct.account_id}|campaigns")
    count = rng.randint(3, 5)
    themes = rng.sample(_THEMES, count)
    return [(f"{acct.account_id}{index:04d}", f"{acct.name} - {theme}") for index, theme in enumerate(themes, 1)]


def _settled_share(age_days: int) -> float:
    """Share of a day's conversions reported `age_days` after it."""
    return min(1.0, 0.7 + 0.3 * age_days / RESTATEMENT_DAYS)


def insight_row(seed: int, acct: AdAccount, campaign: tuple[str, str], day: date, as_of: date) -> dict | None:
    """One campaign-day as Meta's insights endpoint returns it, or None before the day exists."""
    age = (as_of - day).days
    if age < 0:
        return None
    rng = random.Random(f"{seed}|{acct.account_id}|{campaign[0]}|{day.isoformat()}")
    weekday_factor = 1.25 if day.weekday() >= 5 else 1.0
    partial_day = 0.6 if age == 0 else 1.0
    impressions = int(rng.randint(2_000, 60_000) * weekday_factor * partial_day)
    reach = int(impressions / rng.uniform(1.1, 1.8))
    clicks = int(impressions * rng.uniform(0.004, 0.03))
    link_clicks = int(clicks * rng.uniform(0.5, 0.9))
    landing_page_views = int(link_clicks * rng.uniform(0.6, 0.95))
    likes = int(impressions * rng.uniform(0.002, 0.02))
    comments = int(likes * rng.uniform(0.02, 0.15))
    shares = int(likes * rng.uniform(0.01, 0.1))
    final_purchases = int(landing_page_views * rng.uniform(0.01, 0.08))
    order_value = rng.uniform(20, 120) * (acct.cpm / 7.5)
    spend = round(impressions * acct.cpm / 1000 * rng.uniform(0.8, 1.2), 2)
    counts = {
        "impressions": impressions,
        "reach": reach,
        "clicks": clicks,
        "link_clicks": link_clicks,
        "landing_page_views": landing_page_views,
        "likes": likes,
        "comments": comments,
        "shares": shares,
        "purchases": int(final_purchases * _settled_share(age)),
    }
    return _insight(acct, campaign, day, counts, order_value, spend)


def _insight(
    acct: AdAccount, campaign: tuple[str, str], day: date, counts: dict[str, int], order_value: float, spend: float
) -> dict:
    """A campaign-day's counts in the insights endpoint's shape: strings, actions, a zero action left out."""
    impressions, reach, clicks, likes = (counts[k] for k in ("impressions", "reach", "clicks", "likes"))
    comments, shares, purchases = counts["comments"], counts["shares"], counts["purchases"]
    actions = [
        ("link_click", counts["link_clicks"]),
        ("landing_page_view", counts["landing_page_views"]),
        ("post_engagement", clicks + likes + comments + shares),
        ("post_reaction", likes),
        ("comment", comments),
        ("post", shares),
    ]
    clicked = round(purchases * CLICK_THROUGH_SHARE)
    windows = {"7d_click": clicked, "1d_view": purchases - clicked}  # what the standard windows count
    bought = []
    if purchases:
        bought = [
            {
                "action_type": kind,
                **{w: str(n) for w, n in windows.items()},
                "value": str(purchases if acct.attribution_setting == "7d_click_1d_view" else clicked),
            }
            for kind in PURCHASE_ACTION_TYPES
        ]
    return {
        "account_id": acct.account_id,
        "account_currency": acct.currency,
        "campaign_id": campaign[0],
        "campaign_name": campaign[1],
        "impressions": str(impressions),
        "reach": str(reach),
        "frequency": f"{impressions / reach:.6f}" if reach else "0",
        "clicks": str(clicks),
        "spend": f"{spend:.2f}",
        "cpm": f"{spend / impressions * 1000:.6f}" if impressions else "0",
        "ctr": f"{clicks / impressions * 100:.6f}" if impressions else "0",
        "actions": [{"action_type": kind, "value": str(value)} for kind, value in actions if value] + bought,
        "action_values": [
            {k: v if k == "action_type" else f"{int(v) * order_value:.2f}" for k, v in entry.items()}
            for entry in bought
        ],
        "date_start": day.isoformat(),
        "date_stop": day.isoformat(),
        "attribution_setting": acct.attribution_setting,
    }


def experiment_rows(seed: int, acct: AdAccount, day: date, as_of: date) -> list[dict]:
    """The planted split tests' campaign-days (experiments.py): binomial draws from each arm's true rates.

    The experiment's reach is split between its arms by a multinomial draw at the arms' actual
    shares, so a sample-ratio check sees a correct split as correct and a broken one as broken.
    """
    age = (as_of - day).days
    rows, by_experiment = [], {}
    for experiment, campaign_id, arm, truth in experiments.campaigns_of(acct.account_id):
        if age >= 0 and day >= experiment.start_date:
            by_experiment.setdefault(experiment.name, []).append((campaign_id, arm, truth))
    for name, arms in by_experiment.items():
        rng = rng_for(seed, "experiment", name, day.isoformat())
        planted = experiments.PLANTED[name]
        reach_today = rng.poisson(
            planted.daily_reach * (1.25 if day.weekday() >= 5 else 1.0) * (0.6 if age == 0 else 1.0)
        )
        reaches = rng.multinomial(reach_today, [truth.share for _, _, truth in arms])
        for (campaign_id, arm, truth), reach in zip(arms, reaches, strict=True):
            impressions = int(reach + rng.poisson(0.3 * reach))
            clicks = int(rng.binomial(impressions, truth.ctr))
            link_clicks = int(rng.binomial(clicks, 0.8))
            likes = int(rng.binomial(impressions, 0.006))
            counts = {
                "impressions": impressions,
                "reach": int(reach),
                "clicks": clicks,
                "link_clicks": link_clicks,
                "landing_page_views": int(rng.binomial(link_clicks, 0.85)),
                "likes": likes,
                "comments": int(rng.binomial(likes, 0.08)),
                "shares": int(rng.binomial(likes, 0.05)),
                "purchases": int(int(rng.binomial(clicks, truth.conversion_rate)) * _settled_share(age)),
            }
            spend = round(impressions * acct.cpm / 1000, 2)
            rows.append(
                _insight(
                    acct, (campaign_id, f"{acct.name} - Test {name}: {arm}"), day, counts, 60 * acct.cpm / 7.5, spend
                )
            )
    return rows


def insight_rows(seed: int, acct: AdAccount, since: date, until: date, as_of: date) -> list[dict]:
    """Campaign-level rows with time_increment=1 for a date range, ordered by day then campaign."""
    rows = []
    for ordinal in range(since.toordinal(), until.toordinal() + 1):
        day = date.fromordinal(ordinal)
        for campaign in campaigns(seed, acct):
            row = insight_row(seed, acct, campaign, day, as_of)
            if row is not None:
                rows.append(row)
        rows += experiment_rows(seed, acct, day, as_of)
    return rows
