"""The run's audience report: its charts and one HTML page, published whole under reports/audience/ds=<date>/."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.audience.recommend import recent
from socialpulse.jobs.audience import features_snapshot
from socialpulse.lake import files as lake_files
from socialpulse.reports import charts
from socialpulse.reports.audience_report import render
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    from socialpulse.audience.describe import Representation
    from socialpulse.lake.tables import Snapshot
from socialpulse.warehouse.dialect import bind_day, dialect_of, placeholder

log = logging.getLogger(__name__)
MODELS = ["tensorflow", "logistic_regression", "gradient_boosting"]


def _rows(conn: Any, sql: str, ds: str) -> pd.DataFrame:
    cursor = conn.cursor()
    cursor.execute(sql.replace("?", placeholder(dialect_of(conn))), (bind_day(conn, ds),))
    return pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])


def _audience(profiles: Snapshot, events: Snapshot, ds: str) -> tuple[pd.Series, pd.DataFrame, Representation]:
    """(people per age, the last 90 days' events per topic and platform, the segments' representation), summed a
    batch of profiles or events at a time: the charts draw sums, never a row."""
    from socialpulse.audience.describe import SCALE_COLUMNS, Representation, Scale

    described = Representation(Scale.summed(profiles.batches([ds], SCALE_COLUMNS)))
    ages = pd.Series(dtype="int64")
    for batch in profiles.batches([ds]):
        ages = ages.add(batch["age"].dropna().astype(int).value_counts(), fill_value=0)
        described.add(batch)
    engagement = pd.DataFrame()
    for batch in events.batches([ds], ["platform", "topic", "posted_at"]):
        counts = recent(batch, date.fromisoformat(ds)).groupby(["topic", "platform"]).size().unstack(fill_value=0)
        engagement = engagement.add(counts, fill_value=0)
    return ages.sort_index(), engagement.fillna(0).astype(int), described


def build(conn: Any, lake: lake_zone.Lake, ds: str, currency: str = "USD") -> JsonObject:
    """Write the charts and report.html of ds (money in `currency`, the reporting currency); returns where it is."""
    profiles = features_snapshot(lake, "user_profiles", ds)
    ages, engagement, described = _audience(profiles, features_snapshot(lake, "engagement_resolved", ds), ds)
    segments = _rows(conn, "SELECT * FROM audience_segments WHERE as_of_date = ? ORDER BY segment_id", ds)
    registry = _rows(conn, "SELECT model_name, metrics, decision FROM model_registry WHERE as_of_date = ?", ds)
    targets = _rows(
        conn,
        "SELECT brief, goal, campaign_ids, markets, eligible, excluded, size, holdout_size, expected_conversions, "
        "expected_value, reason FROM target_audience_summaries WHERE as_of_date = ? ORDER BY brief",
        ds,
    )
    by_model = {r.model_name: r for r in registry.itertuples(index=False)}
    missing = {"propensity", "recommendations", "segments"} - set(by_model)
    if missing:
        raise FileNotFoundError(f"no {sorted(missing)} in model_registry for {ds}: run their steps first")
    models = {name: m for name, m in json.loads(by_model["propensity"].metrics).items() if name in MODELS}
    quality = json.loads(by_model["recommendations"].metrics)
    images = {
        "age_histogram": charts.age_histogram(ages),
        "engagement_by_platform_and_topic": charts.engagement_by_platform_topic(engagement),
        "segments": charts.segments_chart(segments),
        "segment_profiles": charts.segment_profile_chart(described.result()[0]),
        "roc": charts.roc_chart(models),
        "calibration": charts.calibration_chart(models),
        "lift": charts.lift_chart(models),
        "recommendations_vs_popularity": charts.recommendations_chart(quality),
    }
    page = render(
        ds,
        images,
        segments,
        json.loads(by_model["segments"].metrics),
        models,
        by_model["propensity"].decision,
        quality,
        targets,
        currency,
    )
    final = lake.root / "reports" / "audience" / f"ds={ds}"
    with lake_files.staged(final) as staging:
        for name, png in images.items():
            (staging / f"{name}.png").write_bytes(png)
        (staging / "report.html").write_text(page, encoding="utf-8")
    log.info("audience report of %s: %s", ds, final / "report.html")
    return {"report": str(final / "report.html"), "charts": sorted(images)}
