"""Every way a CRM drop can fail, run through crm_daily: the task log, the failure XCom and the e-mail name files,
columns and counts, and carry none of the drop's personal values."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from tests.dags.conftest import causes, no_retries
from tests.dags.test_alerts import body, inbox  # noqa: F401 - the fixture

AS_OF, DAY = date(2026, 11, 5), date(2026, 11, 2)
LOGICAL_DATE = datetime(2026, 11, 3, tzinfo=UTC)
PERSON = {
    "user_id": "u777777",
    "name": "Zelda Quist",
    "email": "zelda.quist.777777@example.com",
    "age": "34",
    "gender": "female",
    "country": "US",
    "city": "Chicago",
    "signup_date": "2025-01-02",
    "facebook_id": "7777000777",
    "instagram_id": "",
    "x_id": "1777000777",
    "marketing_consent": "yes",
    "experiment_retargeting": "",
}
# What must never leave the raw zone: the person's ids, name and email (their age or city alone name no one).
SECRETS = (PERSON["user_id"], PERSON["name"], PERSON["email"], PERSON["facebook_id"], PERSON["x_id"], "Zélda")


def leaks(places: dict[str, str]) -> dict[str, list[str]]:
    """Each place that holds one of the SECRETS, and which."""
    found = {place: [s for s in SECRETS if s in text] for place, text in places.items()}
    return {place: secrets for place, secrets in found.items() if secrets}


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def written(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def without_header(text: str) -> bytes:
    """The drop as an export that lost its header row: the person's row comes first."""
    return written([list(PERSON.values()), *rows_of(text)[1:]]).encode()


def not_utf8(text: str) -> bytes:
    header, *rest = rows_of(text)
    values = list(PERSON.values())
    return written([header, [values[0], "Zélda Quist", *values[2:]], *rest]).encode("latin-1", errors="replace")


def broken_csv(text: str) -> bytes:
    header, *rest = rows_of(text)
    return (written([header]) + ",".join(PERSON.values()) + ',"an unclosed quote\n' + written(rest)).encode()


def labels_swapped(text: str) -> bytes:
    """The export's email and city labels swapped: every address lands in `city`, a column not declared personal."""
    header, *rest = rows_of(text)
    swapped = [{"email": "city", "city": "email"}.get(c, c) for c in header]
    return written([swapped, [PERSON.get(c, "") for c in header], *rest]).encode()


@pytest.mark.parametrize(
    ("breaks", "task", "said"),
    [
        (
            without_header,
            "extract_crm",
            "users.csv of 2026-11-02 lacks columns [user_id, age, gender, country, city, "
            "signup_date]; none of its 13 header cells names a column it needs and 5 of them "
            "look like values",
        ),
        (not_utf8, "extract_crm", "is not UTF-8 text (byte"),
        (broken_csv, "clean_crm", "users.csv is not a well-formed CSV file (ParserError"),
        (
            labels_swapped,
            "clean_crm",
            "values of column city look like an email address, and city is not a personal "
            "column: are the file's column labels swapped or shifted?",
        ),
    ],
    ids=["no header row", "not UTF-8", "broken CSV", "email and city labels swapped"],
)
def test_a_crm_failure_names_where_and_never_a_value(
    dags,
    pipeline,
    inbox,  # noqa: F811 - the fixture imported above
    tmp_path,
    capfd,
    caplog,
    monkeypatch,
    breaks,
    task,
    said,
):
    pipeline(DAY, AS_OF)
    users = tmp_path / "crm" / f"ds={DAY}" / "users.csv"
    users.write_bytes(breaks(users.read_text()))
    dag = dags["crm_daily"]
    no_retries(dag, monkeypatch)
    run = dag.test(logical_date=LOGICAL_DATE)
    assert run.state == "failed"
    (cause,) = causes(run)
    assert cause.startswith(f"{task}: ") and said in cause, cause
    (message,) = [m for _, m in inbox.messages]
    places = {"task log": capfd.readouterr().out + caplog.text, "failure XCom": cause, "e-mail": body(message)}
    assert said in places["e-mail"].replace("&#39;", "'") and said in places["task log"]  # each place was read
    assert leaks(places) == {}


def test_a_bug_quoting_a_value_while_cleaning_is_withheld(
    dags,
    pipeline,
    inbox,  # noqa: F811 - the fixture imported above
    tmp_path,
    capfd,
    caplog,
    monkeypatch,
):
    """Whatever raises inside the CRM clean step, its message (which may quote the input) is withheld."""
    pipeline(DAY, AS_OF)
    users = tmp_path / "crm" / f"ds={DAY}" / "users.csv"
    header = rows_of(users.read_text())[0]
    users.write_text(written([header, [PERSON.get(c, "") for c in header]]))

    def buggy(values):
        raise KeyError(f"no gender for {PERSON['email']} ({PERSON['name']})")

    monkeypatch.setattr("socialpulse.transforms.crm.normalize_gender", buggy)
    dag = dags["crm_daily"]
    no_retries(dag, monkeypatch)
    run = dag.test(logical_date=LOGICAL_DATE)
    assert run.state == "failed"
    (cause,) = causes(run)
    assert "cleaning users.csv of 2026-11-02 failed with KeyError at test_personal_data_stays_out.py" in cause
    (message,) = [m for _, m in inbox.messages]
    places = {"task log": capfd.readouterr().out + caplog.text, "failure XCom": cause, "e-mail": body(message)}
    assert "failed with KeyError" in places["task log"] and "failed with KeyError" in places["e-mail"]
    assert leaks(places) == {}
