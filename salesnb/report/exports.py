"""Files people open in Excel: CSV that Excel reads right, workbooks with named sheets, labels and formats."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from salesnb.core import cells, money

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def money_format(currency: money.Currency) -> str:
    """Excel's number format for amounts in `currency`: the symbol where the locale puts it, two decimals."""
    if not currency.symbol:
        return MONEY_FORMAT
    symbol = f'"{currency.symbol}{currency.gap}"' if currency.before else f'"{currency.gap}{currency.symbol}"'
    return f"{symbol}{MONEY_FORMAT}" if currency.before else f"{MONEY_FORMAT}{symbol}"


def _whole(values: pd.Series) -> bool:
    """True for a float column holding whole numbers only (units, scores): shown without decimals."""
    v = values.dropna()
    return pd.api.types.is_float_dtype(values) and len(v) > 0 and bool((v == v.round()).all())


def rounded(df: pd.DataFrame, percent_cols: Iterable[str] = ()) -> pd.DataFrame:
    """Amounts and other decimals to cents, whole numbers without decimals, shares to a hundredth of a percent: no
    1984.2359999999999."""
    out = df.copy()
    shares = set(percent_cols)
    for col in out.columns[[pd.api.types.is_float_dtype(t) for t in out.dtypes]]:
        out[col] = out[col].round(4 if col in shares else 2)
        if _whole(out[col]) and col not in shares:
            out[col] = out[col].astype("Int64")
    return out


def write_csv(df: pd.DataFrame, path: Path, percent_cols: Iterable[str] = ()) -> None:
    """UTF-8 with a byte-order mark, so Excel shows accents; rounded numbers; no text read as a formula."""
    cells.write_csv(rounded(df, percent_cols), path, encoding="utf-8-sig")


def sheet_title(name: str) -> str:
    """A title Excel accepts: none of : \\ / ? * [ ], no apostrophe at either end, at most 31 characters."""
    title = re.sub(r"\s+", " ", re.sub(r"[:\\/?*\[\]]", " ", name)).strip("' ")[:31].strip("' ")
    return title or "Sheet"


def write_xlsx(df: pd.DataFrame, path: Path, sheet: str, labels: dict[str, str],
               money_cols: Iterable[str] = (), percent_cols: Iterable[str] = (),
               about: dict[str, str] | None = None, more: dict[str, pd.DataFrame] | None = None) -> None:
    """A workbook: a named sheet (and the `more` sheets after it, formatted alike), bold readable headers, number
    formats (amounts in the report's currency), a frozen header row and a filter; text cells stay text (openpyxl
    would store '=…' as a formula); then an About sheet saying where the figures come from."""
    from openpyxl.styles import Font

    amounts, shares = set(money_cols), set(percent_cols)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in {sheet: df, **(more or {})}.items():
            title = sheet_title(name)
            rounded(frame, shares).rename(columns=labels).to_excel(writer, sheet_name=title, index=False)
            _format(writer.sheets[title], frame, labels, amounts, shares)
        if about:
            info = writer.book.create_sheet("About")
            for key, value in about.items():
                info.append([key, value])
                info.cell(info.max_row, 1).font = Font(bold=True)
            info.column_dimensions["A"].width = max(len(k) for k in about) + 2
            info.column_dimensions["B"].width = min(80, max(len(str(v)) for v in about.values()) + 2)


def _format(ws, df: pd.DataFrame, labels: dict[str, str], amounts: set[str], shares: set[str]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "A2"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.auto_filter.ref = ws.dimensions
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    for i, col in enumerate(df.columns, start=1):
        letter = get_column_letter(i)
        kind = df[col].dtype
        fmt = (money_format(money.current()) if col in amounts else PERCENT_FORMAT if col in shares
               else COUNT_FORMAT if pd.api.types.is_integer_dtype(kind) or _whole(df[col])
               else DECIMAL_FORMAT if pd.api.types.is_float_dtype(kind)
               else DATE_FORMAT if pd.api.types.is_datetime64_any_dtype(kind) else None)
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        width = max([len(str(labels.get(col, col)))] + [len(str(v)) for v in df[col].head(200)])
        ws.column_dimensions[letter].width = min(60, width + 2)
