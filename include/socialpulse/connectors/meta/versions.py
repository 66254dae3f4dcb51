"""The Graph and Marketing API versions Meta serves, and until when, from Meta's published schedule.

Meta retires each version on a date it publishes (Graph API about two years after
release, the Marketing API sooner); a connection pinned to a retired version breaks
or silently changes. The table follows https://developers.facebook.com/docs/graph-api/changelog/versions
and the Marketing API versions page as read on DOCUMENTED_ON; add a row when Meta releases a version.
"""

from __future__ import annotations

from datetime import date

DOCUMENTED_ON = "2026-11-04"
DEFAULT_API_VERSION = "v26.0"
GRAPH, MARKETING = "Graph", "Marketing"
# version (release date in the comment) -> (Graph API available until, Marketing API available until);
# None: not announced yet
VERSIONS: dict[str, tuple[date | None, date | None]] = {
    "v19.0": (date(2026, 5, 21), date(2025, 2, 4)),  # released 2024-01-23
    "v20.0": (date(2026, 9, 24), date(2025, 5, 6)),  # released 2024-05-21
    "v21.0": (date(2027, 1, 21), date(2025, 9, 9)),  # released 2024-10-02
    "v22.0": (date(2027, 5, 20), date(2026, 2, 19)),  # released 2025-01-21
    "v23.0": (date(2027, 10, 8), date(2026, 6, 9)),  # released 2025-05-29
    "v24.0": (date(2028, 2, 18), date(2026, 11, 10)),  # released 2025-10-08
    "v25.0": (date(2028, 7, 29), date(2027, 2, 23)),  # released 2026-02-18
    "v26.0": (None, None),  # released 2026-07-29
}


def expired(version: str, api: str, today: date) -> str | None:
    """Why `version` of the Graph or Marketing API is past Meta's end-of-life date on `today`, or None."""
    if version not in VERSIONS:
        try:
            older = float(version.removeprefix("v")) < min(float(v[1:]) for v in VERSIONS)
        except ValueError:
            older = False
        return (
            (
                f"{version} is older than every version in Meta's schedule (read {DOCUMENTED_ON}): set the "
                f"connection's extra api_version to a served version, e.g. {DEFAULT_API_VERSION}"
            )
            if older
            else None
        )
    graph_until, marketing_until = VERSIONS[version]
    until = graph_until if api == GRAPH else marketing_until
    if until is None or today <= until:
        return None
    return (
        f"Meta's {api} API {version} was available until {until} (Meta's versions page, read {DOCUMENTED_ON}): "
        f"set the connection's extra api_version to a served version, e.g. {DEFAULT_API_VERSION}, after checking "
        "its changelog"
    )
