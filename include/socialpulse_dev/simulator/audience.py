"""The simulated audience, generated from planted ground truth.

A few latent segments, each with its own demographics, platforms, interests,
engagement rate and spending, and a conversion probability that depends
non-linearly on what the pipeline can observe (age, country, engagement,
linked platforms). The truth (segment and probability per user) is written to
a file the pipeline never reads, so models can be scored against it.
"""

from __future__ import annotations

import csv
import hashlib
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

PLATFORMS = ("facebook", "instagram", "x")
DEFAULT_SIZE = 5000  # people in the simulated audience; benchmarks scale it
TOPICS = ("fashion", "music", "travel", "home", "kids", "deals", "tech", "business", "news", "sports", "food")


@dataclass(frozen=True)
class Segment:
    name: str
    weight: float
    age_mean: float
    age_sd: float
    female_share: float
    countries: tuple[tuple[str, float], ...]
    platform_odds: tuple[float, float, float]  # chance of having facebook, instagram, x
    interests: tuple[str, ...]
    engagement_rate: float  # share of seen posts a member engages with
    basket_mean: float  # mean order amount in USD
    lift: float  # segment term of the conversion logit


SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "trend_seekers",
        0.30,
        23,
        4,
        0.58,
        (("US", 0.4), ("GB", 0.2), ("DE", 0.15), ("JP", 0.25)),
        (0.35, 0.95, 0.6),
        ("fashion", "music", "travel"),
        0.09,
        45.0,
        0.2,
    ),
    Segment(
        "young_families",
        0.25,
        36,
        5,
        0.62,
        (("US", 0.5), ("DE", 0.3), ("FR", 0.2)),
        (0.95, 0.5, 0.15),
        ("home", "kids", "deals"),
        0.05,
        80.0,
        0.6,
    ),
    Segment(
        "professionals",
        0.20,
        41,
        8,
        0.45,
        (("US", 0.35), ("DE", 0.25), ("JP", 0.2), ("GB", 0.2)),
        (0.6, 0.3, 0.85),
        ("tech", "business", "travel"),
        0.03,
        140.0,
        0.4,
    ),
    Segment(
        "casual_browsers",
        0.25,
        45,
        15,
        0.5,
        (("US", 0.3), ("BR", 0.3), ("FR", 0.2), ("JP", 0.2)),
        (0.7, 0.4, 0.2),
        ("news", "sports", "food"),
        0.01,
        35.0,
        -1.2,
    ),
)

CITIES = {
    "US": ("New York", "Los Angeles", "Chicago"),
    "GB": ("London", "Manchester"),
    "DE": ("Berlin", "Munich", "Hamburg"),
    "FR": ("Paris", "Lyon"),
    "JP": ("Tokyo", "Osaka"),
    "BR": ("São Paulo", "Rio de Janeiro"),
}


FIRST_NAMES = (
    "Ava",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Felix",
    "Hana",
    "Jonas",
    "Lea",
    "Lucas",
    "Maya",
    "Noah",
    "Olivia",
    "Rafael",
    "Sofia",
    "Yuki",
)
LAST_NAMES = (
    "Almeida",
    "Becker",
    "Clarke",
    "Dubois",
    "Fischer",
    "Garcia",
    "Ito",
    "Martin",
    "Meyer",
    "Moreau",
    "Nakamura",
    "Oliveira",
    "Smith",
    "Tanaka",
    "Walker",
    "Weber",
)


