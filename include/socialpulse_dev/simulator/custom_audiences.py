"""Meta's Customer File Custom Audiences, simulated from the Marketing API's documentation (not from our client).

Routes (under /{version}/, the Graph token required as everywhere):
  POST   act_{id}/customaudiences   create: name, subtype=CUSTOM, customer_file_source, description -> {"id"}
  GET    act_{id}/customaudiences   list, cursor-paged; `fields` as on the node
  GET    {audience_id}              the node: name, description, approximate_count_lower_bound/upper_bound,
                                    operation_status, delivery_status, time_content_updated, ...
  POST   {audience_id}/users        add rows; DELETE (or POST with method=DELETE) removes them
  POST   {audience_id}/usersreplace replace the whole membership, in a session

`payload` is {"schema": [...keys...], "data": [[...], ...]} (form field holding JSON, as Meta's SDK
sends it); keys here are EMAIL and PHONE, each a SHA-256 hex of the normalised value, "" when
unknown. At most MAX_ROWS rows per request. `session` is {session_id, batch_seq (from 1),
last_batch_flag, estimated_num_total}: num_received counts the session's rows so far, a batch
sent again (a retry) counts once. A row with a value that is not 64 lower-case hex digits is an
invalid entry (counted, sampled, not added); a valid row adds the simulated person whose email or
phone hash it carries, and no one when it matches nobody (as on Meta, not every customer is found).

A replace session starts with batch_seq 1 (operation_status 414 while it runs) and swaps the
membership for the session's rows at last_batch_flag; every error of usersreplace is code 2650
with Meta's subcodes. Accounts in `refused_accounts` have not accepted the Custom Audience terms
(code 200, subcode 1870034). Simplifications, said here rather than hidden: changes apply at once
(Meta takes up to 24 hours), both count bounds are the exact count, and sessions never time out.

`snapshot()` is the simulator's own view (who is on each audience, and whether any raw email or
phone arrived), served at /_simulator/custom_audiences for tests and the demo: no Meta route.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

from socialpulse_dev.simulator import contacts
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.meta_errors import MetaError

MAX_ROWS = 10_000
KEYS = ("EMAIL", "PHONE")
CUSTOMER_FILE_SOURCES = ("USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED")
NODE_FIELDS = ("id",)  # what Meta answers without `fields`
MAX_INVALID_SAMPLES = 100
_HASH = re.compile(r"[0-9a-f]{64}")
_RAW_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_RAW_PHONE = re.compile(r"\+?[\d\s().-]{7,}")
NORMAL, REPLACING = (200, "Normal"), (414, "Replace in progress")


@lru_cache(maxsize=4)
def people_by_hash(seed: int, size: int) -> dict[str, str]:
    """SHA-256 of each simulated person's Meta-normalised email and phone -> their user_id."""
    found = {}
    for member in audience(seed, size):
        for value in (contacts.normalized_email(member), contacts.normalized_phone(member)):
            found[hashlib.sha256(value.encode()).hexdigest()] = member.user_id
    return found


@dataclass
class Session:
    batches: set[int] = field(default_factory=set)
    received: int = 0
    finished: bool = False
    staged: set[str] = field(default_factory=set)  # a replace session's people so far


@dataclass
class Audience:
    id: str
    account_id: str
    name: str
    description: str
    customer_file_source: str
    time_created: int
    members: set[str] = field(default_factory=set)
    time_content_updated: int = 0
    operation_status: tuple[int, str] = NORMAL
    replacing: int | None = None  # the session id of a running replace

    def node(self) -> dict:
        count = len(self.members)
        return {
            "id": self.id,
            "account_id": self.account_id,
            "name": self.name,
            "description": self.description,
            "subtype": "CUSTOM",
            "customer_file_source": self.customer_file_source,
            "approximate_count_lower_bound": count,
            "approximate_count_upper_bound": count,
            "time_created": self.time_created,
            "time_content_updated": self.time_content_updated,
            "operation_status": {"code": self.operation_status[0], "description": self.operation_status[1]},
            "delivery_status": {"code": 200, "description": "This audience is ready for use."}
            if count >= 100
            else {"code": 300, "description": "This audience is too small to use."},
        }


