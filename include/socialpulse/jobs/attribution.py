"""Crediting orders to campaigns, day by day, from the clean CRM orders and the loaded campaign rows.

Each day is recomputed whole from what both sources hold now, so the result is
the same whichever loaded first: a day whose orders have not landed is left
alone (attributed columns stay null), and is credited when they land.
"""

from __future__ import annotations

import logging
from typing import Any

from socialpulse import lake as lake_zone
from socialpulse.jobs.crm import credit
from socialpulse.typing_aliases import JsonObject

ORDERS_ENTITY = "crm_orders"
log = logging.getLogger(__name__)


def credit_days(conn: Any, lake: lake_zone.Lake, days: list[str]) -> JsonObject:
    """Credit each day with a clean orders partition; returns campaigns credited and the days without orders."""
    credited, waiting, changed = 0, [], 0
    for ds in sorted(set(days)):
        orders = lake.clean(ORDERS_ENTITY)
        if not orders.written(ds):
            waiting.append(ds)
            continue
        result = credit(conn, orders, ds)
        credited += result["campaigns_credited"]
        changed += result["rows_changed"]
    if waiting:
        log.info("no clean CRM orders yet for %s: credited when they land", waiting)
    return {
        "days": len(days) - len(waiting),
        "campaigns_credited": credited,
        "rows_changed": changed,
        "days_without_orders": waiting,
    }
