"""The dashboard's figures, each one query on the warehouse with bound parameters, returned as plain rows.

The connection is the caller's, opened read-only (socialpulse_airflow/dashboard); every
amount is in the reporting currency, as loaded.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from socialpulse.warehouse.dialect import bind_day, dialect_of, placeholder

TRAILING_DAYS = 7  # the latest day is compared with the average of this many days before it


def _rows(conn: Any, sql: str, params: tuple = ()) -> list[dict]:
    cursor = conn.cursor()
    cursor.execute(sql.replace("?", placeholder(dialect_of(conn))), params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _ratios(row: dict) -> dict:
    """CTR, CPC and ROAS of summed counts and amounts; None where the denominator is zero or missing."""
    def share(numerator: str, denominator: str) -> float | None:
        value, base = row.get(numerator), row.get(denominator)
        return float(value) / float(base) if value is not None and base else None

    return {**row, "ctr": share("clicks", "impressions"), "cpc": share("spend", "clicks"),
            "roas": share("revenue", "spend")}


_TOTALS = ("sum(impressions) AS impressions, sum(clicks) AS clicks, sum(spend_reporting) AS spend, "
           "sum(conversions) AS conversions, sum(conversion_value_reporting) AS revenue, "
           "sum(attributed_revenue) AS crm_revenue")


def overview(conn: Any, since: str, until: str) -> list[dict]:
    """Spend, conversions, revenue, ROAS, CTR and CPC per platform and account between two days."""
    rows = _rows(conn, f"SELECT platform, account_id, {_TOTALS} FROM campaign_metrics_daily WHERE metric_date >= ? "
                       "AND metric_date <= ? GROUP BY platform, account_id ORDER BY platform, account_id",
                 (bind_day(conn, since), bind_day(conn, until)))
    return [_ratios(r) for r in rows]


def daily_totals(conn: Any, since: str, until: str) -> list[dict]:
    """Each day's totals over every account: the trend lines."""
    rows = _rows(conn, f"SELECT metric_date, {_TOTALS} FROM campaign_metrics_daily WHERE metric_date >= ? AND "
                       "metric_date <= ? GROUP BY metric_date ORDER BY metric_date",
                 (bind_day(conn, since), bind_day(conn, until)))
    return [_ratios({**r, "metric_date": str(r["metric_date"])}) for r in rows]


def latest_against_trailing(daily: list[dict]) -> dict | None:
    """The newest day's totals and their change against the average of the TRAILING_DAYS days before it."""
    if not daily:
        return None
    latest = daily[-1]
    first = (date.fromisoformat(latest["metric_date"]) - timedelta(days=TRAILING_DAYS)).isoformat()
    before = [d for d in daily[:-1] if d["metric_date"] >= first]
    change = {}
    for name in ("spend", "conversions", "revenue", "roas", "ctr", "cpc"):
        values = [float(d[name]) for d in before if d[name] is not None]
        mean = sum(values) / len(values) if values else None
        change[name] = (float(latest[name]) / mean - 1) if mean and latest[name] is not None else None
    return {"day": latest["metric_date"], "values": latest, "change": change, "trailing_days": len(before)}


def experiments(conn: Any) -> list[dict]:
    """Each experiment's newest look: its decision and every treatment arm's primary lift with its interval."""
    return _rows(conn, "SELECT r.experiment, r.as_of_date, r.arm, r.metric, r.lift, r.lift_low, r.lift_high, "
                       "r.p_value, r.srm_p_value, c.decision, c.winning_arm, c.detail FROM experiment_results r "
                       "JOIN experiment_results c ON c.experiment = r.experiment AND c.as_of_date = r.as_of_date "
                       "AND c.metric = r.metric AND c.is_control WHERE r.role = 'primary' AND NOT r.is_control "
                       "AND r.as_of_date = (SELECT max(as_of_date) FROM experiment_results m WHERE m.experiment = "
                       "r.experiment) ORDER BY r.experiment, r.arm")


def audit(conn: Any) -> list[dict]:
    """The newest run's rows and quarantine share per entity and date, latest dates first."""
    return _rows(conn, "SELECT ds, entity, rows_in, rows_quarantined, quarantined_share, top_reasons FROM "
                       "pipeline_audit a WHERE run_id = (SELECT max(run_id) FROM pipeline_audit b WHERE b.ds = a.ds "
                       "AND b.entity = a.entity) ORDER BY ds DESC, entity")


def open_findings(conn: Any, since: str) -> list[dict]:
    """Data-quality findings about days since `since`, newest first."""
    return _rows(conn, "SELECT entity, day, metric, check_name, value, expected_low, expected_high, severity, detail "
                       "FROM data_quality_findings WHERE day >= ? ORDER BY day DESC, entity",
                 (bind_day(conn, since),))