def _fields(node: dict, params: dict) -> dict:
    wanted = [f for f in params.get("fields", "").split(",") if f] or list(NODE_FIELDS)
    return {k: node[k] for k in ("id", *wanted) if k in node}


def _json_param(params: dict, name: str) -> dict:
    try:
        value = json.loads(params[name])
    except KeyError:
        raise MetaError(400, 194, f"(#194) The parameter {name} is required") from None
    except (ValueError, TypeError):
        raise MetaError(400, 100, f"(#100) param {name} must be a JSON object") from None
    if not isinstance(value, dict):
        raise MetaError(400, 100, f"(#100) param {name} must be a JSON object")
    return value


class CustomAudiences:
    """Every account's audiences and their upload sessions, shared by the handler threads."""

    def __init__(self, seed: int, size: int, refused_accounts: tuple[str, ...] = ()):
        self.seed, self.size, self.refused_accounts = seed, size, refused_accounts
        self.lock = threading.Lock()
        self.audiences: dict[str, Audience] = {}
        self.sessions: dict[tuple[str, int, str], Session] = {}  # (account, session_id, add, remove or replace)
        self.ids = itertools.count(23_850_000_000_000_001)
        self.raw_values = 0  # values that look like an email or a phone in clear: must stay 0
        self.invalid_entries = 0

    def owns(self, node_id: str) -> bool:
        return node_id in self.audiences

    def _check_terms(self, account_id: str) -> None:
        if account_id in self.refused_accounts:
            raise MetaError(
                400,
                200,
                "Custom Audience Terms Not Accepted: You'll need to agree to the Custom Audience terms before you "
                "can create or edit an audience or an ad set.",
                subcode=1870034,
            )

    def create(self, account_id: str, params: dict) -> dict:
        self._check_terms(account_id)
        if not params.get("name"):
            raise MetaError(400, 100, "(#100) The parameter name is required")
        if params.get("subtype", "CUSTOM") != "CUSTOM":
            raise MetaError(400, 100, "(#100) The simulator creates subtype=CUSTOM only")
        source = params.get("customer_file_source", "USER_PROVIDED_ONLY")
        if source not in CUSTOMER_FILE_SOURCES:
            raise MetaError(400, 100, f"(#100) customer_file_source must be one of {list(CUSTOMER_FILE_SOURCES)}")
        with self.lock:
            created = Audience(
                str(next(self.ids)),
                account_id,
                params["name"],
                params.get("description", ""),
                source,
                int(time.time()),
            )
            self.audiences[created.id] = created
        return {"id": created.id}

    def listed(self, account_id: str, params: dict) -> list[dict]:
        with self.lock:
            return [_fields(a.node(), params) for a in self.audiences.values() if a.account_id == account_id]

    def node(self, audience_id: str, params: dict) -> dict:
        with self.lock:
            return _fields(self.audiences[audience_id].node(), params)

    def _rows(self, params: dict) -> list[list[str]]:
        payload = _json_param(params, "payload")
        schema = payload.get("schema")
        schema = [schema] if isinstance(schema, str) else schema
        if not isinstance(schema, list) or not schema or not set(schema) <= set(KEYS):
            raise MetaError(400, 100, f"(#100) payload.schema: the simulator takes keys of {list(KEYS)}")
        data = payload.get("data")
        if not isinstance(data, list):
            raise MetaError(400, 100, "(#100) payload.data must be an array")
        if len(data) > MAX_ROWS:
            raise MetaError(400, 100, f"(#100) payload.data: at most {MAX_ROWS} entries per request, got {len(data)}")
        rows = [row if isinstance(row, list) else [row] for row in data]
        if any(len(row) != len(schema) for row in rows):
            raise MetaError(400, 100, "(#100) payload.data: each entry must have one value per schema key")
        return rows

    def _match(self, rows: list[list[str]]) -> tuple[set[str], list[str]]:
        """(the people the valid rows name, the invalid rows' values)."""
        known = people_by_hash(self.seed, self.size)
        people, invalid = set(), []
        for row in rows:
            values = [str(v) for v in row if v not in ("", None)]
            bad = [v for v in values if not _HASH.fullmatch(v)]
            if bad or not values:
                invalid += bad or ["(empty row)"]
                self.raw_values += sum(bool(_RAW_EMAIL.fullmatch(v) or _RAW_PHONE.fullmatch(v)) for v in bad)
                continue
            people |= {known[v] for v in values if v in known}
        return people, invalid

    def _session(self, audience_: Audience, params: dict, kind: str) -> tuple[int, int, bool, Session]:
        session = _json_param(params, "session")
        try:
            session_id, batch_seq = int(session["session_id"]), int(session["batch_seq"])
        except (KeyError, TypeError, ValueError):
            raise MetaError(400, 100, "(#100) session needs an integer session_id and batch_seq") from None
        if batch_seq < 1:
            raise MetaError(400, 100, "(#100) session.batch_seq starts from 1")
        key = (audience_.account_id, session_id, kind)
        return session_id, batch_seq, bool(session.get("last_batch_flag")), self.sessions.setdefault(key, Session())

    def users(self, audience_id: str, params: dict, remove: bool) -> dict:
        rows = self._rows(params)
        with self.lock:
            target = self.audiences[audience_id]
            if target.replacing is not None:
                raise MetaError(400, 2650, "Audience Update In Progress: a replace is running", subcode=1870145)
            session_id, batch_seq, last, session = self._session(target, params, "remove" if remove else "add")
            if session.finished and batch_seq not in session.batches:
                raise MetaError(400, 2650, "Session Finished: the session's last batch was received", subcode=1870159)
            people, invalid = self._match(rows)
            if batch_seq not in session.batches:  # a batch sent again (a retry) counts once
                session.batches.add(batch_seq)
                session.received += len(rows)
                self.invalid_entries += len(invalid)
            target.members = target.members - people if remove else target.members | people
            target.time_content_updated = int(time.time())
            session.finished = session.finished or last
            return {
                "audience_id": audience_id,
                "session_id": session_id,
                "num_received": session.received,
                "num_invalid_entries": len(invalid),
                "invalid_entry_samples": invalid[:MAX_INVALID_SAMPLES],
            }

    def replace(self, audience_id: str, params: dict) -> dict:
        rows = self._rows(params)
        with self.lock:
            target = self.audiences[audience_id]
            session_id, batch_seq, last, session = self._session(target, params, "replace")
            if session.finished:
                raise MetaError(400, 2650, "Replace Session Finished", subcode=1870159)
            if batch_seq == 1:
                if target.replacing not in (None, session_id):
                    raise MetaError(400, 2650, "Audience Update In Progress", subcode=1870145)
                target.replacing, target.operation_status = session_id, REPLACING
            elif target.replacing != session_id:
                raise MetaError(400, 2650, "Invalid Upload Batch for Replace: no first batch_seq", subcode=1870147)
            people, invalid = self._match(rows)
            if batch_seq not in session.batches:
                session.batches.add(batch_seq)
                session.received += len(rows)
                self.invalid_entries += len(invalid)
            session.staged |= people
            if last:
                session.finished = True
                target.members, target.replacing, target.operation_status = set(session.staged), None, NORMAL
                target.time_content_updated = int(time.time())
            return {
                "account_id": target.account_id,
                "session_id": session_id,
                "num_received": session.received,
                "num_invalid_entries": len(invalid),
                "invalid_entry_samples": invalid[:MAX_INVALID_SAMPLES],
            }

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "audiences": {
                    a.id: {"account_id": a.account_id, "name": a.name, "members": sorted(a.members)}
                    for a in self.audiences.values()
                },
                "raw_values_received": self.raw_values,
                "invalid_entries": self.invalid_entries,
            }
