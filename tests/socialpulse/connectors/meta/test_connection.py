"""The connection settings classes: one pattern, messages that name the connection, ids checked for what they are."""

import pytest

from socialpulse.connectors.connection import base_url, id_list, numeric_id
from socialpulse.connectors.meta import normalize_account_id
from socialpulse.connectors.meta.connection import GraphConnection, MetaAdsConnection
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse.connectors.x.connection import XConnection
from socialpulse.errors import ConnectionConfigError


@pytest.mark.parametrize(
    ("host", "port", "scheme", "expected"),
    [
        (None, None, None, "https://graph.facebook.com"),
        ("graph.facebook.com", None, None, "https://graph.facebook.com"),
        ("http://127.0.0.1:8765/", None, None, "http://127.0.0.1:8765"),
        ("127.0.0.1", 8765, "http", "http://127.0.0.1:8765"),
        ("http://127.0.0.1", 9000, None, "http://127.0.0.1:9000"),
    ],
)
def test_base_url(host, port, scheme, expected):
    assert base_url(host, port, scheme, "https://graph.facebook.com") == expected


def test_ids_from_list_or_string():
    assert id_list(["act_1", 2], normalize_account_id) == ["1", "2"]
    assert id_list("act_1, 2 ,", normalize_account_id) == ["1", "2"]
    assert id_list(None, normalize_account_id) == []


def test_a_non_numeric_id_is_named_for_what_it_is():
    with pytest.raises(ValueError, match="act_123456"):
        normalize_account_id("my-account")
    with pytest.raises(ConnectionConfigError, match="X user id '@brand'") as caught:
        XConnection.from_fields("x_api", None, None, None, "tok", {"user_ids": ["@brand"]})
    assert "ad account" not in str(caught.value)
    with pytest.raises(ConnectionConfigError, match="Facebook Page id 'mypage'"):
        id_list(["mypage"], numeric_id("Facebook Page id"))


@pytest.mark.parametrize(
    ("settings_class", "conn_id", "extra", "missing"),
    [
        (MetaAdsConnection, "meta_marketing", {"ad_account_ids": ["1"]}, "ad_account_ids"),
        (GraphConnection, "meta_graph", {"page_ids": ["1"]}, "page_ids"),
        (XConnection, "x_api", {"user_ids": ["1"]}, "user_ids"),
    ],
)
def test_every_connection_says_which_it_is_and_what_to_set(settings_class, conn_id, extra, missing):
    with pytest.raises(ConnectionConfigError, match=f"connection '{conn_id}' has no .*password"):
        settings_class.from_fields(conn_id, "h", None, None, "", extra)
    with pytest.raises(ConnectionConfigError, match=f"connection '{conn_id}' lists no .*{missing}"):
        settings_class.from_fields(conn_id, "h", None, None, "tok", {})
    settings = settings_class.from_fields(conn_id, None, None, None, "EAAB-secret", extra)
    assert "EAAB-secret" not in repr(settings) and settings.conn_id == conn_id
    assert settings.client().conn_id == conn_id  # its errors name this connection


def test_meta_ads_defaults():
    settings = MetaAdsConnection.from_fields(
        "meta_marketing", None, None, None, "EAAB-secret", {"ad_account_ids": "act_7"}
    )
    assert settings.account_ids == ("7",)
    assert settings.api_version == DEFAULT_API_VERSION == "v26.0"
    assert settings.base_url == "https://graph.facebook.com"
    assert XConnection.from_fields("x_api", None, None, None, "t", {"user_ids": [1]}).base_url == "https://api.x.com"
