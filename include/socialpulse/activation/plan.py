"""Activation's plan: what to send an ad platform so its audience holds exactly the people intended, no more.

`intended` is the audience's members that are sent (the holdout never is) with their matching
keys; `synced` the rows of the last sync that finished, known to be on the platform; `pending`
the rows an unfinished sync may have added (recorded before it sent). Removing every row that
may be there (synced or pending) and is not intended, then adding every intended row not known
to be there (not synced), reaches the intended membership whatever an interrupted sync had done:
adding a person already there, or removing one already gone, changes nothing.

A row is a person with the keys it was sent with: when a person's email changes, the old row is
removed and the new one added (the removes go first). A full replace sends every intended row
once; it is chosen when that is fewer rows than the diff.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

ROW = ["person_id", "email_sha256", "phone_sha256"]


@dataclass(frozen=True)
class SyncPlan:
    adds: pd.DataFrame  # ROW columns: rows to add
    removes: pd.DataFrame  # ROW columns, with the keys they were sent with
    replace: bool  # send `intended` whole (usersreplace) instead of the diff
    intended: pd.DataFrame
    on_platform: int  # people known to be on the platform before the sync (the last finished sync's)

    @property
    def rows_to_send(self) -> int:
        return len(self.intended) if self.replace else len(self.adds) + len(self.removes)

    @property
    def change_share(self) -> float:
        """Adds and removes against the people there before (a new audience: 1.0, all of it new)."""
        return (len(self.adds) + len(self.removes)) / self.on_platform if self.on_platform else 1.0


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[ROW].astype("string").drop_duplicates().reset_index(drop=True)


def _key(rows: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(rows.fillna(""))


def plan(intended: pd.DataFrame, synced: pd.DataFrame, pending: pd.DataFrame | None = None) -> SyncPlan:
    """The diff to the intended rows (removes from what may be there, adds of what is not known to be), or a replace
    when that sends fewer rows."""
    wanted, known = _rows(intended), _rows(synced)
    maybe = _rows(pd.concat([known, _rows(pending)])) if pending is not None and len(pending) else known
    adds = wanted[~_key(wanted).isin(_key(known))].reset_index(drop=True)
    removes = maybe[~_key(maybe).isin(_key(wanted))].reset_index(drop=True)
    replace = len(maybe) > 0 and len(wanted) > 0 and len(wanted) < len(adds) + len(removes)
    return SyncPlan(adds, removes, replace, wanted, int(known["person_id"].nunique()))


def needs_approval(plan: SyncPlan, created: bool, max_change_share: float) -> bool:
    """A new audience, or a change above `max_change_share` of the people there, waits for a person's approval."""
    return created or plan.change_share > max_change_share
