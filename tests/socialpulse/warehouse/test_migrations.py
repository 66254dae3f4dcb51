"""Applied migrations never change, and the migrated tables are what the entity declarations say."""

import hashlib
from importlib import resources

import pytest

from socialpulse.activation import entities as activation_entities  # noqa: F401 - each domain registers its tables
from socialpulse.audience import entities as audience_entities  # noqa: F401
from socialpulse.experiments import entities as experiment_entities  # noqa: F401
from socialpulse.transforms import entities as source_entities  # noqa: F401
from socialpulse.warehouse import (
    apply_migrations,
    records,  # noqa: F401
)
from socialpulse.warehouse.dialect import POSTGRES, dialect_of
from socialpulse.warehouse.migrations import MIGRATIONS, statements_of
from socialpulse.warehouse.tables import registered

TABLES = registered()

# sha256 of every migration file as it was applied. Never edit one: add a new migration instead.
FROZEN = {
    "0001_campaign_metrics_daily.postgres.sql": "bf488b655dedb7e830e81a7a3790a0d7ae2c8c7103d162911f51246cc972d1d2",
    "0001_campaign_metrics_daily.sqlite.sql": "600662d334bc60456aa15d49f57df0bd15234cacbe8a15e603efda7974853b64",
    "0002_post_metrics_daily.postgres.sql": "9f3f96469201e11b473ebe1096bd254c96a420e870dec906ff2f0f87bfa843e6",
    "0002_post_metrics_daily.sqlite.sql": "cb5002097d02671bd9c4b645fabd270dada68a0ca65e74dd3ebb784cf5d175ae",
    "0003_attribution.postgres.sql": "acb77fb44687366286146dc68b65d7ab82fe81592d528df7daa0e998f0a4f16a",
    "0003_attribution.sqlite.sql": "2ccfdc27ea6bdb16d540c2e7d112868addffd43c88a969d08708b0a4f2a998c1",
    "0004_pipeline_audit.postgres.sql": "04a872249edfb6dac117ad1a4a220bbc36b055ece18531665a5ae6b9bc2cadb6",
    "0004_pipeline_audit.sqlite.sql": "428b80feedeba93d92e134da2c4c830dd7a4de574e6a1961b39c5ee921b813db",
    "0005_reporting_currency.postgres.sql": "f08fe1dbc94ad3f219620d054c9b36e19cf870f519660b04d27ef99c06d73fd5",
    "0005_reporting_currency.sqlite.sql": "27c7fdca12a0f9d7155d9ecd05cdbadbd38314cb6f14ff435930a28651f3af0e",
    "0006_campaign_metrics_history.postgres.sql": "44db27e6a7ece86902b1e35ace44066783f8080df83fd4f4ef4b2a9b2e9f1476",
    "0006_campaign_metrics_history.sqlite.sql": "79b4d65df0d0227e5b7fb1220ef139d15f81afe5176feb7a08356298151d83b3",
    "0007_privacy_erasures.postgres.sql": "fdf2b148958865c01949622efc77a2d3c05e8f373d125dbb5f9c2ba26e719a3e",
    "0007_privacy_erasures.sqlite.sql": "a90dbfb64beec59ce63337a3480f46c5d826e95eda98d3feb132d9d6f07bbf24",
    "0008_data_quality_findings.postgres.sql": "7681954c9e6819762f1fbd9b503c3dca45422e0811bdf6771af6fc855defc130",
    "0008_data_quality_findings.sqlite.sql": "a5dc5113863de6e9f7375c040511f320be91a776ceb162ac715459311c466385",
    "0009_audience_intelligence.postgres.sql": "c41d774a0f5b6c33bbb05762dc771a2330c0c515a516e0d821b3255ea19f3ebd",
    "0009_audience_intelligence.sqlite.sql": "cf548287d284baef0734e384d1b85f94ae7d01a8b633f877b55ed108b06a3b61",
    "0010_experiment_results.postgres.sql": "99cb684be249b6dd5b56c75f3d9261f0cf4051c956bfe385f05eac5156efc9ea",
    "0010_experiment_results.sqlite.sql": "920fa035940c79e6ca489c0d092e8a1e58b08b92c8c368098179f03b642ce958",
    "0011_pipeline_audit_loaded.postgres.sql": "f30a6f8249838c8dd401f6618642e50843e213c160ba623bbeb29e39ee9c5b97",
    "0011_pipeline_audit_loaded.sqlite.sql": "bf31dab743852063745f275548879b3482832085bd4017441eba7434d0bb351d",
    "0012_attribution_setting.postgres.sql": "81804f3fbc8e6d14e2d1f732d9ec72382bdbb485c9e96cbb2a689977ed7c1553",
    "0012_attribution_setting.sqlite.sql": "81804f3fbc8e6d14e2d1f732d9ec72382bdbb485c9e96cbb2a689977ed7c1553",
    "0013_erasure_requests.postgres.sql": "301ca4041ed0d7198d2fbcf64dc89b5b9e6a9cd3131ab2653645a07f4d9d5411",
    "0013_erasure_requests.sqlite.sql": "c19e1554d13c6ac7a6b91f267e655391ec0204bf654a601352eab0d74d7f6af6",
    "0014_audience_briefs.postgres.sql": "743857cbe9315046046581c91a2b00101c5b3eb88471a1c086cf4ee4a409efbb",
    "0014_audience_briefs.sqlite.sql": "c3bd92a9aa22fb0eaf595fd13ae39dc372a741a6115d4d811df568c0cfc54c39",
    "0015_profile_order_window.postgres.sql": "78a7c61ec3030ffa2f552c174097749d57b61610499abeff770ee7da89d6361b",
    "0015_profile_order_window.sqlite.sql": "fbc6c309f0d1bfdbb8c73316b8dde4c172d0b8a232c680fe5f403aa1d5704d97",
    "0016_erasure_restricted_rows.postgres.sql": "029733e9444e183788cfc38927e04dcaadc027253af77700b479f0c3919a6f00",
    "0016_erasure_restricted_rows.sqlite.sql": "183a97811b40f310645c1ffe8504a4738a7c74e1d78dfa6faefe827595d03512",
    "0017_activation.postgres.sql": "2225a53fc35f5db66624c5c9346b5959b3a2f54bcd7180c857d5c222b9ff6945",
    "0017_activation.sqlite.sql": "3545848b116027089652c138badff4f15c05d0a5c0349c1ce166759327faf59a",
    "0018_experiment_cuped.postgres.sql": "e1a2686a498fd2e2aa149d630aa772d3b0e5072529e8d2fb417e2da3f218d08c",
    "0018_experiment_cuped.sqlite.sql": "122e41b4f50191b1144a090eb915ea06ed358f6b6394861fe94cf32cc2183c7a",
}
# How each catalog spells the logical types of warehouse/dialect.py.
CATALOG_TYPES = {
    "postgres": {
        "date": "date",
        "text": "text",
        "bigint": "bigint",
        "numeric": "numeric(20,4)",
        "double": "double precision",
        "timestamp": "timestamp with time zone",
        "boolean": "boolean",
    },
    "sqlite": {
        "date": "TEXT",
        "text": "TEXT",
        "bigint": "INTEGER",
        "numeric": "REAL",
        "double": "REAL",
        "timestamp": "TEXT",
        "boolean": "INTEGER",
    },
}


