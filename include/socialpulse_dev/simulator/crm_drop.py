"""A day's first-party CRM drop: users.csv (all users signed up so far) and orders.csv (that day's orders).

`python -m socialpulse_dev.simulator.crm_drop --out DIR --date YYYY-MM-DD [--seed 7]` writes
DIR/ds=YYYY-MM-DD/{users,orders}.csv and the planted truth to DIR/_truth/ (never read by the pipeline).
Like real exports, users carry names, emails and phones (typed as people type them: contacts.py),
and a small share of values is messy: gender spellings, impossible ages, country names instead of ISO codes.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from socialpulse_dev.simulator import campaign_response, contacts, experiments
from socialpulse_dev.simulator.audience import DEFAULT_SIZE, Member, audience, columns, rng_for, write_truth

USER_COLUMNS = (
    "user_id",
    "name",
    "email",
    "phone",
    "age",
    "gender",
    "country",
    "city",
    "signup_date",
    "facebook_id",
    "instagram_id",
    "x_id",
    "marketing_consent",
    experiments.HOLDOUT_COLUMN,
)


def user_columns(seed: int) -> tuple[str, ...]:
    """users.csv's header: USER_COLUMNS, then a column per campaign's past lists (campaign_response.py)."""
    return (*USER_COLUMNS, *(c.column for c in campaign_response.campaigns(seed)))


ORDER_COLUMNS = ("order_id", "user_id", "ordered_at", "amount", "currency", "utm_campaign")
ERASURE_COLUMNS = ("user_id", "id_namespace")
UNKNOWN_ID = "u999999"  # an erasure request for nobody: a typo, which the pipeline reports as not found

# Country -> (currency, units per USD); the ad accounts that reach each are campaign_response.ACCOUNT_MARKETS
MARKETS = {
    "US": ("USD", 1.0),
    "GB": ("GBP", 0.79),
    "DE": ("EUR", 0.92),
    "FR": ("EUR", 0.92),
    "JP": ("JPY", 150.0),
    "BR": ("BRL", 5.0),
}
_GENDER_SPELLINGS = {"female": ("F", "Female", "w"), "male": ("M", "Male", "m")}
TAGGED_SHARE = 0.6  # of the purchases of a person a campaign reached: through its link (the rest organic)
CONSENT_SHARE = 0.8  # of the users who agreed to marketing
_CONSENT_SPELLINGS = {True: ("true", "yes", "Y", "1", "opted_in"), False: ("false", "no", "N", "0", "")}
_COUNTRY_NAMES = {
    "US": "United States",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "JP": "Japan",
    "BR": "Brazil",
}


def _user_row(seed: int, member: Member, size: int) -> dict:
    rng = random.Random(f"{seed}|crm|{member.user_id}")
    gender = rng.choice(_GENDER_SPELLINGS[member.gender]) if rng.random() < 0.03 else member.gender
    age: object = member.age
    if rng.random() < 0.005:
        age = rng.choice([7, 150, ""])
    country = _COUNTRY_NAMES[member.country] if rng.random() < 0.03 else member.country
    email, phone = contacts.typed(seed, size)[int(member.user_id[1:])]
    return {
        "user_id": member.user_id,
        "name": member.name,
        "email": email,
        "phone": phone,
        "age": age,
        "gender": gender,
        "country": country,
        "city": member.city,
        "signup_date": member.signup_date.isoformat(),
        "facebook_id": member.facebook_id or "",
        "instagram_id": member.instagram_id or "",
        "x_id": member.x_id or "",
        "marketing_consent": rng.choice(_CONSENT_SPELLINGS[consents(member.user_id)]),
        experiments.HOLDOUT_COLUMN: experiments.retargeting_group(member.user_id),
        **campaign_response.groups(seed, int(member.user_id[1:]), size),
    }


def user_rows(seed: int, day: date, size: int = DEFAULT_SIZE) -> list[dict]:
    """users.csv's rows on `day`: everyone signed up by then."""
    return [_user_row(seed, m, size) for m in audience(seed, size) if m.signup_date <= day]


def consents(user_id: str) -> bool:
    """Whether a user agreed to marketing: a stable draw from the id (blank in the drop counts as no)."""
    return random.Random(f"consent|{user_id}").random() < CONSENT_SHARE


@lru_cache(maxsize=8)
def held_out(seed: int, size: int) -> np.ndarray:
    """Whether each member is in the retargeting holdout."""
    return np.array([experiments.retargeting_group(m.user_id) == "holdout" for m in audience(seed, size)])


