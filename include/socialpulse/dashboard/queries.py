"""The dashboard's figures, each one query on the warehouse with bound parameters, returned as plain rows.

The connection is the caller's, opened read-only (socialpulse_airflow/dashboard); every
amount is in the reporting currency, as loaded.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from socialpulse.typing_aliases import JsonObject
from socialpulse.warehouse.dialect import bind_day, dialect_of, placeholder

TRAILING_DAYS = 7  # the latest day is compared with the average of this many days before it


def _rows(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> list[JsonObject]:
    cursor = conn.cursor()
    cursor.execute(sql.replace("?", placeholder(dialect_of(conn))), params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _ratios(row: JsonObject) -> JsonObject:
    """CTR, CPC and ROAS of summed counts and amounts; None where the denominator is zero or missing."""

    def share(numerator: str, denominator: str) -> float | None:
        value, base = row.get(numerator), row.get(denominator)
        return float(value) / float(base) if value is not None and base else None

    return {
        **row,
        "ctr": share("clicks", "impressions"),
        "cpc": share("spend", "clicks"),
        "roas": share("revenue", "spend"),
    }


# Amounts are summed in the reporting currency they were converted to; a row whose conversion failed is counted.
_TOTALS = (
    "reporting_currency AS currency, sum(impressions) AS impressions, sum(clicks) AS clicks, "
    "sum(spend_reporting) AS spend, sum(conversions) AS conversions, "
    "sum(conversion_value_reporting) AS revenue, sum(attributed_revenue) AS crm_revenue, "
    "sum(CASE WHEN spend IS NOT NULL AND spend_reporting IS NULL THEN 1 ELSE 0 END) AS unconverted"
)


# The day column of each table a page's default range ends at (the newest day there, not today).
_DAY_COLUMNS = {"campaign_metrics_daily": "metric_date", "post_metrics_daily": "metric_date", "pipeline_audit": "ds"}


def newest_data_day(conn: Any, table: str, until: str) -> str | None:
    """The newest day of `table` up to `until`: where a page without a chosen range ends."""
    found = _rows(
        conn,
        f"SELECT max({_DAY_COLUMNS[table]}) AS day FROM {table} WHERE {_DAY_COLUMNS[table]} <= ?",
        (bind_day(conn, until),),
    )[0]["day"]
    return None if found is None else str(found)[:10]


def overview(conn: Any, since: str, until: str) -> list[JsonObject]:
    """Spend, conversions, revenue, ROAS, CTR and CPC per platform, account and reporting currency between two days."""
    rows = _rows(
        conn,
        f"SELECT platform, account_id, {_TOTALS} FROM campaign_metrics_daily WHERE metric_date >= ? "
        "AND metric_date <= ? GROUP BY platform, account_id, reporting_currency "
        "ORDER BY platform, account_id, reporting_currency",
        (bind_day(conn, since), bind_day(conn, until)),
    )
    return [_ratios(r) for r in rows]


def daily_totals(conn: Any, since: str, until: str) -> list[JsonObject]:
    """Each day's totals over every account (per reporting currency): the trend."""
    rows = _rows(
        conn,
        f"SELECT metric_date, {_TOTALS} FROM campaign_metrics_daily WHERE metric_date >= ? AND "
        "metric_date <= ? GROUP BY metric_date, reporting_currency ORDER BY metric_date, currency",
        (bind_day(conn, since), bind_day(conn, until)),
    )
    return [_ratios({**r, "metric_date": str(r["metric_date"])}) for r in rows]


def latest_against_trailing(conn: Any, until: str) -> JsonObject | None:
    """The newest day up to `until` against the TRAILING_DAYS days before it (per day; ratios of the week's sums).

    None without rows, or when they are in more than one reporting currency (the totals would mix them).
    """
    newest = _rows(
        conn,
        "SELECT max(metric_date) AS day FROM campaign_metrics_daily WHERE metric_date <= ?",
        (bind_day(conn, until),),
    )[0]["day"]
    if newest is None:
        return None
    day = str(newest)
    first = (date.fromisoformat(day) - timedelta(days=TRAILING_DAYS)).isoformat()
    days = daily_totals(conn, first, day)
    if len({d["currency"] for d in days}) > 1:
        return None
    latest, before = days[-1], days[:-1]
    week = {
        name: sum(float(d[name] or 0) for d in before)
        for name in ("impressions", "clicks", "spend", "conversions", "revenue")
    }
    average = _ratios({k: v / len(before) for k, v in week.items()}) if before else {}
    change = {
        name: float(latest[name]) / float(average[name]) - 1 if average.get(name) and latest[name] is not None else None
        for name in ("spend", "conversions", "revenue", "roas", "ctr", "cpc")
    }
    return {"day": day, "values": latest, "change": change, "trailing_days": len(before)}


