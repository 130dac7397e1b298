import duckdb
import pandas as pd
import pytest

from salesnb.core.errors import EmptyPeriodError, InputError
from salesnb.data.workspace import Workspace, ensure_loaded, load_folder


def _edit(folder, table, fn):
    path = folder / f"{table}.csv"
    fn(pd.read_csv(path, dtype=str)).to_csv(path, index=False)


def _load_error(folder) -> str:
    with pytest.raises(InputError) as exc:
        load_folder(folder, folder / "workspace.duckdb")
    return str(exc.value)


def test_loads_every_table_with_contract_types(tiny_dir):
    counts = load_folder(tiny_dir, tiny_dir / "workspace.duckdb")
    assert counts == {"reps": 2, "accounts": 2, "products": 2, "order_lines": 6}
    ws = Workspace(tiny_dir / "workspace.duckdb")
    types = dict(ws.db.con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_name = 'order_lines'").fetchall())
    assert types["order_date"] == "DATE" and types["discount"] == "DOUBLE"
    assert "unit_cost" in types  # optional columns exist, empty
    assert ws.teams() == ["a", "b"]
    assert (ws.first_month(), ws.last_month()) == ("2025-10", "2026-10")


def test_discount_out_of_range_names_file_column_and_spreadsheet_rows(tiny_dir):
    def bad(df):
        df.loc[[1, 4], "discount"] = "1.5"
        return df
    _edit(tiny_dir, "order_lines", bad)
    msg = _load_error(tiny_dir)
    assert "order_lines.csv: column 'discount' has 2 values outside 0..1 (rows 3, 6)" in msg


def test_text_in_amount_column(tiny_dir):
    _edit(tiny_dir, "order_lines",
          lambda df: df.assign(list_price=df["list_price"].where(df.index != 2, "cent")))
    msg = _load_error(tiny_dir)
    assert "order_lines.csv: column 'list_price' has 1 value that cannot be read as a number " \
           "(row 4): e.g. 'cent'" in msg


def test_missing_column_lists_columns_found(tiny_dir):
    _edit(tiny_dir, "order_lines", lambda df: df.drop(columns="discount"))
    msg = _load_error(tiny_dir)
    assert "order_lines.csv: required column 'discount' is missing (columns found: line_id" in msg


def test_negative_price_and_unknown_product_both_reported(tiny_dir):
    def bad(df):
        df.loc[0, "list_price"] = "-1"
        df.loc[1, "quantity"] = "-2"  # a credit line (a return) is valid
        df.loc[5, "product_id"] = "P9"
        return df
    _edit(tiny_dir, "order_lines", bad)
    msg = _load_error(tiny_dir)
    assert "column 'list_price' has 1 value negative (row 2)" in msg
    assert "quantity" not in msg
    assert "column 'product_id' has 1 value not found in products (row 7): e.g. 'P9'" in msg


def test_duplicate_ids_and_unknown_allowed_value(tiny_dir):
    _edit(tiny_dir, "accounts", lambda df: df.assign(status=["customer", "lead"]))
    _edit(tiny_dir, "reps", lambda df: df.assign(rep_id=["R1", "R1"]))
    msg = _load_error(tiny_dir)
    assert "reps.csv: column 'rep_id' has 2 values that appear more than once (rows 2, 3)" in msg
    assert "accounts.csv: column 'status' has 1 value not among the allowed values " \
           "(customer, prospect) (row 3): e.g. 'lead'" in msg


def test_bad_dates_and_empty_required_values(tiny_dir):
    def bad(df):
        df.loc[0, "order_date"] = "2026-13-01"
        df.loc[1, "order_id"] = None
        return df
    _edit(tiny_dir, "order_lines", bad)
    msg = _load_error(tiny_dir)
    assert "column 'order_date' has 1 value that cannot be read as a date (YYYY-MM-DD) (row 2)" in msg
    assert "column 'order_id' has 1 value empty (row 3)" in msg


def test_failed_load_keeps_the_previous_workspace_intact(tiny_dir):
    ws_path = tiny_dir / "workspace.duckdb"
    load_folder(tiny_dir, ws_path)
    with duckdb.connect(str(ws_path), read_only=True) as con:
        before = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                  for t in ("reps", "order_lines")}
    _edit(tiny_dir, "reps", lambda df: df.assign(name=["Changed", "Changed too"]))
    _edit(tiny_dir, "order_lines", lambda df: df.assign(discount="2"))
    with pytest.raises(InputError):
        load_folder(tiny_dir, ws_path)
    with duckdb.connect(str(ws_path), read_only=True) as con:
        after = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in before}
    assert after == before


