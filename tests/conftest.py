"""Shared fixtures: a tiny hand-made data folder with hand-worked figures, and the demo data."""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from salesnb.data.demo import generate
from salesnb.data.workspace import Workspace, load_folder
from salesnb.report.marker import FIGURES_MIME
from salesnb.run.cli import main

ROOT = Path(__file__).resolve().parents[1]

TINY = {
    "reps": pd.DataFrame({
        "rep_id": ["R1", "R2"], "name": ["Ana Alpha", "Bo <b>Beta</b>"], "team": ["a", "b"],
        "region": ["X", "Y"],
    }),
    "products": pd.DataFrame({
        "product_id": ["P1", "P2"], "name": ["Widget", "Gadget"], "family": ["F1", "F2"],
        "list_price": [100.0, 50.0], "unit_cost": [60.0, 20.0], "max_discount": [0.2, 0.5],
    }),
    "accounts": pd.DataFrame({
        "account_id": ["A1", "A2"], "name": ["Acme", "Zeta"], "status": ["customer"] * 2,
        "owner_rep_id": ["R1", "R2"], "segment": ["smb", "enterprise"],
    }),
    # Hand-worked: 2026-10 revenue 240 + 50 + 100 = 390, cost 180 + 40 + 60 = 280;
    # 2026-09 revenue 90 + 200 = 290 (margin 150); 2025-10 revenue 200.
    "order_lines": pd.DataFrame({
        "line_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "order_id": ["O1", "O2", "O3", "O4", "O5", "O5"],
        "order_date": ["2025-10-15", "2026-09-03", "2026-09-20", "2026-10-01", "2026-10-31",
                       "2026-10-31"],
        "account_id": ["A1", "A1", "A2", "A1", "A2", "A2"],
        "rep_id": ["R1", "R1", "R2", "R1", "R2", "R2"],
        "product_id": ["P1", "P1", "P2", "P1", "P2", "P1"],
        "quantity": [2, 1, 4, 3, 2, 1],
        "list_price": [100, 100, 50, 100, 50, 100],
        "discount": [0, 0.1, 0, 0.2, 0.5, 0],
    }),
}


def write_tiny(folder: Path) -> Path:
    """Write the tiny data set as CSV files into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in TINY.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    (folder / "dataset.yaml").write_text("currency: EUR\n", encoding="utf-8")
    return folder


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    return write_tiny(tmp_path / "data")


@pytest.fixture
def tiny_ws(tiny_dir: Path):
    load_folder(tiny_dir, tiny_dir / "workspace.duckdb")
    ws = Workspace(tiny_dir / "workspace.duckdb")
    yield ws
    ws.close()


BUNDLED_DEMO = ROOT / "data" / "demo"


def _bundled_demo_is_current() -> bool:
    """Whether `make` built data/demo after the last change to the code that generates it."""
    ws = BUNDLED_DEMO / "workspace.duckdb"
    sources = [ROOT / "salesnb" / "data" / name for name in ("demo.py", "schema.py")]
    return ws.exists() and all(ws.stat().st_mtime > s.stat().st_mtime for s in sources)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Before the workers start (`pytest -n`), the demo's forecasts of the tests' month made once on every core,
    so that no two workers compute them side by side on a fresh clone."""
    if hasattr(session.config, "workerinput") or not _bundled_demo_is_current():
        return
    from salesnb.report.facts import make_forecasts
    from salesnb.report.registry import ForecastChoice

    make_forecasts(str(BUNDLED_DEMO / "workspace.duckdb"), DEMO_MONTH, ForecastChoice().model_dump(mode="json"))


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The demo data, read only: the folder `make test` built (so the forecasts it caches serve the notebooks nbval
    runs too), else a fresh one."""
    if _bundled_demo_is_current():
        return BUNDLED_DEMO
    out = tmp_path_factory.mktemp("demo")
    generate(out)
    load_folder(out, out / "workspace.duckdb")
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with params pointing at the tiny data and a copy of the notebooks."""
    write_tiny(tmp_path / "data")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "defaults.yaml").write_text(
        "data_dir: data\noutputs: outputs\nnotebooks_dir: notebooks\nworkers: 2\n"
        "cell_timeout: 120\nnotebooks:\n  02_reporting:\n    top_n: 5\n"
    )
    return tmp_path


DEMO_TEAMS = ["all", "north"]
DEMO_MONTH = "2026-10"
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def figures(executed: Path) -> list[dict]:
    """The figures a report recorded, in the order it showed them."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    return [out["data"][FIGURES_MIME] for cell in nb["cells"] for out in cell.get("outputs", [])
            if FIGURES_MIME in out.get("data", {})]


@pytest.fixture(scope="session")
def demo_run(demo_dir, tmp_path_factory) -> tuple[dict[str, list[dict]], Path]:
    """Every demo report for the organisation and team north: the figures each recorded, and the outputs."""
    base = tmp_path_factory.mktemp("golden")
    plan = base / "plan.yaml"
    plan.write_text(yaml.safe_dump({"notebooks": NOTEBOOKS, "teams": DEMO_TEAMS, "months": [DEMO_MONTH]}))
    assert main(["run", "--params", str(ROOT / "params"), "--data", str(demo_dir), "--outputs",
                 str(base / "out"), "--plan", str(plan), "--workers", "2", "--quiet"]) == 0
    figs = {f"{team}/{nb}": figures(base / "out" / DEMO_MONTH / team / f"{nb}.ipynb")
            for team in DEMO_TEAMS for nb in NOTEBOOKS}
    return figs, base / "out"


@pytest.fixture
def demo_figures(demo_run) -> dict[str, list[dict]]:
    return demo_run[0]


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL server of Debian's package, started for the tests on 127.0.0.1 and stopped after."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        if os.environ.get("SALESNB_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required (SALESNB_REQUIRE_POSTGRES) but /usr/lib/postgresql/*/bin is missing")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    home = Path(tempfile.mkdtemp(prefix="salesnb-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the package's user
        shutil.chown(home, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = home / "data"

    def pg(tool: str, *args: str) -> None:
        subprocess.run([*as_user, str(bin_dir / tool), *args], check=True, capture_output=True, text=True)

    pg("initdb", "-D", str(data), "-A", "trust", "-U", "salesnb", "-E", "UTF8", "--no-sync")
    pg("pg_ctl", "-D", str(data), "-l", str(home / "log"), "-w", "-o",
       f"-h 127.0.0.1 -p {port} -k {home} -F", "start")
    try:
        yield f"postgresql://salesnb@127.0.0.1:{port}/postgres"
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def in_euros():
    """Amounts formatted in euros for the test."""
    from salesnb.core import money

    before = money.current()
    money.use(money.currency("EUR"))
    yield
    money.use(before)


SHARED = {"test_approval": "demo_run", "test_consistency": "demo_run", "test_golden": "demo_run",
          "test_report_pages": "demo_run"}
MODULE_FIXTURES = {"test_hostile", "test_shapes", "test_warehouse"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items) -> None:
    """Keep together, on one worker of `pytest -n` (`--dist loadgroup`), what shares an expensive fixture: the
    demo run's tests, a module's tests that share its fixture (each export shape's run), and the cells of each
    notebook (nbval runs them in order in one kernel)."""
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb":
            group = f"notebook-{path.stem}"
        elif path.stem in SHARED:
            group = SHARED[path.stem]
        elif path.stem in MODULE_FIXTURES:
            group = path.stem
        elif path.stem == "test_shape_matrix":
            group = f"shape-{item.callspec.params['shape_run']}"
        else:
            continue
        item.add_marker(pytest.mark.xdist_group(group))
