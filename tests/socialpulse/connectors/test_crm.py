"""Reading the CRM drop from a folder, a file:// URL and over HTTP."""

import functools
import threading
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from socialpulse.connectors.crm import CrmDropError, CrmDropMissingError, fetch_drop
from socialpulse_dev.simulator.crm_drop import write_drop

DS = "2026-11-02"


@pytest.fixture
def drop_folder(tmp_path):
    write_drop(tmp_path / "crm", date.fromisoformat(DS))
    return tmp_path / "crm"


def test_folder_and_file_url_give_the_exact_bytes(drop_folder):
    expected = (drop_folder / f"ds={DS}" / "orders.csv").read_bytes()
    assert fetch_drop(str(drop_folder), DS)["orders.csv"] == expected
    assert fetch_drop(f"file://{drop_folder}", DS)["orders.csv"] == expected


def test_http_source(drop_folder):
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(drop_folder))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        drop = fetch_drop(url, DS)
        assert drop["users.csv"] == (drop_folder / f"ds={DS}" / "users.csv").read_bytes()
        with pytest.raises(CrmDropMissingError, match="HTTP 404"):
            fetch_drop(url, "2026-11-09")
    finally:
        server.shutdown()
        server.server_close()


def test_a_missing_day_says_where_it_looked(drop_folder):
    with pytest.raises(CrmDropMissingError, match=r"ds=2026-11-09/users\.csv"):
        fetch_drop(str(drop_folder), "2026-11-09")


def test_a_file_without_required_columns_is_refused(drop_folder):
    (drop_folder / f"ds={DS}" / "orders.csv").write_text("order_id,user_id\no1,u1\n")
    with pytest.raises(CrmDropError, match=r"orders.csv of 2026-11-02 lacks columns \[ordered_at, amount"):
        fetch_drop(str(drop_folder), DS)


def test_a_file_that_is_not_utf8_names_file_date_and_source(drop_folder):
    (drop_folder / f"ds={DS}" / "users.csv").write_bytes("user_id,age,city\nu1,30,Zürich\n".encode("latin-1"))
    with pytest.raises(CrmDropError, match=rf"users.csv of the drop of {DS} in {drop_folder} is not UTF-8 text"):
        fetch_drop(str(drop_folder), DS)
    (drop_folder / f"ds={DS}" / "users.csv").write_bytes(
        "\ufeffuser_id,name,email,age,gender,country,city,signup_date\nu1,A,a@x,30,F,DE,Zürich,2025-01-01\n".encode()
    )
    assert fetch_drop(str(drop_folder), DS)["users.csv"].startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM is fine
