"""The daily evaluation on a real warehouse and lake, against the simulator's planted experiments."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.experiments.declarations import ExperimentError, parse
from socialpulse.jobs.experiments import evaluate_all
from socialpulse.transforms.entities import CAMPAIGN_METRICS_DAILY
from socialpulse.transforms.meta_ads import clean_insights
from socialpulse.warehouse import apply_migrations, upsert_frame
from socialpulse_dev.audience_inputs import clean_crm
from socialpulse_dev.simulator import experiments as planted
from socialpulse_dev.simulator import meta_data
from socialpulse_dev.simulator.fx_rates import simulated_rates
from tests.socialpulse.test_bounded_input import EXPERIMENT

pytestmark = pytest.mark.integration  # whole steps on a generated lake and warehouse

DS = "2026-11-03"
START = date(2026, 10, 8)
AS_OF = date(2026, 11, 5)  # the simulator's today: conversions of the last days still being restated


def load_campaign_days(conn, last: date, drop=lambda row: False) -> None:
    """The planted split tests' days from their start to `last`, cleaned and loaded as meta_ads_daily does."""
    rows = [
        r
        for acct in meta_data.ACCOUNTS
        for d in range((last - START).days + 1)
        for r in meta_data.experiment_rows(7, acct, START + timedelta(days=d), AS_OF)
        if not drop(r)
    ]
    clean = clean_insights([({"extracted_at": "2026-11-05T06:00:00+00:00"}, {"data": rows})], simulated_rates()).clean
    upsert_frame(conn, CAMPAIGN_METRICS_DAILY, clean, "test-load")


@pytest.fixture
def lake(tmp_path) -> lake_zone.Lake:
    users, orders = clean_crm(5000, date.fromisoformat(DS), history_days=60)
    root = lake_zone.Lake.at(tmp_path / "lake")
    root.clean("crm_users").write_day(users, DS)
    root.clean("crm_orders").write_day(orders, DS)
    return root


def results(conn) -> pd.DataFrame:
    cursor = conn.cursor()
    cursor.execute("SELECT * FROM experiment_results ORDER BY experiment, as_of_date, metric, arm")
    frame = pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])
    return frame.assign(as_of_date=frame["as_of_date"].astype(str))


def test_the_planted_experiments_are_read_as_planted_and_a_rerun_changes_nothing(warehouse_conn, lake):
    apply_migrations(warehouse_conn)
    load_campaign_days(warehouse_conn, date.fromisoformat(DS))
    declared = tuple(planted.declared().values())
    outcome = evaluate_all(warehouse_conn, lake, declared, DS, "run-1")
    assert outcome["video_creative"]["decision"] == "winner" and outcome["video_creative"]["winning_arm"] == "video"
    assert outcome["headline_copy"]["decision"] == "sample_ratio_mismatch"
    assert outcome["lookalike_audience"]["decision"] in {"keep_running", "no_meaningful_difference"}
    assert outcome["retargeting_holdout"]["decision"] != "sample_ratio_mismatch"
    rows = results(warehouse_conn)
    looks = (date.fromisoformat(DS) - START).days + 1
    assert rows.groupby("experiment")["as_of_date"].nunique().to_dict() == {e.name: looks for e in declared}
    broken = rows[(rows["experiment"] == "headline_copy")]
    assert set(broken[broken["as_of_date"] == START.isoformat()]["decision"]) == {"sample_ratio_mismatch"}
    holdout = rows[(rows["experiment"] == "retargeting_holdout") & (rows["as_of_date"] == DS)].set_index(
        ["metric", "arm"]
    )
    members = (
        holdout.loc[("conversions_per_person", "holdout"), "units"]
        + holdout.loc[("conversions_per_person", "targeted"), "units"]
    )
    assert holdout.loc[("conversions_per_person", "holdout"), "units"] / members == pytest.approx(0.2, abs=0.02)
    targeted = holdout.loc[("conversions_per_person", "targeted")]  # CUPED on each person's 28 days before
    assert targeted["adjustment"] == "cuped" and 0 < targeted["variance_reduction"] < 1
    assert targeted["detectable_lift"] > 0 and "CUPED on each person's 28 days" in targeted["detail"]
    assert "at this traffic the smallest lift detectable with 80% power is" in targeted["detail"]
    assert set(rows[rows["experiment"] == "video_creative"]["adjustment"]) == {"none"}  # campaign arms
    charts = sorted(p.name for p in (lake.root / "reports" / "experiments" / f"ds={DS}").iterdir())
    assert charts == sorted(f"{e.name}.png" for e in declared)

    evaluate_all(warehouse_conn, lake, declared, DS, "run-2")
    again = results(warehouse_conn)
    assert set(again["run_id"]) == {"run-2"}
    pd.testing.assert_frame_equal(rows.drop(columns="run_id"), again.drop(columns="run_id"))


