"""The audience report of a run as one self-contained HTML page: every chart inlined, no external asset."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping
from typing import Any, cast

import pandas as pd

from socialpulse.audience.recommend import Blend
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


def _table(frame: pd.DataFrame, formats: Mapping[str, Callable[[Any], str]] | None = None) -> str:
    """An HTML table, each column written by its format (default: numbers with thousands separators)."""
    formats = formats or {}
    shown = frame.copy()
    for column in shown.columns:
        write = formats.get(column, number)
        shown[column] = ["" if pd.isna(v) else write(v) for v in shown[column]]
    return cast(str, shown.to_html(index=False, border=0, classes="data", escape=True))


def number(value: Any) -> str:
    """1234 -> 1,234; 0.1234 -> 0.123; text as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer() and abs(value) >= 1:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"


def percent(value: Any) -> str:
    return f"{100 * float(value):.1f}%"


def money(currency: str) -> Callable[[Any], str]:
    return lambda value: f"{float(value):,.2f} {currency}"


def figure(value: Any) -> str:
    """A model figure (AUC, NDCG): three decimals."""
    return f"{float(value):.3f}"


def model_comparison(metrics: JsonObject) -> pd.DataFrame:
    """One row per model that has every metric, in the registry's metrics JSON."""
    rows = [
        {"model": MODEL_LABELS.get(name, name), **{label: m[key] for key, label in METRICS}}
        for name, m in metrics.items()
        if all(key in m for key, _ in METRICS)
    ]
    return pd.DataFrame(rows)


TARGET_COLUMNS = {
    "campaign_ids": "campaigns",
    "size": "people",
    "holdout_size": "held out",
    "expected_conversions": "expected conversions",
    "expected_value": "expected value",
    "reason": "not built because",
}
NO_BRIEF = "<p>No campaign brief was built for this date: see audiences.yaml.</p>"


def segment_criteria(criteria: JsonObject, chosen: int) -> pd.DataFrame:
    """One row per k fitted: BIC and ICL (lower is better) and silhouette, the declared k marked."""
    return pd.DataFrame(
        [
            {
                "segments (k)": f"{k}{' (declared)' if int(k) == chosen else ''}",
                **{n.upper() if n != "silhouette" else n: v for n, v in c.items()},
            }
            for k, c in sorted(criteria.items(), key=lambda item: int(item[0]))
        ]
    )


def recommendation_quality(quality: JsonObject) -> pd.DataFrame:
    """Hit rate@3 and NDCG@3 of the recommendations and of popularity, for everyone, people with history and
    cold-start people."""
    groups = (("everyone", None), ("with history", "history"), ("cold start", "cold_start"))
    rows = []
    for who, label in (("model", "recommendations"), ("popularity", "most popular topics")):
        for group, key in groups:
            q = quality[who] if key is None else quality[who][key]
            rows.append(
                {
                    "recommender": label,
                    "people": group,
                    "hit rate@3": q["hit_rate_at_3"],
                    "NDCG@3": q["ndcg_at_3"],
                    "evaluated": q["people"],
                }
            )
    return pd.DataFrame(rows)


def render(
    ds: str,
    charts: dict[str, bytes],
    segments: pd.DataFrame,
    segments_metrics: JsonObject,
    metrics: JsonObject,
    decision: str,
    recommendations: JsonObject,
    targets: pd.DataFrame,
    currency: str,
) -> str:
    """The page: model comparison and decision, segments, audiences (sizes only), recommendations, charts."""
    images = "\n".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        f"<figcaption>{html.escape(name.replace('_', ' '))}</figcaption></figure>"
        for name, png in charts.items()
    )
    shown = segments[
        [
            "segment_id",
            "size",
            "share",
            "description",
            "conversion_rate",
            "avg_order_value",
            "best_platform",
            "best_hour",
        ]
    ].rename(
        columns={
            "segment_id": "segment",
            "size": "people",
            "description": "what sets it apart (against the whole audience)",
            "conversion_rate": "bought in 30 days",
            "avg_order_value": "average order",
            "best_platform": "engages most on",
            "best_hour": "best hour (UTC)",
        }
    )
    segment_formats: dict[str, Callable[[Any], str]] = {
        "share": percent,
        "bought in 30 days": percent,
        "average order": money(currency),
        "best hour (UTC)": lambda h: f"{int(h):02d}:00",
        "segment": str,
    }
    targets = targets.rename(columns=TARGET_COLUMNS)
    target_formats: dict[str, Callable[[Any], str]] = {
        "expected value": money(currency),
        "expected conversions": "{:,.1f}".format,
        "campaigns": str,
    }
    model_formats = {label: figure for _, label in METRICS}
    quality_formats = {"hit rate@3": percent, "NDCG@3": figure}
    whole = "{:,.0f}".format
    criteria_formats = {"BIC": whole, "ICL": whole, "silhouette": figure}
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SocialPulse audience report {html.escape(ds)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table.data{{border-collapse:collapse}}
table.data td,table.data th{{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}}
.targets td:last-child{{text-align:left;max-width:28em}}
figure{{display:inline-block;margin:1em}}</style></head><body>
<h1>Audience report, as of {html.escape(ds)}</h1>
<h2>Conversion propensity: the model against its baselines</h2>
{_table(model_comparison(metrics), model_formats)}
<p>{html.escape(decision)}</p>
<h2>Segments (100 people or more)</h2>
{_table(shown, segment_formats)}
<p>Segments come from a latent-class model with k={segments_metrics.get("k")} (the DAG's <code>segments</code> param).
Its fit at each k, to inform that choice (BIC and ICL: lower is better):</p>
{_table(segment_criteria(segments_metrics["criteria"], int(segments_metrics["k"])), criteria_formats)}
<h2>Target audiences per campaign brief</h2>
<div class="targets">{_table(targets, target_formats) if len(targets) else NO_BRIEF}</div>
<h2>Content recommendations</h2>
<p>Blend chosen on the validation week: {html.escape(str(Blend(**recommendations["blend"])))}.</p>
{_table(recommendation_quality(recommendations), quality_formats)}
<h2>Charts</h2>
{images}
</body></html>
"""
