"""Development tools stay apart: the shipped packages never import them, and neither install nor image holds them."""

import ast
import tomllib

import pytest

from socialpulse.config import PROJECT_ROOT

SHIPPED = ("socialpulse", "socialpulse_airflow")


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


@pytest.mark.parametrize("package", SHIPPED)
def test_shipped_code_never_imports_the_development_tools(package):
    offenders = {str(p.relative_to(PROJECT_ROOT)): sorted(m for m in imported_modules(p) if "socialpulse_dev" in m)
                 for p in (PROJECT_ROOT / "include" / package).rglob("*.py")}
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_the_library_imports_nothing_from_airflow():
    offenders = [str(p) for p in (PROJECT_ROOT / "include" / "socialpulse").rglob("*.py")
                 if any(m.split(".")[0] == "airflow" for m in imported_modules(p))]
    assert offenders == []


def test_install_and_image_ship_only_the_library_and_its_airflow_side():
    found = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert found["include"] == ["socialpulse", "socialpulse.*", "socialpulse_airflow", "socialpulse_airflow.*"]
    copies = [line.split()[2] for line in (PROJECT_ROOT / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY") and "include" in line]
    assert copies == ["include/socialpulse", "include/socialpulse_airflow"]


def test_no_simulated_rates_ship_with_the_library():
    assert not list((PROJECT_ROOT / "include" / "socialpulse").rglob("*.csv"))
    from socialpulse.connectors.ecb import ECB_DAILY_RATES_URL

    assert ECB_DAILY_RATES_URL.startswith("https://data-api.ecb.europa.eu/")