def test_an_ended_experiment_gets_a_final_read_and_one_not_started_a_plan(sqlite_conn, lake):
    apply_migrations(sqlite_conn)
    load_campaign_days(sqlite_conn, date.fromisoformat(DS))
    declared = planted.declared()
    ended = replace(declared["video_creative"], end_date=date(2026, 10, 20))
    later = replace(declared["retargeting_holdout"], start_date=date(2026, 11, 10), end_date=date(2026, 11, 12))
    outcome = evaluate_all(sqlite_conn, lake, (ended, later), DS, "run")
    rows = results(sqlite_conn)
    final = rows[rows["look"] == "final"]
    assert set(final["as_of_date"]) == {"2026-10-21"} and set(final["experiment"]) == {"video_creative"}
    assert outcome["video_creative"]["look"] == "final" and outcome["video_creative"]["decision"] == "winner"
    assert rows[rows["look"] == "daily"]["as_of_date"].max() == "2026-10-20"
    assert outcome["retargeting_holdout"]["decision"] == "not_started"
    assert re.fullmatch(
        r"planned at the traffic of the 28 days to 2026-11-03 \(no CUPED in the plan\): a lift of [\d.]+% is "
        r"detectable after 28 days with 80% power; 10% needs (about \d+ days|more than a year); the end date allows "
        r"3: underpowered at this traffic",
        outcome["retargeting_holdout"]["plan"],
    ), outcome["retargeting_holdout"]["plan"]


def test_a_backfill_rewrites_its_looks_and_leaves_later_ones(warehouse_conn, lake):
    apply_migrations(warehouse_conn)
    load_campaign_days(warehouse_conn, date.fromisoformat(DS))
    video = (planted.declared()["video_creative"],)
    evaluate_all(warehouse_conn, lake, video, DS, "later")
    evaluate_all(warehouse_conn, lake, video, "2026-10-20", "backfill")
    rows = results(warehouse_conn)
    assert set(rows[rows["as_of_date"] <= "2026-10-20"]["run_id"]) == {"backfill"}
    assert set(rows[rows["as_of_date"] > "2026-10-20"]["run_id"]) == {"later"}


def test_campaigns_without_data_and_an_arm_that_stops(sqlite_conn, lake):
    apply_migrations(sqlite_conn)
    stopped_after = "2026-10-20"
    load_campaign_days(
        sqlite_conn,
        date.fromisoformat(DS),
        drop=lambda row: row["campaign_id"] == "10029002" and row["date_start"] > stopped_after,
    )
    declared = planted.declared()["lookalike_audience"]
    future = parse(
        planted.PLANTED_FILE.read_text().replace('"10019001"', '"555"').replace('"10019002"', '"556"'),
        "experiments.yaml",
    )[0]
    outcome = evaluate_all(sqlite_conn, lake, (declared, future), DS, "run")
    assert outcome["video_creative"]["decision"] == "keep_running"
    assert outcome["video_creative"]["detail"] == "waiting for data: no units yet in ['static_image', 'video']"
    assert outcome["lookalike_audience"]["decision"] == "sample_ratio_mismatch"
    assert f"arm 'lookalike' has received no traffic since {stopped_after}" in outcome["lookalike_audience"]["detail"]
    assert evaluate_all(sqlite_conn, lake, (declared,), "2026-10-01", "early") == {
        "lookalike_audience": {
            "decision": "not_started",
            "plan": "no plan: too little traffic in the 28 days to 2026-10-01 to compare the arms",
        },
    }


