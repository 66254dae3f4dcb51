"""The run's audience report: its charts and one HTML page, published whole under reports/audience/ds=<date>/."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.audience.recommend import recent
from socialpulse.jobs.audience import read_features
from socialpulse.lake import files as lake_files
from socialpulse.reports import charts
from socialpulse.reports.audience_report import render
from socialpulse.typing_aliases import JsonObject
from socialpulse.warehouse.dialect import bind_day, dialect_of, placeholder

log = logging.getLogger(__name__)
MODELS = ["tensorflow", "logistic_regression", "gradient_boosting"]


def _rows(conn: Any, sql: str, ds: str) -> pd.DataFrame:
    cursor = conn.cursor()
    cursor.execute(sql.replace("?", placeholder(dialect_of(conn))), (bind_day(conn, ds),))
    return pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])


def build(conn: Any, lake: lake_zone.Lake, ds: str, currency: str = "USD") -> JsonObject:
    """Write the charts and report.html of ds (money in `currency`, the reporting currency); returns where it is."""
    from socialpulse.audience.describe import representation

    profiles = read_features(lake, "user_profiles", ds)
    events = recent(read_features(lake, "engagement_resolved", ds), date.fromisoformat(ds))
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
        "age_histogram": charts.age_histogram(profiles),
        "engagement_by_platform_and_topic": charts.engagement_by_platform_topic(events),
        "segments": charts.segments_chart(segments),
        "segment_profiles": charts.segment_profile_chart(representation(profiles)[0]),
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