def test_failed_first_load_leaves_no_workspace(tiny_dir):
    _edit(tiny_dir, "order_lines", lambda df: df.assign(discount="-0.1"))
    with pytest.raises(InputError):
        load_folder(tiny_dir, tiny_dir / "workspace.duckdb")
    assert not (tiny_dir / "workspace.duckdb").exists()


def test_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_folder(tmp_path / "nope", tmp_path / "w.duckdb")
    with pytest.raises(InputError, match="holds no input table"):
        load_folder(tmp_path, tmp_path / "w.duckdb")


def test_parquet_and_excel_inputs_load_like_csv(tiny_dir, tmp_path):
    other = tmp_path / "mixed"
    other.mkdir()
    for name in ("reps", "products"):
        pd.read_csv(tiny_dir / f"{name}.csv").to_parquet(other / f"{name}.parquet")
    pd.read_csv(tiny_dir / "order_lines.csv").to_excel(other / "order_lines.xlsx", index=False)
    counts = load_folder(other, other / "w.duckdb")
    assert counts == {"reps": 2, "products": 2, "order_lines": 6}


def test_chunked_reading_numbers_rows_across_chunks(tiny_dir, monkeypatch):
    from salesnb.data import workspace
    real = workspace.read_chunks
    monkeypatch.setattr(workspace, "read_chunks", lambda p: real(p, 4))
    _edit(tiny_dir, "order_lines",
          lambda df: df.assign(discount=df["discount"].where(df.index != 5, "3")))
    assert "column 'discount' has 1 value outside 0..1 (row 7)" in _load_error(tiny_dir)


def test_ensure_loaded_skips_unchanged_folder(tiny_dir):
    ws = tiny_dir / "workspace.duckdb"
    assert ensure_loaded(tiny_dir, ws) is True
    assert ensure_loaded(tiny_dir, ws) is False
    _edit(tiny_dir, "reps", lambda df: df.assign(name=["X", "Y"]))
    assert ensure_loaded(tiny_dir, ws) is True


def test_read_filters_by_team(tiny_ws):
    assert set(tiny_ws.read("order_lines", "b")["line_id"]) == {"L3", "L5", "L6"}
    assert set(tiny_ws.read("accounts", "a")["account_id"]) == {"A1"}
    assert len(tiny_ws.read("order_lines")) == 6


def test_empty_period_is_a_clear_error(tiny_ws):
    with pytest.raises(EmptyPeriodError, match="No order line for team 'a' in 2026-08"):
        tiny_ws.sales_for("a", "2026-08")


def test_domain_requirements(tiny_ws):
    tiny_ws.require("reporting")
    with pytest.raises(InputError, match="needs table\\(s\\) survey_answers"):
        tiny_ws.require("team_pulse")
    assert "contacts" in tiny_ws.missing("data_quality")["optional"]


def test_non_finite_amounts_and_dates_beyond_the_horizon_are_refused(tiny_dir):
    def bad(df):
        df.loc[0, "list_price"] = "inf"
        df.loc[1, "unit_cost"] = "-Infinity"
        df.loc[2, "order_date"] = "2099-01-05"
        df.loc[3, "order_date"] = "1969-12-31"
        return df
    _edit(tiny_dir, "order_lines", bad)
    msg = _load_error(tiny_dir)
    assert "order_lines.csv: column 'list_price' has 1 value that is not a finite number (row 2): e.g. 'inf'" in msg
    assert "column 'unit_cost' has 1 value that is not a finite number (row 3): e.g. '-inf'" in msg
    limit = pd.Timestamp.today().normalize() + pd.DateOffset(years=1)
    assert (f"column 'order_date' has 2 values outside 1970-01-01 .. {limit:%Y-%m-%d} (at most 1 year after today) "
            "(rows 4, 5): e.g. '2099-01-05', '1969-12-31'") in msg


@pytest.mark.parametrize("team", ["../evil", "a/b", "a\\b", ".hidden", "all", "tab\there", "x" * 101])
def test_team_names_that_cannot_name_a_report_folder_are_refused(tiny_dir, team):
    _edit(tiny_dir, "reps", lambda df: df.assign(team=df["team"].where(df.index != 1, team)))
    msg = _load_error(tiny_dir)
    assert "reps.csv: column 'team' has 1 value that cannot name a report folder" in msg and "(row 3)" in msg