def test_data_that_contradict_a_declaration_name_it_after_the_others_are_written(sqlite_conn, lake):
    apply_migrations(sqlite_conn)
    load_campaign_days(sqlite_conn, date.fromisoformat(DS))
    text = planted.PLANTED_FILE.read_text().replace(
        "primary_metric: click_through_rate", "primary_metric: conversions_per_click"
    )
    text = text.replace("crm_column: experiment_retargeting", "crm_column: experiment_retargetting")
    declared = {e.name: e for e in parse(text, "experiments.yaml")}
    sqlite_conn.execute("UPDATE campaign_metrics_daily SET conversions = clicks + 1 WHERE campaign_id = '10039001'")
    with pytest.raises(ExperimentError) as raised:
        evaluate_all(sqlite_conn, lake, tuple(declared.values()), DS, "run")
    message = str(raised.value)
    assert message.startswith("2 of 4 experiments could not be read: ")
    assert re.search(
        r"experiment 'headline_copy' \(experiments.yaml:\d+\): arm 'statement' has \d+ conversions for "
        r"\d+ clicks by 2026-10-08",
        message,
    )
    assert (
        "experiment 'retargeting_holdout' (experiments.yaml:44): no CRM user has a value in the column "
        "'experiment_retargetting'"
    ) in message
    written = {r[0] for r in sqlite_conn.execute("SELECT DISTINCT experiment FROM experiment_results")}
    assert written == {"video_creative", "lookalike_audience"}


def test_a_campaign_id_with_no_row_at_all_is_a_warning_finding_once(warehouse_conn, lake, caplog):
    apply_migrations(warehouse_conn)
    load_campaign_days(warehouse_conn, date.fromisoformat(DS))
    video = planted.declared()["video_creative"]
    declared = "experiments:\n" + EXPERIMENT.format(n=9).replace('"91"', f'"{video.arms[0].campaigns[0]}"')
    typo = parse(declared.replace('"92"', '"999999999999999"'), "experiments.yaml")  # e9's arm b: a typo
    with caplog.at_level("WARNING"):
        evaluate_all(warehouse_conn, lake, (video, *typo), DS, "run-1")
        evaluate_all(warehouse_conn, lake, (video, *typo), DS, "run-2")  # said once, not every day
    cursor = warehouse_conn.cursor()
    cursor.execute("SELECT entity, metric, check_name, severity, run_id FROM data_quality_findings")
    assert cursor.fetchall() == [("experiment e9", "campaign 999999999999999", "unknown_campaign", "warning", "run-1")]
    assert caplog.text.count("names campaign 999999999999999, which has no row in campaign_metrics_daily") == 1


def test_each_audiences_holdout_is_evaluated_from_the_lists_in_the_lake_without_the_erased(sqlite_conn, lake):
    from socialpulse.jobs.audience import write_features
    from socialpulse.jobs.experiments import audience_holdouts, evaluate_audience_holdouts
    from socialpulse.transforms.privacy import erasure_digest

    people = lake.clean("crm_users").read_days([DS])["person_id"]
    for ds, count in (("2026-11-02", 1000), (DS, 1500), ("2026-11-04", 2000)):
        write_features(
            lake,
            "target_audiences",
            ds,
            pd.DataFrame(
                {
                    "as_of_date": date.fromisoformat(ds),
                    "brief": "spring",
                    "campaign_id": "10010003",
                    "person_id": people.iloc[:count].to_numpy(),
                    "rank": range(1, count + 1),
                    "in_holdout": [i % 10 == 0 for i in range(count)],
                }
            ),
        )
    lake.mark_erased(erasure_digest(people.iloc[1]))
    experiments, assigned = audience_holdouts(lake, DS, {"spring": 0.1, "other": 0.2})
    (experiment,) = experiments
    users = assigned[experiment.name]
    assert experiment.start_date == date(2026, 11, 3) and len(users) == 1499  # the next day's list is not read
    assert people.iloc[1] not in set(users["person_id"])
    apply_migrations(sqlite_conn)
    outcome = evaluate_audience_holdouts(sqlite_conn, lake, DS, "run", {"spring": 0.1})
    assert outcome["audience_spring"]["looks"] == 1 and outcome["charts"].endswith(f"audience_holdouts/ds={DS}")
    written = results(sqlite_conn)
    assert set(written["experiment"]) == {"audience_spring"} and set(written["arm"]) == {"holdout", "targeted"}
    assert evaluate_audience_holdouts(sqlite_conn, lake, DS, "run", {}) == {}  # no brief declared: none


