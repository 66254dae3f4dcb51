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


def age_histogram(profiles: pd.DataFrame) -> bytes:
    plt, figure, axes = _figure()
    axes.hist(profiles["age"].dropna().astype(int), bins=range(13, 91, 3), color="#4C72B0")
    axes.set(title="Age of the CRM audience", xlabel="age", ylabel="people")
    return _png(plt, figure)


def engagement_by_platform_topic(events: pd.DataFrame) -> bytes:
    table = events.groupby(["topic", "platform"]).size().unstack(fill_value=0)
    plt, figure, axes = _figure()
    table.plot.bar(stacked=True, ax=axes)
    axes.set(title="Engagement events by topic and platform (90 days)", xlabel="", ylabel="events")
    return _png(plt, figure)


def segments_chart(segments: pd.DataFrame) -> bytes:
    plt, figure, left = _figure(7.5, 3.6)
    labels = [f"segment {s}" for s in segments["segment_id"]]
    left.bar(labels, segments["size"], color="#55A868")
    left.set(title="Segments: size (bars) and conversion rate (line)", xlabel="segment", ylabel="people")
    right = left.twinx()
    right.plot(labels, 100 * segments["conversion_rate"], color="#C44E52", marker="o")
    right.set_ylabel("% bought in 30 days")
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
    plt, figure, axes = _figure(5.2, 3.4)
    names = ["hit_rate_at_3", "ndcg_at_3"]
    x = np.arange(len(names))
    for offset, who in enumerate(("model", "popularity")):
        axes.bar(
            x + offset * 0.38,
            [quality[who][n] or 0 for n in names],
            0.38,
            label="collaborative filtering" if who == "model" else "popularity",
        )
    axes.set_xticks(x + 0.19, ["hit rate@3", "NDCG@3"])
    axes.set(title="Recommendations on held-out engagement", ylim=(0, 1))
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
