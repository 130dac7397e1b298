import pandas as pd
import pytest

from salesnb.domains import overview, pulse, summary

TH = {"attainment": {"good": 1.0, "warn": 0.9}, "forecast_gap": {"good": 0.05, "warn": 0.1}}


@pytest.mark.parametrize("metric, value, expected", [
    ("attainment", 1.02, "green"), ("attainment", 0.95, "amber"), ("attainment", 0.5, "red"),
    ("forecast_gap", -0.03, "green"), ("forecast_gap", 0.08, "amber"), ("forecast_gap", -0.2, "red"),
    ("revenue", 1e6, "none"), ("attainment", float("nan"), "none")])
def test_status(metric, value, expected):
    assert overview.status(metric, value, TH) == expected


def test_enps_hand_worked_and_anonymity():
    # 0-10 scale: promoters 9-10, detractors 0-6
    assert pulse.enps(pd.Series([10, 9, 8, 7, 6, 0])) == pytest.approx(100 * (2 / 6 - 2 / 6))
    assert pulse.enps(pd.Series([10, 10, 9, 3])) == pytest.approx(50)
    answers = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(9)], "survey_date": "2026-10-15",
        "team": ["big"] * 5 + ["small"] * 4, "question_id": "enps",
        "score": [10, 9, 9, 2, 7, 10, 10, 10, 10]})
    tiny = answers.head(1).assign(team="tiny", response_id="t1")  # hidden with small: big stays visible
    answers = pd.concat([answers, tiny])
    t = pulse.team_enps(answers, pulse.visibility(answers))
    assert t.loc[("big", "2026-10-15"), "enps"] == pytest.approx(100 * (3 / 5 - 1 / 5))
    assert pd.isna(t.loc[("small", "2026-10-15"), "enps"])


def test_kpis_on_the_tiny_workspace(tiny_ws):
    frames = {arg: tiny_ws.read(t) if t in tiny_ws.tables() else None for arg, t in overview.INPUTS.items()}
    table = overview.kpis("2026-10", tiny_ws.sales("all", "2026-10", 12), **frames, thresholds=TH)
    assert list(table.index) == ["revenue", "margin_pct", "hygiene"]
    assert table.at["revenue", "value"] == 390 and table.at["revenue", "previous"] == 290
    assert table.at["hygiene", "value"] == 100  # two clean accounts
    assert overview.missing_sentence(table) == (
        "Not available from this data: Quota attainment, Reps' call vs actual, Forecast ÷ quota, next month, "
        "Pipeline coverage, next month, Win rate, last 3 months, eNPS.")


def test_a_margin_the_data_cannot_measure_says_why(tiny_ws):
    sales = tiny_ws.sales("all", "2026-10", 12)
    for cost in ("unit_cost", "margin"):
        if cost in sales:
            sales[cost] = float("nan")
    table = overview.kpis("2026-10", sales, thresholds=TH)
    assert pd.isna(table.at["margin_pct", "value"]) and table.at["margin_pct", "note"] == "no unit cost in the data"


def test_no_coverage_tile_from_an_export_without_quotas(demo_dir, tmp_path):
    import shutil

    from salesnb.data.workspace import Workspace, load_folder
    from salesnb.report import facts
    from salesnb.report.opening import ReportData, make_scope

    for f in demo_dir.glob("*.csv"):
        if f.name != "quotas.csv":
            shutil.copy(f, tmp_path / f.name)
    shutil.copy(demo_dir / "dataset.yaml", tmp_path / "dataset.yaml")
    load_folder(tmp_path, tmp_path / "workspace.duckdb")
    ws = Workspace(tmp_path / "workspace.duckdb")
    data = ReportData(ws, make_scope(ws, "north", "2026-10"))
    table = facts.kpis(data, 5, TH, facts.forecast_settings({}))
    ws.close()
    assert "pipeline_coverage" not in table.index and "attainment" not in table.index  # n/a is no tile
    assert "Pipeline coverage, next month" in overview.missing_sentence(table)