def test_the_clean_zone_reads_an_experiments_people_and_the_newest_version_of_their_orders(lake, monkeypatch):
    """What CleanZone reads of some people, or of an experiment's people a bucket at a time, is what filtering every
    order and user read whole gives, orders restated onto another person included."""
    from socialpulse.experiments.observations import groups_of
    from socialpulse.jobs import experiments

    orders = lake.clean("crm_orders").read_days([DS])
    users = lake.clean("crm_users").read_days([DS])
    some = users["person_id"].iloc[::2]
    theirs, others = orders[orders["person_id"].isin(some)], orders[~orders["person_id"].isin(some)]
    restated = pd.concat(  # the next day: two of their orders now someone else's, two of others' now one of theirs,
        [theirs.iloc[:2].assign(person_id=others["person_id"].iloc[0]), others.iloc[:2].assign(person_id=some.iloc[0])]
    )
    day = pd.to_datetime(orders["ordered_at"], utc=True).dt.date
    first = orders[(day == day.min()) & ~orders["order_id"].isin(restated["order_id"])]
    restated = pd.concat([restated, first], ignore_index=True)  # and every order of the first day, a month later
    on_first = pd.to_datetime(restated["ordered_at"], utc=True).dt.date == day.min()
    restated.loc[on_first, "ordered_at"] = restated.loc[on_first, "ordered_at"] + pd.Timedelta(days=30)
    later = (date.fromisoformat(DS) + timedelta(days=1)).isoformat()
    lake.clean("crm_orders").write_day(restated, later)
    zone = experiments.CleanZone(lake, later)
    newest = pd.concat([orders, restated]).drop_duplicates("order_id", keep="last")
    columns = experiments.ORDER_COLUMNS

    def same(read: pd.DataFrame, expected: pd.DataFrame) -> None:
        read, expected = (f.sort_values("order_id", ignore_index=True)[columns] for f in (read, expected))
        pd.testing.assert_frame_equal(read, expected, check_dtype=False)

    read = zone.orders("person_id", some)
    same(read, newest[newest["person_id"].isin(some)])
    assert set(restated["order_id"].iloc[2:4]) <= set(read["order_id"])
    assert not set(restated["order_id"].iloc[:2]) & set(read["order_id"])
    assert zone.first_order_day() == str(pd.to_datetime(newest["ordered_at"], utc=True).min().date())
    assert zone.first_order_day() > str(pd.to_datetime(orders["ordered_at"], utc=True).min().date())
    monkeypatch.setattr(experiments, "EXPERIMENT_PEOPLE", 1500)
    parts = list(zone.people("experiment_retargeting"))
    members = users.loc[groups_of(users, "experiment_retargeting").notna(), "person_id"]
    assert len(parts) == 4 and all(0 < len(u) < len(members) / 2 for u, _ in parts)
    assert sorted(pd.concat([u for u, _ in parts])["person_id"]) == sorted(members)
    same(pd.concat([o for _, o in parts]), newest[newest["person_id"].isin(members)])
    assert all(u.empty and o.empty for u, o in zone.people("no_such_column"))


def test_a_crm_experiment_read_a_bucket_of_people_at_a_time_is_read_as_at_once(sqlite_conn, lake, monkeypatch):
    from socialpulse.jobs import experiments

    apply_migrations(sqlite_conn)
    holdout = (planted.declared()["retargeting_holdout"],)
    at_once = evaluate_all(sqlite_conn, lake, holdout, DS, "run-1")
    whole = results(sqlite_conn)
    monkeypatch.setattr(experiments, "EXPERIMENT_PEOPLE", 1000)
    in_buckets = evaluate_all(sqlite_conn, lake, holdout, DS, "run-2")
    assert in_buckets == at_once and len(whole) > 20
    pd.testing.assert_frame_equal(results(sqlite_conn).drop(columns="run_id"), whole.drop(columns="run_id"))


def test_a_crm_experiment_s_local_bucket_files_go_when_its_looks_fail(lake, tmp_path, monkeypatch):
    """The users and orders split into local files (personal data) are removed when the looks stop with an error."""
    from socialpulse.experiments import observations
    from socialpulse.jobs import buckets, experiments

    monkeypatch.setattr(buckets.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(experiments, "EXPERIMENT_PEOPLE", 1000)
    local = f"{buckets.LocalBuckets.PREFIX}*"

    def failing(*_):
        assert list(tmp_path.glob(local))  # while the buckets are read
        raise RuntimeError("a look failed")

    monkeypatch.setattr(observations, "_crm_sums", failing)
    holdout = planted.declared()["retargeting_holdout"]
    with pytest.raises(RuntimeError, match="a look failed") as failure:
        experiments.looks_of(None, experiments.CleanZone(lake, DS), holdout, [DS])
    assert failure.traceback and not list(tmp_path.glob(local))  # while the error's frames are still held
