"""Approved quotas: the quota workbook a manager filled in, read back as the quotas of its month."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from salesnb.core.errors import InputError

MONTH_KEY = "Quotas for"  # the About sheet line that names the month the workbook proposes quotas for
COLUMNS = {"rep id": "rep_id", "proposed quota": "proposed", "approved quota": "approved"}


def _header(value: object) -> str:
    return " ".join(str(value or "").replace("_", " ").lower().split())


def read_workbook(path: Path) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The month a quota workbook is for and, per rep, the quota to file: the approved quota where the manager
    wrote one, else the proposed quota."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{path}: cannot be read as an Excel workbook ({exc}).") from None
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)} if "About" in book else {}
    if MONTH_KEY not in about:
        raise InputError(f"{path}: the About sheet has no '{MONTH_KEY}' line: this is not a quota workbook written "
                         "by the quotas report.")
    month = pd.Timestamp(f"{about[MONTH_KEY]}-01")
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = [_header(h) for h in rows[0]] if rows else []
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise InputError(f"{path}, sheet '{sheet.title}': column(s) {', '.join(repr(m) for m in missing)} missing.")
    table = pd.DataFrame([[r[header.index(name)] for name in COLUMNS] for r in rows[1:]],
                         columns=list(COLUMNS.values()))
    table = table[table["rep_id"].notna()]
    approved = pd.to_numeric(table["approved"], errors="coerce")
    bad = table.index[(table["approved"].notna() & approved.isna()) | (approved < 0)]
    if len(bad):
        raise InputError(f"{path}, sheet '{sheet.title}', column 'approved quota': rows "
                         f"{', '.join(str(i + 2) for i in bad)} do not hold an amount of 0 or more "
                         f"(e.g. {table.at[bad[0], 'approved']!r}); leave a cell empty to keep the proposal.")
    table["quota"] = approved.fillna(pd.to_numeric(table["proposed"], errors="coerce"))
    table["approved"] = approved.notna()
    return month, table[["rep_id", "quota", "approved"]].assign(rep_id=lambda t: t["rep_id"].astype(str))


def file_quotas(path: Path, folder: Path) -> tuple[pd.Timestamp, pd.DataFrame]:
    """Write a quota workbook's quotas into the data folder's quotas.csv as the quotas of its month (replacing
    any of that month), after checking every rep is in reps.csv; the file is replaced whole or not at all."""
    month, table = read_workbook(path)
    quotas_csv, reps_csv = folder / "quotas.csv", folder / "reps.csv"
    for needed in (quotas_csv, reps_csv):
        if not needed.exists():
            raise InputError(f"{needed}: not found; approved quotas are filed into a data folder's quotas.csv.")
    known = set(pd.read_csv(reps_csv, dtype=str)["rep_id"])
    unknown = sorted(set(table["rep_id"]) - known)
    if unknown:
        raise InputError(f"{path}: rep id(s) {', '.join(unknown)} are not in {reps_csv}.")
    current = pd.read_csv(quotas_csv, dtype=str)
    keep = current[pd.to_datetime(current["month"]) != month]
    new = pd.DataFrame({"rep_id": table["rep_id"], "month": month.strftime("%Y-%m-%d"),
                        "quota": table["quota"].map(lambda q: f"{q:.2f}")})
    out = pd.concat([keep, new], ignore_index=True).sort_values(["month", "rep_id"], kind="stable")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".quotas-", suffix=".csv")
    os.close(fd)
    try:
        out.to_csv(tmp, index=False)
        os.replace(tmp, quotas_csv)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return month, table
