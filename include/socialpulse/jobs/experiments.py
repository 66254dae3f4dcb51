"""The daily evaluation of every declared experiment: warehouse and clean zone in, experiment_results and charts out.

Each run recomputes every look of an experiment from its start to the run's date with
the data as they stand (restated conversions included) and replaces those rows, so a
rerun or a backfill gives the same rows, and a later look a later run wrote stays.
The counts of campaign arms come from the warehouse (campaign_metrics_daily); the single
orders and people that revenue metrics and CRM groups need are in the clean zone, as the
warehouse holds no person-level orders. The audiences' holdouts are read the same way by
audience_intelligence, after it builds the day's lists (evaluate_audience_holdouts).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator, Iterable
from contextlib import closing
from dataclasses import replace
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.experiments.declarations import CAMPAIGNS, CRM_GROUP, Experiment, ExperimentError
from socialpulse.experiments.entities import DAILY
from socialpulse.experiments.entities import EXPERIMENT_RESULTS_TABLE as EXPERIMENT_RESULTS
from socialpulse.experiments.evaluate import evaluate
from socialpulse.experiments.observations import campaign_looks, crm_looks_in_parts, fitted_pre_period, look_days
from socialpulse.lake import files as lake_files
from socialpulse.reports.charts import experiment_chart
from socialpulse.transforms.privacy import drop_erased
from socialpulse.typing_aliases import JsonObject
from socialpulse.warehouse.dialect import bind_day, dialect_of, placeholder
from socialpulse.warehouse.findings import Finding, record_findings
from socialpulse.warehouse.snapshots import replace_rows

if TYPE_CHECKING:
    import pyarrow as pa

    from socialpulse.lake.tables import Snapshot

log = logging.getLogger(__name__)
EXPERIMENT_PEOPLE = 100_000  # users of a CRM group experiment read at a time: what bounds evaluate_experiments
PLAN_DAYS = 28  # before the start, the plan reads this many days of the arms' traffic
REVENUE_METRICS = frozenset({"revenue_per_person", "roas"})
ORDER_COLUMNS = ["order_id", "person_id", "ordered_at", "amount_reporting", "utm_campaign"]
USER_COLUMNS = ["person_id", "signup_date", "experiment_groups"]
CAMPAIGN_COLUMNS = ["metric_date", "campaign_id", "impressions", "reach", "clicks", "conversions", "spend_reporting"]


def campaign_days(conn: Any, campaigns: tuple[str, ...], first: str, last: str) -> pd.DataFrame:
    """The campaigns' rows of campaign_metrics_daily between two days; a count Meta omitted is 0."""
    mark = placeholder(dialect_of(conn))
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT {', '.join(CAMPAIGN_COLUMNS)} FROM campaign_metrics_daily WHERE platform = 'meta_ads' "
        f"AND campaign_id IN ({', '.join([mark] * len(campaigns))}) AND metric_date >= {mark} "
        f"AND metric_date <= {mark}",
        (*campaigns, bind_day(conn, first), bind_day(conn, last)),
    )
    frame = pd.DataFrame(cursor.fetchall(), columns=CAMPAIGN_COLUMNS)
    counts = CAMPAIGN_COLUMNS[2:6]  # Meta leaves out a count that is zero
    frame[counts] = frame[counts].apply(pd.to_numeric).fillna(0.0)
    frame["spend_reporting"] = pd.to_numeric(frame["spend_reporting"])
    return frame


def unknown_campaigns(conn: Any, experiments: tuple[Experiment, ...], ds: str) -> list[Finding]:
    """A warning per declared campaign id that has no row in campaign_metrics_daily at all: a typo, or a campaign of
    an ad account not configured. Its arm then reads as empty, which a person should hear about."""
    declared = {(e, arm.name, c) for e in experiments if e.kind == CAMPAIGNS for arm in e.arms for c in arm.campaigns}
    if not declared:
        return []
    ids = sorted({c for _, _, c in declared})
    mark = placeholder(dialect_of(conn))
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT DISTINCT campaign_id FROM campaign_metrics_daily WHERE campaign_id IN "
        f"({', '.join([mark] * len(ids))})",
        ids,
    )
    known = {str(row[0]) for row in cursor.fetchall()}
    return [
        Finding(
            f"experiment {e.name}",
            date.fromisoformat(ds),
            f"campaign {c}",
            "unknown_campaign",
            None,
            None,
            None,
            "warning",
            f"experiment '{e.name}' ({e.source}), arm '{arm}', names campaign {c}, which has "
            "no row in campaign_metrics_daily: a typo, or a campaign of an ad account the connection does not "
            "list?",
        )
        for e, arm, c in sorted(declared, key=lambda d: (d[0].name, d[1], d[2]))
        if c not in known
    ]


