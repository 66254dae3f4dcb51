"""The audience models scored against the simulator's planted truth, which the pipeline never reads.

For `make demo` and bench/audience.py only: the adjusted Rand index of the segments
against the planted ones, the ROC AUC of the planted probabilities (the oracle) on the
same held-out snapshot the models were judged on, the people on target audiences who
must not be there (no consent, or the retargeting holdout's control group), and each
audience's expected incremental conversions against the oracle's and a random list's.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.audience.metrics import evaluate
from socialpulse.jobs.audience import read_features
from socialpulse.transforms.privacy import Pseudonymizer
from socialpulse_dev.devenv import DEMO_KEY
from socialpulse_dev.simulator import campaign_response, experiments
from socialpulse_dev.simulator.audience import DEFAULT_SIZE, audience, columns
from socialpulse_dev.simulator.crm_drop import consents, held_out
from socialpulse_dev.simulator.experiments import retargeting_group

LABEL_DAYS = 30  # the propensity label's window: an order in the 30 days after the as-of date


@lru_cache(maxsize=4)
def pseudonyms(seed: int, size: int, secret: str) -> np.ndarray:
    """Each simulated person's CRM pseudonym, by person index, as the pipeline's first run gives it."""
    plain = Pseudonymizer(secret)
    return np.array([plain.token("crm", m.user_id) for m in audience(seed, size)])


def planted(seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY) -> pd.DataFrame:
    """Per person pseudonym: the planted segment, consent and holdout group."""
    return pd.DataFrame(
        [
            {
                "person_id": person,
                "segment": m.segment,
                "consents": consents(m.user_id),
                "retargeting_group": retargeting_group(m.user_id),
            }
            for m, person in zip(audience(seed, size), pseudonyms(seed, size, secret), strict=True)
        ]
    ).set_index("person_id")


def contamination(
    lake: lake_zone.Lake, ds: str, seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY
) -> dict:
    """People on the target audiences of ds who gave no marketing consent, or sit in the retargeting holdout (the
    control group of the simulator's running CRM experiment): both must be 0."""
    truth = planted(seed, size, secret)
    members = truth.reindex(read_features(lake, "target_audiences", ds)["person_id"].unique())
    return {
        "members": len(members),
        "without_consent": int((~members["consents"].astype(bool)).sum()),
        "in_holdout_group": int((members["retargeting_group"] == "holdout").sum()),
    }


def against_truth(
    lake: lake_zone.Lake, ds: str, seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY
) -> dict:
    """{"ari": segments vs planted, "oracle_auc": planted probabilities on the evaluation snapshot, "people": n}."""
    from sklearn.metrics import adjusted_rand_score

    truth = planted(seed, size, secret)
    evaluated_from = date.fromisoformat(ds) - timedelta(days=LABEL_DAYS)  # propensity's evaluation snapshot
    truth["probability"] = planted_probability(seed, size, evaluated_from).to_numpy()
    profiles = read_features(lake, "user_profiles", ds).set_index("person_id")
    known = profiles.index.intersection(truth.index)
    evaluation = read_features(lake, "propensity_eval", ds).set_index("person_id")
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
    """Each person's planted chance to order in the LABEL_DAYS after as_of, by person index: their own purchases
    (the retargeting holdout buys less from its start) and those the campaigns that reached them cause."""
    daily = columns(seed, size).daily_probability
    if as_of >= experiments.holdout_start():
        daily = np.where(held_out(seed, size), daily / experiments.TARGETED_LIFT, daily)
    none = (1 - daily) ** LABEL_DAYS
    for campaign in campaign_response.campaigns(seed):
        none = none * (1 - campaign_response.daily_extra(seed, campaign.campaign_id, size)) ** LABEL_DAYS
    return pd.Series(1 - none)


def calibration(lake: lake_zone.Lake, ds: str, seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY) -> dict:
    """Per country, and for the people the audiences of ds send: the propensity scores' sum (expected conversions)
    against the planted probabilities' sum, their ratio (1: calibrated), and the ratio's noise (two standard
    errors of the planted count: a small market's buyers vary by more than 10% from month to month)."""
    people = pseudonyms(seed, size, secret)
    truth = pd.Series(planted_probability(seed, size, date.fromisoformat(ds)).to_numpy(), index=people)
    scores = read_features(lake, "propensity_scores", ds).set_index("person_id")["score"]
    profiles = read_features(lake, "user_profiles", ds).set_index("person_id")
    scored = scores.index.intersection(truth.index)
    frame = pd.DataFrame({"expected": scores[scored], "planted": truth[scored], "country": profiles["country"]})
    groups = {str(c): g for c, g in frame.dropna(subset=["expected"]).groupby("country")}
    members = read_features(lake, "target_audiences", ds)
    sent = members.loc[~members["in_holdout"].astype(bool), "person_id"].drop_duplicates()
    groups["audiences"] = frame.reindex(sent.to_numpy()).dropna(subset=["expected", "planted"])
    return {
        name: {
            "people": len(g),
            "expected": float(g["expected"].sum()),
            "planted": float(g["planted"].sum()),
            "ratio": float(g["expected"].sum() / g["planted"].sum()) if g["planted"].sum() else float("nan"),
            # two standard errors of the conversions the planted probabilities give, relative to their sum:
            # how far from 1 a ratio may be by chance alone (labels a calibration learns from vary as much)
            "noise": float(2 * np.sqrt((g["planted"] * (1 - g["planted"])).sum()) / g["planted"].sum())
            if g["planted"].sum()
            else float("nan"),
        }
        for name, g in groups.items()
    }


def uplift(seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY) -> pd.DataFrame:
    """person_id, campaign_id, uplift (p_if_reached - p_if_not) for everyone in each campaign's market."""
    people = pseudonyms(seed, size, secret)
    frames = []
    for campaign in campaign_response.campaigns(seed):
        in_market, p_if_not, p_if_reached = campaign_response.response(seed, campaign.campaign_id, size)
        frames.append(
            pd.DataFrame(
                {
                    "person_id": people[in_market],
                    "campaign_id": campaign.campaign_id,
                    "uplift": (p_if_reached - p_if_not)[in_market],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def incremental(lake: lake_zone.Lake, ds: str, seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY) -> dict:
    """Per brief built on ds: its list's expected incremental conversions (the planted uplift summed over it, for each
    of its campaigns), the oracle's (the best list of that size from the brief's eligible pool) and a random list's
    from that pool (the pool's mean x size), and the list's ratios to both."""
    truth = uplift(seed, size, secret)
    members = read_features(lake, "target_audiences", ds)
    pools = read_features(lake, "target_candidates", ds)
    campaigns = members.groupby("brief")["campaign_id"].unique()
    found = {}
    for brief, campaign_ids in campaigns.items():
        by_person = truth[truth["campaign_id"].isin(campaign_ids)].groupby("person_id")["uplift"].sum()
        chosen = members.loc[members["brief"] == brief, "person_id"].drop_duplicates()
        pool = by_person.reindex(pools.loc[pools["brief"] == brief, "person_id"].unique()).fillna(0.0)
        listed = float(by_person.reindex(chosen).fillna(0.0).sum())
        oracle = float(pool.nlargest(len(chosen)).sum())
        random_list = float(pool.mean() * len(chosen)) if len(pool) else 0.0
        found[str(brief)] = {
            "size": len(chosen),
            "pool": len(pool),
            "incremental": listed,
            "oracle": oracle,
            "random": random_list,
            "to_oracle": listed / oracle if oracle else float("nan"),
            "to_random": listed / random_list if random_list else float("nan"),
        }
    return found


def recommendation_oracle(
    lake: lake_zone.Lake, ds: str, seed: int = 7, size: int = DEFAULT_SIZE, secret: str = DEMO_KEY
) -> dict:
    """The planted-interest oracle on recommend_content's test week of ds, figured as the recommendations are: each
    person's two planted interests, then the most popular other topic (popularity's list for people it does not
    know)."""
    from socialpulse.audience.recommend import HOLDOUT_DAYS, Everyone, Split
    from socialpulse.jobs.audience import load_model, model_dir

    model = load_model(model_dir(lake, "segments", f"segments-{ds}") / "model.joblib")
    events = read_features(lake, "engagement_resolved", ds)
    profiles = read_features(lake, "user_profiles", ds)
    cut = date.fromisoformat(ds) - timedelta(days=HOLDOUT_DAYS)
    test = Split.at(events, profiles, model, Everyone.of(events, cut))
    popular = test.inputs.popularity
    people = pseudonyms(seed, size, secret)
    interests = {person: member.interests for person, member in zip(people, audience(seed, size), strict=True)}
    lists = {}
    for person in test.engaged_topics():
        planted_first = sorted(interests.get(person, ()), key=popular.index)
        lists[person] = (planted_first + [t for t in popular if t not in planted_first])[:3]
    return test.report(lists)


def gap_closed(model: float, popularity: float, oracle: float) -> float:
    """How much of the way from popularity to the oracle a figure goes (1: all of it)."""
    return (model - popularity) / (oracle - popularity) if oracle != popularity else float("nan")
