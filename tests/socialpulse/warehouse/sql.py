"""Plain SQL on either warehouse dialect, for tests that look at what the library wrote."""

from socialpulse.warehouse.dialect import SQLITE, dialect_of


def execute(conn, sql: str, params: tuple = (), fetch: bool = False) -> list[tuple]:
    sql = sql.replace("%s", "?") if dialect_of(conn) == SQLITE else sql
    cursor = conn.cursor()
    cursor.execute(sql, params)
    rows = cursor.fetchall() if fetch else []
    cursor.close()
    conn.commit()
    return rows


def query(conn, sql: str, params: tuple = ()) -> list[tuple]:
    return execute(conn, sql, params, fetch=True)