class CleanZone:
    """The clean orders and the newest users up to a day, read for what an experiment reads: the orders of its people
    or its campaigns, the users of its CRM column a bucket at a time. Of every order, only a hash of its id is held
    at once (8 bytes an order version: to find the restated ones)."""

    def __init__(self, lake: lake_zone.Lake, ds: str) -> None:
        self.lake, self.ds = lake, ds

    def _table(self, entity: str, newest_only: bool = False) -> tuple[Snapshot, list[str]]:
        snapshot = self.lake.clean(entity).snapshot()
        days = snapshot.days(self.ds) if snapshot else []
        if snapshot is None or not days:
            raise FileNotFoundError(f"no clean {entity} up to {self.ds} in {self.lake.root}: run crm_daily first")
        return snapshot, days[-1:] if newest_only else days

    @cache  # noqa: B019 - one instance per run
    def _restated(self) -> pd.Index:
        """The hashes of the order ids more than one version of the orders carries (an order restated)."""
        from socialpulse.transforms.repeats import repeated_keys

        snapshot, days = self._table("crm_orders")
        return repeated_keys(batch["order_id"] for batch in snapshot.batches(days, ["order_id"]))

    @cache  # noqa: B019
    def first_order_day(self) -> str | None:
        """The day of the first order on record, each order in its newest version, erased people's left out
        (experiments' pre-periods start no sooner); None without one."""
        from socialpulse.transforms.repeats import among

        snapshot, days = self._table("crm_orders")
        erased, restated, earliest, versions = self.lake.erased(), self._restated(), [], []
        for batch in snapshot.batches(days, ["order_id", "person_id", "ordered_at"]):
            again = among(batch["order_id"], restated)
            versions.append(batch[again])  # of a restated order: its newest version counts, once all are read
            earliest.append(pd.to_datetime(drop_erased(batch[~again], erased)[0]["ordered_at"], utc=True).min())
        newest = pd.concat(versions).drop_duplicates("order_id", keep="last") if versions else None
        if newest is not None:
            earliest.append(pd.to_datetime(drop_erased(newest, erased)[0]["ordered_at"], utc=True).min())
        first = pd.Series(earliest, dtype="datetime64[ns, UTC]").min()
        return None if pd.isna(first) else str(first.date())

    def orders(self, column: str, values: Iterable[str]) -> pd.DataFrame:
        """The newest version of each order whose `column` (person_id, utm_campaign) holds one of the values, with
        its order_date (UTC); erased people's left out. Read with the versions of every restated order, so that an
        order whose newest version moved elsewhere is left out too."""
        snapshot, days = self._table("crm_orders")
        wanted = _value_set(values)

        def keep(batch: pa.RecordBatch) -> Any:
            return _taken(batch.column(column), wanted) | self._restated_rows(batch)

        return self._newest(snapshot.read(days, ORDER_COLUMNS, keep), column, wanted)

    def people(self, crm_column: str) -> Generator[tuple[pd.DataFrame, pd.DataFrame]]:
        """The users with a group in the column (users) and their orders, a bucket of EXPERIMENT_PEOPLE users at a
        time (audience/buckets.py): a person's users row and orders in the same bucket. The users and the orders
        (with every version of a restated order in every bucket) are split into local bucket files in one read of
        each (jobs/buckets.py), not read from the lake once a bucket."""
        from socialpulse.jobs.buckets import LocalBuckets, people_buckets

        users, user_days = self._table("crm_users", newest_only=True)
        orders, order_days = self._table("crm_orders")
        buckets = people_buckets(users, user_days[0], EXPERIMENT_PEOPLE)
        with LocalBuckets(buckets, f"the users of {crm_column}") as local:
            grouped = local.split(users, user_days, USER_COLUMNS, keep=_with_group(crm_column))
            bought = local.split(orders, order_days, ORDER_COLUMNS, everywhere=self._restated_rows)
            for people, theirs in local.each("reading", grouped, bought):
                members = drop_erased(people, self.lake.erased())[0]
                yield members, self._newest(theirs, "person_id", _value_set(members["person_id"]))

    def _restated_rows(self, batch: pa.RecordBatch) -> np.ndarray:
        """Whether each order of a batch is a version of a restated order."""
        from socialpulse.transforms.repeats import among

        return among(pd.Series(batch.column("order_id").to_pandas()), self._restated())

    def _newest(self, orders: pd.DataFrame, column: str, wanted: pa.Array) -> pd.DataFrame:
        """Of orders read with every version of the restated ones, the newest version of each whose `column` holds
        one of the wanted values, erased people's left out, with its order_date (UTC)."""
        import pyarrow as pa

        orders = orders.drop_duplicates("order_id", keep="last")
        orders = orders[_taken(pa.Array.from_pandas(orders[column], type=pa.string()), wanted)]
        orders, _ = drop_erased(orders, self.lake.erased())
        return orders.assign(order_date=pd.to_datetime(orders["ordered_at"], utc=True).dt.date.astype(str))