def experiments(conn: Any) -> list[JsonObject]:
    """Each experiment's newest look (the final read once there is one): its decision, and every treatment arm's
    primary lift with its interval, without CUPED too, the variance CUPED took out, the power plan, and the day
    (from the start) each interval first excluded zero."""
    first_off_zero = (
        "(SELECT min(d.as_of_date) FROM experiment_results d WHERE d.experiment = r.experiment AND d.arm = r.arm "
        "AND d.metric = r.metric AND COALESCE(d.look, 'daily') = 'daily' AND (d.{0}lift_low > 0 OR d.{0}lift_high < 0))"
    )
    rows = _rows(
        conn,
        "SELECT r.experiment, r.as_of_date, r.look, r.arm, r.metric, r.lift, r.lift_low, r.lift_high, r.p_value, "
        "r.srm_p_value, r.adjustment, r.unadjusted_lift, r.unadjusted_lift_low, r.unadjusted_lift_high, "
        "r.variance_reduction, r.detectable_lift, r.days_needed, c.decision, c.winning_arm, c.detail, "
        "(SELECT min(s.as_of_date) FROM experiment_results s WHERE s.experiment = r.experiment) AS started, "
        # the first look of the streak of this decision that ends at the newest look
        "(SELECT min(f.as_of_date) FROM experiment_results f WHERE f.experiment = c.experiment AND f.is_control "
        "AND f.role = 'primary' AND f.as_of_date <= c.as_of_date AND NOT EXISTS (SELECT 1 FROM experiment_results g "
        "WHERE g.experiment = c.experiment AND g.is_control AND g.role = 'primary' AND g.decision <> c.decision "
        "AND g.as_of_date >= f.as_of_date AND g.as_of_date <= c.as_of_date)) AS decided_since, "
        f"{first_off_zero.format('')} AS off_zero, {first_off_zero.format('unadjusted_')} AS unadjusted_off_zero "
        "FROM experiment_results r JOIN experiment_results c ON c.experiment = r.experiment "
        "AND c.as_of_date = r.as_of_date AND c.metric = r.metric AND c.is_control WHERE r.role = 'primary' "
        "AND NOT r.is_control AND r.as_of_date = (SELECT max(as_of_date) FROM experiment_results m WHERE "
        "m.experiment = r.experiment) ORDER BY r.experiment, r.arm",
    )

    def day_of(row: JsonObject, key: str) -> int | None:
        found = row[key]
        return (
            None
            if found is None
            else (date.fromisoformat(str(found)) - date.fromisoformat(str(row["started"]))).days + 1
        )

    return [
        {**row, "decision_day": day_of(row, "off_zero"), "unadjusted_decision_day": day_of(row, "unadjusted_off_zero")}
        for row in rows
    ]


def audit(conn: Any, since: str) -> list[JsonObject]:
    """Rows and quarantine share per entity and day since `since`, from each day's newest run, latest days first."""
    return _rows(
        conn,
        "SELECT ds, entity, run_id, rows_in, rows_quarantined, quarantined_share, top_reasons FROM "
        "(SELECT a.*, row_number() OVER (PARTITION BY ds, entity ORDER BY extracted_at IS NULL, "
        "extracted_at DESC, run_id DESC) AS newest FROM pipeline_audit a WHERE ds >= ?) ranked "
        "WHERE newest = 1 ORDER BY ds DESC, entity",
        (bind_day(conn, since),),
    )


def open_findings(conn: Any, since: str) -> list[JsonObject]:
    """Data-quality findings about days since `since`, newest first."""
    return _rows(
        conn,
        "SELECT entity, day, metric, check_name, value, expected_low, expected_high, severity, detail "
        "FROM data_quality_findings WHERE day >= ? ORDER BY day DESC, entity",
        (bind_day(conn, since),),
    )


