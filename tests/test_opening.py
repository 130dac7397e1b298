import pandas as pd

from salesnb.core.lazy import run
from salesnb.report.opening import ReportData, make_scope


def test_report_data_reads_the_scope_rows_once_and_says_none_for_absent_tables(tiny_ws):
    data = ReportData(tiny_ws, make_scope(tiny_ws, "a", "2026-10"))
    assert data.has("reps", "order_lines") and not data.has("reps", "visits")
    assert data.optional("visits") is None
    reps = data.read("reps")
    assert list(reps["rep_id"]) == ["R1"] and data.read("reps") is reps
    assert data.optionals({"people": "reps", "trips": "visits"})["trips"] is None
    # team a: L1 (2025-10, 200), L2 (2026-09, 90) and L4 (2026-10, 240)
    assert run(data.lines(months_back=1))["revenue"].sum() == 90 + 240
    assert run(data.lines(months_back=12))["revenue"].sum() == 200 + 90 + 240


def test_no_hygiene_score_when_the_export_has_no_account_owners(tmp_path):
    from conftest import write_tiny

    from salesnb.data.workspace import Workspace, load_folder
    from salesnb.report import facts

    folder = write_tiny(tmp_path / "data")
    accounts = folder / "accounts.csv"
    accounts.write_text(accounts.read_text().replace(",R1,", ",,").replace(",R2,", ",,"))
    load_folder(folder, folder / "workspace.duckdb")
    ws = Workspace(folder / "workspace.duckdb")
    data = ReportData(ws, make_scope(ws, "all", "2026-10"))
    table = facts.kpis(data, 5, {}, facts.forecast_settings({}))
    assert "hygiene" not in table.index and table.at["revenue", "value"] == 390
    ws.close()


def test_potentials_below_the_sales_of_the_last_12_months_are_found_in_the_workspace(tmp_path, tiny_ws):
    from conftest import write_tiny

    from salesnb.data.workspace import Workspace, load_folder
    from salesnb.report import facts

    below, n = facts.potentials_below_sales(ReportData(tiny_ws, make_scope(tiny_ws, "all", "2026-10")))
    assert below.empty and n == 0  # no potential in the export: nothing to say
    folder = write_tiny(tmp_path / "with_potential")
    accounts = pd.read_csv(folder / "accounts.csv").assign(potential=[100.0, 1000.0])
    accounts.to_csv(folder / "accounts.csv", index=False)
    load_folder(folder, folder / "workspace.duckdb")
    ws = Workspace(folder / "workspace.duckdb")
    below, n = facts.potentials_below_sales(ReportData(ws, make_scope(ws, "all", "2026-10")))
    # A1 bought 90 (September) + 240 (October) = 330 in the 12 months to October 2026 (not 2025-10's 200): over 100
    assert n == 2 and below["account_id"].tolist() == ["A1"] and below["revenue_12_months"].tolist() == [330.0]
    ws.close()


def test_a_fact_is_made_once_per_report_whichever_scope_asks(tiny_ws):
    data = ReportData(tiny_ws, make_scope(tiny_ws, "a", "2026-10"))
    calls = []

    def make() -> int:
        calls.append(1)
        return 42

    assert data.once(("answer",), make) == 42 and data.org.once(("answer",), make) == 42
    assert data.team("b").once(("answer",), make) == 42 and len(calls) == 1
    assert ReportData(tiny_ws, data.scope).once(("answer",), make) == 42 and len(calls) == 2  # another report
