"""Samples and buckets of people by pseudonym: the same people whatever reads them, everyone in one bucket."""

import numpy as np
import pyarrow as pa
import pytest

from socialpulse.audience.buckets import in_bucket, in_sample, person_fraction
from socialpulse.transforms.privacy import Pseudonymizer

PEOPLE = [Pseudonymizer("k" * 32).token("crm", f"u{n}") for n in range(4000)]


def test_buckets_split_everyone_once_into_near_equal_parts():
    members = np.array([in_bucket(PEOPLE, b, 4) for b in range(4)])
    assert (members.sum(axis=0) == 1).all()  # each person in exactly one bucket
    assert all(850 < n < 1150 for n in members.sum(axis=1))  # about a quarter each: HMACs are uniform


def test_a_smaller_sample_is_part_of_a_larger_one_and_the_whole_is_everyone():
    fifth, half = in_sample(PEOPLE, 0.2), in_sample(PEOPLE, 0.5)
    assert 650 < fifth.sum() < 950 and not (fifth & ~half).any()
    assert in_sample(PEOPLE, 1.0).all() and not in_sample(PEOPLE, 0.0).any()


def test_an_id_that_is_no_pseudonym_is_refused_without_its_value():
    with pytest.raises(ValueError, match="not a pseudonym") as raised:
        in_sample(["jane.doe@example.com"], 0.5)
    assert "jane" not in str(raised.value)


def test_a_place_is_read_from_the_first_eight_hex_digits_and_a_missing_id_is_nowhere():
    ids = pa.array(["80000000" + "0" * 56, None, "ffffffff" + "1" * 56, "0000000a" + "f" * 56])
    assert person_fraction(ids).tolist()[0] == 0.5 and np.isnan(person_fraction(ids)[1])
    assert person_fraction(ids)[2] == (16**8 - 1) / 16**8 and person_fraction(ids)[3] == 10 / 16**8
    assert in_bucket(ids, 1, 2).tolist() == [True, False, True, False]
    assert person_fraction(PEOPLE[:50]).tolist() == [int(p[:8], 16) / 16**8 for p in PEOPLE[:50]]
