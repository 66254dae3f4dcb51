"""What no retry can fix fails on the first try, with retries left configured (3, exponential)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.dags.conftest import causes, failed_tries, task_states

AS_OF, DAY = date(2026, 11, 5), date(2026, 11, 2)
LOGICAL_DATE = datetime(2026, 11, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("dag_id", "fault", "task_id", "failing", "says"),
    [
        (
            "meta_ads_daily",
            {"invalid_token": True},
            "extract_meta_ads",
            {"act_1001", "act_1002", "act_1003"},
            "Renew the token and store it as the password of the Airflow connection 'meta_marketing'",
        ),
        (
            "organic_social_daily",
            {"x_token": "another-token"},
            "extract_organic",
            {"x:1597000000000000001", "x:1597000000000000002"},
            "the Airflow connection 'x_api'",
        ),
        (
            "organic_social_daily",
            {"x_monthly_cap": 3},
            "extract_organic",
            {"x:1597000000000000001", "x:1597000000000000002"},
            "X monthly usage cap reached",
        ),
    ],
    ids=["meta token expired", "x token refused", "x monthly cap"],
)
def test_a_refusal_fails_each_extract_on_its_first_try(dags, pipeline, dag_id, fault, task_id, failing, says):
    pipeline(DAY, AS_OF, **fault)
    dag = dags[dag_id]
    assert all(task.retries == 3 for task in dag.tasks)  # dag.test would wait minutes if any were retried
    run = dag.test(logical_date=LOGICAL_DATE)
    assert run.state == "failed"
    assert failed_tries(run, task_id) == dict.fromkeys(failing, 1)
    assert len(causes(run)) == len(failing) and all(says in cause for cause in causes(run))


def test_an_expired_meta_graph_token_fails_facebook_and_instagram_at_once(dags, pipeline):
    pipeline(DAY, AS_OF, invalid_token=True)  # the simulator refuses Meta's token, and X's
    run = dags["organic_social_daily"].test(logical_date=LOGICAL_DATE)
    assert run.state == "failed"
    tries = failed_tries(run, "extract_organic")
    assert {"facebook:110000000000001", "instagram:17841400000000001"} <= set(tries)
    assert set(tries.values()) == {1}
    graph = [c for c in causes(run) if "Meta rejected the access token" in c]
    assert len(graph) == 2 and all("connection 'meta_graph'" in c for c in graph)


def test_a_drop_without_its_columns_fails_extract_crm_at_once(dags, pipeline, tmp_path):
    pipeline(DAY, AS_OF)
    (tmp_path / "crm" / f"ds={DAY}" / "orders.csv").write_text("order_id,user_id\no1,u1\n")
    run = dags["crm_daily"].test(logical_date=LOGICAL_DATE)
    assert run.state == "failed" and failed_tries(run, "extract_crm") == {"-1": 1}
    assert task_states(run)["clean_crm[-1]"] == "upstream_failed"


def test_the_run_s_summary_names_every_failed_source_with_its_cause(dags, pipeline):
    pipeline(DAY, AS_OF, x_token="another-token")
    run = dags["organic_social_daily"].test(logical_date=LOGICAL_DATE)
    states = task_states(run)
    assert states["summarize_failures[-1]"] == "failed" and states["load_post_metrics[-1]"] == "success"
    named = causes(run)
    assert len(named) == 2  # the two X accounts, nothing else
    assert all("extract_organic[" in c and "connection 'x_api'" in c for c in named), named


def test_a_run_whose_sources_were_only_skipped_stays_green(dags, pipeline, monkeypatch):
    pipeline(DAY, AS_OF)
    monkeypatch.delenv("AIRFLOW_VAR_SOCIALPULSE_CRM_SOURCE")
    run = dags["crm_daily"].test(logical_date=LOGICAL_DATE)
    assert run.state == "success" and task_states(run)["summarize_failures[-1]"] == "success"
