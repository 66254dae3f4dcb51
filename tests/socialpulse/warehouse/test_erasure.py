"""Erasing people from every warehouse table that holds them, and recording it without personal data."""

from socialpulse.warehouse import apply_migrations
from socialpulse.warehouse.erasure import erase_from_warehouse, record_erasure
from tests.socialpulse.warehouse.sql import execute, query


def test_erasure_deletes_from_every_person_table_and_records_no_personal_data(warehouse_conn):
    apply_migrations(warehouse_conn)
    execute(warehouse_conn, "CREATE TABLE user_segments (person_id TEXT, segment TEXT)")
    for person, segment in (("p1", "a"), ("p2", "b"), ("p1x", "c")):
        execute(warehouse_conn, "INSERT INTO user_segments VALUES (%s, %s)", (person, segment))
    assert erase_from_warehouse(warehouse_conn, {"p1", "p1x"}) == 2
    counts = {"clean_rows": 5, "feature_rows": 0, "warehouse_rows": 2, "files_rewritten": 3}
    record_erasure(warehouse_conn, "p1", "manual-1", counts)
    record_erasure(warehouse_conn, "p1", "manual-1", {**counts, "clean_rows": 0})  # a retry keeps the first
    assert query(warehouse_conn, "SELECT person_id FROM user_segments") == [("p2",)]
    assert query(warehouse_conn, "SELECT pseudonym, clean_rows, warehouse_rows FROM privacy_erasures") == [("p1", 5, 2)]
