"""Normalising the free-form values first-party exports carry: gender, country and marketing consent."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # light to import: the declarations name GENDERS and country_codes at DAG parse time
    import pandas as pd

GENDERS = frozenset({"female", "male", "non_binary", "unknown"})
_GENDER_SPELLINGS = {
    "female": ("f", "female", "w", "woman", "frau", "weiblich", "femme"),
    "male": ("m", "male", "man", "mann", "männlich", "homme"),
    "non_binary": ("non_binary", "non-binary", "nonbinary", "nb", "x", "d", "divers", "diverse"),
    "unknown": ("", "unknown", "u", "prefer not to say", "n/a", "na"),
}
GENDER_OF = {spelling: gender for gender, spellings in _GENDER_SPELLINGS.items() for spelling in spellings}
_CONSENT_SPELLINGS = {
    "true": ("true", "t", "yes", "y", "1", "opt-in", "opt_in", "opted_in", "opted in", "granted", "ja", "oui"),
    "false": ("false", "f", "no", "n", "0", "opt-out", "opt_out", "opted_out", "opted out", "denied", "nein", "non"),
}
CONSENT_OF = {spelling: value for value, spellings in _CONSENT_SPELLINGS.items() for spelling in spellings}

# Names exports use that differ from iso3166.tab's own.
_COUNTRY_ALIASES = {
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "usa": "US",
    "united states of america": "US",
    "u.s.": "US",
    "deutschland": "DE",
    "brasil": "BR",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "the netherlands": "NL",
}


@lru_cache(maxsize=1)
def iso_countries() -> dict[str, str]:
    """Lower-cased country name or code -> ISO 3166-1 alpha-2, from the IANA tz database's iso3166.tab."""
    table = resources.files("tzdata.zoneinfo").joinpath("iso3166.tab").read_text(encoding="utf-8")
    names: dict[str, str] = {}
    for line in table.splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        code, name = line.split("\t", 1)
        names[code.lower()] = code
        names[name.lower()] = code
        names[name.split(" (")[0].lower()] = code  # "Britain (UK)" -> "britain"
    return {**names, **_COUNTRY_ALIASES}


def country_codes() -> frozenset[str]:
    return frozenset(v for v in iso_countries().values())


def normalize_gender(values: pd.Series) -> pd.Series:
    """Known spellings to female/male/non_binary/unknown; anything else is kept as given, to fail validation."""
    text = values.astype("string").str.strip()
    return text.str.lower().map(GENDER_OF).astype("string").fillna(text).fillna("unknown")


def normalize_consent(values: pd.Series) -> pd.Series:
    """Known spellings of yes and no to "true"/"false", blank to null (no consent recorded: none given); anything
    else is kept as given, to fail validation."""
    import pandas as pd

    text = values.astype("string").str.strip()
    return text.str.lower().map(CONSENT_OF).astype("string").fillna(text).replace("", pd.NA)


def normalize_country(values: pd.Series) -> pd.Series:
    """ISO codes and country names to ISO 3166-1 alpha-2; unknown names are kept as given, to fail validation."""
    import pandas as pd

    text = values.astype("string").str.strip()
    return text.str.lower().map(iso_countries()).astype("string").fillna(text).replace("", pd.NA)
