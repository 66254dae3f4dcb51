"""The audience report of a run as one self-contained HTML page: every chart inlined, no external asset."""

from __future__ import annotations

import base64
import html
from typing import cast

import pandas as pd

from socialpulse.typing_aliases import JsonObject

MODEL_LABELS = {
    "tensorflow": "TensorFlow (Keras)",
    "logistic_regression": "Logistic regression",
    "gradient_boosting": "Gradient boosting",
}
METRICS = (
    ("roc_auc", "ROC AUC"),
    ("pr_auc", "PR AUC"),
    ("log_loss", "log loss"),
    ("brier", "Brier"),
    ("top_decile_lift", "top-decile lift"),
)


def _table(frame: pd.DataFrame) -> str:
    return cast(
        str, frame.to_html(index=False, border=0, classes="data", float_format=lambda v: f"{v:,.4g}", na_rep="")
    )


def model_comparison(metrics: JsonObject) -> pd.DataFrame:
    """One row per model that has every metric, in the registry's metrics JSON."""
    rows = [
        {"model": MODEL_LABELS.get(name, name), **{label: m[key] for key, label in METRICS}}
        for name, m in metrics.items()
        if all(key in m for key, _ in METRICS)
    ]
    return pd.DataFrame(rows)


def render(
    ds: str,
    charts: dict[str, bytes],
    segments: pd.DataFrame,
    metrics: JsonObject,
    decision: str,
    recommendations: JsonObject,
    targets: pd.DataFrame,
) -> str:
    """The page: model comparison and decision, segments, audiences (sizes only), recommendations, charts."""
    images = "\n".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        f"<figcaption>{html.escape(name.replace('_', ' '))}</figcaption></figure>"
        for name, png in charts.items()
    )
    quality = pd.DataFrame(
        [
            {
                "recommender": who,
                "hit rate@3": q["hit_rate_at_3"],
                "NDCG@3": q["ndcg_at_3"],
                "people evaluated": q["people"],
            }
            for who, q in recommendations.items()
        ]
    )
    shown = ["segment_id", "size", "description", "conversion_rate", "avg_order_value", "best_platform", "best_hour"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SocialPulse audience report {html.escape(ds)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table.data{{border-collapse:collapse}}
table.data td,table.data th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}}
figure{{display:inline-block;margin:1em}}</style></head><body>
<h1>Audience report, as of {html.escape(ds)}</h1>
<h2>Conversion propensity: the model against its baselines</h2>
{_table(model_comparison(metrics))}
<p>{html.escape(decision)}</p>
<h2>Segments (100 people or more)</h2>
{_table(segments[shown])}
<h2>Target audiences per campaign brief</h2>
{_table(targets) if len(targets) else "<p>No campaign brief was built for this date: see audiences.yaml.</p>"}
<h2>Content recommendations</h2>
{_table(quality)}
<h2>Charts</h2>
{images}
</body></html>
"""
