"""Campaign briefs as users declare them (YAML): which campaign an audience serves, its goal, topics and sizes.

A brief is declared the way experiments are (docs/audiences.md): `audiences.yaml` of the
working directory or the file a variable names, and YAML in another variable. Each brief is
read on its own: a wrong one is reported at its file and line, naming the field, and the
others still build (the targeting step fails after publishing them, so the run says what to
fix). A document that is not YAML, or not `audiences: [...]`, stops at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from socialpulse.audience.entities import MIN_PUBLISHED
from socialpulse.declared_fields import FieldReader, declared_items
from socialpulse.errors import DeclarationError, Name, describe
from socialpulse.transforms.normalize import country_codes
from socialpulse.transforms.topics import TOPICS

# goal -> who is eligible, in words (socialpulse.audience.targeting.eligible says it in code)
GOALS = {
    "retarget": "engaged in the last 30 days and did not order in the last 90",
    "win_back": "ordered before, but not in the last 90 days",
    "loyalty": "ordered in the last 90 days",
    "prospect": "never ordered",
}
DEFAULT_HOLDOUT = 0.10
MAX_SIZE = 10_000_000
MAX_BRIEFS = 500  # per file or variable
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ACCOUNT = re.compile(r"(act_)?[0-9]{1,20}")
_KEYS = {
    "name",
    "account_id",
    "campaign_ids",
    "goal",
    "topics",
    "markets",
    "max_size",
    "min_size",
    "holdout",
    "exclusive",
}


class BriefError(DeclarationError):
    """A brief that cannot be built; the message names the file, the line, the field and what to fix."""


@dataclass(frozen=True)
class Brief:
    name: str
    account_id: str  # digits, without act_
    campaign_ids: tuple[str, ...]  # the Meta campaigns the audience serves
    goal: str  # one of GOALS
    max_size: int
    topics: tuple[str, ...] = ()  # what the campaigns sell; none: topic affinity plays no part
    markets: tuple[str, ...] | None = None  # ISO countries; None: learned from the campaigns' orders
    min_size: int = MIN_PUBLISHED  # fewer eligible people: not published
    holdout: float = DEFAULT_HOLDOUT  # share of the chosen people kept out, to measure the audience
    exclusive: bool = False  # a person joins at most one exclusive audience: the one worth most
    source: str = ""  # file:line of the declaration


def _brief(mapping: Any, source: str, index: int) -> Brief:
    if not isinstance(mapping, dict):
        raise BriefError(
            "{source}: brief {n} must be a mapping, got {got}", source=Name(source), n=index + 1, got=describe(mapping)
        )
    reader = FieldReader(mapping, source, f"brief {index + 1}", BriefError)
    name = reader.text("name", pattern=_NAME)
    reader.what = f"brief '{name}'"
    reader.check_keys(_KEYS)
    account = str(reader.get("account_id"))
    if isinstance(reader.get("account_id"), bool) or not _ACCOUNT.fullmatch(account):
        raise reader.fail("account_id", "expected a Meta ad account id (digits, act_ optional)")
    campaigns = reader.items("campaign_ids")
    if any(isinstance(c, bool) or not isinstance(c, str | int) or not str(c).strip().isdigit() for c in campaigns):
        raise reader.fail("campaign_ids", "expected Meta campaign ids (digits), got {got}", got=describe(campaigns))
    if len({str(c).strip() for c in campaigns}) < len(campaigns):
        raise reader.fail("campaign_ids", "a campaign is listed twice")
    goal = reader.text("goal")
    if goal not in GOALS:
        raise reader.fail("goal", "expected one of {goals}", goals=[Name(g) for g in GOALS])
    min_size = reader.whole("min_size", MIN_PUBLISHED, MAX_SIZE, MIN_PUBLISHED)
    reader.get("max_size")  # required
    max_size = reader.whole("max_size", min_size, MAX_SIZE, min_size)
    markets = reader.names("markets", country_codes(), required=False)
    return Brief(
        name=name,
        account_id=account.removeprefix("act_"),
        campaign_ids=tuple(str(c).strip() for c in campaigns),
        goal=goal,
        max_size=max_size,
        topics=reader.names("topics", frozenset(TOPICS), required=False),
        markets=markets or None,
        min_size=min_size,
        holdout=reader.number("holdout", 0, 0.5, required=False) or DEFAULT_HOLDOUT,
        exclusive=reader.flag("exclusive", False),
        source=f"{source}:{mapping['__line__']}",
    )


def parse(text: str | bytes, source: str) -> tuple[tuple[Brief, ...], tuple[BriefError, ...]]:
    """(the valid briefs, an error per invalid one) of one YAML document `audiences: [...]`; `source` names it.

    A document that cannot be read as such raises a BriefError at once."""
    listed = declared_items(text, source, "audiences", MAX_BRIEFS, BriefError)
    briefs, errors = [], []
    for index, item in enumerate(listed):
        try:
            briefs.append(_brief(item, source, index))
        except BriefError as error:
            errors.append(error)
    return tuple(briefs), tuple(errors)


def combine(*declared: tuple[Brief, ...]) -> tuple[tuple[Brief, ...], tuple[BriefError, ...]]:
    """Briefs from several sources (the file, the variable), in order. A name, or a campaign, declared again is an
    error at the later declaration, which is left out."""
    names: dict[str, Brief] = {}
    campaigns: dict[str, Brief] = {}
    kept, errors = [], []
    for brief in (b for group in declared for b in group):
        first = names.get(brief.name) or next((campaigns[c] for c in brief.campaign_ids if c in campaigns), None)
        if first is not None:
            errors.append(
                BriefError(
                    "{source}: brief '{name}' repeats the name or a campaign of brief '{other}' at {first}",
                    source=Name(brief.source),
                    name=Name(brief.name),
                    other=Name(first.name),
                    first=Name(first.source),
                )
            )
            continue
        names[brief.name] = brief
        campaigns.update(dict.fromkeys(brief.campaign_ids, brief))
        kept.append(brief)
    return tuple(kept), tuple(errors)
