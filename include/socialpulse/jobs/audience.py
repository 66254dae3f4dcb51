"""The audience steps of a day, around the pure functions of socialpulse.audience: lake in, lake and warehouse out.

Every step is about one as-of date and rewrites what it owns for that date (a lake
partition, the date's warehouse rows, a model version named after the date), so a
rerun or a backfill of the date gives the same rows.

Lake layout: features/<entity>/ds=<date>/ (person-level, erased like the clean zone),
models/<model>/<model>-<date>/ (no person in them), reports/audience/ds=<date>/.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.audience import propensity
from socialpulse.audience.buckets import in_bucket, in_sample
from socialpulse.audience.profiles import RESOLVED_EVENT_COLUMNS, AudienceInputs, build_profiles, resolve_events
from socialpulse.audience.segments import DEFAULT_K
from socialpulse.errors import NotLandedError
from socialpulse.jobs.buckets import LocalBuckets, people_buckets
from socialpulse.lake import files as lake_files
from socialpulse.lake import storage as lake_storage
from socialpulse.lake.tables import Written, commit_written
from socialpulse.transforms.entities import PLATFORMS
from socialpulse.transforms.privacy import drop_erased
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    import pyarrow as pa

    from socialpulse.lake.tables import Snapshot

log = logging.getLogger(__name__)
SEED = 7
# Working copies the later steps of a run read; the outputs (profiles, scores, audiences, recommendations) stay.
INTERMEDIATE = (
    "engagement_resolving",  # the profiles' events resolved, before each person's are counted once (RESOLVING)
    "engagement_resolved",
    "orders_known",
    "propensity_train",
    "propensity_eval",
    "propensity_rows",
    "target_candidates",  # each brief's pool, to judge its list by: no longer than the working copies
)
KEEP_INTERMEDIATE_DAYS = 7
RESOLVING = "engagement_resolving"
STALE: JsonObject = {"stale": True}  # a mapped task's share, as it reports that an erasure began after the plan
PROFILE_PEOPLE = 100_000  # people profiled at a time (a bucket by pseudonym): what bounds the profiles' memory
RECOMMEND_PEOPLE = 250_000  # people recommended to at a time: what bounds recommend_content's memory
SEGMENT_FIT_PEOPLE = 250_000  # people the segments are fitted on: a sample by pseudonym past it
SEGMENT_PEOPLE = 250_000  # people given their segment, and described, at a time
TARGET_PEOPLE = 250_000  # people targeted at a time: what bounds build_target_audiences' memory
TARGETING_COLUMNS = [  # of user_profiles, with TOPIC_COLUMNS
    "person_id",
    "in_crm",
    "country",
    "segment_id",
    "avg_order_value",
    "orders_total",
    "monetary_total",
    "recency_days",
    "engagements_30d",
    "engagements_90d",
]
CRM_PEOPLE = ["person_id", "marketing_consent", "experiment_groups"]
INPUT_COLUMNS = {
    "crm_users": None,
    "crm_orders": ["order_id", "person_id", "ordered_at", "amount_reporting", "utm_campaign"],
    "engagement_events": ["platform", "post_id", "person_id", "kind"],
    "post_metrics": ["platform", "post_id", "created_at", "topic"],
}


def clean_inputs(
    lake: lake_zone.Lake, ds: str, versions: dict[str, int] | None = None
) -> dict[str, tuple[Snapshot, list[str]]]:
    """Each input's clean table at one version (the newest, or those given), with the days to read: the newest
    users drop (it holds everyone), every day of orders, engagement events and post snapshots landed up to ds."""
    found = {}
    for entity in INPUT_COLUMNS:
        snapshot = lake.clean(entity).snapshot(versions[entity] if versions else None)
        days = snapshot.days(ds) if snapshot else []
        found[entity] = (snapshot, days[-1:] if entity == "crm_users" else days)
    missing = [entity for entity, (_, days) in found.items() if not days]
    if missing:
        raise NotLandedError(
            f"no clean {missing} up to {ds} in {lake.root}: run crm_daily and organic_social_daily for that date first"
        )
    return cast(dict[str, tuple["Snapshot", list[str]]], found)


def person_bucket(bucket: int, buckets: int) -> Callable[[pa.RecordBatch], Any]:
    """A `keep` for Snapshot.read: the rows whose person_id is in the bucket."""

    def keep(batch: pa.RecordBatch) -> Any:
        return in_bucket(batch.column("person_id"), bucket, buckets)

    return keep


def write_features(lake: lake_zone.Lake, entity: str, ds: str, frame: pd.DataFrame) -> str:
    """A day of a features table, written, then written again without anyone an erasure listed meanwhile."""
    table = lake.features(entity)
    while True:
        table.write_day(frame, ds)
        frame, dropped = drop_erased(frame, lake.erased())
        if not dropped:
            return table.day_path(ds)


def features_snapshot(lake: lake_zone.Lake, entity: str, ds: str) -> Snapshot:
    """The features table as it is now, holding the day; raises when its step has not run for the day."""
    table = lake.features(entity)
    snapshot = table.snapshot()
    if snapshot is None or ds not in snapshot.days():
        raise NotLandedError(f"no {entity} for {ds} at {table.uri}: its step has not run for that date")
    return snapshot


def replace_people_in_parts(
    conn: Any,
    lake: lake_zone.Lake,
    table: str,
    parts: Callable[[], Iterable[pd.DataFrame]],
    scope: JsonObject,
    run_id: str,
) -> int:
    """replace_rows of a table of people made in parts by `parts()`, without the people erased; when an
    erasure began meanwhile (its own warehouse delete may have come first), the rows are replaced again, made anew
    without its people. `parts()` reads the lake as it is at each call: an erasure removes the versions it
    replaced."""
    from socialpulse.audience.entities import AUDIENCE_TABLES
    from socialpulse.warehouse.snapshots import replace_rows_in_parts

    while True:
        erased = lake.erased()
        written = replace_rows_in_parts(
            conn, AUDIENCE_TABLES[table], (drop_erased(part, erased)[0] for part in parts()), scope, run_id
        )
        if lake.erased() <= erased:
            return written
        log.info("%s: an erasure began while it was loaded; it is loaded again without its people", table)


def read_features(
    lake: lake_zone.Lake, entity: str, ds: str, columns: list[str] | None = None, at_most: int | None = None
) -> pd.DataFrame:
    """A day of a features table; with `at_most`, the people of a sample of about that many (audience/buckets.py)
    when the day holds more."""
    snapshot = features_snapshot(lake, entity, ds)
    rows = snapshot.rows(ds) if at_most else 0
    if not at_most or rows <= at_most:
        return snapshot.read([ds], columns)
    share = at_most / rows
    log.info("%s %s: a sample of %.1f%% of its %d rows, by pseudonym", entity, ds, 100 * share, rows)
    return snapshot.read([ds], columns, keep=lambda batch: in_sample(batch.column("person_id"), share))


def read_bucket(
    snapshot: Snapshot, ds: str, bucket: int, buckets: int, columns: list[str] | None = None
) -> pd.DataFrame:
    """The day's rows of the people in one bucket (audience/buckets.py): the same people in every table."""
    return snapshot.read([ds], columns, person_bucket(bucket, buckets) if buckets > 1 else None)