def test_no_applied_migration_changed():
    files = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in resources.files("socialpulse.warehouse").joinpath("sql").iterdir()
        if p.name.endswith(".sql")
    }
    changed = {name: digest for name, digest in files.items() if name in FROZEN and FROZEN[name] != digest}
    assert changed == {}, "applied migrations were edited: write a new migration instead"
    assert set(FROZEN) <= set(files), "an applied migration was deleted"
    assert set(files) - set(FROZEN) == set(), "a new migration: pin its checksum in FROZEN once it is final"


def test_statements_split_at_line_end_semicolons_only():
    assert statements_of("-- 9: x\nCREATE TABLE t (a TEXT);\nINSERT INTO t VALUES ('a;b');\n") == (
        "CREATE TABLE t (a TEXT)",
        "INSERT INTO t VALUES ('a;b')",
    )
    assert [m.version for m in MIGRATIONS] == list(range(1, len(FROZEN) // 2 + 1))


def catalog(conn) -> dict[str, dict[str, str]]:
    cursor = conn.cursor()
    found: dict[str, dict[str, str]] = {}
    for table in TABLES:
        if dialect_of(conn) == POSTGRES:
            cursor.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped",
                (table.name,),
            )
        else:
            cursor.execute("SELECT name, type FROM pragma_table_info(?)", (table.name,))
        found[table.name] = dict(cursor.fetchall())
    cursor.close()
    return found


def test_migrated_tables_match_the_declarations(warehouse_conn):
    apply_migrations(warehouse_conn)
    types = CATALOG_TYPES[dialect_of(warehouse_conn)]
    live = catalog(warehouse_conn)
    for table in TABLES:
        declared = {name: types[kind] for name, kind in table.columns}
        assert live[table.name] == declared, table.name


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_every_migration_has_both_dialects(dialect):
    assert all(m.statements[dialect] for m in MIGRATIONS)


def test_every_domain_registers_its_tables_and_the_warehouse_imports_none():
    assert {t.name for t in TABLES} >= {
        "campaign_metrics_daily",
        "campaign_metrics_history",
        "post_metrics_daily",
        "user_profiles",
        "experiment_results",
        "pipeline_audit",
        "privacy_erasures",
        "audience_syncs",
        "audience_sync_rows",
    }
    from socialpulse_dev.devenv import PROJECT_ROOT
    from tests.project.test_packaging import imported_modules

    warehouse = PROJECT_ROOT / "include" / "socialpulse" / "warehouse"
    domains = (
        "socialpulse.transforms",
        "socialpulse.audience",
        "socialpulse.experiments",
        "socialpulse.activation",
        "socialpulse.jobs",
    )
    imports = {p.name: sorted(m for m in imported_modules(p) if m.startswith(domains)) for p in warehouse.glob("*.py")}
    assert {name: found for name, found in imports.items() if found} == {}
