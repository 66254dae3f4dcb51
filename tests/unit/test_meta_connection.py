import pytest

from socialpulse.connectors.meta import normalize_account_id
from socialpulse.connectors.meta.connection import MetaConnection, account_ids, base_url


@pytest.mark.parametrize(("host", "port", "scheme", "expected"), [
    (None, None, None, "https://graph.facebook.com"),
    ("graph.facebook.com", None, None, "https://graph.facebook.com"),
    ("http://127.0.0.1:8765/", None, None, "http://127.0.0.1:8765"),
    ("127.0.0.1", 8765, "http", "http://127.0.0.1:8765"),
    ("http://127.0.0.1", 9000, None, "http://127.0.0.1:9000"),
])
def test_base_url(host, port, scheme, expected):
    assert base_url(host, port, scheme) == expected


def test_account_ids_from_list_or_string():
    assert account_ids(["act_1", 2]) == ["1", "2"]
    assert account_ids("act_1, 2 ,") == ["1", "2"]
    assert account_ids(None) == []


def test_non_numeric_account_id_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="act_123456"):
        normalize_account_id("my-account")


def test_connection_without_token_or_accounts_says_what_to_set():
    with pytest.raises(ValueError, match="password"):
        MetaConnection.from_fields("h", None, None, "", {"ad_account_ids": ["1"]})
    with pytest.raises(ValueError, match="ad_account_ids"):
        MetaConnection.from_fields("h", None, None, "tok", {})


def test_connection_repr_hides_the_token():
    settings = MetaConnection.from_fields(None, None, None, "EAAB-secret", {"ad_account_ids": "act_7"})
    assert settings.account_ids == ("7",)
    assert settings.api_version == "v21.0"
    assert "EAAB-secret" not in repr(settings)
