"""Versioned DDL, frozen as literal SQL files, applied once each and recorded in socialpulse_schema_migrations.

`sql/NNNN_<name>.<dialect>.sql` holds migration NNNN for postgres and for sqlite;
its first line is `-- NNNN: description`, statements end with `;` at a line's end.
An applied migration never changes (tests/socialpulse/warehouse/test_migrations.py
pins each file's checksum): a change to a table is a new file. Literal SQL rather
than Alembic: the library works on plain DB-API connections (psycopg, sqlite3),
the files are the exact DDL each backend ran, and they read as such in review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from socialpulse.warehouse.dialect import POSTGRES, SQLITE, dialect_of, placeholder, transaction

MIGRATIONS_TABLE = "socialpulse_schema_migrations"
LOCK_KEY = 0x50C1A1  # pg advisory lock id held while migrating
_FILE = re.compile(r"(\d{4})_(\w+)\.(postgres|sqlite)\.sql")


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: dict[str, tuple[str, ...]]  # dialect -> SQL


def statements_of(text: str) -> tuple[str, ...]:
    """The statements of a migration file: comment lines dropped, split at a `;` ending a line."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return tuple(s.strip() for s in re.split(r";\s*$", body, flags=re.MULTILINE) if s.strip())


def load_migrations() -> tuple[Migration, ...]:
    """Every migration under sql/, in version order; each version must exist for both dialects."""
    found: dict[int, dict[str, str]] = {}
    for path in resources.files("socialpulse.warehouse").joinpath("sql").iterdir():
        match = _FILE.fullmatch(path.name)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(3)] = path.read_text(encoding="utf-8")
    migrations = []
    for version in sorted(found):
        texts = found[version]
        if set(texts) != {POSTGRES, SQLITE}:
            raise RuntimeError(f"migration {version:04d} lacks a file for {sorted({POSTGRES, SQLITE} - set(texts))}")
        description = texts[POSTGRES].splitlines()[0].removeprefix("--").split(":", 1)[1].strip()
        migrations.append(Migration(version, description, {d: statements_of(t) for d, t in texts.items()}))
    if not migrations:
        raise RuntimeError(
            "no migration files under socialpulse/warehouse/sql: the package was installed without its package data"
        )
    if [m.version for m in migrations] != list(range(1, len(migrations) + 1)):
        raise RuntimeError(f"migration versions are not 1..n: {[m.version for m in migrations]}")
    return tuple(migrations)


MIGRATIONS: tuple[Migration, ...] = load_migrations()


def apply_migrations(conn: Any) -> list[int]:
    """Apply every migration not yet recorded, in order, each in its own transaction.

    Returns the versions applied now; an empty list means the schema was current.
    """
    dialect = dialect_of(conn)
    timestamp = "TIMESTAMPTZ DEFAULT now()" if dialect == POSTGRES else "TEXT DEFAULT CURRENT_TIMESTAMP"
    applied_now = []
    for migration in MIGRATIONS:
        with transaction(conn, dialect) as cursor:
            if dialect == POSTGRES:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, "
                f"description TEXT NOT NULL, applied_at {timestamp})"
            )
            cursor.execute(
                f"SELECT 1 FROM {MIGRATIONS_TABLE} WHERE version = {placeholder(dialect)}", (migration.version,)
            )
            if cursor.fetchone():
                continue
            for statement in migration.statements[dialect]:
                cursor.execute(statement)
            cursor.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, description) VALUES "
                f"({placeholder(dialect)}, {placeholder(dialect)})",
                (migration.version, migration.description),
            )
            applied_now.append(migration.version)
    return applied_now
