"""Development tools stay apart: the shipped packages never import them, and neither install nor image holds them."""

import ast
import tomllib

import pytest

from socialpulse_dev.devenv import PROJECT_ROOT

SHIPPED = ("socialpulse", "socialpulse_airflow")


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


@pytest.mark.parametrize("package", SHIPPED)
def test_shipped_code_never_imports_the_development_tools(package):
    offenders = {
        str(p.relative_to(PROJECT_ROOT)): sorted(m for m in imported_modules(p) if "socialpulse_dev" in m)
        for p in (PROJECT_ROOT / "include" / package).rglob("*.py")
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_the_library_imports_nothing_from_airflow():
    offenders = [
        str(p)
        for p in (PROJECT_ROOT / "include" / "socialpulse").rglob("*.py")
        if any(m.split(".")[0] == "airflow" for m in imported_modules(p))
    ]
    assert offenders == []


def test_install_and_image_ship_only_the_library_and_its_airflow_side():
    found = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert found["include"] == ["socialpulse", "socialpulse.*", "socialpulse_airflow", "socialpulse_airflow.*"]
    copies = [
        line.split()[2]
        for line in (PROJECT_ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY") and "include" in line
    ]
    assert copies == ["include/socialpulse", "include/socialpulse_airflow"]


def test_no_simulated_rates_ship_with_the_library():
    assert not list((PROJECT_ROOT / "include" / "socialpulse").rglob("*.csv"))
    from socialpulse.connectors.ecb import ECB_DAILY_RATES_URL

    assert ECB_DAILY_RATES_URL.startswith("https://data-api.ecb.europa.eu/")


def module_graph(root) -> dict[str, set[str]]:
    """Every module under `root` and the project modules it imports, at the top or inside a function.

    `from package import module` is an edge to that module, not to the package's __init__
    (which a submodule always runs after); relative imports are resolved.
    """
    modules = {
        ".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p for p in root.rglob("*.py")
    }

    def project_module(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                parts = package.split(".")
                base = ".".join(
                    [*parts[: len(parts) - node.level + 1], node.module or ""] if node.level else [node.module or ""]
                ).strip(".")
                imported |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
        graph[name] = {m for i in imported if (m := project_module(i)) and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_itself_through_others():
    graph = module_graph(PROJECT_ROOT / "include")
    assert {"socialpulse.errors", "socialpulse_airflow.retries", "socialpulse_dev.simulator.server"} <= set(graph)
    assert "socialpulse.errors" in graph["socialpulse.connectors.meta.errors"]
    assert cycles(graph) == []


def pinned(path) -> dict[str, str]:
    """{normalised name: version} of a requirements file's exact pins (its -r includes aside)."""
    pins = {}
    for line in path.read_text().splitlines():
        requirement = line.split("#")[0].strip()
        if requirement and not requirement.startswith("-"):
            name, _, version = requirement.partition("==")
            pins[name.split("[")[0].lower().replace("_", "-")] = version
    return pins


def test_the_image_installs_the_runtime_and_the_tools_stay_in_the_development_set():
    runtime, development = pinned(PROJECT_ROOT / "requirements.txt"), pinned(PROJECT_ROOT / "requirements-dev.txt")
    tools = {"pytest", "ruff", "mypy", "moto", "selenium", "aiosmtpd", "hypothesis", "mkdocs", "pre-commit", "flask"}
    assert tools <= set(development) and not tools & set(runtime)
    assert not set(runtime) & set(development), "each pin is in one file"
    assert (PROJECT_ROOT / "requirements-dev.txt").read_text().count("-r requirements.txt") == 1
    assert all(version for version in {**runtime, **development}.values()), "every requirement is pinned exactly"
    image = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "-r /opt/socialpulse/requirements.txt" in image and "requirements-dev" not in image


def test_the_restricted_zone_is_named_only_where_it_is_written_and_erased():
    """The matching keys (hashed emails and phones) are for activation: no dashboard, report or model code names the
    zone, so none can read it; the modules that do are the lake, the CRM step writing it and the erasure."""
    naming = sorted(
        str(p.relative_to(PROJECT_ROOT / "include"))
        for package in SHIPPED
        for p in (PROJECT_ROOT / "include" / package).rglob("*.py")
        if ".restricted(" in p.read_text() or '"restricted"' in p.read_text()
    )
    assert naming == ["socialpulse/jobs/crm.py", "socialpulse/jobs/erasure.py", "socialpulse/lake/layout.py"]
