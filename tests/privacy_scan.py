"""Looking for secrets and personal data where they must not be: clean zone, warehouse rows, task logs."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import ahocorasick
import pandas as pd

from socialpulse_dev.devenv import DEMO_KEY
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.server import DEFAULT_TOKEN, DEFAULT_X_TOKEN

SECRETS = (DEFAULT_TOKEN, DEFAULT_X_TOKEN, DEMO_KEY)
ID_PATTERN = re.compile(r"\bu\d{6}\b|\b\d{10,20}\b")


def contact_details(member) -> set[str]:
    """A member's email and phone as the CRM drop types them and as Meta's rules normalise them."""
    from socialpulse_dev.simulator import contacts

    typed = {contacts.typed_email(member).strip(), contacts.typed_phone(member)} - {""}
    return typed | {member.email, contacts.normalized_email(member), contacts.normalized_phone(member)}


def personal_data(seed: int = 7) -> tuple[frozenset[str], frozenset[str]]:
    """(every raw user id of the simulated audience, every name, email and phone)."""
    from socialpulse_dev.simulator import contacts

    ids, texts = set(), set()
    for member in audience(seed):
        ids |= {i for i in (member.user_id, member.facebook_id, member.instagram_id, member.x_id) if i}
        texts |= {member.name} | contact_details(member)
    junk = {"n/a", "-", "none", "123"} | {contacts.national_number(m)[:4] for m in audience(seed)}
    return frozenset(ids), frozenset(texts - junk)  # a junk phone cell is no one's number


def cells(frame: pd.DataFrame) -> set[str]:
    """Every distinct value as text (a Delta checkpoint's cells are nested records)."""
    return {v for column in frame.columns for v in frame[column].dropna().astype(str).unique()}


def finder(needles: frozenset[str]) -> Callable[[str], set[str]]:
    """Which needles a text holds, in one pass over it: the demo's scan looks for some 25,000 names, emails and phones
    in 60 MB of text, which `needle in text` for each took four minutes to do."""
    automaton = ahocorasick.Automaton()
    for needle in needles:
        automaton.add_word(needle, needle)
    automaton.make_automaton()
    return lambda text: {needle for _end, needle in automaton.iter(text)}


def findings(text_by_place: dict[str, str], values_by_place: dict[str, set[str]]) -> list[str]:
    """What each place leaks: a secret, the word bearer, a name or email, or a raw user id."""
    ids, texts = personal_data()
    contacts_in = finder(texts)
    found = []
    for place, text in text_by_place.items():
        lowered = text.lower()
        found += [f"{place}: a token" for s in SECRETS if s in text]
        found += [f"{place}: 'bearer'"] if "bearer" in lowered else []
        found += [f"{place}: name, email or phone {t!r}" for t in sorted(contacts_in(text))]
        found += [f"{place}: raw user id {i!r}" for i in set(ID_PATTERN.findall(text)) & ids]
    for place, values in values_by_place.items():
        found += [f"{place}: raw user id {i!r}" for i in values & ids]
        found += [f"{place}: name, email or phone {t!r}" for t in values & texts]
    return found


def scan_lake_zone(root: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    texts, values = {}, {}
    for path in sorted(root.rglob("*.parquet")):
        frame = pd.read_parquet(path)
        texts[str(path)] = frame.astype(str).to_csv(index=False)
        values[str(path)] = cells(frame)
    return texts, values


def scan_sqlite(path: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    texts, values = {}, {}
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            frame = pd.read_sql_query(f'SELECT * FROM "{table}"', conn)
            texts[f"{path}:{table}"] = frame.astype(str).to_csv(index=False)
            values[f"{path}:{table}"] = cells(frame)
    return texts, values


def erased_people(day, seed: int = 7) -> tuple[list, frozenset[str]]:
    """The people the simulator's erasure requests of `day` name, and every trace of them to look for: ids, name,
    email, phone, their matching keys, and each pseudonym they carry (the CRM user's and each linked platform id's)."""
    import hashlib

    from socialpulse.transforms.privacy import Pseudonymizer
    from socialpulse_dev.simulator import contacts
    from socialpulse_dev.simulator.crm_drop import UNKNOWN_ID, erasure_requests

    members = {m.user_id: m for m in audience(seed)}
    by_x = {m.x_id: m for m in members.values() if m.x_id}
    people = [
        by_x[r["user_id"]] if r["id_namespace"] == "x" else members[r["user_id"]]
        for r in erasure_requests(seed, day)
        if r["user_id"] != UNKNOWN_ID
    ]
    plain = Pseudonymizer(DEMO_KEY)
    traces = set()
    for person in people:
        linked = {"facebook": person.facebook_id, "instagram": person.instagram_id, "x": person.x_id}
        traces |= {person.user_id, person.name, plain.token("crm", person.user_id)} | contact_details(person)
        normalized = (contacts.normalized_email(person), contacts.normalized_phone(person))
        traces |= {hashlib.sha256(v.encode()).hexdigest() for v in normalized}
        traces |= {i for i in linked.values() if i} | {plain.token(p, i) for p, i in linked.items() if i}
    return people, frozenset(traces)


def file_texts(path: Path) -> list[str]:
    """What a file holds, as text to search: its bytes (Parquet footers keep min/max statistics uncompressed),
    gunzipped, a Parquet file's cells, a zip's members (a Keras model)."""
    import gzip
    import zipfile

    data = path.read_bytes()
    texts = [data.decode("latin-1")]
    if path.suffix == ".gz":
        texts.append(gzip.decompress(data).decode("latin-1"))
    if path.suffix == ".parquet":
        texts.append(pd.read_parquet(path).astype(str).to_csv(index=False))
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            texts += [archive.read(name).decode("latin-1") for name in archive.namelist()]
    return texts


def traces_in_files(root: Path, traces: frozenset[str], skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Every file under root (but the folders in `skip`) whose name or content holds one of the traces, with which;
    and how many files were read, under the key ''."""
    found, read, traces_in = {}, 0, finder(traces)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if any(part in skip for part in path.relative_to(root).parts):
            continue
        read += 1
        texts = [str(path.relative_to(root)), *file_texts(path)]  # a file's name can hold a person too
        hits = sorted(set().union(*map(traces_in, texts)))
        if hits:
            found[str(path)] = hits
    return {**found, "": [str(read)]}
