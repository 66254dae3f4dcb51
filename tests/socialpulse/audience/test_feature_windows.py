"""The propensity model's rows for a day are the same whether the day's run computes them or a run 10 days later
does (as a training snapshot): no engagement seen after the day, no window the later run sees more of."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from socialpulse.audience import propensity
from socialpulse.audience.profiles import AudienceInputs
from socialpulse.transforms.posts import clean_events
from socialpulse.transforms.privacy import Pseudonymizer
from socialpulse_dev.audience_inputs import _engagement, clean_crm
from socialpulse_dev.devenv import DEMO_KEY

pytestmark = pytest.mark.integration  # generates two clean zones from the simulator

DAY = date(2026, 10, 4)
LATER = DAY + timedelta(days=10)
SIZE = 800


def inputs_known_on(day: date, oldest_post: date) -> AudienceInputs:
    """What a run on `day` knows: the CRM's export since DAY - 365, and the posts since `oldest_post` with the
    engagers visible at the day's end."""
    users, orders = clean_crm(SIZE, day, history_days=365 + (day - DAY).days)
    posts, raw = _engagement(7, day, SIZE)
    posts = pd.DataFrame(posts)
    posts = posts[posts["created_at"] >= pd.Timestamp(oldest_post, tz="UTC")]
    events = clean_events(pd.DataFrame(raw), Pseudonymizer(DEMO_KEY)).clean
    return AudienceInputs.resolve(users, orders, events, posts)


@pytest.fixture(scope="module")
def known() -> tuple[AudienceInputs, AudienceInputs]:
    oldest = LATER - timedelta(days=80)  # both runs' look-backs reach it
    return inputs_known_on(DAY, oldest), inputs_known_on(LATER, oldest)


def test_a_days_rows_are_the_same_when_computed_that_day_or_later(known):
    on_the_day, later = (propensity.feature_rows(k, DAY)[["person_id", *propensity.FEATURES]] for k in known)
    pd.testing.assert_frame_equal(on_the_day, later)
    assert on_the_day["engagements_7d"].sum() > 0 and on_the_day["orders_180d"].sum() > 0  # not vacuous


def test_without_settling_the_later_run_counts_engagement_from_after_the_day(known):
    from socialpulse.audience.profiles import engagement_counts

    on_the_day, later = (engagement_counts(k.events, DAY)["engagements_7d"].sum() for k in known)
    assert later > on_the_day  # engagers that arrived after the day's end, on its last two days' posts