@dataclass(frozen=True)
class Member:
    user_id: str
    segment: str
    age: int
    gender: str
    country: str
    city: str
    signup_date: date
    facebook_id: str | None  # page-scoped id
    instagram_id: str | None
    x_id: str | None
    interests: tuple[str, ...]
    engagement_rate: float
    basket_mean: float
    conversion_probability: float  # of buying within 30 days

    @property
    def name(self) -> str:
        """A made-up full name: personal data the pipeline must keep in the raw zone."""
        index = int(self.user_id[1:])
        return f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {LAST_NAMES[index // len(FIRST_NAMES) % len(LAST_NAMES)]}"

    @property
    def email(self) -> str:
        return f"{self.name.lower().replace(' ', '.')}.{self.user_id[1:]}@example.com"

    @property
    def linked_platforms(self) -> int:
        return sum(i is not None for i in (self.facebook_id, self.instagram_id, self.x_id))


def conversion_probability(segment: Segment, age: int, country: str, engagement_rate: float, linked: int) -> float:
    """Non-linear in observable features: an age optimum, a saturating engagement effect,
    a country effect and an interaction of engagement with linked platforms."""
    logit = (
        -3.2
        + segment.lift
        - 0.0025 * (age - 34) ** 2
        + 2.0 * math.tanh(engagement_rate / 0.04)
        + (0.5 if country in ("US", "DE") else -0.2)
        + 0.35 * linked * engagement_rate / 0.05
    )
    return 1.0 / (1.0 + math.exp(-logit))


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


@lru_cache(maxsize=8)
def audience(seed: int, size: int = DEFAULT_SIZE) -> tuple[Member, ...]:
    """The whole audience for a seed, stable across calls and processes."""
    rng = random.Random(f"{seed}|audience")
    members = []
    for index in range(size):
        segment = rng.choices(SEGMENTS, weights=[s.weight for s in SEGMENTS])[0]
        age = max(13, min(90, round(rng.gauss(segment.age_mean, segment.age_sd))))
        country = _pick(rng, segment.countries)
        has = [rng.random() < odds for odds in segment.platform_odds]
        engagement = max(0.001, rng.gauss(segment.engagement_rate, segment.engagement_rate / 3))
        ids = (
            f"{7_000_000_000_000_000 + index * 7919}" if has[0] else None,
            f"{17_841_400_000_000_000 + index * 104_729}" if has[1] else None,
            f"{1_400_000_000 + index * 15_485_863}" if has[2] else None,
        )
        linked = sum(i is not None for i in ids)
        members.append(
            Member(
                user_id=f"u{index:06d}",
                segment=segment.name,
                age=age,
                gender="female" if rng.random() < segment.female_share else "male",
                country=country,
                city=rng.choice(CITIES[country]),
                signup_date=date(2024, 1, 1) + timedelta(days=rng.randrange(0, 700)),
                facebook_id=ids[0],
                instagram_id=ids[1],
                x_id=ids[2],
                interests=tuple(rng.sample(segment.interests, 2)),
                engagement_rate=engagement,
                basket_mean=segment.basket_mean,
                conversion_probability=conversion_probability(segment, age, country, engagement, linked),
            )
        )
    return tuple(members)


def write_truth(path: Path, seed: int, size: int = DEFAULT_SIZE) -> Path:
    """The planted truth, for scoring models only: user_id, segment, conversion_probability."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "segment", "conversion_probability"])
        for member in audience(seed, size):
            writer.writerow([member.user_id, member.segment, f"{member.conversion_probability:.6f}"])
    return path


def rng_for(*parts: object) -> np.random.Generator:
    """A numpy generator seeded from a text key: the same draws in every process."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


@dataclass(frozen=True)
class Columns:
    """The audience as arrays, so a draw over 200,000 people is one vector operation."""

    engagement_rate: np.ndarray
    age: np.ndarray
    country: np.ndarray
    linked: np.ndarray  # platforms with an id
    conversion_probability: np.ndarray  # of buying within 30 days
    has: dict[str, np.ndarray]  # platform -> has an id there
    interest: dict[str, np.ndarray]  # topic -> is one of the member's interests
    signup_ordinal: np.ndarray
    daily_probability: np.ndarray  # of buying on a given day: the daily share of the 30-day probability


@lru_cache(maxsize=8)
def columns(seed: int, size: int = DEFAULT_SIZE) -> Columns:
    members = audience(seed, size)
    return Columns(
        engagement_rate=np.array([m.engagement_rate for m in members]),
        age=np.array([m.age for m in members]),
        country=np.array([m.country for m in members]),
        linked=np.array([m.linked_platforms for m in members]),
        conversion_probability=np.array([m.conversion_probability for m in members]),
        has={p: np.array([getattr(m, f"{p}_id") is not None for m in members]) for p in PLATFORMS},
        interest={t: np.array([t in m.interests for m in members]) for t in TOPICS},
        signup_ordinal=np.array([m.signup_date.toordinal() for m in members]),
        daily_probability=np.array([1 - (1 - m.conversion_probability) ** (1 / 30) for m in members]),
    )


@lru_cache(maxsize=8192)
def engagers(
    seed: int, key: str, topic: str, platform: str, rate_scale: float, size: int = DEFAULT_SIZE
) -> tuple[Member, ...]:
    """Members with an id on `platform` who engage with one piece of content, in engagement order.

    Each engages with probability engagement_rate x rate_scale, three times more
    when the topic is one of their interests (0.6 times otherwise).
    """
    arrays, members = columns(seed, size), audience(seed, size)
    rng = rng_for(seed, "engage", platform, key)
    odds = arrays.engagement_rate * rate_scale * np.where(arrays.interest[topic], 3.0, 0.6)
    chosen = np.flatnonzero(arrays.has[platform] & (rng.random(size) < odds))
    return tuple(members[i] for i in rng.permutation(chosen))


def visible_share(created_at: datetime, as_of: datetime, at_posting: float) -> float:
    """Share of a post's final engagement visible at `as_of`: `at_posting` at once, all after 48 hours."""
    hours = (as_of - created_at).total_seconds() / 3600
    return 0.0 if hours < 0 else min(1.0, at_posting + (1 - at_posting) * hours / 48)
