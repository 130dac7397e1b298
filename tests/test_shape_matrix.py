"""Every report on every kind of real export: written with its caveats or skipped with a reason, never failed,
and never a claim its data cannot support."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

from salesnb.data.shapes import SHAPES, write_shape
from salesnb.run.cli import main

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
ROWS = {"orders_only": 4000, "pipeline_only": 1500, "ecommerce": 20000}
TEAM = {"orders_only": "East", "pipeline_only": "Central", "ecommerce": "France"}
MONTH = {"orders_only": "2026-10", "pipeline_only": "2026-10", "ecommerce": "2026-11"}

pytestmark = pytest.mark.notebook


def _text(page: Path) -> str:
    body = re.sub(r"<(style|script).*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    body = re.sub(r"<img[^>]*>", " ", body)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module", params=list(SHAPES))
def shape_run(request, tmp_path_factory) -> tuple[str, Path, int]:
    """A shape's export imported through its mapping, then every report for the org and one team."""
    shape = request.param
    base = tmp_path_factory.mktemp(shape)
    write_shape(shape, base / "export", rows=ROWS[shape])
    data = base / "data"
    assert main(["import", "--mapping", str(SHAPES[shape].mapping), "--out", str(data), "--keep-going",
                 str(base / "export")]) == 0
    plan = base / "plan.yaml"
    plan.write_text(yaml.safe_dump({"notebooks": NOTEBOOKS, "teams": ["all", TEAM[shape]], "months": ["latest"]}))
    code = main(["run", "--params", str(_params(base)), "--data", str(data), "--outputs", str(base / "out"),
                 "--plan", str(plan), "--workers", "2", "--quiet"])
    return shape, base / "out", code


def _params(base: Path) -> Path:
    """The project's parameters with a 3-month backtest: what is tested here is what each report says on such an
    export, not the forecasts' accuracy (tests/test_forecast.py)."""
    folder = base / "params"
    folder.mkdir()
    defaults = yaml.safe_load((ROOT / "params" / "defaults.yaml").read_text(encoding="utf-8"))
    defaults |= {"notebooks_dir": str(ROOT / "notebooks"), "forecasting": {"backtest_months": 3}}
    (folder / "defaults.yaml").write_text(yaml.safe_dump(defaults), encoding="utf-8")
    return folder


def _runs(out: Path, month: str) -> dict:
    return json.loads((out / month / "runs.json").read_text(encoding="utf-8"))


def test_every_report_is_written_or_skipped_with_a_reason(shape_run):
    shape, out, code = shape_run
    runs = _runs(out, MONTH[shape])
    assert code == 0, {k: r["message"] for k, r in runs.items() if r["status"] == "failed"}
    assert len(runs) == 2 * len(NOTEBOOKS)
    assert {r["status"] for r in runs.values()} <= {"ok", "skipped"}
    assert all(r["message"].startswith("skipped: ") for r in runs.values() if r["status"] == "skipped")
    assert any(r["status"] == "ok" for r in runs.values())
    for key, r in runs.items():
        page = out / MONTH[shape] / f"{key}.html"
        assert page.exists() == (r["status"] == "ok"), key
        if page.exists():
            assert "Traceback" not in page.read_text(encoding="utf-8"), key


def test_latest_is_the_last_complete_month(shape_run):
    shape, out, _ = shape_run
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [MONTH[shape]]


def test_overview_links_only_to_written_reports(shape_run):
    shape, out, _ = shape_run
    page = out / MONTH[shape] / "all" / "00_overview.html"
    if not page.exists():
        pytest.skip("no overview for this shape (no order lines)")
    links = re.findall(r'<a href="([0-9]{2}_\w+)\.html"', page.read_text(encoding="utf-8"))
    assert links and all((page.parent / f"{name}.html").exists() for name in links)


