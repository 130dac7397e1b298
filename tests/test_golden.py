"""Every figure the demo reports show (sentences, table sums, KPI tiles) for the organisation and one team,
compared with a golden copy taken before a change: refactors must not move a number."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import same

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
