"""Lazy tables: computations written once as Ibis expressions, run in whichever engine holds the data."""

from __future__ import annotations

import ibis
import pandas as pd
from ibis import _

Lines = pd.DataFrame | ibis.Table  # order lines, as a frame or lazy (see `Workspace.lines`)


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
    return bool(value(table.filter(table[column].notnull()).limit(1).count()))


def grouped(table: pd.DataFrame | ibis.Table, by: str | list[str], **metrics: ibis.Deferred) -> pd.DataFrame:
    """Metrics (`ibis._` expressions) per value of `by` (rows without one left out), sorted by it."""
    t = lazy(table)
    keys = [by] if isinstance(by, str) else by
    out = run(t.filter(*[t[k].notnull() for k in keys]).group_by(keys).aggregate(**metrics))
    return out.set_index(by).sort_index()


def total(table: pd.DataFrame | ibis.Table, by: str | list[str], column: str = "revenue") -> pd.Series:
    """The sum of `column` per value of `by` (rows without one left out), sorted by it."""
    return grouped(table, by, **{column: _[column].sum()})[column].astype(float)


def month_revenue(sales: Lines) -> pd.Series:
    """Revenue per month (first day of the month), sorted."""
    t = lazy(sales)
    return total(t.mutate(month=t.month.cast("date")), "month")