AMOUNTS = {"orders_only": "$", "pipeline_only": "$", "ecommerce": "£"}
CAVEATS = {  # (report, sentence that must appear, claims that must not)
    "orders_only": [
        ("04_pricing", "No product carries a price guideline", ["reps respect the price guidelines",
                                                                "Amount lost beyond guideline over the period"]),
        ("04_pricing", "No rebates and no freight in the order lines, so the waterfall stops at invoice price",
         ["breach rate", "pocket share"]),
        ("02_reporting", "The order lines name no rep", ["Revenue by rep"]),
        ("02_reporting", "amounts in USD", ["€", "EUR"]),
    ],
    "pipeline_only": [
        ("08_field_tours", "No account has an owner", ["The visit policy needs", "Every owned account has coordinates",
                                                       "account moves proposed"]),
        ("10_activity_pipeline", "No stage history", ["The bottleneck is", "median days in stage"]),
        ("10_activity_pipeline", "No open deal has both an amount and an expected close date", ["weighted pipeline"]),
        ("10_activity_pipeline", "amounts in USD", ["€", "EUR"]),
        ("01_data_quality", "Fix first: no amount on opportunity records", ["pipeline with problems"]),
    ],
    "ecommerce": [
        ("02_reporting", "no comparison with the same month last year (the data do not cover it)", ["€", "EUR"]),
        ("02_reporting", "of returns and cancellations", []),
        ("04_pricing", "No product carries a price guideline", ["reps respect the price guidelines"]),
        ("03_forecast", "less the public holidays of United Kingdom", ["of France"]),
    ],
}


def test_caveats_replace_claims_the_data_cannot_support(shape_run):
    shape, out, _ = shape_run
    for report, caveat, claims in CAVEATS[shape]:
        text = _text(out / MONTH[shape] / "all" / f"{report}.html")
        assert caveat in text, (report, caveat)
        assert not [c for c in claims if c in text], (report, claims)
        assert AMOUNTS[shape] in text or "amounts in" in text


def test_a_partial_month_runs_only_when_asked_and_says_so(shape_run, tmp_path):
    shape, out, _ = shape_run
    if shape != "ecommerce":
        pytest.skip("only the e-commerce export ends inside a month")
    data = out.parent / "data"
    code = main(["run", "--params", str(ROOT / "params"), "--data", str(data), "--outputs", str(tmp_path),
                 "--notebook", "02_reporting", "--month", "2026-12", "--quiet"])
    assert code == 0
    text = _text(tmp_path / "2026-12" / "all" / "02_reporting.html")
    assert "partial month: data up to 9 December 2026" in text
    assert "a full month, so not like for like" in text



def test_a_year_the_export_does_not_cover_is_empty_never_zero(shape_run):
    """The invoice export holds one year: 'same month last year' is unknown, not 0, in every product row."""
    shape, out, _ = shape_run
    if shape != "ecommerce":
        pytest.skip("the other exports cover the same month a year before")
    import pandas as pd

    for scope in ("all", TEAM[shape]):
        rows = pd.read_csv(out / MONTH[shape] / scope / f"revenue_by_product_{scope}.csv", encoding="utf-8-sig")
        assert len(rows) > 10 and rows["revenue_last_year"].isna().all() and rows["vs_last_year"].isna().all()


def test_rows_rejected_at_import_are_said_where_they_count(shape_run):
    shape, out, _ = shape_run
    month = out / MONTH[shape]
    rejected = _truth_rejected(out)
    index = _text(month / "index.html")
    pages = {p.stem: _text(p) for p in (month / "all").glob("*.html")}
    if not rejected:
        assert "Rejected at import" not in index and not [k for k, v in pages.items() if "Rejected at import" in v]
        return
    said = f"Rejected at import and counted in no figure: {rejected:,} opportunities ("
    assert said in index
    assert said in pages["01_data_quality"] and "Rows rejected when the data folder was imported" in pages[
        "01_data_quality"]
    assert said in pages["10_activity_pipeline"]
    assert said not in pages.get("02_reporting", "")  # its figures do not read opportunities


def _truth_rejected(out: Path) -> int:
    """How many opportunities the import should reject, from the ground truth written beside the export."""
    truth = json.loads((out.parent / "export" / "truth.json").read_text(encoding="utf-8"))
    return int(truth["rejected"].get("opportunities", 0))
