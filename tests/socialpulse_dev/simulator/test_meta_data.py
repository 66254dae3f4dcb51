from datetime import date

from socialpulse_dev.simulator import meta_data

US = meta_data.ACCOUNTS[0]


def test_rows_depend_only_on_seed_account_and_date():
    first = meta_data.insight_rows(7, US, date(2026, 10, 1), date(2026, 10, 3), as_of=date(2026, 12, 31))
    again = meta_data.insight_rows(7, US, date(2026, 10, 1), date(2026, 10, 3), as_of=date(2026, 12, 31))
    other_seed = meta_data.insight_rows(8, US, date(2026, 10, 1), date(2026, 10, 3), as_of=date(2026, 12, 31))
    assert first == again
    assert first != other_seed
    assert {r["date_start"] for r in first} == {"2026-10-01", "2026-10-02", "2026-10-03"}


def test_conversions_are_restated_for_28_days_then_settle():
    campaign = meta_data.campaigns(7, US)[0]
    day = date(2026, 10, 1)

    def purchases(as_of):
        row = meta_data.insight_row(7, US, campaign, day, as_of)
        return next((int(a["value"]) for a in row["actions"] if a["action_type"] == "purchase"), 0)

    series = [purchases(date.fromordinal(day.toordinal() + age)) for age in (1, 10, 28, 40)]
    assert series == sorted(series)
    assert series[0] < series[2] == series[3]


def test_no_rows_after_the_simulators_today():
    assert (
        meta_data.insight_rows(7, US, date(2026, 11, 1), date(2026, 11, 5), as_of=date(2026, 11, 2))[-1]["date_start"]
        == "2026-11-02"
    )


def test_account_lookup_accepts_act_prefix():
    assert meta_data.account("act_1002").currency == "EUR"
    assert meta_data.account("999") is None


def test_the_simulators_briefs_declare_each_campaign_with_its_themes_goal_and_topics():
    from socialpulse.audience.briefs import parse

    briefs, errors = parse(meta_data.BRIEFS_FILE.read_text(), str(meta_data.BRIEFS_FILE))
    assert errors == ()
    declared = {b.campaign_ids: (b.account_id, b.goal, b.topics) for b in briefs}
    planted = {
        (campaign,): (account.account_id, *meta_data.THEME_BRIEFS[name.split(" - ", 1)[1]])
        for account in meta_data.ACCOUNTS
        for campaign, name in meta_data.campaigns(7, account)
    }
    assert declared == planted
