"""The audience models scored against the simulator's planted truth, which the pipeline never reads.

For `make demo` and bench/audience.py only: the adjusted Rand index of the segments
against the planted ones, and the ROC AUC of the planted probabilities (the oracle) on
the same held-out snapshot the models were judged on.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from socialpulse.audience.metrics import evaluate
from socialpulse.jobs.audience import read_features
from socialpulse.transforms.privacy import Pseudonymizer
from socialpulse_dev.devenv import DEMO_KEY
from socialpulse_dev.simulator.audience import DEFAULT_SIZE, audience


def planted(seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY) -> pd.DataFrame:
    """Per person pseudonym: the planted segment and 30-day conversion probability."""
    plain = Pseudonymizer(secret)
    return pd.DataFrame(
        [
            {"person_id": plain.token("crm", m.user_id), "segment": m.segment, "probability": m.conversion_probability}
            for m in audience(seed, size)
        ]
    ).set_index("person_id")


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
