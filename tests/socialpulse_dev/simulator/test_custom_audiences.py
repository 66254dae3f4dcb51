"""The simulated Custom Audiences API over real HTTP: create and list, sessions, replace, limits, invalid entries."""

from __future__ import annotations

import hashlib
import json

import pytest
import requests

from socialpulse_dev.simulator import contacts
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.custom_audiences import MAX_ROWS
from socialpulse_dev.simulator.server import DEFAULT_TOKEN

MEMBERS = audience(7)[:300]


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def row(member, phone: bool = True) -> list[str]:
    return [sha(contacts.normalized_email(member)), sha(contacts.normalized_phone(member)) if phone else ""]


class Graph:
    def __init__(self, base: str):
        self.base = f"{base}/v25.0"

    def call(self, method: str, path: str, **params) -> requests.Response:
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        form["access_token"] = DEFAULT_TOKEN
        if method == "GET":
            return requests.get(f"{self.base}/{path}", params=form, timeout=10)
        return requests.request(method, f"{self.base}/{path}", data=form, timeout=10)

    def ok(self, method: str, path: str, **params) -> dict:
        answer = self.call(method, path, **params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def upload(self, audience_id: str, rows: list, session_id: int, seq: int, last: bool, edge="users", method="POST"):
        return self.call(
            method,
            f"{audience_id}/{edge}",
            payload={"schema": ["EMAIL", "PHONE"], "data": rows},
            session={"session_id": session_id, "batch_seq": seq, "last_batch_flag": last, "estimated_num_total": 9},
        )


@pytest.fixture
def graph(simulator) -> tuple[Graph, str]:
    base = simulator(audience_terms_refused=("1003",))
    return Graph(base), base


def members_of(base: str, audience_id: str) -> list[str]:
    return requests.get(f"{base}/_simulator/custom_audiences", timeout=10).json()["audiences"][audience_id]["members"]


def test_create_then_find_by_name_with_paging(graph):
    api, _ = graph
    made = [
        api.ok("POST", "act_1001/customaudiences", name=f"socialpulse:b{i}", subtype="CUSTOM", description="d")["id"]
        for i in range(3)
    ]
    api.ok("POST", "act_1002/customaudiences", name="elsewhere", subtype="CUSTOM")
    first = api.ok("GET", "act_1001/customaudiences", fields="name,description", limit=2)
    assert [a["name"] for a in first["data"]] == ["socialpulse:b0", "socialpulse:b1"] and "next" in first["paging"]
    second = requests.get(first["paging"]["next"], timeout=10).json()
    assert [(a["id"], a["name"]) for a in second["data"]] == [(made[2], "socialpulse:b2")]
    assert "next" not in second["paging"]
    node = api.ok("GET", made[0], fields="approximate_count_lower_bound,operation_status,delivery_status")
    assert node["approximate_count_lower_bound"] == 0 and node["operation_status"]["code"] == 200
    assert node["delivery_status"]["code"] == 300  # under 100 people: too small to use


def test_a_session_adds_and_removes_matched_people_and_a_resent_batch_counts_once(graph):
    api, base = graph
    audience_id = api.ok("POST", "act_1001/customaudiences", name="a", subtype="CUSTOM")["id"]
    rows = [row(m, phone=i % 2 == 0) for i, m in enumerate(MEMBERS[:150])]
    first = api.upload(audience_id, rows[:100], 11, 1, False)
    assert first.json()["num_received"] == 100
    again = api.upload(audience_id, rows[:100], 11, 1, False)  # a retry of the same batch
    assert again.json()["num_received"] == 100
    done = api.upload(audience_id, [*rows[100:], [sha("nobody@example.com"), ""]], 11, 2, True).json()
    assert (done["num_received"], done["num_invalid_entries"]) == (151, 0)  # nobody matches no one, validly
    assert members_of(base, audience_id) == sorted(m.user_id for m in MEMBERS[:150])
    removed = api.upload(audience_id, rows[:10], 12, 1, True, method="DELETE").json()
    assert removed["num_received"] == 10
    api.upload(audience_id, rows[10:20], 13, 1, True, edge="users?method=DELETE")  # POST with method=DELETE
    assert members_of(base, audience_id) == sorted(m.user_id for m in MEMBERS[20:150])
    node = api.ok("GET", audience_id, fields="approximate_count_lower_bound,delivery_status")
    assert node["approximate_count_lower_bound"] == 130 and node["delivery_status"]["code"] == 200


def test_replace_swaps_the_membership_at_the_last_batch(graph):
    api, base = graph
    audience_id = api.ok("POST", "act_1001/customaudiences", name="r", subtype="CUSTOM")["id"]
    api.upload(audience_id, [row(m) for m in MEMBERS[:50]], 1, 1, True)
    answer = api.upload(audience_id, [row(m) for m in MEMBERS[100:150]], 2, 1, False, edge="usersreplace")
    assert answer.json()["account_id"] == "1001"
    status = api.ok("GET", audience_id, fields="operation_status")["operation_status"]["code"]
    blocked = api.upload(audience_id, [row(MEMBERS[0])], 3, 1, True)  # /users during a replace
    assert (status, blocked.json()["error"]["error_subcode"]) == (414, 1870145)
    assert members_of(base, audience_id) == sorted(m.user_id for m in MEMBERS[:50])  # until the last batch
    api.upload(audience_id, [row(m) for m in MEMBERS[150:200]], 2, 2, True, edge="usersreplace")
    assert members_of(base, audience_id) == sorted(m.user_id for m in MEMBERS[100:200])
    late = api.upload(audience_id, [row(MEMBERS[0])], 2, 3, True, edge="usersreplace").json()["error"]
    assert (late["code"], late["error_subcode"]) == (2650, 1870159)
    orphan = api.upload(audience_id, [row(MEMBERS[0])], 4, 2, True, edge="usersreplace").json()["error"]
    assert orphan["error_subcode"] == 1870147  # no batch 1 started this session


def test_limits_invalid_entries_and_refused_terms(graph):
    api, base = graph
    audience_id = api.ok("POST", "act_1001/customaudiences", name="l", subtype="CUSTOM")["id"]
    too_many = api.upload(audience_id, [row(MEMBERS[0])] * (MAX_ROWS + 1), 1, 1, True)
    assert too_many.status_code == 400 and "at most 10000 entries" in too_many.json()["error"]["message"]
    raw = [[contacts.normalized_email(MEMBERS[0]), ""], ["not-hex", ""], row(MEMBERS[1])]
    answer = api.upload(audience_id, raw, 2, 1, True).json()
    assert answer["num_invalid_entries"] == 2 and len(answer["invalid_entry_samples"]) == 2
    state = requests.get(f"{base}/_simulator/custom_audiences", timeout=10).json()
    assert (state["raw_values_received"], state["invalid_entries"]) == (1, 2)  # the clear email is seen as such
    assert state["audiences"][audience_id]["members"] == [MEMBERS[1].user_id]
    refused = api.call("POST", "act_1003/customaudiences", name="x", subtype="CUSTOM").json()["error"]
    assert (refused["code"], refused["error_subcode"]) == (200, 1870034)


def test_custom_audience_calls_are_throttled_as_meta_does(simulator):
    api = Graph(simulator(throttle_every=1))
    answer = api.call("GET", "act_1001/customaudiences")
    error, usage = answer.json()["error"], json.loads(answer.headers["X-Business-Use-Case-Usage"])
    assert (error["code"], error["error_subcode"], usage["1001"][0]["type"]) == (80003, 2446079, "custom_audience")
