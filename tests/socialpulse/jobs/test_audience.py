"""The audience steps on a real lake and warehouse: rows written, reruns identical, a kept champion, an erasure."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import numpy as np
import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.audience.entities import AUDIENCE_ENTITIES
from socialpulse.jobs import audience, audience_report, erasure, propensity
from socialpulse.transforms.privacy import Pseudonymizer, erasure_digest
from socialpulse.warehouse import apply_migrations
from socialpulse.warehouse.erasure import erase_from_warehouse
from socialpulse_dev.audience_inputs import clean_zone, write_clean_zone
from socialpulse_dev.devenv import DEMO_KEY
from socialpulse_dev.simulator.audience import audience as simulated_audience

pytestmark = pytest.mark.integration  # whole steps on a generated lake and warehouse

DS, NEXT = "2026-11-03", "2026-11-04"
SIZE = 1500
TABLES = [s.table for s in AUDIENCE_ENTITIES]


@pytest.fixture(scope="module")
def zone():
    return clean_zone(SIZE, date.fromisoformat(DS))


def briefs() -> tuple:
    """The simulator's campaign briefs, as a user declares them."""
    from socialpulse.audience.briefs import parse
    from socialpulse_dev.simulator.meta_data import BRIEFS_FILE

    declared, errors = parse(BRIEFS_FILE.read_text(), str(BRIEFS_FILE))
    assert errors == ()
    return declared


def run_day(conn, lake: str, ds: str, run_id: str, before_training=None) -> dict:
    results = {"profile": audience.profile(lake, ds), "segment": audience.segment(conn, lake, ds, run_id)}
    if before_training:
        before_training()
    results["train"] = propensity.train(conn, lake, ds, run_id)
    results["recommend"] = audience.recommend(conn, lake, ds, run_id)
    results["target"] = audience.target(conn, lake, ds, run_id, briefs(), [("experiment_retargeting", "holdout")])
    results["report"] = audience_report.build(conn, lake, ds)
    return results


def table_rows(conn, table: str) -> pd.DataFrame:
    cursor = conn.cursor()
    cursor.execute(f"SELECT * FROM {table}")
    frame = pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])
    return frame.drop(columns=["run_id", "trained_at"], errors="ignore")


def test_a_day_writes_every_table_and_a_rerun_gives_the_same_rows(zone, warehouse_conn, tmp_path):
    lake = lake_zone.Lake.at(tmp_path / "lake")
    write_clean_zone(lake, zone, DS)
    apply_migrations(warehouse_conn)
    first = run_day(warehouse_conn, lake, DS, "run-1")
    assert first["profile"]["in_crm"] > 0.95 * SIZE and first["segment"]["k"] >= 2
    assert first["train"]["promoted"] and set(first["train"]["auc"]) == {
        "tensorflow",
        "logistic_regression",
        "gradient_boosting",
    }
    assert first["target"]["built"] >= 1 and first["recommend"]["model"]["people"] > 100
    before = {t: table_rows(warehouse_conn, t) for t in TABLES}
    assert all(len(rows) for rows in before.values()), {t: len(r) for t, r in before.items()}
    assert (before["user_profiles"]["segment_id"].notna()).all()
    assert before["model_registry"]["model_name"].tolist().count("propensity") == 1
    run_day(warehouse_conn, lake, DS, "run-2")
    for table in TABLES:
        after = table_rows(warehouse_conn, table)
        key = [
            c
            for c in after.columns
            if c in ("as_of_date", "person_id", "segment_id", "model_version", "campaign_id", "rank")
        ]
        pd.testing.assert_frame_equal(
            after.sort_values(key).reset_index(drop=True),
            before[table].sort_values(key).reset_index(drop=True),
            obj=table,
        )
    html = lake.root / "reports" / "audience" / f"ds={DS}" / "report.html"
    assert "Logistic regression" in html.read_text() and "http" not in html.read_text().split("<body>")[1]