def _buckets_of(lake: lake_zone.Lake, entity: str, ds: str, buckets: int) -> Callable[[], Iterator[pd.DataFrame]]:
    """The parts of a features day, a bucket of people each, read from the table as it is at each call."""

    def parts() -> Iterator[pd.DataFrame]:
        snapshot = lake.features(entity).snapshot()
        assert snapshot is not None  # its step wrote the day, if only without rows
        for bucket in range(buckets):
            yield read_bucket(snapshot, ds, bucket, buckets)

    return parts


def write_features_in_parts(
    lake: lake_zone.Lake, entity: str, ds: str, parts: Callable[[], Iterable[pd.DataFrame]]
) -> str:
    """write_features of a day made in parts by `parts()`: made and written again without anyone an erasure listed
    meanwhile."""
    table = lake.features(entity)
    while True:
        erased = lake.erased()
        table.write_day_in_parts((drop_erased(part, erased)[0] for part in parts()), ds)
        if lake.erased() <= erased:
            return table.day_path(ds)


def model_dir(lake: lake_zone.Lake, model: str, version: str) -> lake_storage.LakePath:
    return lake.root / "models" / model / version


def profile(lake: lake_zone.Lake, ds: str) -> JsonObject:
    """Profiles as of ds, the propensity model's rows as of ds and its training and evaluation snapshots with
    labels, the resolved events and the known orders: a bucket of PROFILE_PEOPLE people at a time.

    First the events are resolved a bucket of their own pseudonyms at a time (an event cleaned before the CRM
    linked its platform id names that id's pseudonym, in another bucket than its person); then each bucket of
    people is profiled from its users, orders and resolved events, which name only its people. Every output day
    is committed once all its buckets are written; when an erasure began meanwhile, it is all made again.

    plan_profiles, resolve_share, commit_resolved, profile_share and commit_profiles do the same work dealt to
    mapped tasks.
    """
    as_of = date.fromisoformat(ds)
    while True:
        erased = lake.erased()
        counts = _profile_buckets(lake, ds, as_of, erased)
        if lake.erased() <= erased:
            break
        log.info("profiles of %s: an erasure began meanwhile; they are built again without its people", ds)
    counts["pruned"] = prune_intermediates(lake, ds)
    log.info("profiles as of %s: %s", ds, counts)
    return counts


