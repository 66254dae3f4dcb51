"""Gender and country normalisation on tiny inputs."""

import pandas as pd

from socialpulse.transforms.normalize import normalize_country, normalize_gender


def test_gender_and_country_normalised_and_unknown_values_kept_to_fail():
    assert list(normalize_gender(pd.Series(["F", " Male ", "w", "", None, "robot"]))) == [
        "female",
        "male",
        "female",
        "unknown",
        "unknown",
        "robot",
    ]
    assert list(normalize_country(pd.Series(["us", "Germany", "United Kingdom", "Japan", "Atlantis"]))) == [
        "US",
        "DE",
        "GB",
        "JP",
        "Atlantis",
    ]