def campaigns(conn: Any, since: str, until: str) -> list[JsonObject]:
    """Each campaign's totals between two days, and on how many of those days Meta restated a value."""
    restated = (
        "SELECT platform AS r_platform, account_id AS r_account, campaign_id AS r_campaign, count(*) AS days "
        "FROM (SELECT platform, account_id, campaign_id FROM campaign_metrics_history WHERE metric_date >= ? "
        "AND metric_date <= ? GROUP BY platform, account_id, campaign_id, metric_date HAVING count(*) > 1) v "
        "GROUP BY platform, account_id, campaign_id"
    )
    day = (bind_day(conn, since), bind_day(conn, until))
    rows = _rows(
        conn,
        f"SELECT platform, account_id, campaign_id, max(campaign_name) AS campaign_name, {_TOTALS}, "
        f"coalesce(max(r.days), 0) AS restated_days FROM campaign_metrics_daily d LEFT JOIN "
        f"({restated}) r ON r.r_platform = d.platform AND r.r_account = d.account_id AND "
        "r.r_campaign = d.campaign_id WHERE metric_date >= ? AND metric_date <= ? "
        "GROUP BY platform, account_id, campaign_id, reporting_currency "
        "ORDER BY platform, account_id, campaign_id",
        day + day,
    )
    return [_ratios(r) for r in rows]


def restatements(conn: Any, since: str, until: str) -> list[JsonObject]:
    """Campaign-days between two days whose values changed after the first report: as first reported and as now."""
    return _rows(
        conn,
        "SELECT f.metric_date, f.platform, f.account_id, f.campaign_id, d.campaign_name, f.versions, "
        "f.extracted_at AS first_extracted_at, d.extracted_at AS extracted_at, "
        "f.clicks AS first_clicks, d.clicks, f.conversions AS first_conversions, d.conversions, "
        "f.spend_reporting AS first_spend, d.spend_reporting AS spend, "
        "f.conversion_value_reporting AS first_revenue, d.conversion_value_reporting AS revenue "
        "FROM (SELECT h.*, row_number() OVER (PARTITION BY platform, account_id, campaign_id, "
        "metric_date ORDER BY extracted_at) AS version, count(*) OVER (PARTITION BY platform, "
        "account_id, campaign_id, metric_date) AS versions FROM campaign_metrics_history h "
        "WHERE metric_date >= ? AND metric_date <= ?) f JOIN campaign_metrics_daily d ON "
        "d.metric_date = f.metric_date AND d.platform = f.platform AND d.account_id = f.account_id "
        "AND d.campaign_id = f.campaign_id WHERE f.version = 1 AND f.versions > 1 "
        "ORDER BY f.metric_date DESC, f.platform, f.account_id, f.campaign_id",
        (bind_day(conn, since), bind_day(conn, until)),
    )


def posts(conn: Any, since: str, until: str, limit: int = 200) -> list[JsonObject]:
    """The posts seen between two days, each at its newest snapshot (values so far), most seen first."""
    return _rows(
        conn,
        "SELECT metric_date, platform, account_id, post_id, created_at, topic, impressions, reach, "
        "likes, comments, shares, saves, clicks, engagement_rate FROM (SELECT p.*, row_number() OVER "
        "(PARTITION BY platform, account_id, post_id ORDER BY metric_date DESC) AS newest FROM "
        "post_metrics_daily p WHERE metric_date >= ? AND metric_date <= ?) s WHERE newest = 1 "
        "ORDER BY impressions IS NULL, impressions DESC, post_id LIMIT ?",
        (bind_day(conn, since), bind_day(conn, until), limit),
    )


