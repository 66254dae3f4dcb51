"""The planted response to campaigns: who buys because a campaign reached them (never read by the pipeline).

Each simulated campaign has its theme's goal and topics (meta_data.THEME_BRIEFS). A person's chance
to buy within 30 days is `p_if_not` without the campaign (their planted conversion_probability:
some buy anyway) and, when the campaign reaches them,

    p_if_reached = p_if_not + (1 - p_if_not) x UPLIFT[goal] x match x fit

- **match**: their planted interests against the campaign's topics (MATCH by how many they share);
- **fit**: their customer status against the goal: engaged people answer a retargeting
  campaign, older customers a win-back, frequent buyers a loyalty offer, people on more
  platforms a prospecting one. Each is something the pipeline can observe; a person with no
  fit or no shared interest is a sure thing or a lost cause, never persuaded.

**Past holdouts**: the marketing team's lists before SocialPulse. Each campaign is sent to a
stable random SENT_SHARE of the people in its account's markets, and the rest are held out;
the CRM drop records each person's group in a column `experiment_campaign_<id>` (sent or
holdout), as CRMs record test groups. Sent people buy through the campaign at the planted
rate (crm_drop.daily_orders tags those orders with it), so a response or uplift model has
something to learn from.

The truth, `_truth/campaign_response.csv` (user_id, campaign_id, p_if_reached, p_if_not), is
what scores a list: its expected incremental conversions are the sum of the difference over it.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from socialpulse_dev.simulator import meta_data
from socialpulse_dev.simulator.audience import DEFAULT_SIZE, audience, columns

UPLIFT = {"retarget": 0.35, "win_back": 0.3, "loyalty": 0.25, "prospect": 0.25}  # at full match and fit
MATCH = (0.0, 0.5, 1.0)  # by the number of the person's interests among the campaign's topics
SENT_SHARE = 0.5  # of a campaign's market its past lists reached; the rest is the holdout
COLUMN_PREFIX = "experiment_campaign_"
ACCOUNT_MARKETS = {"1001": ("US",), "1002": ("DE", "FR"), "1003": ("JP",)}  # the countries each ad account reaches


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    account_id: str
    goal: str
    topics: tuple[str, ...]

    @property
    def column(self) -> str:
        return f"{COLUMN_PREFIX}{self.campaign_id}"


@lru_cache(maxsize=8)
def campaigns(seed: int) -> tuple[Campaign, ...]:
    """The simulated campaigns with the goal and topics of their theme (their name ends with it)."""
    found = []
    for account in meta_data.ACCOUNTS:
        for campaign_id, name in meta_data.campaigns(seed, account):
            goal, topics = meta_data.THEME_BRIEFS[name.rsplit(" - ", 1)[1]]
            found.append(Campaign(campaign_id, account.account_id, goal, topics))
    return tuple(found)


def fit(goal: str, seed: int, size: int) -> np.ndarray:
    """Per person, in [0, 1]: how their customer status answers the goal."""
    arrays = columns(seed, size)
    if goal == "retarget":
        return np.tanh(arrays.engagement_rate / 0.08)
    if goal == "win_back":
        return np.clip((arrays.age - 20) / 40, 0.1, 1.0)
    if goal == "loyalty":
        return np.minimum(1.0, 2 * arrays.conversion_probability)
    if goal == "prospect":
        return arrays.linked / 3
    raise ValueError(f"unknown goal {goal!r}")


@lru_cache(maxsize=64)
def response(seed: int, campaign_id: str, size: int = DEFAULT_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(in the campaign's market, p_if_not, p_if_reached) per person index."""
    campaign = {c.campaign_id: c for c in campaigns(seed)}[campaign_id]  # KeyError: not a simulated campaign
    arrays = columns(seed, size)
    shared = sum(arrays.interest[topic].astype(int) for topic in campaign.topics)
    uplift = UPLIFT[campaign.goal] * np.asarray(MATCH)[shared] * fit(campaign.goal, seed, size)
    p_if_not = arrays.conversion_probability
    in_market = np.isin(arrays.country, ACCOUNT_MARKETS[campaign.account_id])
    return in_market, p_if_not, p_if_not + (1 - p_if_not) * uplift


def _draw(campaign_id: str, user_id: str) -> float:
    return int.from_bytes(hashlib.sha256(f"sent|{campaign_id}|{user_id}".encode()).digest()[:8], "little") / 2**64


@lru_cache(maxsize=64)
def sent(seed: int, campaign_id: str, size: int = DEFAULT_SIZE) -> np.ndarray:
    """Per person index: whether the campaign's past lists reached them (in its market, drawn at SENT_SHARE)."""
    in_market = response(seed, campaign_id, size)[0]
    draws = np.array([_draw(campaign_id, m.user_id) for m in audience(seed, size)])
    return in_market & (draws < SENT_SHARE)


def groups(seed: int, index: int, size: int = DEFAULT_SIZE) -> dict[str, str]:
    """A person's CRM columns of the past lists: experiment_campaign_<id> -> sent/holdout ("" outside its market)."""
    found = {}
    for campaign in campaigns(seed):
        in_market = response(seed, campaign.campaign_id, size)[0][index]
        reached = sent(seed, campaign.campaign_id, size)[index]
        found[campaign.column] = ("sent" if reached else "holdout") if in_market else ""
    return found


def daily_extra(seed: int, campaign_id: str, size: int = DEFAULT_SIZE) -> np.ndarray:
    """Per person index: the daily chance of a purchase the campaign causes, for the people it reached.

    Drawn apart from their own purchases, the two together buy within 30 days with p_if_reached."""
    _, p_if_not, p_if_reached = response(seed, campaign_id, size)
    caused = (p_if_reached - p_if_not) / (1 - p_if_not)
    return np.where(sent(seed, campaign_id, size), 1 - (1 - caused) ** (1 / 30), 0.0)


def write_truth(path: Path, seed: int, size: int = DEFAULT_SIZE) -> Path:
    """user_id, campaign_id, p_if_reached, p_if_not for every person in each campaign's market."""
    members = audience(seed, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "campaign_id", "p_if_reached", "p_if_not"])
        for campaign in campaigns(seed):
            in_market, p_if_not, p_if_reached = response(seed, campaign.campaign_id, size)
            writer.writerows(
                (members[i].user_id, campaign.campaign_id, f"{p_if_reached[i]:.6f}", f"{p_if_not[i]:.6f}")
                for i in np.flatnonzero(in_market)
            )
    return path


@lru_cache(maxsize=8)
def reached_by(seed: int, size: int = DEFAULT_SIZE) -> tuple[tuple[str, ...], ...]:
    """Per person index: the campaigns whose past lists reached them, whose links their purchases may come through."""
    ids = [c.campaign_id for c in campaigns(seed)]
    reached = np.stack([sent(seed, c, size) for c in ids], axis=1)
    return tuple(tuple(c for c, hit in zip(ids, row, strict=True) if hit) for row in reached.tolist())
