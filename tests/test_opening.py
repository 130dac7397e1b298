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