def profiled(zone, tmp_path) -> tuple[lake_zone.Lake, sqlite3.Connection]:
    """A lake holding the clean zone, profiled as of DS, and a migrated SQLite warehouse."""
    lake = lake_zone.Lake.at(tmp_path / "lake")
    write_clean_zone(lake, zone, DS)
    conn = sqlite3.connect(tmp_path / "warehouse.db")
    apply_migrations(conn)
    audience.profile(lake, DS)
    return lake, conn


def test_scoring_bucket_by_bucket_gives_everyone_the_score_and_decile_of_scoring_at_once(zone, tmp_path, monkeypatch):
    lake, conn = profiled(zone, tmp_path)
    audience.segment(conn, lake, DS, "run-1")
    at_once = propensity.train(conn, lake, DS, "run-1")
    whole = table_rows(conn, "propensity_scores").sort_values("person_id").reset_index(drop=True)
    monkeypatch.setattr(propensity, "SCORE_PEOPLE", 400)
    in_buckets = propensity.train(conn, lake, DS, "run-2")
    bucketed = table_rows(conn, "propensity_scores").sort_values("person_id").reset_index(drop=True)
    assert at_once["people_scored"] == in_buckets["people_scored"] == len(whole) > 1200  # in four buckets
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=False, rtol=1e-6)
    lake_scores = lake.features("propensity_scores").read_days([DS]).sort_values("person_id").reset_index(drop=True)
    assert lake_scores["person_id"].tolist() == whole["person_id"].tolist()
    assert lake_scores["decile"].tolist() == whole["decile"].tolist()  # ranked together, not bucket by bucket


