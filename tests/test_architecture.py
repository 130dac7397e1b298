"""The house plan, checked: layers import downward only, domains are pure, one module owns dates and the
organisation's name, and the registry is the one description of each report."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from salesnb.report.registry import REPORTS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "salesnb"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALLOWED = {
    "core": {"core"},
    "data": {"core", "data"},
    "domains": {"core", "domains"},
    "report": {"core", "data", "domains", "report"},
    "run": {"core", "data", "domains", "report", "run"},
}
IMPURE = {"IPython", "ipywidgets", "matplotlib", "seaborn", "duckdb", "papermill", "nbformat", "nbconvert"}
WRITES = {"write_text", "write_bytes", "to_csv", "to_excel", "to_parquet", "mkdir", "unlink"}


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).glob("*.py"))


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "salesnb":
                names |= {f"salesnb.{a.name}" for a in node.names}
    return names


def _notebook_code(path: Path, parameters: bool = False) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"
                     and ("parameters" in c["metadata"].get("tags", [])) == parameters)


def test_every_module_lives_in_a_layer():
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py"]
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(ALLOWED)


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_below_it(folder):
    wrong = {}
    for path in _modules(folder):
        used = {name.split(".")[1] for name in _imports(ast.parse(path.read_text())) if name.startswith("salesnb.")}
        if used - ALLOWED[folder]:
            wrong[path.name] = sorted(used - ALLOWED[folder])
    assert not wrong, f"salesnb/{folder} may import only {sorted(ALLOWED[folder])}: {wrong}"


def test_domains_neither_read_nor_show_nor_write():
    for path in _modules("domains"):
        tree = ast.parse(path.read_text())
        impure = {name.split(".")[0] for name in _imports(tree)} & IMPURE
        writes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in WRITES}
        opens = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "open"]
        assert not impure and not writes and not opens, (path.name, impure, writes)


def _constants(tree: ast.AST, value: str) -> list[int]:
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value == value]


def _period_calls(tree: ast.AST) -> list[int]:
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr == "Period"]


def test_the_organisation_and_month_windows_are_named_in_one_module():
    generators = {PACKAGE / "data" / "demo.py", PACKAGE / "data" / "shapes.py"}
    found = {}
    for path in sorted(set(PACKAGE.rglob("*.py")) - generators - {PACKAGE / "core" / "scope.py"}):
        tree = ast.parse(path.read_text())
        found[str(path.relative_to(ROOT))] = _constants(tree, "all") + _period_calls(tree)
    for path in NOTEBOOKS:
        tree = ast.parse(_notebook_code(path))
        found[path.name] = _constants(tree, "all") + _period_calls(tree)
    found = {k: v for k, v in found.items() if v}
    assert not found, f"'all' or pd.Period outside salesnb/core/scope.py (lines): {found}"


def test_every_notebook_is_a_registered_report_and_the_reverse():
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(REPORTS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_agrees_with_its_registry_entry(path):
    report = REPORTS[path.stem]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith(f"# {report.title}\n")
    assert f'open_report("{report.name}", workspace, team, month, currency, country)' in _notebook_code(path)
    declared = {}
    for node in ast.parse(_notebook_code(path, parameters=True)).body:
        assert isinstance(node, ast.AnnAssign), "the parameters cell holds only `name: type = literal` lines"
        declared[node.target.id] = ast.literal_eval(node.value)
    fields = report.params.model_fields
    assert set(declared) == set(fields), "the cell declares exactly the model's parameters"
    defaults = report.params(workspace="w", team="all", month="2026-10").model_dump(mode="json")
    for name, value in declared.items():
        if name not in ("workspace", "team", "month"):
            assert value == defaults[name], f"{report.name}.{name}: cell {value!r}, model {defaults[name]!r}"
