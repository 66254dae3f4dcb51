"""Keys more than one row carries, in a table too large to hold whole: found from a 64-bit hash of the key column
alone, read a part at a time. Two keys that share a hash are both taken for repeated: a collision costs a row held
or read more, never a row lost."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def key_hashes(keys: pd.Series) -> pd.Series:
    """A 64-bit hash of each key, by the row's position."""
    return pd.util.hash_pandas_object(keys, index=False)


def repeated_keys(parts: Iterable[pd.Series]) -> pd.Index:
    """The hashes of the keys (a missing one is no key) more than one row of the parts carries."""
    hashes = np.concatenate([key_hashes(part.dropna()).to_numpy() for part in parts] or [np.array([], "u8")])
    hashes.sort()  # in place: one array of 8 bytes a row
    return pd.Index(np.unique(hashes[1:][hashes[1:] == hashes[:-1]]))


def among(keys: pd.Series, repeated: pd.Index) -> np.ndarray:
    """Whether each key is one of the `repeated` (repeated_keys); without hashing a key when there are none, as on
    most days."""
    if repeated.empty:
        return np.zeros(len(keys), dtype=bool)
    return np.asarray(key_hashes(keys).isin(repeated), dtype=bool)