def test_segmenting_bucket_by_bucket_gives_everyone_the_segment_and_figures_of_segmenting_at_once(
    zone, tmp_path, monkeypatch
):
    lake, conn = profiled(zone, tmp_path)
    at_once = audience.segment(conn, lake, DS, "run-1")
    keys = {"user_profiles": "person_id", "audience_segments": "segment_id"}
    whole = {table: table_rows(conn, table).sort_values(key).reset_index(drop=True) for table, key in keys.items()}
    lake_whole = lake.features("user_profiles").read_days([DS]).sort_values("person_id").reset_index(drop=True)
    monkeypatch.setattr(audience, "SEGMENT_PEOPLE", 400)  # four buckets; the model fitted on everyone as before
    in_buckets = audience.segment(conn, lake, DS, "run-2")
    assert in_buckets == at_once and len(at_once["segments"]) >= 2
    for table, key in keys.items():
        pd.testing.assert_frame_equal(
            table_rows(conn, table).sort_values(key).reset_index(drop=True),
            whole[table],
            check_exact=False,
            rtol=1e-9,
            obj=table,
        )
    bucketed = lake.features("user_profiles").read_days([DS]).sort_values("person_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(bucketed, lake_whole)
    assert bucketed["segment_id"].notna().all() and len(bucketed) > 1200


def test_profiles_are_loaded_again_without_a_person_erased_while_segments_load_them(zone, tmp_path, monkeypatch):
    from socialpulse.warehouse import snapshots

    lake, conn = profiled(zone, tmp_path)
    person = lake.features("user_profiles").read_days([DS])["person_id"].iloc[0]
    load, loads = snapshots.replace_rows_in_parts, []

    def erasure_meanwhile(conn_, table, parts, where, run_id, through=None):
        written = load(conn_, table, parts, where, run_id, through)
        loads.append(table.name)
        if table.name == "user_profiles" and not lake.erased():  # its lake rewrite takes the version segment read
            erasure.erase_from_lake(lake, {person: frozenset({person})})
            erase_from_warehouse(conn_, {person})  # before segment's rows were in: they hold the person again
        return written

    monkeypatch.setattr(snapshots, "replace_rows_in_parts", erasure_meanwhile)
    audience.segment(conn, lake, DS, "run-1")
    assert loads.count("user_profiles") == 2  # loaded again, from the day as the erasure left it
    assert person not in set(table_rows(conn, "user_profiles")["person_id"])
    assert person not in set(lake.features("user_profiles").read_days([DS])["person_id"])
    assert len(table_rows(conn, "user_profiles")) == len(lake.features("user_profiles").read_days([DS])) > 1200


def test_recommending_bucket_by_bucket_gives_everyone_the_lists_and_figures_of_recommending_at_once(
    zone, tmp_path, monkeypatch
):
    lake, conn = profiled(zone, tmp_path)
    audience.segment(conn, lake, DS, "run-1")
    at_once = audience.recommend(conn, lake, DS, "run-1")
    whole = table_rows(conn, "content_recommendations").sort_values(["person_id", "rank"]).reset_index(drop=True)
    monkeypatch.setattr(audience, "RECOMMEND_PEOPLE", 400)
    in_buckets = audience.recommend(conn, lake, DS, "run-2")
    bucketed = table_rows(conn, "content_recommendations").sort_values(["person_id", "rank"]).reset_index(drop=True)
    assert len(whole) == 3 * at_once["people"] and at_once["people"] > 1200  # in four buckets
    pd.testing.assert_frame_equal(bucketed, whole, check_exact=False, rtol=1e-9)
    flat = [pd.json_normalize(figures).iloc[0].to_dict() for figures in (in_buckets, at_once)]
    assert flat[0] == pytest.approx(flat[1], rel=1e-9)  # the blend chosen, its validation and test figures
    assert at_once["model"]["people"] > 100 and at_once["validation"]["people"] > 100
    lake_recs = lake.features("content_recommendations").read_days([DS]).sort_values(["person_id", "rank"])
    assert lake_recs["topic"].tolist() == whole["topic"].tolist()


def test_targeting_bucket_by_bucket_gives_the_lists_summaries_and_pools_of_targeting_at_once(
    zone, tmp_path, monkeypatch
):
    lake, conn = profiled(zone, tmp_path)
    audience.segment(conn, lake, DS, "run-1")
    people = lake.features("user_profiles").read_days([DS], ["person_id"])["person_id"]
    scores = [int(p[:6], 16) / 16**6 for p in people]  # the scores, as train_propensity's step would write them
    lake.features("propensity_scores").write_day(pd.DataFrame({"person_id": people, "score": scores}), DS)
    controls = [("experiment_retargeting", "holdout")]
    tables = {"target_audiences": ["brief", "campaign_id", "rank"], "target_audience_summaries": ["brief"]}

    def targeted(run_id: str) -> tuple[dict, dict, pd.DataFrame]:
        summary = audience.target(conn, lake, DS, run_id, briefs(), controls)
        rows = {t: table_rows(conn, t).sort_values(key, ignore_index=True) for t, key in tables.items()}
        pools = lake.features("target_candidates").read_days([DS]).sort_values(["brief", "person_id"])
        return summary, rows, pools.reset_index(drop=True)

    at_once = targeted("run-1")
    monkeypatch.setattr(audience, "TARGET_PEOPLE", 400)
    in_buckets = targeted("run-2")
    assert in_buckets[0] == at_once[0] and at_once[0]["built"] >= 1 and at_once[0]["people"] > 200
    for table in tables:
        pd.testing.assert_frame_equal(in_buckets[1][table], at_once[1][table], check_exact=False, obj=table)
    pd.testing.assert_frame_equal(in_buckets[2], at_once[2], check_exact=False)
    assert len(at_once[2]) > len(at_once[1]["target_audiences"]) / len(briefs())


def test_profiles_built_bucket_by_bucket_are_those_built_at_once(zone, tmp_path, monkeypatch):
    """Events cleaned before the CRM linked their platform ids name those ids' pseudonyms, in other buckets than
    their people: resolved first, they reach their people's buckets."""
    lake = lake_zone.Lake.at(tmp_path / "lake")
    write_clean_zone(lake, zone, DS)
    outputs = ("user_profiles", "propensity_rows", "propensity_train", "propensity_eval", "engagement_resolved")
    at_once = audience.profile(lake, DS)
    whole = {entity: lake.features(entity).read_days([DS]) for entity in (*outputs, "orders_known")}
    monkeypatch.setattr(audience, "PROFILE_PEOPLE", 400)
    in_buckets = audience.profile(lake, DS)
    assert (at_once["buckets"], in_buckets["buckets"]) == (1, 4)
    assert {k: v for k, v in in_buckets.items() if k != "buckets"} == {
        k: v for k, v in at_once.items() if k != "buckets"
    }
    events = whole["engagement_resolved"]
    users = lake.clean("crm_users").read_days()
    aliases = set(users["x_pseudonym"].dropna()) | set(users["facebook_pseudonym"].dropna())
    assert lake.clean("engagement_events").read_days()["person_id"].isin(aliases).mean() > 0.9  # cleaned pre-link
    assert not events["person_id"].isin(aliases).any() and len(events) > 1000  # every alias resolved
    for entity, before in whole.items():
        key = (
            ["order_id"]
            if entity == "orders_known"
            else ["person_id"] + (["platform", "post_id", "kind"] if entity == "engagement_resolved" else [])
        )
        after = lake.features(entity).read_days([DS])
        pd.testing.assert_frame_equal(
            after.sort_values(key).reset_index(drop=True), before.sort_values(key).reset_index(drop=True), obj=entity
        )


def through_xcom(value):
    """As a mapped task's return value reaches the next task: JSON."""
    return json.loads(json.dumps(value))


def profiled_in_shares(lake, tasks: int, meanwhile: dict | None = None) -> dict:
    """build_profiles as the DAG runs it: the plan, each share's events resolved, committed, each share's people
    profiled, committed, and committed again (a retried task); every value passed on as an XCom would pass it.
    `meanwhile` runs a function after the stage it names (plan, resolve, profile)."""
    after = meanwhile or {}
    shares = through_xcom(audience.plan_profiles(lake, DS, tasks))
    after.get("plan", lambda: None)()
    resolved = [through_xcom(audience.resolve_share(lake, share)) for share in shares]
    after.get("resolve", lambda: None)()
    version = through_xcom(audience.commit_resolved(lake, shares, resolved))
    profiled = [through_xcom(audience.profile_share(lake, share, version)) for share in shares]
    after.get("profile", lambda: None)()
    counts = audience.commit_profiles(lake, shares, profiled)
    assert audience.commit_profiles(lake, shares, profiled) == {**counts, "pruned": 0}  # no new commit, no new rows
    return counts


@pytest.mark.parametrize("tasks", [1, 3, 9])
def test_profiles_dealt_to_mapped_tasks_are_those_built_in_one(zone, tmp_path, monkeypatch, tasks):
    """Four buckets dealt to one task, to three (a run of one, one and two buckets), or to as many as there are:
    each table's day holds the same rows in the same order, committed once (no share's rows without the others'),
    a retried commit commits nothing, and the counts add up to one task's."""
    lake = lake_zone.Lake.at(tmp_path / "lake")
    write_clean_zone(lake, zone, DS)
    monkeypatch.setattr(audience, "PROFILE_PEOPLE", 400)
    outputs = ("user_profiles", "propensity_rows", "propensity_train", "propensity_eval", "engagement_resolved")
    at_once = audience.profile(lake, DS)
    whole = {entity: lake.features(entity).read_days([DS]) for entity in (*outputs, "orders_known")}
    versions = {entity: lake.features(entity).snapshot().version for entity in whole}
    shares = audience.plan_profiles(lake, DS, tasks)
    runs = {1: [[0, 1, 2, 3]], 3: [[0], [1], [2, 3]], 9: [[0], [1], [2], [3]]}
    assert [share["members"] for share in shares] == runs[tasks]
    counts = profiled_in_shares(lake, tasks)
    assert counts.pop("shares") == min(tasks, 4) and counts.pop("pruned") == at_once.pop("pruned") == 0
    assert counts == at_once
    for entity, before in whole.items():
        table = lake.features(entity)
        assert table.snapshot().version == versions[entity] + 1, entity  # one commit of every share's files
        pd.testing.assert_frame_equal(table.read_days([DS]), before, obj=entity)


@pytest.mark.parametrize("stage", ["plan", "resolve", "profile"])
def test_a_person_erased_after_the_plan_is_in_no_table_the_mapped_tasks_commit(zone, tmp_path, monkeypatch, stage):
    """An erasure that began after the plan: its rewrite removed the input versions the plan pinned (the shares
    read nothing), or it only listed the person so far (the shares hold them). Either way the committing task
    builds the day again, in one, without them."""
    lake = lake_zone.Lake.at(tmp_path / "lake")
    write_clean_zone(lake, zone, DS)
    monkeypatch.setattr(audience, "PROFILE_PEOPLE", 400)
    person = lake.clean("crm_users").read_days()["person_id"].iloc[0]

    def erase() -> None:
        if stage == "profile":
            lake.mark_erased(erasure_digest(person))  # listed; its rewrite of the tables has not begun
        else:
            erasure.erase_from_lake(lake, {person: frozenset({person})})

    counts = profiled_in_shares(lake, 2, {stage: erase})
    for entity in ("user_profiles", "propensity_rows", "propensity_train", "orders_known", "engagement_resolved"):
        assert (lake.features(entity).read_days([DS])["person_id"] == person).sum() == 0, entity  # rows, not ids
    assert "shares" not in counts and counts["buckets"] == 4 and counts["profiles"] > 1000  # made again, in one


def test_profiles_without_any_engagement_resolved_and_with_empty_buckets_are_still_built(zone, tmp_path, monkeypatch):
    lake = lake_zone.Lake.at(tmp_path / "lake")
    write_clean_zone(lake, zone, DS)
    events = lake.clean("engagement_events")
    for day in events.snapshot().days():  # every event on a post the lake has no snapshot of: none resolves
        events.write_day(events.read_days([day]).assign(post_id="no-such-post"), day)
    monkeypatch.setattr(audience, "PROFILE_PEOPLE", 50)  # 30-odd buckets of about 50 people
    counts = audience.profile(lake, DS)
    profiles = lake.features("user_profiles").read_days([DS])
    assert counts["buckets"] > 25 and len(profiles) == counts["profiles"] > 1000
    assert (profiles["engagements_90d"] == 0).all() and lake.features("engagement_resolved").read_days([DS]).empty


def test_profiles_are_built_again_without_a_person_erased_meanwhile(zone, tmp_path, monkeypatch):
    lake = lake_zone.Lake.at(tmp_path / "lake")
    write_clean_zone(lake, zone, DS)
    person = lake.clean("crm_users").read_days()["person_id"].iloc[0]
    build = audience._profile_buckets
    calls = []

    def erasure_meanwhile(*args):
        calls.append(args[-1])
        counts = build(*args)
        if len(calls) == 1:
            lake.mark_erased(erasure_digest(person))  # listed after the build read the list
        return counts

    monkeypatch.setattr(audience, "_profile_buckets", erasure_meanwhile)
    audience.profile(lake, DS)
    assert calls == [frozenset(), frozenset({erasure_digest(person)})]
    for entity in ("user_profiles", "propensity_rows", "propensity_train", "orders_known"):
        assert person not in set(lake.features(entity).read_days([DS])["person_id"]), entity


def test_training_takes_a_sample_of_people_by_pseudonym_beyond_its_size(zone, tmp_path, monkeypatch):
    lake, conn = profiled(zone, tmp_path)
    everyone = set(lake.features("propensity_train").read_days([DS])["person_id"])
    monkeypatch.setattr(propensity, "TRAIN_PEOPLE", 500)
    sample = audience.read_features(lake, "propensity_train", DS, at_most=500)
    again = audience.read_features(lake, "propensity_train", DS, at_most=500)
    assert 350 < len(sample) < 650 and set(sample["person_id"]) < everyone  # about 500, by pseudonym: no rng
    assert sample["person_id"].tolist() == again["person_id"].tolist()
    propensity.train(conn, lake, DS, "run-1")
    (rows_train,) = conn.execute("SELECT rows_train FROM model_registry WHERE model_name = 'propensity'").fetchone()
    assert rows_train == len(sample)


def test_a_worse_model_is_not_promoted_and_an_erasure_forces_a_retrain(zone, tmp_path):
    lake = lake_zone.Lake.at(tmp_path / "lake")
    write_clean_zone(lake, zone, DS)
    conn = sqlite3.connect(tmp_path / "warehouse.db")
    apply_migrations(conn)
    run_day(conn, lake, DS, "run-1")

    second = run_day(conn, lake, NEXT, "run-2", learn_noise(NEXT, lake))["train"]
    assert not second["promoted"] and second["scored_by"] == f"propensity-{DS}"
    assert second["decision"].startswith(f"kept propensity-{DS}")
    scored = pd.read_sql(
        "SELECT DISTINCT model_version FROM propensity_scores WHERE as_of_date = ?", conn, params=(NEXT,)
    )
    assert scored["model_version"].tolist() == [f"propensity-{DS}"]

    member = next(m for m in simulated_audience(7, SIZE) if m.x_id and m.signup_date <= date.fromisoformat(DS))
    plain = Pseudonymizer(DEMO_KEY)
    person = plain.token("crm", member.user_id)
    pseudonyms = {person, plain.token("x", member.x_id)} | (
        {plain.token("facebook", member.facebook_id)} if member.facebook_id else set()
    )
    assert all(
        person in set(table_rows(conn, t).get("person_id", pd.Series(dtype=str)))
        for t in ("user_profiles", "propensity_scores", "content_recommendations")
    )
    erasure.erase_from_lake(lake, {person: pseudonyms})
    erase_from_warehouse(conn, pseudonyms)
    for table in TABLES:
        rows = table_rows(conn, table)
        assert "person_id" not in rows or not rows["person_id"].isin(pseudonyms).any(), table
    for path in (lake.root / "features").glob("**/*.parquet"):
        frame = pd.read_parquet(path)
        assert "person_id" not in frame or not frame["person_id"].isin(pseudonyms).any(), path
    conn.execute(
        "INSERT INTO privacy_erasures (pseudonym, run_id, erased_at) VALUES (?, 'erase-1', ?)",
        (person, pd.Timestamp.now(tz="UTC").isoformat()),
    )
    conn.commit()
    third = run_day(conn, lake, "2026-11-05", "run-3", learn_noise("2026-11-05", lake))["train"]
    assert third["promoted"] and "before the erasure" in third["decision"]
    models = lake.root / "models" / "propensity"
    assert sorted(p.name for p in models.iterdir()) == ["propensity-2026-11-05"]  # the older ones learnt from them
    profiles = pd.read_sql("SELECT person_id FROM user_profiles WHERE as_of_date = '2026-11-05'", conn)
    assert not profiles["person_id"].isin(pseudonyms).any()


def learn_noise(ds: str, lake: str):
    """Shuffle the day's training labels: the model it trains is worse than the champion."""

    def shuffle():
        table = lake.features("propensity_train")
        frame = table.read_days([ds])
        frame["label"] = np.random.default_rng(0).permutation(frame["label"].to_numpy())
        table.write_day(frame, ds)

    return shuffle