def test_a_tile_says_what_it_is_compared_with_and_links_to_its_report(tiny_ws, monkeypatch):
    from salesnb.report import display, facts

    frames = {arg: tiny_ws.read(t) if t in tiny_ws.tables() else None for arg, t in overview.INPUTS.items()}
    opps = pd.DataFrame({"opportunity_id": ["o1", "o2"], "stage": ["won", "lost"],
                         "close_date": pd.to_datetime(["2026-09-10", "2026-10-05"])})
    table = overview.kpis("2026-10", tiny_ws.sales("all", "2026-10", 12),
                          **{**frames, "opportunities": opps, "accounts": None, "contacts": None},
                          thresholds=TH, forecast_vs_quota=0.9)
    assert table.at["win_rate", "against"] == "the 3 months to September"
    assert table.at["revenue", "against"] == "last month"
    assert table.at["forecast_vs_quota", "value"] == 0.9 and table.at["forecast_vs_quota", "unit"] == "percent"
    links = facts.tile_links([["03_forecast", "Forecasts"], ["02_reporting", "Sales reporting"]])
    assert links == {"revenue": "02_reporting.html", "margin_pct": "02_reporting.html",
                     "forecast_gap": "03_forecast.html", "forecast_vs_quota": "03_forecast.html"}
    shown = []
    monkeypatch.setattr(display, "display", lambda obj: shown.append(obj.data))
    monkeypatch.setattr(display, "record", lambda *a: None)
    display.tiles(table, links)
    html = shown[0]
    assert '<a href="02_reporting.html"' in html and "+34.5% vs last month" in html  # 390 against 290
    assert "pts vs the 3 months to September" in html


def test_thresholds_are_printed_in_words():
    t = summary.thresholds_table({"attainment": {"good": 1.0, "warn": 0.9},
                                   "forecast_gap": {"good": 0.05, "warn": 0.1},
                                   "pipeline_coverage": {"good": 3.0, "warn": 2.0}})
    assert t.loc["Quota attainment"].tolist() == ["100.0% or more", "90.0% to 100.0%", "under 90.0%"]
    assert t.loc["Reps' call vs actual"].tolist() == ["within ±5.0%", "within ±10.0%", "beyond ±10.0%"]
    assert t.loc["Pipeline coverage, next month", "red"] == "under 2.00×" and len(t) == 3
    assert summary.thresholds_table({"attainment": {"good": 1.0, "warn": 0.9}}, shown=["revenue"]).empty


def test_the_win_rate_change_is_the_month_that_came_in_against_the_month_that_went_out():
    from salesnb.domains import overview

    def deals(month: str, won: int, n: int = 10) -> pd.DataFrame:
        return pd.DataFrame({"stage": ["won"] * won + ["lost"] * (n - won),
                             "close_date": pd.Timestamp(f"{month}-15")})

    opps = pd.concat([deals("2026-07", 8), deals("2026-08", 5), deals("2026-09", 5), deals("2026-10", 2)])
    assert overview.win_rate_sentence(opps, "2026-10", "Team north") == (
        "Team north: 40.0% of the 30 deals closed in the 3 months to October were won, against 60.0% of 30 in the 3 "
        "months to September. The windows share two months: the change is October (20% won of 10) replacing July "
        "(80% of 10), beyond what chance gives on these numbers.")
    close = pd.concat([deals("2026-07", 6), deals("2026-08", 5), deals("2026-09", 5), deals("2026-10", 4)])
    assert overview.win_rate_sentence(close, "2026-10", "team north").endswith(
        "within what chance gives on these numbers.")
    assert overview.win_rate_sentence(opps.iloc[:0], "2026-10", "team north") == ""
    assert overview.win_rate_moved(opps, "2026-10") and not overview.win_rate_moved(close, "2026-10")
    assert not overview.win_rate_moved(None, "2026-10") and not overview.win_rate_moved(opps.iloc[:0], "2026-10")
