"""The simulator's audience size (`people`): what benchmarks scale. Engagement grows with it, over HTTP."""

from __future__ import annotations

import csv
from datetime import date

import requests

from socialpulse_dev.simulator.crm_drop import main as crm_drop
from socialpulse_dev.simulator.server import DEFAULT_X_TOKEN
from socialpulse_dev.simulator.x_data import X_ACCOUNTS

WINDOW = {"start_time": "2026-10-20T00:00:00Z", "end_time": "2026-10-27T00:00:00Z", "max_results": 100}


def x_engagement(url: str) -> tuple[int, int]:
    """(likes the posts of WINDOW report, likers listed for the most liked one) of the first X account."""
    headers = {"Authorization": f"Bearer {DEFAULT_X_TOKEN}"}
    posts = requests.get(
        f"{url}/2/users/{X_ACCOUNTS[0].user_id}/tweets", params=WINDOW, headers=headers, timeout=30
    ).json()["data"]
    top = max(posts, key=lambda p: p["public_metrics"]["like_count"])
    likers, token = 0, None
    while True:
        page = requests.get(
            f"{url}/2/tweets/{top['id']}/liking_users",
            headers=headers,
            timeout=30,
            params={"pagination_token": token} if token else {},
        ).json()
        likers += len(page.get("data", []))
        if not (token := page["meta"].get("next_token")):
            break
    assert likers == top["public_metrics"]["like_count"]  # the counts and the lists agree at any size
    return sum(p["public_metrics"]["like_count"] for p in posts), likers


def test_four_times_the_people_like_about_four_times_as_much(simulator):
    small, large = (x_engagement(simulator(people=people, as_of=date(2026, 10, 30))) for people in (5_000, 20_000))
    assert small[0] > 0
    assert 3.0 < large[0] / small[0] < 5.0, (small, large)
    assert large[1] > small[1]


def test_the_crm_drop_cli_writes_that_many_people(tmp_path, capsys):
    crm_drop(["--out", str(tmp_path), "--date", "2026-11-02", "--people", "1200"])
    with (tmp_path / "ds=2026-11-02" / "users.csv").open() as handle:
        users = list(csv.DictReader(handle))
    assert 1000 < len(users) <= 1200  # those signed up by the drop's day
    assert "ds=2026-11-02" in capsys.readouterr().out
