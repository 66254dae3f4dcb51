"""People split by their pseudonym: samples and buckets that are the same people whatever reads them.

A person_id is the hex of an HMAC-SHA256 (transforms/privacy.py), uniform over its values: its
first eight hex digits, as a fraction of 16**8, place each person uniformly in [0, 1). A sample
of a share s is the people below s; bucket b of n is those in [b/n, (b+1)/n). A rerun, another
day's table or another task takes the same people, with no random state to carry, and a person's
rows in every table fall in the same bucket.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

SPAN = 16**8  # the values of eight hex digits


def person_fraction(person_ids: Iterable[Any]) -> np.ndarray:
    """Each pseudonym's place in [0, 1); raises on an id that is not a pseudonym (hex)."""
    try:
        return np.array([int(str(p)[:8], 16) for p in person_ids], dtype=np.float64) / SPAN
    except ValueError:
        raise ValueError("person_id holds a value that is not a pseudonym (hex): was it pseudonymised?") from None


def in_sample(person_ids: Iterable[Any], share: float) -> np.ndarray:
    """Whether each person is in the sample of `share` of everyone (all of them from 1)."""
    return person_fraction(person_ids) < share


def in_bucket(person_ids: Iterable[Any], bucket: int, buckets: int) -> np.ndarray:
    """Whether each person is in bucket `bucket` of `buckets` (0-based)."""
    place = person_fraction(person_ids) * buckets
    return (place >= bucket) & (place < bucket + 1)
