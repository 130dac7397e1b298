"""Text cells that a spreadsheet cannot run: the OWASP defence against CSV (formula) injection."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def inert(value: object) -> object:
    """A text that starts like a formula gets a leading apostrophe, so a spreadsheet shows it as text (a plain
    signed number such as '-0.5' is left as it is: it cannot run)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def write_csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8") -> None:
    """A CSV a spreadsheet opens safely: inert text cells, RFC 4180 line ends (a CR inside a text is quoted,
    not a new row)."""
    inert_frame(df).to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")


def inert_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell made inert; numbers untouched."""
    out = df.copy()
    for col in out.columns[[not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_datetime64_any_dtype(t))
                            for t in out.dtypes]]:
        out[col] = out[col].map(inert)
    out.columns = [inert(c) for c in out.columns]
    return out
