import csv
import statistics
from datetime import date

from socialpulse_dev.simulator import meta_data
from socialpulse_dev.simulator.audience import SEGMENTS, audience, conversion_probability
from socialpulse_dev.simulator.crm_drop import daily_orders, main, write_drop

DAY = date(2026, 11, 2)


def test_audience_is_stable_for_a_seed_and_differs_across_seeds():
    assert audience(7, 300) == audience(7, 300)
    assert audience(7, 300) != audience(8, 300)


def test_segments_have_their_own_demographics_and_conversion():
    members = audience(7)
    by_segment = {s.name: [m for m in members if m.segment == s.name] for s in SEGMENTS}
    assert statistics.mean(m.age for m in by_segment["trend_seekers"]) < statistics.mean(
        m.age for m in by_segment["professionals"]
    )
    assert (
        statistics.mean(m.conversion_probability for m in by_segment["casual_browsers"])
        < statistics.mean(m.conversion_probability for m in by_segment["young_families"]) / 5
    )
    assert all(0 < m.conversion_probability < 1 for m in members)


def test_conversion_is_non_linear_in_observables():
    segment = SEGMENTS[0]

    def p(age=34, engagement=0.05):
        return conversion_probability(segment, age, "US", engagement, 1)

    assert p(age=34) > p(age=20) and p(age=34) > p(age=60)  # an optimum, not a slope
    assert p(engagement=0.04) - p(engagement=0.0) > p(engagement=0.16) - p(engagement=0.12)  # saturates


def test_crm_drop_files_and_truth(tmp_path):
    folder = write_drop(tmp_path, DAY)
    with (folder / "users.csv").open() as handle:
        users = list(csv.DictReader(handle))
    with (folder / "orders.csv").open() as handle:
        orders = list(csv.DictReader(handle))
    with (tmp_path / "_truth" / "audience_truth.csv").open() as handle:
        truth = list(csv.DictReader(handle))
    assert len(users) == len(truth) == 5000
    assert {u["user_id"] for u in users} == {t["user_id"] for t in truth}
    assert orders and all(o["ordered_at"].startswith("2026-11-02T") for o in orders)
    campaigns = {c for a in meta_data.ACCOUNTS for c, _ in meta_data.campaigns(7, a)}
    assert {o["utm_campaign"] for o in orders} - {""} <= campaigns
    assert "" in {o["utm_campaign"] for o in orders}  # organic orders too


def test_crm_drop_carries_a_little_mess_for_cleaning_to_handle(tmp_path):
    with (write_drop(tmp_path, DAY) / "users.csv").open() as handle:
        users = list(csv.DictReader(handle))
    odd_gender = [u for u in users if u["gender"] not in ("female", "male")]
    country_names = [u for u in users if len(u["country"]) > 2]
    bad_ages = [u for u in users if not u["age"] or not 13 <= int(u["age"]) <= 100]
    for messy in (odd_gender, country_names, bad_ages):
        assert 0 < len(messy) < len(users) * 0.05


def test_buyers_follow_the_planted_probabilities():
    members = {m.user_id: m for m in audience(7)}
    month = [o for day in range(1, 31) for o in daily_orders(7, date(2026, 9, day))]
    buyers = {o["user_id"] for o in month}
    rate = {
        s.name: statistics.mean(uid in buyers for uid, m in members.items() if m.segment == s.name) for s in SEGMENTS
    }
    assert rate["casual_browsers"] < rate["professionals"] < rate["young_families"]


def test_cli_writes_the_drop(tmp_path, capsys):
    main(["--out", str(tmp_path), "--date", "2026-11-02"])
    assert (tmp_path / "ds=2026-11-02" / "orders.csv").exists()
    assert "ds=2026-11-02" in capsys.readouterr().out
