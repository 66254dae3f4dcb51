"""Meta's version schedule: which configured versions are past their end of life."""

from datetime import date

from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION, GRAPH, MARKETING, VERSIONS, expired

TODAY = date(2026, 11, 28)


def test_the_marketing_api_retires_versions_sooner_than_the_graph_api():
    assert "available until 2025-09-09" in expired("v21.0", MARKETING, TODAY)  # the old default, for the ads
    assert expired("v21.0", GRAPH, TODAY) is None  # Graph API v21.0 lasts until 2027-01-21
    assert "v26.0" in expired("v24.0", MARKETING, TODAY)  # the message names a served version to move to
    assert expired("v24.0", MARKETING, date(2026, 11, 10)) is None  # the last day still counts


def test_the_default_is_served_by_both_apis_and_an_unknown_version_is_not_judged():
    assert expired(DEFAULT_API_VERSION, MARKETING, TODAY) is None and expired(DEFAULT_API_VERSION, GRAPH, TODAY) is None
    assert max(VERSIONS, key=lambda v: float(v[1:])) == DEFAULT_API_VERSION
    assert expired("v99.0", GRAPH, TODAY) is None
    assert "older than every version" in expired("v17.0", GRAPH, TODAY)