def _with_group(crm_column: str) -> Callable[[pa.RecordBatch], np.ndarray]:
    """Whether each user of a batch has a group in the column (its name as the cleaning's JSON writes it; a drop
    cleaned before experiments: nobody)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def grouped(batch: pa.RecordBatch) -> np.ndarray:
        if "experiment_groups" not in batch.schema.names:
            return np.zeros(batch.num_rows, dtype=bool)
        groups = batch.column("experiment_groups").cast(pa.string())
        return np.asarray(pc.fill_null(pc.match_substring(groups, json.dumps(crm_column)), False), dtype=bool)

    return grouped


def _value_set(values: Iterable[str]) -> pa.Array:
    import pyarrow as pa

    return pa.array(sorted(set(values)), pa.string())


def _taken(found: pa.Array | pa.ChunkedArray, wanted: pa.Array) -> np.ndarray:
    """Whether each value is one of the wanted (a null is not)."""
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(pc.is_in(found, value_set=wanted), False), dtype=bool)


def audience_holdouts(
    lake: lake_zone.Lake, ds: str, holdouts: dict[str, float]
) -> tuple[tuple[Experiment, ...], dict[str, pd.DataFrame]]:
    """(an experiment per declared brief that built an audience up to ds, each one's people by experiment name),
    from every day's target_audiences in the features zone up to ds; erased people left out."""
    from socialpulse.experiments.audience_holdouts import holdout_experiments

    columns = ["as_of_date", "brief", "person_id", "in_holdout"]
    lists = lake.features("target_audiences").read_until(ds, columns) if holdouts else None
    if lists is None:
        return (), {}
    lists = lists.dropna(subset=["brief"])  # older lists had no brief
    found = holdout_experiments(drop_erased(lists, lake.erased())[0], holdouts)
    return tuple(e for e, _ in found), {e.name: users for e, users in found}


def looks_of(
    conn: Any, zone: CleanZone, experiment: Experiment, days: list[str], people: pd.DataFrame | None = None
) -> pd.DataFrame:
    if experiment.kind == CAMPAIGNS:
        campaigns = tuple(c for arm in experiment.arms for c in arm.campaigns)
        metrics = campaign_days(conn, campaigns, days[0], days[-1])
        unconverted = metrics[metrics["spend_reporting"].isna()]
        if "roas" in experiment.metrics and len(unconverted):
            first = unconverted.iloc[0]
            raise ExperimentError(
                f"campaign {first['campaign_id']} has no spend in the reporting currency on "
                f"{first['metric_date']}: roas needs it (rerun meta_ads_daily for that day)"
            )
        needs_revenue = bool(REVENUE_METRICS & set(experiment.metrics))
        orders = (
            zone.orders("utm_campaign", campaigns)
            if needs_revenue
            else pd.DataFrame(columns=["order_date", "utm_campaign", "amount_reporting"])
        )
        return campaign_looks(experiment, metrics, orders, days)
    if people is not None:  # an audience's holdout: the people on its lists
        held = [(people, zone.orders("person_id", people["person_id"]))]
        return crm_looks_in_parts(experiment, held, days, zone.first_order_day())
    with closing(zone.people(cast(str, experiment.crm_column))) as parts:  # its local files go, whatever happens
        return crm_looks_in_parts(experiment, parts, days, zone.first_order_day())


def plan_before_start(
    conn: Any, zone: CleanZone, experiment: Experiment, day: date, people: pd.DataFrame | None = None
) -> str:
    """The power plan of an experiment not started yet, in words: the experiment read over the PLAN_DAYS up to
    `day` as if it had started then (nothing is treated yet, so the lift is noise; its spread is what counts).
    Data that cannot be read yet give no plan, in words: the experiment has not started, so nothing fails."""
    if people is not None:  # an audience's holdout: its people join from the day after their first list
        return "no plan before the start: the audience's people join from the day after their first list"
    rehearsal = replace(experiment, start_date=day - timedelta(days=PLAN_DAYS - 1), end_date=None, pre_period_days=0)
    try:
        rows = evaluate(rehearsal, looks_of(conn, zone, rehearsal, look_days(rehearsal, day)))
    except (ExperimentError, FileNotFoundError) as error:
        return f"no plan from the traffic before the start: {error}"
    last = rows[(rows["as_of_date"] == day.isoformat()) & (rows["role"] == "primary") & ~rows["is_control"]]
    if last.empty or last["detectable_lift"].isna().all():
        return f"no plan: too little traffic in the {PLAN_DAYS} days to {day} to compare the arms"
    needed = last["days_needed"].max()
    days = "more than a year" if np.isnan(needed) else f"about {needed:.0f} days"
    planned = experiment.planned_days
    short = (
        f"; the end date allows {planned}: underpowered at this traffic" if planned and not needed <= planned else ""
    )
    return (
        f"planned at the traffic of the {PLAN_DAYS} days to {day} (no CUPED in the plan): a lift of "
        f"{last['detectable_lift'].max():.1%} is detectable after {PLAN_DAYS} days with 80% power; "
        f"{experiment.minimum_effect:.0%} needs {days}{short}"
    )


def publish_charts(lake: lake_zone.Lake, ds: str, charts: dict[str, bytes], report: str = "experiments") -> str:
    """reports/<report>/ds=<day>/<experiment>.png, the day's charts published whole."""
    final = lake.root / "reports" / report / f"ds={ds}"
    with lake_files.staged(final) as staging:
        for name, png in charts.items():
            (staging / f"{name}.png").write_bytes(png)
    return str(final)


def evaluate_all(
    conn: Any,
    lake: lake_zone.Lake,
    experiments: tuple[Experiment, ...],
    ds: str,
    run_id: str,
    assigned: dict[str, pd.DataFrame] | None = None,
    report: str = "experiments",
) -> JsonObject:
    """Evaluate every experiment started by ds; returns each one's decision on ds (or why it has none). An
    experiment named in `assigned` reads its people from there (an audience's holdout), not the CRM's groups;
    the charts go to reports/<report>/.

    An experiment whose data contradict its declaration does not hold up the others: they
    are written, then the run fails naming each one that could not be read.
    """
    outcome: JsonObject
    zone, outcome, charts, failed = CleanZone(lake, ds), {}, {}, []
    for finding in record_findings(conn, unknown_campaigns(conn, experiments, ds), run_id, any_day=True):
        log.warning("data quality %s (%s): %s", finding.severity, finding.check_name, finding.detail)
    day = date.fromisoformat(ds)
    for experiment in experiments:
        days = look_days(experiment, day)
        if not days:
            plan = plan_before_start(conn, zone, experiment, day, (assigned or {}).get(experiment.name))
            log.info("%s starts on %s: nothing to read on %s; %s", experiment.name, experiment.start_date, ds, plan)
            outcome[experiment.name] = {"decision": "not_started", "plan": plan}
            continue
        try:
            if experiment.kind == CRM_GROUP:  # the default pre-period shortens to the CRM's order history
                experiment = fitted_pre_period(experiment, zone.first_order_day())
            looks = looks_of(conn, zone, experiment, days, (assigned or {}).get(experiment.name))
            rows = evaluate(experiment, looks, final=experiment.end_date is not None and day > experiment.end_date)
        except ExperimentError as error:
            failed.append(f"experiment '{experiment.name}' ({experiment.source}): {error}")
            log.error("%s", failed[-1])
            continue
        written = replace_rows(
            conn,
            EXPERIMENT_RESULTS,
            rows,
            {"experiment": experiment.name},
            run_id,
            through=("as_of_date", date.fromisoformat(ds)),
        )
        last = rows[rows["is_control"] & (rows["role"] == "primary")].sort_values("as_of_date").iloc[-1]
        outcome[experiment.name] = {
            "decision": last["decision"],
            "winning_arm": last["winning_arm"],
            "look": last["look"],
            "looks": len(days),
            "rows": written,
            "detail": last["detail"],
        }
        log.info(
            "%s on %s after %d looks: %s%s %s",
            experiment.name,
            days[-1],
            len(days),
            last["decision"],
            f" ({last['winning_arm']})" if last["winning_arm"] else "",
            last["detail"],
        )
        charts[experiment.name] = experiment_chart(
            rows[(rows["role"] == "primary") & (rows["look"] == DAILY)],
            f"{experiment.name}: {experiment.primary_metric}",
            experiment.minimum_effect,
        )
    if charts:
        outcome["charts"] = publish_charts(lake, ds, charts, report)
    if failed:
        raise ExperimentError(
            f"{len(failed)} of {len(experiments)} experiments could not be read: " + "; ".join(failed)
        )
    return outcome


def evaluate_audience_holdouts(
    conn: Any, lake: lake_zone.Lake, ds: str, run_id: str, holdouts: dict[str, float]
) -> JsonObject:
    """Each declared brief's audience read as the experiment audience_<brief> (experiments/audience_holdouts.py):
    the people sent against its holdout, from every list up to ds; charts under reports/audience_holdouts/."""
    experiments, assigned = audience_holdouts(lake, ds, holdouts)
    if not experiments:
        log.info("no audience built up to %s for a declared brief: no holdout to read", ds)
        return {}
    return evaluate_all(conn, lake, experiments, ds, run_id, assigned, report="audience_holdouts")
