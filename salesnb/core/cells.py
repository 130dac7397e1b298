"""Text cells that a spreadsheet cannot run: the OWASP defence against CSV (formula) injection."""

from __future__ import annotations

import pandas as pd

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: object) -> object:
    """A text that starts like a formula gets a leading apostrophe, so a spreadsheet shows it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def inert_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell made inert; numbers untouched."""
    out = df.copy()
    for col in out.columns[[not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_datetime64_any_dtype(t))
                            for t in out.dtypes]]:
        out[col] = out[col].map(inert)
    out.columns = [inert(c) for c in out.columns]
    return out
