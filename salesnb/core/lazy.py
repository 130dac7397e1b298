"""Lazy tables: computations written once as Ibis expressions, run in whichever engine holds the data."""

from __future__ import annotations

import ibis
import pandas as pd


def lazy(table: pd.DataFrame | ibis.Table) -> ibis.Table:
    """A lazy table; a frame becomes one in an in-memory engine."""
    return ibis.memtable(table) if isinstance(table, pd.DataFrame) else table


def run(table: ibis.Table) -> pd.DataFrame:
    """A lazy table run in its engine, with dates as pandas timestamps."""
    df = table.to_pandas()
    for col, kind in table.schema().items():
        if kind.is_date() or kind.is_timestamp():
            df[col] = pd.to_datetime(df[col]).astype("datetime64[us]")
    return df


def value(scalar: ibis.Scalar) -> object:
    """A lazy scalar run in its engine."""
    return scalar.execute()


def filled(table: pd.DataFrame | ibis.Table | None, column: str) -> bool:
    """True when the table has the column and it holds at least one value."""
    if table is None or column not in table.columns:
        return False
    if isinstance(table, pd.DataFrame):
        return bool(table[column].notna().any())
    return bool(value(table[column].notnull().any()))
