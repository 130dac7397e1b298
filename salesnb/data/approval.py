"""Approved quotas: the quota workbook a manager filled in, read back as the quotas of its month."""

from __future__ import annotations

import getpass
import os
import shutil
import tempfile
from pathlib import Path
from zipfile import BadZipFile

import pandas as pd

from salesnb.core.errors import InputError

MONTH_KEY = "Quotas for"  # the About sheet line that names the month the workbook proposes quotas for
COLUMNS = {"rep id": "rep_id", "proposed quota": "proposed", "approved quota": "approved", "comment": "comment"}
LOG = Path("approvals") / "quotas.csv"  # in the data folder: what was filed, when, approved or as proposed, comments


def _header(value: object) -> str:
    return " ".join(str(value or "").replace("_", " ").lower().split())


def read_workbook(path: Path) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The month a quota workbook is for and, per rep, the quota to file: the approved quota where the manager
    wrote one, else the proposed quota."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not Path(path).is_file():
        raise InputError(f"{path}: not found (the workbook sits beside the quotas report's page, in its outputs "
                         "folder).")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, InvalidFileException, BadZipFile) as exc:
        raise InputError(f"{path}: cannot be read as an Excel workbook ({exc}); file the .xlsx the quotas report "
                         "wrote, not its CSV.") from None
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
    table["comment"] = table["comment"].fillna("").astype(str)
    return month, table[["rep_id", "quota", "approved", "comment"]].assign(rep_id=lambda t: t["rep_id"].astype(str))


def file_quotas(path: Path, folder: Path) -> tuple[pd.Timestamp, pd.DataFrame]:
    """Write a quota workbook's quotas into the data folder's quotas.csv as its reps' quotas of its month (other
    reps and months untouched), after checking every rep is in reps.csv, and log them with the comments in
    approvals/quotas.csv; returns the month and, per rep, the quota filed and the one it replaced."""
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
    replaced = (pd.to_datetime(current["month"]) == month) & current["rep_id"].isin(table["rep_id"])
    before = current[replaced].set_index("rep_id")["quota"].astype(float)
    new = pd.DataFrame({"rep_id": table["rep_id"], "month": month.strftime("%Y-%m-%d"),
                        "quota": table["quota"].map(lambda q: f"{q:.2f}")})
    out = pd.concat([current[~replaced], new], ignore_index=True).sort_values(["month", "rep_id"], kind="stable")
    _replace(quotas_csv, out)
    log = folder / LOG
    log.parent.mkdir(exist_ok=True)
    entry = table.assign(month=month.strftime("%Y-%m"), workbook=path.name, filed_by=getpass.getuser(),
                         filed_at=pd.Timestamp.now().strftime("%Y-%m-%d %H:%M"))
    _replace(log, pd.concat([pd.read_csv(log, dtype=str), entry], ignore_index=True) if log.exists() else entry,
             like=quotas_csv)
    return month, table.assign(replaced=table["rep_id"].map(before))


def _replace(path: Path, table: pd.DataFrame, like: Path | None = None) -> None:
    """Write a CSV whole or not at all, as readable as it was (a new file: as `like`)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".csv")
    os.close(fd)
    try:
        table.to_csv(tmp, index=False)
        if path.exists() or like is not None:
            shutil.copymode(path if path.exists() else like, tmp)  # the file keeps who may read it
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
