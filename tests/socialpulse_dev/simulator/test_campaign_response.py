"""The planted response to campaigns: goals and topics, who is persuadable, the past lists' holdouts, tagged orders."""

import csv
from collections import Counter
from datetime import date, timedelta

import numpy as np

from socialpulse_dev.simulator import campaign_response
from socialpulse_dev.simulator.audience import audience, columns
from socialpulse_dev.simulator.crm_drop import daily_orders, write_drop

SEED = 7


def test_uplift_follows_interests_and_fit_and_never_lowers_the_chance():
    arrays = columns(SEED)
    for campaign in campaign_response.campaigns(SEED):
        in_market, p_if_not, p_if_reached = campaign_response.response(SEED, campaign.campaign_id)
        uplift = p_if_reached - p_if_not
        assert (uplift >= 0).all() and (p_if_reached < 1).all()
        assert set(np.unique(arrays.country[in_market])) <= set(campaign_response.ACCOUNT_MARKETS[campaign.account_id])
        shared = sum(arrays.interest[t].astype(int) for t in campaign.topics)
        assert (uplift[shared == 0] == 0).all()  # no shared interest: a sure thing or a lost cause
        if (shared == 2).any() and (shared == 1).any():
            assert uplift[shared == 2].mean() > uplift[shared == 1].mean()
    retarget = next(c for c in campaign_response.campaigns(SEED) if c.goal == "retarget")
    _, p_if_not, p_if_reached = campaign_response.response(SEED, retarget.campaign_id)
    matched = sum(arrays.interest[t].astype(int) for t in retarget.topics) >= 1
    engaged = arrays.engagement_rate > np.median(arrays.engagement_rate[matched])
    caused = p_if_reached - p_if_not
    assert caused[matched & engaged].mean() > 1.2 * caused[matched & ~engaged].mean()  # status against the goal


def test_past_lists_reach_half_their_market_and_the_crm_records_the_groups(tmp_path):
    folder = write_drop(tmp_path, date(2026, 11, 2))
    with (folder / "users.csv").open() as handle:
        users = {u["user_id"]: u for u in csv.DictReader(handle)}
    members = audience(SEED)
    for campaign in campaign_response.campaigns(SEED):
        in_market = campaign_response.response(SEED, campaign.campaign_id)[0]
        sent = campaign_response.sent(SEED, campaign.campaign_id)
        assert 0.4 < sent.sum() / in_market.sum() < 0.6 and not (sent & ~in_market).any()
        recorded = Counter(users[m.user_id][campaign.column] for m in members if m.user_id in users)
        assert set(recorded) == {"sent", "holdout", ""}
        assert recorded["sent"] == sum(s for s, m in zip(sent, members, strict=True) if m.user_id in users)


def test_orders_through_a_campaign_come_from_the_people_it_reached():
    reached = campaign_response.reached_by(SEED)
    index = {m.user_id: i for i, m in enumerate(audience(SEED))}
    month = [o for back in range(30) for o in daily_orders(SEED, date(2026, 10, 31) - timedelta(days=back))]
    tagged = [o for o in month if o["utm_campaign"]]
    assert tagged and all(o["utm_campaign"] in reached[index[o["user_id"]]] for o in tagged)
    assert [o for o in month if not o["utm_campaign"]]  # organic orders too


def test_reached_people_buy_more_where_the_uplift_is_planted():
    """Over a year of orders, the sent people with the most planted uplift buy more than their holdout twins."""
    campaign = max(
        campaign_response.campaigns(SEED),
        key=lambda c: np.diff(campaign_response.response(SEED, c.campaign_id)[1:], axis=0).sum(),
    )
    in_market, p_if_not, p_if_reached = campaign_response.response(SEED, campaign.campaign_id)
    persuadable = in_market & (p_if_reached - p_if_not > np.quantile((p_if_reached - p_if_not)[in_market], 0.75))
    sent = campaign_response.sent(SEED, campaign.campaign_id)
    index = {m.user_id: i for i, m in enumerate(audience(SEED))}
    counts = np.zeros(len(index))
    for back in range(0, 360, 3):
        for order in daily_orders(SEED, date(2026, 10, 31) - timedelta(days=back)):
            counts[index[order["user_id"]]] += 1
    sent_rate, holdout_rate = counts[persuadable & sent].mean(), counts[persuadable & ~sent].mean()
    assert sent_rate > 1.1 * holdout_rate


def test_truth_file_has_a_row_per_person_in_each_campaigns_market(tmp_path):
    write_drop(tmp_path, date(2026, 11, 2))
    with (tmp_path / "_truth" / "campaign_response.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    expected = sum(
        int(campaign_response.response(SEED, c.campaign_id)[0].sum()) for c in campaign_response.campaigns(SEED)
    )
    assert len(rows) == expected
    assert all(float(r["p_if_reached"]) >= float(r["p_if_not"]) for r in rows)
    assert list(rows[0]) == ["user_id", "campaign_id", "p_if_reached", "p_if_not"]
