import pandas as pd
import pytest

from socialpulse.transforms.crm import attribution, clean_orders, clean_users

ORDERS = b"""order_id,user_id,ordered_at,amount,currency,utm_campaign
o1,u1,2026-11-02T10:00:00Z,19.90,usd,10010001
o2,u2,2026-11-02T23:30:00+01:00,5.00,EUR,
o3,u3,yesterday,7.00,EUR,10020001
o4,u4,2026-11-02T11:00:00Z,abc,EUR,10020001
o5,u5,2026-11-02T12:00:00Z,30.10,USD,10010001
"""
USERS = b"""user_id,age,gender,country,city,signup_date,facebook_id,instagram_id,x_id
u1,34,female,US,Chicago,2025-01-02,7000,,
u2,,M,Germany,Berlin,2025-13-01,,1784,
"""


def test_orders_are_typed_in_utc_and_bad_rows_quarantined():
    orders, quarantined = clean_orders(ORDERS)
    assert list(orders.order_id) == ["o1", "o2", "o5"]
    assert str(orders.ordered_at.iloc[1]) == "2026-11-02 22:30:00+00:00"
    assert list(orders.currency) == ["USD", "EUR", "USD"]
    assert pd.isna(orders.utm_campaign.iloc[1])  # organic
    assert list(quarantined.reason) == ["ordered_at is not an ISO time", "amount is not a number"]


def test_attribution_counts_and_sums_per_day_and_campaign():
    orders, _ = clean_orders(ORDERS)
    credited = attribution(orders)
    assert list(credited.campaign_id) == ["10010001"]
    assert credited.attributed_orders.iloc[0] == 2
    assert credited.attributed_revenue.iloc[0] == pytest.approx(50.0)


def test_users_keep_linked_ids_and_quarantine_bad_dates():
    users, quarantined = clean_users(USERS)
    assert list(users.user_id) == ["u1"] and users.facebook_id.iloc[0] == "7000" and pd.isna(users.x_id.iloc[0])
    assert list(quarantined.reason) == ["signup_date is not YYYY-MM-DD"]
