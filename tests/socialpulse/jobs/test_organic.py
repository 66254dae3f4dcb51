"""Organic steps end to end on real HTTP and files: an Instagram story lands with its metrics."""

from datetime import date, timedelta

import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.connectors.meta import GraphClient
from socialpulse.connectors.meta.organic import ig_stories, insight_values
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse.jobs import organic
from socialpulse.pipeline import landing
from socialpulse_dev.simulator.graph_organic import IG_USER_IDS
from socialpulse_dev.simulator.server import DEFAULT_TOKEN

KEY = "a-test-key-of-enough-bytes"


def test_a_live_story_lands_with_its_metrics_and_refusals_are_reported(simulator, tmp_path):
    for day in (date(2026, 11, 1) + timedelta(days=n) for n in range(10)):  # a day with stories
        graph = GraphClient(simulator(as_of=day), DEFAULT_TOKEN, DEFAULT_API_VERSION)
        stories = [s for page in ig_stories(graph, IG_USER_IDS[0]) for s in page["data"]]
        if stories:
            break
    ds, lake = day.isoformat(), lake_zone.Lake.at(tmp_path / "lake")
    staged = organic.extract_account(graph, "instagram", IG_USER_IDS[0], ds, 7, lake, "run-1", first_run_days=0)
    landing.land(lake, "instagram", organic.ENTITY, ds, "run-1", [staged])
    cleaned = organic.clean(lake, ds, ["instagram"], KEY)
    posts = pd.read_parquet(cleaned["clean_path"]).set_index("post_id")
    assert {s["id"] for s in stories} <= set(posts.index)
    for story in stories:
        values = insight_values(graph.request("GET", graph.url(f"{story['id']}/insights"), {"metric": "reach,views"}))
        row = posts.loc[story["id"]]
        assert (row.impressions, row.reach) == (values["views"], values["reach"])
    # the carousel's refused `views` is named for the findings, once per platform and metric
    assert set(cleaned["refused"]) <= {"instagram CAROUSEL_ALBUM/FEED: views"}
