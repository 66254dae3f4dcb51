"""The audience models scored against the simulator's planted truth, which the pipeline never reads.

For `make demo` and bench/audience.py only: the adjusted Rand index of the segments
against the planted ones, the ROC AUC of the planted probabilities (the oracle) on the
same held-out snapshot the models were judged on, and the people on target audiences who
must not be there (no consent, or the retargeting holdout's control group).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from socialpulse.audience.metrics import evaluate
from socialpulse.jobs.audience import read_features
from socialpulse.transforms.privacy import Pseudonymizer
from socialpulse_dev.devenv import DEMO_KEY
from socialpulse_dev.simulator import experiments
from socialpulse_dev.simulator.audience import DEFAULT_SIZE, audience, columns
from socialpulse_dev.simulator.crm_drop import consents, held_out
from socialpulse_dev.simulator.experiments import retargeting_group

LABEL_DAYS = 30  # the propensity label's window: an order in the 30 days after the as-of date


def planted(seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY) -> pd.DataFrame:
    """Per person pseudonym: the planted segment, 30-day conversion probability, consent and holdout group."""
    plain = Pseudonymizer(secret)
    return pd.DataFrame(
        [
            {
                "person_id": plain.token("crm", m.user_id),
                "segment": m.segment,
                "probability": m.conversion_probability,
                "consents": consents(m.user_id),
                "retargeting_group": retargeting_group(m.user_id),
            }
            for m in audience(seed, size)
        ]
    ).set_index("person_id")


def contamination(lake_root: str, ds: str, seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY) -> dict:
    """People on the target audiences of ds who gave no marketing consent, or sit in the retargeting holdout (the
    control group of the simulator's running CRM experiment): both must be 0."""
    truth = planted(seed, size, secret)
    members = truth.reindex(read_features(lake_root, "target_audiences", ds)["person_id"].unique())
    return {
        "members": len(members),
        "without_consent": int((~members["consents"].astype(bool)).sum()),
        "in_holdout_group": int((members["retargeting_group"] == "holdout").sum()),
    }


def against_truth(lake_root: str, ds: str, seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY) -> dict:
    """{"ari": segments vs planted, "oracle_auc": planted probabilities on the evaluation snapshot, "people": n}."""
    from sklearn.metrics import adjusted_rand_score

    truth = planted(seed, size, secret)
    profiles = read_features(lake_root, "user_profiles", ds).set_index("person_id")
    known = profiles.index.intersection(truth.index)
    evaluation = read_features(lake_root, "propensity_eval", ds).set_index("person_id")
    scored = evaluation.index.intersection(truth.index)
    return {
        "ari": float(adjusted_rand_score(truth.loc[known, "segment"], profiles.loc[known, "segment_id"])),
        "oracle_auc": evaluate(evaluation.loc[scored, "label"].to_numpy(), truth.loc[scored, "probability"].to_numpy())[
            "roc_auc"
        ],
        "people": len(known),
        "as_of": date.fromisoformat(ds).isoformat(),
    }


def planted_probability(seed: int, size: int, as_of: date) -> pd.Series:
    """Each person's planted chance to order in the LABEL_DAYS after as_of (the retargeting holdout buys less from
    its start), by person index."""
    daily = columns(seed, size).daily_probability
    if as_of >= experiments.holdout_start():
        daily = np.where(held_out(seed, size), daily / experiments.TARGETED_LIFT, daily)
    return pd.Series(1 - (1 - daily) ** LABEL_DAYS)


def calibration(lake_root: str, ds: str, seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY) -> dict:
    """Per country, and for the people the audiences of ds send: the propensity scores' sum (expected conversions)
    against the planted probabilities' sum, and their ratio (1: calibrated)."""
    plain = Pseudonymizer(secret)
    people = [plain.token("crm", m.user_id) for m in audience(seed, size)]
    truth = pd.Series(planted_probability(seed, size, date.fromisoformat(ds)).to_numpy(), index=people)
    scores = read_features(lake_root, "propensity_scores", ds).set_index("person_id")["score"]
    profiles = read_features(lake_root, "user_profiles", ds).set_index("person_id")
    scored = scores.index.intersection(truth.index)
    frame = pd.DataFrame({"expected": scores[scored], "planted": truth[scored], "country": profiles["country"]})
    groups = {str(c): g for c, g in frame.dropna(subset=["expected"]).groupby("country")}
    members = read_features(lake_root, "target_audiences", ds)
    sent = members.loc[~members["in_holdout"].astype(bool), "person_id"].drop_duplicates()
    groups["audiences"] = frame.reindex(sent.to_numpy()).dropna(subset=["expected", "planted"])
    return {
        name: {
            "people": len(g),
            "expected": float(g["expected"].sum()),
            "planted": float(g["planted"].sum()),
            "ratio": float(g["expected"].sum() / g["planted"].sum()) if g["planted"].sum() else float("nan"),
        }
        for name, g in groups.items()
    }
