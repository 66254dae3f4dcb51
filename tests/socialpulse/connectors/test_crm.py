"""Reading the CRM drop from a folder, a file:// URL and over HTTP."""

import functools
import io
import threading
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from socialpulse.connectors import crm
from socialpulse.connectors.crm import CrmDropError, CrmDropMissingError, copy_drop_file
from socialpulse_dev.simulator.crm_drop import write_drop

DS = "2026-11-02"


def fetched(source: str, ds: str, name: str = "users.csv") -> bytes:
    """A file of the drop as extract_crm copies it."""
    sink = io.BytesIO()
    copy_drop_file(source, ds, name, sink)
    return sink.getvalue()


@pytest.fixture
def drop_folder(tmp_path):
    write_drop(tmp_path / "crm", date.fromisoformat(DS))
    return tmp_path / "crm"


def test_folder_and_file_url_give_the_exact_bytes(drop_folder):
    expected = (drop_folder / f"ds={DS}" / "orders.csv").read_bytes()
    assert fetched(str(drop_folder), DS, "orders.csv") == expected
    assert fetched(f"file://{drop_folder}", DS, "orders.csv") == expected


def test_http_source(drop_folder):
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(drop_folder))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert fetched(url, DS) == (drop_folder / f"ds={DS}" / "users.csv").read_bytes()
        with pytest.raises(CrmDropMissingError, match="HTTP 404"):
            fetched(url, "2026-11-09")
    finally:
        server.shutdown()
        server.server_close()


def test_a_missing_day_says_where_it_looked(drop_folder):
    with pytest.raises(CrmDropMissingError, match=r"ds=2026-11-09/users\.csv"):
        fetched(str(drop_folder), "2026-11-09")


def test_a_file_without_required_columns_is_refused(drop_folder):
    (drop_folder / f"ds={DS}" / "orders.csv").write_text("order_id,user_id\no1,u1\n")
    with pytest.raises(CrmDropError, match=r"orders.csv of 2026-11-02 lacks columns \[ordered_at, amount"):
        fetched(str(drop_folder), DS, "orders.csv")


def test_a_file_that_is_not_utf8_names_file_date_and_source(drop_folder):
    (drop_folder / f"ds={DS}" / "users.csv").write_bytes("user_id,age,city\nu1,30,Zürich\n".encode("latin-1"))
    with pytest.raises(CrmDropError, match=rf"users.csv of the drop of {DS} in {drop_folder} is not UTF-8 text"):
        fetched(str(drop_folder), DS)
    (drop_folder / f"ds={DS}" / "users.csv").write_bytes(
        "\ufeffuser_id,name,email,age,gender,country,city,signup_date\nu1,A,a@x,30,F,DE,Zürich,2025-01-01\n".encode()
    )
    assert fetched(str(drop_folder), DS).startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM is fine


def test_a_file_is_copied_and_checked_a_few_bytes_at_a_time_as_at_once(drop_folder, monkeypatch):
    monkeypatch.setattr(crm, "COPY_BYTES", 2)  # the BOM, the header and the ü (bytes 59-60) split between reads
    path = drop_folder / f"ds={DS}" / "users.csv"
    path.write_bytes("\ufeffuser_id,age,gender,country,city,signup_date\nu1,30,F,CH,Zürich,2025-01-01\n".encode())
    assert fetched(str(drop_folder), DS) == path.read_bytes()
    broken = "user_id,age,gender,country,city,signup_date\nu1,30,F,CH,Zürich,2025-01-01\n".encode("latin-1")
    path.write_bytes(broken)
    at = broken.index("ü".encode("latin-1"))
    with pytest.raises(CrmDropError, match=rf"not UTF-8 text \(byte {at}\)"):
        fetched(str(drop_folder), DS)
    path.write_text("user_id,age,gender,country\nu1,30,F,CH\n")
    with pytest.raises(CrmDropError, match=r"lacks columns \[city, signup_date\]"):
        fetched(str(drop_folder), DS)