def audience(conn: Any) -> JsonObject | None:
    """The newest audience run: segments and the segment model's fit at each k, the propensity model card and the
    target audiences' sizes (no people)."""
    day = _rows(conn, "SELECT max(as_of_date) AS day FROM audience_segments")[0]["day"]
    if day is None:
        return None
    segments = _rows(
        conn,
        "SELECT segment_id, size, share, description, conversion_rate, avg_order_value, "
        "best_platform, best_hour FROM audience_segments WHERE as_of_date = ? ORDER BY segment_id",
        (day,),
    )
    models = _rows(
        conn,
        "SELECT model_version, trained_at, rows_train, rows_eval, metrics, champion_version, "
        "decision FROM model_registry WHERE model_name = 'propensity' AND as_of_date = ? "
        "ORDER BY trained_at DESC",
        (day,),
    )
    audiences = _rows(
        conn,
        "SELECT brief, goal, account_id, campaign_ids, markets, eligible, excluded, size, holdout_size, "
        "expected_conversions, expected_value, reason FROM target_audience_summaries WHERE as_of_date = ? "
        "ORDER BY brief",
        (day,),
    )
    card = None
    if models:
        card = {**models[0], "metrics": json.loads(models[0]["metrics"])}
    fitted = _rows(
        conn,
        "SELECT metrics, decision FROM model_registry WHERE model_name = 'segments' AND as_of_date = ?",
        (day,),
    )
    return {
        "day": str(day),
        "segments": segments,
        "segment_model": {**json.loads(fitted[0]["metrics"]), "decision": fitted[0]["decision"]} if fitted else None,
        "model": card,
        "audiences": audiences,
        "activation": activation(conn),
    }


def activation(conn: Any) -> list[JsonObject]:
    """Per brief sent to an ad platform: its newest step (synced, awaiting approval, rejected, ...), the newest
    count the platform gave, when it was last synced, and its holdout's newest lift (experiment audience_<brief>)."""
    return _rows(
        conn,
        "SELECT s.brief, s.status, s.synced_at, s.detail, s.platform_audience_id, "
        "(SELECT c.approximate_count FROM audience_syncs c WHERE c.brief = s.brief AND c.approximate_count IS NOT NULL "
        "ORDER BY c.synced_at DESC LIMIT 1) AS approximate_count, "
        "(SELECT max(d.synced_at) FROM audience_syncs d WHERE d.brief = s.brief AND d.status = 'synced') "
        "AS last_synced, "
        "r.lift, r.lift_low, r.lift_high, r.as_of_date AS lift_day "
        "FROM audience_syncs s LEFT JOIN experiment_results r ON r.experiment = 'audience_' || s.brief "
        "AND r.role = 'primary' AND NOT r.is_control AND r.as_of_date = (SELECT max(m.as_of_date) FROM "
        "experiment_results m WHERE m.experiment = r.experiment) "
        "WHERE s.synced_at = (SELECT max(n.synced_at) FROM audience_syncs n WHERE n.brief = s.brief) ORDER BY s.brief",
    )


def experiment_history(conn: Any) -> dict[tuple[str, str], list[JsonObject]]:
    """Every look's primary lift and interval per experiment and treatment arm, oldest first: the charts."""
    rows = _rows(
        conn,
        "SELECT experiment, arm, as_of_date, lift, lift_low, lift_high FROM experiment_results "
        "WHERE role = 'primary' AND NOT is_control ORDER BY experiment, arm, as_of_date",
    )
    history: dict[tuple[str, str], list[JsonObject]] = {}
    for row in rows:
        history.setdefault((row["experiment"], row["arm"]), []).append({**row, "as_of_date": str(row["as_of_date"])})
    return history


def run_report(conn: Any, run_id: str, entities: tuple[str, ...], tables: tuple[str, ...]) -> JsonObject:
    """What one Airflow run wrote: its audit and findings of the DAG's entities, and the rows it loaded per table.

    Run ids repeat across DAGs (`scheduled__<date>`), so the DAG's entities and tables narrow them down.
    """
    if not entities:
        return {"run_audit": [], "findings": [], "loaded": {}}
    marks = ", ".join("?" * len(entities))
    audit_rows = _rows(
        conn,
        "SELECT ds, entity, rows_in, rows_clean, rows_quarantined, quarantined_share, "
        f"top_reasons, quarantine_path FROM pipeline_audit WHERE run_id = ? AND entity IN "
        f"({marks}) ORDER BY ds, entity",
        (run_id, *entities),
    )
    findings = _rows(
        conn,
        "SELECT entity, day, metric, check_name, value, expected_low, expected_high, severity, "
        f"detail FROM data_quality_findings WHERE run_id = ? AND entity IN ({marks}) "
        "ORDER BY day, entity",
        (run_id, *entities),
    )
    loaded = {
        table: _rows(conn, f"SELECT count(*) AS n FROM {table} WHERE run_id = ?", (run_id,))[0]["n"] for table in tables
    }
    return {"run_audit": audit_rows, "findings": findings, "loaded": loaded}