def daily_orders(seed: int, day: date, size: int = DEFAULT_SIZE) -> list[dict]:
    """Orders placed on `day`: each user buys with the daily share of their 30-day probability, and the
    people a campaign's lists reached buy through it too (campaign_response.py).

    From the holdout experiment's start, the held-out people (experiments.py) buy less often:
    the targeted ones buy TARGETED_LIFT times as often. Of a person's own purchases, TAGGED_SHARE
    come through one of the campaigns that reached them (sure things are counted too, as
    attribution counts them); the purchases a campaign causes all come through it.
    """
    arrays, members = columns(seed, size), audience(seed, size)
    rng = rng_for(seed, "orders", day.isoformat())
    probability = arrays.daily_probability
    if day >= experiments.holdout_start():
        probability = np.where(held_out(seed, size), probability / experiments.TARGETED_LIFT, probability)
    signed_up = arrays.signup_ordinal <= day.toordinal()
    reached = campaign_response.reached_by(seed, size)
    bought = []
    for index in np.flatnonzero(signed_up & (rng.random(size) < probability)):
        tagged = reached[index] and rng.random() < TAGGED_SHARE
        bought.append((index, reached[index][int(rng.integers(len(reached[index])))] if tagged else "", rng))
    caused_rng = rng_for(seed, "campaign orders", day.isoformat())
    for campaign in campaign_response.campaigns(seed):
        caused = caused_rng.random(size) < campaign_response.daily_extra(seed, campaign.campaign_id, size)
        bought += [(index, campaign.campaign_id, caused_rng) for index in np.flatnonzero(signed_up & caused)]
    orders = []
    for index, campaign_id, draws in bought:
        member = members[index]
        currency, per_usd = MARKETS[member.country]
        ordered_at = datetime.combine(day, time(), UTC) + timedelta(seconds=int(draws.integers(86_400)))
        amount = float(draws.lognormal(0, 0.5)) * member.basket_mean * per_usd
        orders.append(
            {
                "order_id": f"o{day:%Y%m%d}{len(orders):05d}",
                "user_id": member.user_id,
                "ordered_at": ordered_at.isoformat().replace("+00:00", "Z"),
                "amount": f"{amount:.0f}" if currency == "JPY" else f"{amount:.2f}",
                "currency": currency,
                "utm_campaign": campaign_id,
            }
        )
    return orders


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def write_drop(out: Path, day: date, seed: int = 7, history_days: int = 0, size: int = DEFAULT_SIZE) -> Path:
    """Write the day's drop and the truth file; returns the drop's folder.

    With `history_days`, orders.csv is a full export: the orders of that many days
    before `day` as well, as a CRM's first export carries the past.
    """
    folder = out / f"ds={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / "users.csv", user_columns(seed), user_rows(seed, day, size))
    orders = [o for back in range(history_days, -1, -1) for o in daily_orders(seed, day - timedelta(days=back), size)]
    _write_csv(folder / "orders.csv", ORDER_COLUMNS, orders)
    write_truth(out / "_truth" / "audience_truth.csv", seed, size)
    campaign_response.write_truth(out / "_truth" / "campaign_response.csv", seed, size)
    return folder


def erasure_requests(seed: int, day: date, size: int = DEFAULT_SIZE) -> list[dict]:
    """Three people who engage and buy and asked to be forgotten by `day` (two by CRM id, one by the X id the CRM
    links to them), and one id nobody has: a day's suppression list as a CRM exports it."""
    members = sorted(
        (m for m in audience(seed, size) if m.signup_date <= day and m.x_id and m.facebook_id),
        key=lambda m: (-m.engagement_rate * m.conversion_probability, m.user_id),
    )
    first, second, third = members[:3]
    return [
        {"user_id": first.user_id, "id_namespace": "crm"},
        {"user_id": second.user_id, "id_namespace": ""},
        {"user_id": third.x_id, "id_namespace": "x"},
        {"user_id": UNKNOWN_ID, "id_namespace": "crm"},
    ]


def write_erasure_requests(out: Path, day: date, requests: list[dict]) -> Path:
    """The day's erasure_requests.csv beside its users.csv and orders.csv."""
    path = out / f"ds={day.isoformat()}" / "erasure_requests.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_csv(path, ERASURE_COLUMNS, requests)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m socialpulse_dev.simulator.crm_drop", description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--date", type=date.fromisoformat, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--history-days", type=int, default=0, help="a full export: past orders too")
    parser.add_argument("--people", type=int, default=DEFAULT_SIZE, help="people in the simulated audience")
    args = parser.parse_args(argv)
    print(write_drop(args.out, args.date, args.seed, args.history_days, args.people))


if __name__ == "__main__":
    main()
