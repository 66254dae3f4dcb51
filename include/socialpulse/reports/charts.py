"""The reports' charts (audience, experiments), each a function of plain frames returning PNG bytes (Agg backend)."""

from __future__ import annotations

import io
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from socialpulse.audience.metrics import DECILES
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _figure(width: float = 6.4, height: float = 3.6) -> tuple[ModuleType, Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg")  # no display: workers have none
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(width, height), dpi=100)
    return plt, figure, axes


def _png(plt: ModuleType, figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def age_histogram(ages: pd.Series) -> bytes:
    """From the people of each age (age -> people)."""
    plt, figure, axes = _figure()
    axes.hist(ages.index.astype(int), bins=range(13, 91, 3), weights=ages.to_numpy(), color="#4C72B0")
    axes.set(title="Age of the CRM audience", xlabel="age", ylabel="people")
    return _png(plt, figure)


def engagement_by_platform_topic(table: pd.DataFrame) -> bytes:
    """From the events per topic (rows) and platform (columns)."""
    plt, figure, axes = _figure()
    table.plot.bar(stacked=True, ax=axes)
    axes.set(title="Engagement events by topic and platform (90 days)", xlabel="", ylabel="events")
    return _png(plt, figure)


def segments_chart(segments: pd.DataFrame) -> bytes:
    """Two bar charts side by side: each segment's size and its share who bought in 30 days (categories, so bars)."""
    plt, figure, axes = _figure(8.0, 3.4)
    figure.delaxes(axes)
    size, rate = figure.subplots(1, 2)
    labels = [str(s) for s in segments["segment_id"]]
    size.bar(labels, segments["size"], color="#55A868")
    size.set(title="People per segment", xlabel="segment", ylabel="people")
    size.yaxis.set_major_formatter("{x:,.0f}")
    rate.bar(labels, 100 * segments["conversion_rate"], color="#C44E52")
    rate.set(title="Bought in the last 30 days", xlabel="segment", ylabel="% of the segment")
    return _png(plt, figure)


def segment_profile_chart(ratio: pd.DataFrame) -> bytes:
    """A heat map of each attribute's over- or under-representation per segment (share in it / everyone's share), on a
    log scale centred on 1, so the segments can be told apart at a glance."""
    from matplotlib.colors import LogNorm

    columns = [f"{value}" if kind in ("age", "country") else value for kind, value in ratio.columns]
    plt, figure, axes = _figure(max(6.0, 0.32 * len(columns) + 2), 0.5 * len(ratio) + 2.2)
    values = ratio.to_numpy(dtype=float)
    image = axes.imshow(
        np.clip(np.nan_to_num(values, nan=1.0), 0.25, 4.0), cmap="RdBu_r", norm=LogNorm(0.25, 4.0), aspect="auto"
    )
    axes.set_xticks(range(len(columns)), columns, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(ratio)), [f"segment {s}" for s in ratio.index])
    colorbar = figure.colorbar(image, ax=axes, shrink=0.8)
    colorbar.ax.minorticks_off()
    colorbar.set_ticks([0.25, 0.5, 1, 2, 4], labels=["¼×", "½×", "1×", "2×", "4×"])
    axes.set_title("What sets each segment apart: share against the whole audience")
    return _png(plt, figure)


def roc_chart(metrics: dict[str, JsonObject]) -> bytes:
    """ROC curves from each model's evaluation (metrics.evaluate)."""
    plt, figure, axes = _figure(4.8, 4.4)
    for name, m in metrics.items():
        axes.plot(m["roc_curve"]["fpr"], m["roc_curve"]["tpr"], label=f"{name} ({m['roc_auc']:.3f})")
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":")
    axes.set(title="ROC on the held-out snapshot", xlabel="false positive rate", ylabel="true positive rate")
    axes.legend(loc="lower right")
    return _png(plt, figure)


def calibration_chart(metrics: dict[str, JsonObject]) -> bytes:
    plt, figure, axes = _figure(4.8, 4.4)
    for name, m in metrics.items():
        axes.plot(
            [b["mean_score"] for b in m["calibration"]],
            [b["observed"] for b in m["calibration"]],
            marker="o",
            label=name,
        )
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":")
    axes.set(title="Calibration by score decile", xlabel="mean score", ylabel="observed rate")
    axes.legend(loc="upper left")
    return _png(plt, figure)


def lift_chart(metrics: dict[str, JsonObject]) -> bytes:
    plt, figure, axes = _figure()
    width = 0.8 / max(len(metrics), 1)
    for offset, (name, m) in enumerate(metrics.items()):
        by_decile = {b["decile"]: b["observed"] / m["positive_rate"] for b in m["calibration"]}
        axes.bar(
            np.arange(DECILES) + offset * width, [by_decile.get(d, 0) for d in range(DECILES, 0, -1)], width, label=name
        )
    axes.axhline(1.0, color="grey", linestyle=":")
    axes.set(title="Lift by score decile (10 = highest scores)", xlabel="decile", ylabel="conversion rate / average")
    axes.set_xticks(np.arange(DECILES) + 0.4 - width / 2, [str(d) for d in range(DECILES, 0, -1)])
    axes.legend()
    return _png(plt, figure)


def recommendations_chart(quality: JsonObject) -> bytes:
    """NDCG@3 of the recommendations and of popularity, for people with history and cold-start people."""
    plt, figure, axes = _figure(5.6, 3.4)
    groups = [("history", "with history"), ("cold_start", "cold start")]
    x = np.arange(len(groups))
    for offset, (who, label) in enumerate((("model", "recommendations"), ("popularity", "most popular topics"))):
        axes.bar(x + offset * 0.38, [quality[who][g]["ndcg_at_3"] or 0 for g, _ in groups], 0.38, label=label)
    axes.set_xticks(x + 0.19, [label for _, label in groups])
    axes.set(title="NDCG@3 on the held-out week", ylim=(0, 1))
    axes.legend()
    return _png(plt, figure)


def experiment_chart(primary: pd.DataFrame, title: str, minimum_effect: float) -> bytes:
    """Each treatment arm's lift on the primary metric and its always-valid interval, look by look."""
    plt, figure, axes = _figure(7.2, 3.8)
    treatments = primary[~primary["is_control"].astype(bool)]
    for arm, rows in treatments.groupby("arm", sort=False):
        days = pd.to_datetime(rows["as_of_date"])
        line = axes.plot(days, 100 * rows["lift"], marker=".", label=f"{arm} against control")[0]
        axes.fill_between(days, 100 * rows["lift_low"], 100 * rows["lift_high"], color=line.get_color(), alpha=0.2)
    axes.axhline(0, color="black", linewidth=0.8)
    axes.axhspan(
        -100 * minimum_effect,
        100 * minimum_effect,
        color="grey",
        alpha=0.12,
        label=f"within the minimum effect (±{minimum_effect:.0%})",
    )
    axes.set(title=title, xlabel="look (as-of date)", ylabel="lift, % (always-valid interval)")
    axes.legend(fontsize=8, loc="upper left")
    figure.autofmt_xdate()
    return _png(plt, figure)
