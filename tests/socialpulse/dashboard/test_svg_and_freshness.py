"""The inline interval chart and the freshness rules, on tiny inputs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from socialpulse.dashboard.svg import interval_chart, line_chart
from socialpulse.errors import DeclarationError
from socialpulse.freshness import freshness, missed_between, newest_day, targets


def test_the_chart_draws_each_known_value_and_the_band_where_intervals_exist():
    points = [
        {"as_of_date": "2026-10-08", "lift": None, "lift_low": None, "lift_high": None},
        {"as_of_date": "2026-10-09", "lift": 0.10, "lift_low": None, "lift_high": None},
        {"as_of_date": "2026-10-10", "lift": 0.20, "lift_low": -0.05, "lift_high": 0.40},
        {"as_of_date": "2026-10-11", "lift": 0.25, "lift_low": 0.05, "lift_high": 0.45},
    ]
    svg = interval_chart(points)
    line = re.search(r'<polyline class="line" points="([^"]+)"', svg).group(1).split()
    band = re.search(r'<polygon class="band" points="([^"]+)"', svg).group(1).split()
    assert len(line) == 3 and len(band) == 4  # 3 known lifts; 2 intervals, upper and lower edge
    assert "+45%" in svg and "-5%" in svg and "2026-10-08" in svg and "2026-10-11" in svg
    ys = [float(p.split(",")[1]) for p in line]
    assert ys[0] > ys[1] > ys[2]  # rising lift is drawn upwards
    assert interval_chart(points[:1]) == ""


def test_a_trend_line_spans_its_own_values_without_the_zero_line():
    days = [
        {"day": "2026-10-01", "spend": 100.0},
        {"day": "2026-10-02", "spend": None},
        {"day": "2026-10-03", "spend": 300.0},
    ]
    svg = line_chart(days, "spend", "day")
    ys = [float(p.split(",")[1]) for p in re.search(r'class="line" points="([^"]+)"', svg).group(1).split()]
    assert len(ys) == 2 and ys[0] > ys[1] and 'class="zero"' not in svg and 'class="band"' not in svg
    assert ">300<" in svg and ">100<" in svg and ">0<" not in svg  # the axis is the values' own range
    assert line_chart(days, "clicks", "day") == ""


def test_a_day_is_due_by_its_target_hour_of_the_next_day():
    hour = 6
    before = datetime(2026, 11, 3, 5, 59, tzinfo=UTC)
    after = datetime(2026, 11, 3, 6, 1, tzinfo=UTC)
    assert freshness(date(2026, 11, 1), hour, before)["on_time"]  # 11-02 not due until 06:00 of 11-03
    late = freshness(date(2026, 11, 1), hour, after)
    assert not late["on_time"] and late["due_day"] == date(2026, 11, 2)
    assert round(late["late_hours"] * 60) == 1
    assert freshness(date(2026, 11, 2), hour, after)["on_time"]
    assert freshness(None, hour, after) == {
        "last_day": None,
        "due_day": date(2026, 11, 2),
        "on_time": False,
        "late_hours": None,
    }


def test_a_missed_day_is_named_once_in_the_hour_its_target_passes():
    hour = 6
    first = datetime(2026, 11, 3, 6, tzinfo=UTC)
    hours = [(first + timedelta(hours=h), first + timedelta(hours=h + 1)) for h in range(-30, 30)]
    named = [(start, missed_between(date(2026, 11, 1), hour, start, end)) for start, end in hours]
    assert [(start, day) for start, day in named if day] == [  # each missing day once, the hour it fell due
        (first, date(2026, 11, 2)),
        (first + timedelta(days=1), date(2026, 11, 3)),
    ]
    assert missed_between(date(2026, 11, 2), hour, first, first + timedelta(hours=1)) is None  # loaded in time
    assert missed_between(None, hour, first, first + timedelta(hours=1)) == date(2026, 11, 2)
    day_long = missed_between(date(2026, 10, 1), hour, first - timedelta(hours=12), first + timedelta(hours=12))
    assert day_long == date(2026, 11, 2)  # a daily check names the day due within it
    down = (first - timedelta(days=2, hours=3), first + timedelta(hours=5))  # no check ran for two days
    assert missed_between(date(2026, 10, 30), hour, *down) == date(2026, 11, 2)  # the newest that fell due meanwhile
    assert missed_between(date(2026, 11, 2), hour, *down) is None


def test_a_source_is_as_fresh_as_its_stalest_entity():
    newest = {"post_metrics": date(2026, 11, 3), "engagement_events": date(2026, 11, 2)}
    assert newest_day(newest, ("post_metrics", "engagement_events")) == date(2026, 11, 2)
    assert newest_day(newest, ("crm_users", "crm_orders")) is None
    assert newest_day(newest, ("post_metrics", "crm_orders")) is None


DEFAULTS = {"crm_daily": 8, "meta_ads_daily": 6}


def test_a_setting_overrides_the_targets_it_names_and_keeps_the_others():
    assert targets(DEFAULTS, None, "v") == targets(DEFAULTS, "", "v") == DEFAULTS
    assert targets(DEFAULTS, '{"crm_daily": 11}', "v") == {"crm_daily": 11, "meta_ads_daily": 6}
    assert targets(DEFAULTS, {"meta_ads_daily": 0}, "v") == {"crm_daily": 8, "meta_ads_daily": 0}


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("{crm_daily: 9}", r"variable 'x':1: not JSON \(.*\): write an object such as"),
        ("[9]", "must be a JSON object of source DAG to UTC hour"),
        (
            '{"crm_dialy": 9}',
            r"names 1 key that is not a source DAG \(text of 9 characters, did you mean crm_daily\?\): "
            "use crm_daily, meta_ads_daily",
        ),
        ('{"crm_daily": 9, "crm_daily": 10}', "a key is repeated in one object"),
        ('{"crm_daily": 24}', "the hour of crm_daily must be a whole UTC hour from 0 to 23"),
        ('{"crm_daily": "9"}', "the hour of crm_daily must be"),
        ('{"crm_daily": true}', "the hour of crm_daily must be"),
    ],
)
def test_a_wrong_target_names_the_setting_and_what_to_write(setting, message):
    with pytest.raises(DeclarationError, match=message):
        targets(DEFAULTS, setting, "variable 'x'")
    assert DeclarationError.retryable is False
