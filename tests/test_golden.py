"""Every figure the demo reports show (sentences, table sums, KPI tiles) for the organisation and one team,
compared with a golden copy taken before a change: refactors must not move a number."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DEMO_MONTH, figures, same

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "demo_figures.json"

pytestmark = pytest.mark.notebook


def test_demo_figures_match_the_golden_copy(demo_figures):
    if os.environ.get("SALESNB_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(demo_figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden.keys() == demo_figures.keys()
    for report, expected in golden.items():
        got = demo_figures[report]
        assert len(got) == len(expected), report
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            assert same(g, e), f"{report} figure {i}: {g} != {e}"


def test_every_report_records_figures(demo_figures):
    assert all(len(f) >= 3 for f in demo_figures.values()), {k: len(v) for k, v in demo_figures.items()}


@pytest.mark.skipif(not shutil.which("taskset"), reason="taskset (util-linux) pins the run to one core")
def test_one_core_and_one_worker_give_the_same_forecasts_and_figures(demo_run, demo_dir, tmp_path):
    """On one core with one worker (forecasts made in-process) and a cache of its own, the run makes the very
    forecasts the two-worker run made (a pool of processes), byte for byte, and the forecast page shows every
    figure the same."""
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("*.cache"))
    salesnb = Path(sys.executable).parent / "salesnb"
    subprocess.run(["taskset", "-c", "0", salesnb, "run", "--params", ROOT / "params", "--data", data, "--outputs",
                    tmp_path / "out", "--notebook", "03_forecast", "--team", "all", "--month", DEMO_MONTH,
                    "--workers", "1", "--quiet"], check=True, capture_output=True)
    one_core = {p.name: p.read_bytes() for p in (data / "workspace.cache" / "forecasts").glob("*.json")}
    two_workers = {p.name: p.read_bytes() for p in (demo_dir / "workspace.cache" / "forecasts").glob("*.json")}
    assert len(one_core) > 40 and {name: two_workers.get(name) for name in one_core} == one_core
    got = figures(tmp_path / "out" / DEMO_MONTH / "all" / "03_forecast.ipynb")
    assert len(got) >= 3 and got == demo_run[0]["all/03_forecast"]
