"""The quota workbook a manager approves, filed back as the quotas of its month, end to end on the demo run."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from salesnb.core.errors import InputError
from salesnb.data.approval import read_workbook
from salesnb.data.workspace import Workspace, load_folder
from salesnb.run.cli import main

pytestmark = pytest.mark.notebook


def _edited(demo_run, tmp_path, approved: dict[str, object], comments: dict[str, str] | None = None):
    """The north workbook of the demo run with some approved quotas and comments typed in, as in Excel."""
    _, out = demo_run
    book = tmp_path / "quota_proposal_2026-11_north.xlsx"
    shutil.copy(out / "2026-10" / "north" / book.name, book)
    wb = load_workbook(book)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    rep, col, note = (header.index(name) + 1 for name in ("rep id", "approved quota", "comment"))
    for row in range(2, ws.max_row + 1):
        if ws.cell(row, rep).value in approved:
            ws.cell(row, col).value = approved[ws.cell(row, rep).value]
        ws.cell(row, note).value = (comments or {}).get(ws.cell(row, rep).value)
    wb.save(book)
    return book


def test_an_approved_workbook_becomes_the_quotas_on_file(demo_run, demo_dir, tmp_path):
    book = _edited(demo_run, tmp_path, {"R001": 400000, "R002": 350000.5}, {"R001": "ok with the manager"})
    proposed = pd.read_csv(demo_run[1] / "2026-10" / "north" / "quota_proposal_2026-11_north.csv")
    assert (proposed["proposed_quota"] % 1 == 0).all()  # whole units, as the workbook says
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("*.duckdb", "*.cache"))
    (data / "quotas.csv").chmod(0o644)
    assert main(["quotas", "approve", str(book), "--data", str(data)]) == 0
    assert (data / "quotas.csv").stat().st_mode & 0o777 == 0o644  # replaced whole, as readable as before
    filed = pd.read_csv(data / "quotas.csv")
    november = filed[filed["month"] == "2026-11-01"].set_index("rep_id")["quota"]
    expected = proposed.set_index("rep_id")["proposed_quota"].astype(float)
    expected[["R001", "R002"]] = [400000.0, 350000.5]
    assert november.reindex(expected.index).to_dict() == expected.to_dict()  # north's reps; the edits win
    before = pd.read_csv(demo_dir / "quotas.csv")
    assert len(filed) == len(before)  # north's November rows replaced, every other rep and month untouched
    others = before[~((before["month"] == "2026-11-01") & before["rep_id"].isin(expected.index))]
    assert filed.merge(others, on=["rep_id", "month"])["quota_x"].tolist() == others["quota"].tolist()
    log = pd.read_csv(data / "approvals" / "quotas.csv")
    assert len(log) == 10 and log.set_index("rep_id").loc["R001", "comment"] == "ok with the manager"
    assert log["filed_by"].notna().all() and log["workbook"].eq(book.name).all()
    assert (data / "approvals" / "quotas.csv").stat().st_mode & 0o777 == 0o644  # as readable as the quotas
    load_folder(data, data / "workspace.duckdb")  # what the next run loads
    ws = Workspace(data / "workspace.duckdb")
    loaded = ws.table("quotas").execute()
    ws.close()
    mine = loaded[pd.to_datetime(loaded["month"]) == pd.Timestamp("2026-11-01")].set_index("rep_id")["quota"]
    assert mine.reindex(expected.index).to_dict() == expected.to_dict()


def test_a_bad_approved_quota_is_refused_with_its_row(demo_run, tmp_path):
    for folder in ("bad", "ok"):
        (tmp_path / folder).mkdir()
    bad = _edited(demo_run, tmp_path / "bad", {"R003": "lots", "R004": -5})
    with pytest.raises(InputError, match=r"column 'approved quota': rows \d+, \d+ do not hold an amount"):
        read_workbook(bad)
    month, table = read_workbook(_edited(demo_run, tmp_path / "ok", {}))
    assert month == pd.Timestamp("2026-11-01") and not table["approved"].any() and len(table) == 10


def test_a_csv_or_a_missing_params_folder_gets_a_message(demo_run, tmp_path, capsys):
    _, out = demo_run
    csv = out / "2026-10" / "north" / "quota_proposal_2026-11_north.csv"
    with pytest.raises(InputError, match="file the .xlsx the quotas report wrote, not its CSV"):
        read_workbook(csv)
    with pytest.raises(InputError, match="not found"):
        read_workbook(tmp_path / "quota_proposal_2026-11_nowhere.xlsx")
    assert main(["quotas", "approve", str(csv), "--params", str(tmp_path / "nowhere")]) == 2
    assert "give the data folder with --data DIR" in capsys.readouterr().err
