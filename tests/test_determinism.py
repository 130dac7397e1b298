"""The same numbers on any machine: forecasts and the forecast page do not depend on cores, workers or load."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BUNDLED_DEMO, DEMO_MONTH, SHARED, _bundled_demo_is_current, figures

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "demo_figures.json"

pytestmark = pytest.mark.notebook


@pytest.mark.skipif(not shutil.which("taskset"), reason="taskset (util-linux) pins the run to one core")
@pytest.mark.skipif(not _bundled_demo_is_current(), reason="the demo folder make builds holds the reference")
def test_one_core_and_one_worker_give_the_same_forecasts_and_figures(tmp_path):
    """On one core with one worker (forecasts made in-process), with a cache of its own, the run makes the very
    forecasts the test session made first on every core (a pool of processes), byte for byte, and the forecast
    page shows every figure of the golden copy exactly."""
    data = tmp_path / "data"
    shutil.copytree(BUNDLED_DEMO, data, ignore=shutil.ignore_patterns("*.cache"))
    salesnb = Path(sys.executable).parent / "salesnb"
    subprocess.run(["taskset", "-c", "0", salesnb, "run", "--params", ROOT / "params", "--data", data, "--outputs",
                    tmp_path / "out", "--notebook", "03_forecast", "--team", "all", "--month", DEMO_MONTH,
                    "--workers", "1", "--quiet"], check=True, capture_output=True)
    one_core = {p.name: p.read_bytes() for p in (data / "workspace.cache" / "forecasts").glob("*.json")}
    pooled = {p.name: p.read_bytes() for p in (BUNDLED_DEMO / "workspace.cache" / "forecasts").glob("*.json")}
    assert len(one_core) > 40 and {name: pooled.get(name) for name in one_core} == one_core
    got = figures(tmp_path / "out" / DEMO_MONTH / "all" / "03_forecast.ipynb")
    assert len(got) >= 3 and got == json.loads(GOLDEN.read_text(encoding="utf-8"))["all/03_forecast"]


def test_every_module_that_uses_the_demo_run_shares_its_worker():
    """A module using the demo run on another worker than the others would make the whole run again."""
    uses = re.compile(r"def \w+\([^)]*\bdemo_(run|figures)\b")
    users = {p.stem for p in (ROOT / "tests").glob("test_*.py") if uses.search(p.read_text())}
    assert users == {name for name, group in SHARED.items() if group == "demo_run"}
