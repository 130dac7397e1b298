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
import yaml
from conftest import DEMO_MONTH, DEMO_TEAMS, figures, same

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "demo_figures.json"
ON_FORECASTS = ("00_overview", "03_forecast", "05_quotas")  # the reports whose figures come from forecasts

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
def test_one_core_and_one_worker_give_the_same_figures(demo_run, demo_dir, tmp_path):
    """The reports made from forecasts, run on one core with one worker (forecasts made in-process) and their own
    cache, show every figure of the two-worker run (forecasts made by a pool of processes)."""
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("*.cache"))
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"notebooks": list(ON_FORECASTS), "teams": DEMO_TEAMS, "months": [DEMO_MONTH]}))
    salesnb = Path(sys.executable).parent / "salesnb"
    subprocess.run(["taskset", "-c", "0", salesnb, "run", "--params", ROOT / "params", "--data", data, "--outputs",
                    tmp_path / "out", "--plan", plan, "--workers", "1", "--quiet"], check=True, capture_output=True)
    two_workers, _ = demo_run
    for team in DEMO_TEAMS:
        for nb in ON_FORECASTS:
            got = figures(tmp_path / "out" / DEMO_MONTH / team / f"{nb}.ipynb")
            assert len(got) == len(two_workers[f"{team}/{nb}"]) >= 3
            for i, (g, e) in enumerate(zip(got, two_workers[f"{team}/{nb}"], strict=True)):
                assert g == e, f"{team}/{nb} figure {i}: {g} != {e}"
