"""The clean zone a first run would leave, generated straight from the simulator: for benchmarks at any size.

Going through HTTP at 200,000 people would measure the simulator, not the audience
steps. This builds the same inputs from the same generators the simulator serves
(the CRM export with its messy values, cleaned by the pipeline's own cleaning; the
posts of the first run's 90-day look-back; the Facebook commenters and X likers and
reposters of each), as of the end of a day.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.jobs.organic import FIRST_RUN_LOOKBACK_DAYS
from socialpulse.transforms.crm import clean_orders, clean_users, read_csv
from socialpulse.transforms.posts import clean_events
from socialpulse.transforms.privacy import Pseudonymizer
from socialpulse.transforms.topics import topic_of
from socialpulse_dev.devenv import DEMO_KEY
from socialpulse_dev.simulator import graph_organic, x_data
from socialpulse_dev.simulator.crm_drop import ORDER_COLUMNS, daily_orders, user_columns, user_rows
from socialpulse_dev.simulator.fx_rates import simulated_rates

ORDER_HISTORY_DAYS = 365  # the CRM's first export: a year of orders


@dataclass(frozen=True)
class CleanZone:
    users: pd.DataFrame
    orders: pd.DataFrame
    events: pd.DataFrame
    posts: pd.DataFrame


def _csv(columns: tuple[str, ...], rows: list[dict]) -> pd.DataFrame:
    """The rows as the CRM's file, read as the pipeline reads it."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return read_csv(out.getvalue().encode())


def _engagement(seed: int, as_of: date, size: int) -> tuple[list[dict], list[dict]]:
    """(posts, raw engagement events) of the first run's look-back, as the simulator serves them at as_of's end."""
    now = datetime.combine(as_of + timedelta(days=1), time(), UTC)
    posts, events = [], []
    for back in range(FIRST_RUN_LOOKBACK_DAYS + 1):
        day = as_of - timedelta(days=back)
        for page in graph_organic.PAGE_IDS:
            for post in graph_organic._content_on(seed, page, day, "page"):
                posts.append(("facebook", post.id, post.created_at, graph_organic.page_post_message(post.topic)))
                events += [
                    ("facebook", post.id, "comment", m.facebook_id)
                    for m in graph_organic.commenters(seed, post, now, size)
                ]
        for account in graph_organic.IG_USER_IDS:  # Instagram names no engaged people
            posts += [
                ("instagram", m.id, m.created_at, graph_organic.media_caption(m.topic))
                for m in graph_organic._content_on(seed, account, day, "ig")
            ]
        for account in x_data.X_ACCOUNTS:
            for post in x_data.posts_on(seed, account, day):
                posts.append(("x", post.id, post.created_at, post.text))
                events += [
                    ("x", post.id, kind, m.x_id)
                    for kind, name in (("like", "like"), ("share", "repost"))
                    for m in x_data.visible_engagers(seed, post, name, now, size)
                ]
    return (
        [{"platform": p, "post_id": i, "created_at": c, "topic": topic_of(t)} for p, i, c, t in posts],
        [{"platform": p, "post_id": i, "kind": k, "user_id": u, "extracted_at": now} for p, i, k, u in events],
    )


def clean_crm(
    size: int, as_of: date, seed: int = 7, secret: str = DEMO_KEY, history_days: int = ORDER_HISTORY_DAYS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(users, orders of `history_days` up to as_of) of the CRM's export, cleaned as the pipeline cleans them."""
    plain = Pseudonymizer(secret)  # a first run: no CRM drop before it links anyone
    users = clean_users(_csv(user_columns(seed), user_rows(seed, as_of, size)), plain).clean
    orders = [o for back in range(history_days, -1, -1) for o in daily_orders(seed, as_of - timedelta(days=back), size)]
    return users, clean_orders(_csv(ORDER_COLUMNS, orders), plain, simulated_rates()).clean


def clean_zone(size: int, as_of: date, seed: int = 7, secret: str = DEMO_KEY) -> CleanZone:
    """Users, a year of orders, and the engagement of 90 days of posts, cleaned as the pipeline cleans them."""
    users, orders = clean_crm(size, as_of, seed, secret)
    plain = Pseudonymizer(secret)
    posts, raw_events = _engagement(seed, as_of, size)
    events = clean_events(pd.DataFrame(raw_events), plain).clean
    return CleanZone(users, orders, events, pd.DataFrame(posts))


def write_clean_zone(lake: lake_zone.Lake, zone: CleanZone, ds: str) -> None:
    """Put the zone in a lake as the first run of ds would have: one partition per entity."""
    for entity, frame in (
        ("crm_users", zone.users),
        ("crm_orders", zone.orders),
        ("engagement_events", zone.events),
        ("post_metrics", zone.posts),
    ):
        lake.clean(entity).write_day(frame, ds)
