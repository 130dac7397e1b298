"""The same numbers on any machine: forecasts and the forecast page do not depend on cores, workers or load."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import DEMO_MONTH, figures

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.notebook


def _run(demo_dir: Path, folder: Path, workers: int, *pinned: str) -> tuple[dict[str, bytes], list[dict]]:
    """The organisation's forecast report on a copy of the demo with a cache of its own (a 3-month backtest, to
    keep it short): the forecast files it made and the figures of its page."""
    data, params = folder / "data", folder / "params"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("*.cache"))
    shutil.copytree(ROOT / "params", params)
    defaults = yaml.safe_load((params / "defaults.yaml").read_text()) | {
        "forecasting": {"backtest_months": 3}, "notebooks_dir": str(ROOT / "notebooks")}
    (params / "defaults.yaml").write_text(yaml.safe_dump(defaults))
    salesnb = Path(sys.executable).parent / "salesnb"
    subprocess.run([*pinned, salesnb, "run", "--params", params, "--data", data, "--outputs", folder / "out",
                    "--notebook", "03_forecast", "--team", "all", "--month", DEMO_MONTH, "--workers", str(workers),
                    "--quiet"],
                   check=True, capture_output=True)
    made = {p.name: p.read_bytes() for p in (data / "workspace.cache" / "forecasts").glob("*.json")}
    return made, figures(folder / "out" / DEMO_MONTH / "all" / "03_forecast.ipynb")


@pytest.mark.skipif(not shutil.which("taskset"), reason="taskset (util-linux) pins the run to one core")
def test_one_core_and_one_worker_give_the_same_forecasts_and_figures(demo_dir, tmp_path):
    """On one core with one worker (forecasts made in-process), the run makes the very forecasts a two-worker run
    makes (a pool of processes), byte for byte, and the forecast page shows every figure the same."""
    one_core, one_page = _run(demo_dir, tmp_path / "one", 1, "taskset", "-c", "0")
    two, two_page = _run(demo_dir, tmp_path / "two", 2)
    assert len(one_core) > 40 and one_core == two
    assert len(one_page) >= 3 and one_page == two_page
