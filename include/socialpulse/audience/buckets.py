"""People split by their pseudonym: samples and buckets that are the same people whatever reads them.

A person_id is the hex of an HMAC-SHA256 (transforms/privacy.py), uniform over its values: its
first eight hex digits, as a fraction of 16**8, place each person uniformly in [0, 1). A sample
of a share s is the people below s; bucket b of n is those in [b/n, (b+1)/n). A rerun, another
day's table or another task takes the same people, with no random state to carry, and a person's
rows in every table fall in the same bucket. A missing id is in no sample and no bucket.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

DIGITS = 8
WEIGHTS = 16 ** np.arange(DIGITS - 1, -1, -1, dtype=np.int64)  # of each of the eight hex digits
SPAN = 16**DIGITS
Sums = TypeVar("Sums", pd.Series, pd.DataFrame)


def person_fraction(person_ids: pa.Array | pa.ChunkedArray | Iterable[Any]) -> np.ndarray:
    """Each pseudonym's place in [0, 1), NaN where there is none (a null, NaN or NA); raises on an id that is not a
    pseudonym.

    Read from the ids' bytes as Arrow holds them, eight at a time: a few milliseconds a million people."""
    if isinstance(person_ids, pa.Array | pa.ChunkedArray):
        ids = person_ids
    else:  # a pandas NA is a null too
        ids = pa.array(list(person_ids), from_pandas=True)
    ids = (ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids).cast(pa.string())
    missing = ids.is_null().to_numpy(zero_copy_only=False)
    heads = pc.utf8_slice_codeunits(ids.fill_null("0" * DIGITS), 0, DIGITS)
    if not pc.all(pc.match_substring_regex(heads, f"^[0-9a-f]{{{DIGITS}}}$")).as_py() and len(heads):
        raise ValueError("person_id holds a value that is not a pseudonym (hex): was it pseudonymised?")
    offsets = np.frombuffer(heads.buffers()[1], dtype=np.int32)[heads.offset : heads.offset + len(heads) + 1]
    data = np.frombuffer(heads.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(-1, DIGITS)
    values = data.astype(np.int64) - ord("0")
    values[data >= ord("a")] -= ord("a") - ord("0") - 10
    fraction = (values @ WEIGHTS) / SPAN
    return np.where(missing, np.nan, fraction)


def in_sample(person_ids: pa.Array | pa.ChunkedArray | Iterable[Any], share: float) -> np.ndarray:
    """Whether each person is in the sample of `share` of everyone (all of them from 1)."""
    return person_fraction(person_ids) < share


def bucket_of(person_ids: pa.Array | pa.ChunkedArray | Iterable[Any], buckets: int) -> np.ndarray:
    """Each person's bucket of `buckets` (0-based, as a float), NaN where there is no person."""
    return np.asarray(np.floor(person_fraction(person_ids) * buckets))


def in_bucket(person_ids: pa.Array | pa.ChunkedArray | Iterable[Any], bucket: int, buckets: int) -> np.ndarray:
    """Whether each person is in bucket `bucket` of `buckets` (0-based)."""
    return np.asarray(bucket_of(person_ids, buckets) == bucket)


def summed(total: Sums | None, part: Sums) -> Sums:
    """A running sum over buckets of figures by the same keys, the first part as it is (an empty sum has no key
    names to align)."""
    return part if total is None else total.add(part, fill_value=0)