def _profile_buckets(lake: lake_zone.Lake, ds: str, as_of: date, erased: frozenset[str]) -> JsonObject:
    found = clean_inputs(lake, ds)
    buckets = _buckets_of_people(found)
    with LocalBuckets(buckets, f"profiles of {ds}") as local:
        written, _ = _resolve_events(lake, ds, found, local, erased)
        commit_written(lake.features(RESOLVING), [written])
        resolved = lake.features(RESOLVING).snapshot()
        assert resolved is not None  # just written, if only without rows
        counts, made = _profile_each(lake, ds, as_of, _profile_inputs(ds, found, resolved, local), erased)
        for entity, part in made.items():
            commit_written(lake.features(entity), [part])
    _log_snapshots(as_of, counts)
    return {**counts, "buckets": buckets}


def plan_profiles(lake: lake_zone.Lake, ds: str, tasks: int) -> list[JsonObject]:
    """profile's work dealt to up to `tasks` mapped tasks, a share each: a run of buckets (committed in the order
    one task writes them), the inputs' versions (every share reads the same rows) and the erasures as they stand."""
    found = clean_inputs(lake, ds)
    buckets = _buckets_of_people(found)
    versions = {entity: snapshot.version for entity, (snapshot, _) in found.items()}
    plan = {"ds": ds, "buckets": buckets, "versions": versions, "erased": _fingerprint(lake.erased())}
    count = min(tasks, buckets)
    shares = [{**plan, "members": list(range(n * buckets // count, (n + 1) * buckets // count))} for n in range(count)]
    log.info("profiles of %s: %d buckets of people dealt to %d mapped tasks", ds, buckets, len(shares))
    return shares


def resolve_share(lake: lake_zone.Lake, share: JsonObject) -> JsonObject:
    """A share's events resolved (profile's first pass, over its buckets only), written but not committed."""
    if _stale(lake, share):
        return STALE
    ds, members = str(share["ds"]), cast(list[int], share["members"])
    found = clean_inputs(lake, ds, cast(dict[str, int], share["versions"]))
    with LocalBuckets(cast(int, share["buckets"]), f"events of {ds}", members) as local:
        written, events = _resolve_events(lake, ds, found, local, lake.erased())
    return {RESOLVING: written.to_json(), **events}


def commit_resolved(lake: lake_zone.Lake, shares: list[JsonObject], resolved: Iterable[JsonObject]) -> int | None:
    """The shares' resolved events committed as the day of engagement_resolving; the version written (None, and
    nothing committed, when an erasure began after the plan)."""
    ds, made = str(shares[0]["ds"]), list(resolved)
    if any(s.get("stale") for s in made) or _stale(lake, shares[0]):
        return None
    commit_written(lake.features(RESOLVING), [Written.from_json(cast(JsonObject, s[RESOLVING])) for s in made])
    events, unmatched = (sum(cast(int, s[name]) for s in made) for name in ("events", "events_without_post"))
    log.info("engagement of %s resolved: %d events (%d on posts without a snapshot)", ds, events, unmatched)
    table = lake.features(RESOLVING).snapshot()
    assert table is not None  # just written
    return table.version


def profile_share(lake: lake_zone.Lake, share: JsonObject, resolved_version: int | None) -> JsonObject:
    """A share's people profiled (profile's second pass, over its buckets only), written but not committed."""
    if resolved_version is None or _stale(lake, share):
        return STALE
    ds, members = str(share["ds"]), cast(list[int], share["members"])
    found = clean_inputs(lake, ds, cast(dict[str, int], share["versions"]))
    resolved = lake.features(RESOLVING).snapshot(resolved_version)
    assert resolved is not None  # commit_resolved wrote it
    with LocalBuckets(cast(int, share["buckets"]), f"profiles of {ds}", members) as local:
        inputs = _profile_inputs(ds, found, resolved, local)
        counts, made = _profile_each(lake, ds, date.fromisoformat(ds), inputs, lake.erased())
    return {"counts": counts, "written": {entity: part.to_json() for entity, part in made.items()}}


def commit_profiles(lake: lake_zone.Lake, shares: list[JsonObject], profiled: Iterable[JsonObject]) -> JsonObject:
    """The shares' outputs committed as each table's day, as profile would have left them. When an erasure began
    after the plan (the versions a share reads may be gone, and a share or the commit may hold the person), the
    day is profiled again here, in one task, without them."""
    ds, made = str(shares[0]["ds"]), list(profiled)
    if not any(m.get("stale") for m in made) and not _stale(lake, shares[0]):
        for entity in made[0]["written"]:
            commit_written(lake.features(entity), [Written.from_json(m["written"][entity]) for m in made])
        if not _stale(lake, shares[0]):  # no erasure began before every table was committed
            counts: JsonObject = {name: sum(cast(int, m["counts"][name]) for m in made) for name in made[0]["counts"]}
            _log_snapshots(date.fromisoformat(ds), counts)
            counts |= {"buckets": shares[0]["buckets"], "shares": len(made), "pruned": prune_intermediates(lake, ds)}
            log.info("profiles as of %s: %s", ds, counts)
            return counts
    log.info("profiles of %s: an erasure began after the plan; they are built again here without its people", ds)
    return profile(lake, ds)


def _buckets_of_people(found: dict[str, tuple[Snapshot, list[str]]]) -> int:
    """How many buckets of PROFILE_PEOPLE the newest users drop falls in."""
    users, days = found["crm_users"]
    return people_buckets(users, days[0], PROFILE_PEOPLE)


def _stale(lake: lake_zone.Lake, share: JsonObject) -> bool:
    """Whether an erasure began after the plan: the suppression list's digest differs from the plan's. The erasure
    may have removed the input versions the plan pinned, so a share reads nothing then."""
    stale = _fingerprint(lake.erased()) != str(share["erased"])
    if stale:
        log.info("profiles of %s: an erasure began after the plan; commit_profiles builds them again", share["ds"])
    return stale


def _fingerprint(erased: frozenset[str]) -> str:
    """One digest of the suppression list: to tell whether it changed, without the list in an XCom."""
    import hashlib

    return hashlib.sha256("\n".join(sorted(erased)).encode()).hexdigest()


def _resolve_events(
    lake: lake_zone.Lake,
    ds: str,
    found: dict[str, tuple[Snapshot, list[str]]],
    local: LocalBuckets,
    erased: frozenset[str],
) -> tuple[Written, JsonObject]:
    """The day's events resolved to their people, written to the working table engagement_resolving (not
    committed), a bucket of the events' own pseudonyms at a time, with the users whose platform pseudonyms fall
    in it. Two pseudonyms of one person may have engaged with one post: those rows are counted once when the
    person's bucket is profiled, and engagement_resolved gets them once then."""
    snapshot, days = found["post_metrics"]
    posts = snapshot.read(days, INPUT_COLUMNS["post_metrics"])
    aliases = [f"{platform}_pseudonym" for platform in sorted(PLATFORMS)]
    engaged = local.split(*found["engagement_events"], INPUT_COLUMNS["engagement_events"])
    linked = local.split(*found["crm_users"], ["person_id", *aliases], people=tuple(aliases))
    writer, events, unmatched = lake.features(RESOLVING).day_writer(ds), 0, 0
    for raw, users in local.each("resolving the events", engaged, linked):
        resolved, missing = resolve_events(users, drop_erased(raw, erased)[0], posts)
        writer.write(resolved)
        events, unmatched = events + len(resolved), unmatched + missing
        del raw, users, resolved  # not held while the next bucket is read
    if unmatched:
        log.warning("%d engagement events are on posts without a snapshot: left out", unmatched)
    log.info("engagement of %s resolved: %d events in %d buckets", ds, events, len(local.members))
    return writer.written(), {"events": events, "events_without_post": unmatched}


def _profile_inputs(
    ds: str, found: dict[str, tuple[Snapshot, list[str]]], resolved: Snapshot, local: LocalBuckets
) -> Iterator[tuple[pd.DataFrame, ...]]:
    """Each bucket's users, orders and resolved events, split in one read of each."""
    inputs = [local.split(*found[entity], INPUT_COLUMNS[entity]) for entity in ("crm_users", "crm_orders")]
    inputs.append(local.split(resolved, [ds], list(RESOLVED_EVENT_COLUMNS)))
    return local.each("profiling", *inputs)


def _profile_each(
    lake: lake_zone.Lake,
    ds: str,
    as_of: date,
    people: Iterator[tuple[pd.DataFrame, ...]],
    erased: frozenset[str],
) -> tuple[JsonObject, dict[str, Written]]:
    """Profiles, propensity rows and snapshots, resolved events and known orders of each bucket of people (users,
    orders, resolved events), written to the day, not committed: the counts, and what each table's day got."""
    snapshots = dict(zip(("train", "eval"), propensity.snapshots(as_of), strict=True))
    outputs = ["user_profiles", "propensity_rows", *(f"propensity_{n}" for n in snapshots), "engagement_resolved"]
    writers = {entity: lake.features(entity).day_writer(ds) for entity in [*outputs, "orders_known"]}
    counts = dict.fromkeys(["profiles", "in_crm", "train_rows", "train_positive", "eval_rows", "eval_positive"], 0)
    for frames in people:
        inputs = AudienceInputs.of(*(drop_erased(frame, erased)[0] for frame in frames))
        profiles = build_profiles(inputs, as_of)
        writers["user_profiles"].write(profiles)
        writers["propensity_rows"].write(propensity.feature_rows(inputs, as_of))  # what it scores
        for name, snapshot in snapshots.items():
            frame = propensity.feature_rows(inputs, snapshot)
            frame = frame[frame["in_crm"]].reset_index(drop=True)
            frame["label"] = propensity.labels(frame, inputs.orders, snapshot)
            writers[f"propensity_{name}"].write(frame)
            counts[f"{name}_rows"] += len(frame)
            counts[f"{name}_positive"] += int(frame["label"].sum())
        writers["engagement_resolved"].write(inputs.events)  # each person's events once
        writers["orders_known"].write(inputs.orders)
        counts["profiles"] += len(profiles)
        counts["in_crm"] += int(profiles["in_crm"].sum())
        del frames, inputs, profiles, frame  # not held while the next bucket is read
    return counts, {entity: writer.written() for entity, writer in writers.items()}


def _log_snapshots(as_of: date, counts: JsonObject) -> None:
    for name, snapshot in zip(("train", "eval"), propensity.snapshots(as_of), strict=True):
        log.info(
            "%s snapshot as of %s: %d people, %d ordered in the 30 days after",
            name,
            snapshot,
            counts[f"{name}_rows"],
            counts[f"{name}_positive"],
        )


def prune_intermediates(lake: lake_zone.Lake, ds: str) -> int:
    """Delete the INTERMEDIATE days dated more than KEEP_INTERMEDIATE_DAYS before ds (each a full copy)."""
    cutoff = (date.fromisoformat(ds) - timedelta(days=KEEP_INTERMEDIATE_DAYS)).isoformat()
    removed = sum(lake.features(entity).delete_days(before=cutoff) for entity in INTERMEDIATE)
    for table in lake.tables(("features",)):  # and every features table's versions older than its history
        table.remove_old_versions()
    return removed


def previous_version(lake: lake_zone.Lake, model: str, ds: str) -> lake_storage.LakePath | None:
    """The newest saved version of a model from a date before ds (a rerun of ds does not see itself)."""
    root = lake.root / "models" / model
    saved: list[lake_storage.LakePath] = sorted(root.glob(f"{model}-*"), key=lambda p: p.name) if root.exists() else []
    earlier = [p for p in saved if p.name.removeprefix(f"{model}-") < ds]
    return earlier[-1] if earlier else None


def load_model(path: lake_storage.LakePath) -> Any:
    import joblib

    with path.open("rb") as handle:
        return joblib.load(handle)


def segment(conn: Any, lake: lake_zone.Lake, ds: str, run_id: str, k: int = DEFAULT_K) -> JsonObject:
    """Fit k segments (ids matched to the previous model's) on a sample of SEGMENT_FIT_PEOPLE people by pseudonym,
    then, a bucket of SEGMENT_PEOPLE at a time, give everyone theirs, describe them, load profiles and segments."""
    import joblib

    from socialpulse.audience.describe import SCALE_COLUMNS, Scale, SegmentFigures
    from socialpulse.audience.entities import AUDIENCE_TABLES
    from socialpulse.audience.recommend import BestTimes, recent
    from socialpulse.audience.segments import fit_segments
    from socialpulse.warehouse.snapshots import replace_rows

    as_of = date.fromisoformat(ds)
    sample = read_features(lake, "user_profiles", ds, at_most=SEGMENT_FIT_PEOPLE)
    earlier = previous_version(lake, "segments", ds)
    previous = load_model(earlier / "model.joblib") if earlier else None
    model, fitted_on = fit_segments(sample, previous, k, SEED), len(sample)
    del sample
    version = f"segments-{ds}"
    folder = model_dir(lake, "segments", version)
    lake_storage.ensure_dir(folder)
    with lake_files.replacing(folder / "model.joblib") as tmp, tmp.open("wb") as handle:
        joblib.dump(model, handle)
    buckets = people_buckets(features_snapshot(lake, "user_profiles", ds), ds, SEGMENT_PEOPLE)

    def segmented() -> Iterator[pd.DataFrame]:  # made again after an erasure: from the day as that left it
        unsegmented = features_snapshot(lake, "user_profiles", ds)
        for bucket in range(buckets):
            profiles = read_bucket(unsegmented, ds, bucket, buckets)
            yield profiles.assign(segment_id=pd.array(model.assign(profiles), dtype="Int64"))
            log.info("segments of %s: bucket %d of %d assigned", ds, bucket + 1, buckets)

    write_features_in_parts(lake, "user_profiles", ds, segmented)
    profiles = features_snapshot(lake, "user_profiles", ds)
    events = features_snapshot(lake, "engagement_resolved", ds)
    figures, times, posts = SegmentFigures(Scale.summed(profiles.batches([ds], SCALE_COLUMNS))), BestTimes(), []
    for bucket in range(buckets):
        members = read_bucket(profiles, ds, bucket, buckets)
        engaged = recent(
            read_bucket(events, ds, bucket, buckets, ["person_id", "platform", "post_id", "posted_at"]), as_of
        )
        figures.add(members)
        times.add(engaged, members)
        posts.append(engaged.drop_duplicates(["platform", "post_id"])[["platform", "post_id", "posted_at"]])
    engaged_posts = pd.concat(posts, ignore_index=True).drop_duplicates(["platform", "post_id"])
    segments = figures.described(
        times.result(engaged_posts.rename(columns={"posted_at": "created_at"})), as_of, version
    )
    assigned = sorted(int(s) for s in figures.represented.sizes.index)
    withheld = sorted(set(assigned) - set(segments["segment_id"]))
    if withheld:
        log.info("segments %s have fewer than 100 people: not published", withheld)
    scope = {"as_of_date": as_of}
    replace_people_in_parts(conn, lake, "user_profiles", _buckets_of(lake, "user_profiles", ds, buckets), scope, run_id)
    replace_rows(conn, AUDIENCE_TABLES["audience_segments"], segments, scope, run_id)
    register_model(
        conn,
        version,
        "segments",
        as_of,
        run_id,
        {
            "metrics": json.dumps({"k": model.k, "criteria": model.criteria}),
            "rows_train": fitted_on,
            "artifact_path": str(folder),
            "champion_version": version,
            "decision": f"k={model.k} declared; latent-class model; ids {model.segment_ids}"
            + (f", matched to {earlier.name}" if earlier else ", first model"),
        },
    )
    for row in segments.itertuples(index=False):
        log.info(
            "segment %d (%d people, %.1f%% bought in 30 days): %s",
            row.segment_id,
            row.size,
            100 * row.conversion_rate,
            row.description,
        )
    return {
        "version": version,
        "k": model.k,
        "segments": segments["segment_id"].tolist(),
        "withheld": withheld,
        "criteria": {str(q): c for q, c in model.criteria.items()},
    }


def register_model(conn: Any, version: str, name: str, as_of: date, run_id: str, values: JsonObject) -> None:
    """The model_registry row of a version, replaced whole."""
    from datetime import UTC, datetime

    from socialpulse.audience.entities import AUDIENCE_TABLES
    from socialpulse.warehouse.snapshots import replace_rows

    table = AUDIENCE_TABLES["model_registry"]
    row = {c: None for c in table.column_names} | {
        "model_version": version,
        "model_name": name,
        "as_of_date": as_of,
        "trained_at": datetime.now(UTC),
        **values,
    }
    replace_rows(conn, table, pd.DataFrame([row]), {"model_version": version}, run_id)


def newest_crm_users(lake: lake_zone.Lake, ds: str) -> tuple[Snapshot, str]:
    """The clean crm_users table at one version, and its newest day up to ds: the drop that holds everyone."""
    snapshot = lake.clean("crm_users").snapshot()
    days = snapshot.days(ds) if snapshot else []
    if snapshot is None or not days:
        raise NotLandedError(f"no clean crm_users up to {ds} in {lake.root}: run crm_daily for that date first")
    return snapshot, days[-1]


def target(
    conn: Any, lake: lake_zone.Lake, ds: str, run_id: str, briefs: tuple[Any, ...], controls: list[tuple[str, str]]
) -> JsonObject:
    """An audience per campaign brief, with its holdout; a summary per brief, with why one built nothing."""
    from socialpulse.audience.entities import AUDIENCE_TABLES, TOPIC_COLUMNS
    from socialpulse.audience.targeting import Targeter
    from socialpulse.warehouse.snapshots import replace_rows

    as_of = date.fromisoformat(ds)
    profiles, scores, orders = (
        features_snapshot(lake, entity, ds) for entity in ("user_profiles", "propensity_scores", "orders_known")
    )
    users, users_day = newest_crm_users(lake, ds)
    erased = lake.erased()
    buckets = people_buckets(profiles, ds, TARGET_PEOPLE)

    targeter = Targeter(briefs, controls, as_of)
    with LocalBuckets(buckets, f"target audiences of {ds}") as local:
        people = (
            local.split(profiles, [ds], [*TARGETING_COLUMNS, *TOPIC_COLUMNS]),
            local.split(scores, [ds], ["person_id", "score"]),
            local.split(users, [users_day], CRM_PEOPLE),  # a column absent from drops cleaned before it reads as null
        )
        bought = local.split(orders, [ds], ["person_id", "ordered_at", "utm_campaign"])
        for scored, score, crm, made in local.each("summing over everyone", *people, bought):
            targeter.add(scored, score, drop_erased(crm, erased)[0], made)

        def each_bucket() -> Iterator[tuple[pd.DataFrame, ...]]:
            for bucket_profiles, bucket_scores, bucket_users in local.each("choosing", *people):
                yield bucket_profiles, bucket_scores, drop_erased(bucket_users, erased)[0]

        write_features_in_parts(lake, "target_candidates", ds, lambda: targeter.choose(each_bucket()))
    members, summaries = targeter.lists()
    write_features(lake, "target_audiences", ds, members)
    replace_people_in_parts(conn, lake, "target_audiences", lambda: [members], {"as_of_date": as_of}, run_id)
    replace_rows(conn, AUDIENCE_TABLES["target_audience_summaries"], summaries, {"as_of_date": as_of}, run_id)
    for row in summaries.itertuples(index=False):
        if row.reason:
            log.warning("brief %s built no audience: %s", row.brief, row.reason)
        else:
            log.info(
                "brief %s (%s, %s): %d people of %d eligible (%d excluded), %d held out, %.1f expected conversions",
                row.brief,
                row.goal,
                row.markets,
                row.size,
                row.eligible,
                row.excluded,
                row.holdout_size,
                row.expected_conversions,
            )
    built = summaries[summaries["reason"].isna()]
    return {
        "briefs": len(summaries),
        "built": len(built),
        "people": int(built["size"].sum()),
        "held_out": int(built["holdout_size"].sum()),
        "not_built": {b: r for b, r in zip(summaries["brief"], summaries["reason"], strict=True) if r},
    }


def recommend(conn: Any, lake: lake_zone.Lake, ds: str, run_id: str) -> JsonObject:
    """Each person's next three topics by the blend the validation week chose, and their offline quality: a bucket
    of RECOMMEND_PEOPLE people at a time (recommend.Recommender), the recommendations loaded from the lake's day."""
    from socialpulse.audience.recommend import Recommender

    as_of = date.fromisoformat(ds)
    segments = model_dir(lake, "segments", f"segments-{ds}") / "model.joblib"
    if not segments.exists():
        raise NotLandedError(f"no segment model for {ds} at {segments}: run segment_audience for that date first")
    recommender = Recommender(load_model(segments), as_of)
    profiles, events = features_snapshot(lake, "user_profiles", ds), features_snapshot(lake, "engagement_resolved", ds)
    buckets = people_buckets(profiles, ds, RECOMMEND_PEOPLE)

    with LocalBuckets(buckets, f"recommendations of {ds}") as local:
        people = (
            local.split(events, [ds], ["person_id", "topic", "posted_at"]),  # all it reads
            local.split(profiles, [ds]),
        )
        for bucket_events, _ in local.each("learning from everyone", *people):
            recommender.learn(bucket_events)
        blend = recommender.choose(local.each("choosing the blend", *people))
        for bucket_events, bucket_profiles in local.each("testing", *people):
            recommender.test(bucket_events, bucket_profiles)
        quality = recommender.quality()
        write_features_in_parts(
            lake,
            "content_recommendations",
            ds,
            lambda: (recommender.recommend(*p).assign(as_of_date=as_of) for p in local.each("recommending", *people)),
        )
    scope = {"as_of_date": as_of}
    replace_people_in_parts(
        conn, lake, "content_recommendations", _buckets_of(lake, "content_recommendations", ds, buckets), scope, run_id
    )
    version = f"recommendations-{ds}"
    register_model(
        conn,
        version,
        "recommendations",
        as_of,
        run_id,
        {
            "metrics": json.dumps(quality),
            "rows_eval": quality["model"]["people"],
            "champion_version": version,
            "decision": f"blend chosen on the validation week: {blend}",
        },
    )
    for part in ("history", "cold_start"):
        model_q, popular_q = quality["model"][part], quality["popularity"][part]
        log.info(
            "recommendations, %s (%d people): hit rate@3 %s (popularity %s), NDCG@3 %s (popularity %s)",
            part,
            model_q["people"],
            model_q["hit_rate_at_3"],
            popular_q["hit_rate_at_3"],
            model_q["ndcg_at_3"],
            popular_q["ndcg_at_3"],
        )
    return {"people": profiles.rows(ds), **quality}
