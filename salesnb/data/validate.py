"""Read input files in chunks and validate them against the contract, with messages for people."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from salesnb.core.errors import InputError
from salesnb.core.scope import TEAM_NAME_RULE
from salesnb.data.schema import (
    EVENT_YEARS, FIRST_DATE, KINDS, PLAN_YEARS, TABLES, date_limit, is_event_date, pandera_schema)

SUFFIXES = (".csv", ".parquet", ".xlsx")
CHUNK_ROWS = 1_000_000
MAX_ROWS_SHOWN = 5
FIRST_DATA_ROW = 2  # rows are numbered as a spreadsheet shows them: the header is row 1


def find_inputs(folder: Path) -> dict[str, Path]:
    """Map each contract table found in a folder to its file (CSV, Parquet or Excel)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"Data folder '{folder}' does not exist or is not a folder.")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUFFIXES or path.stem not in TABLES:
            continue
        if path.stem in found:
            raise InputError(
                f"{folder}: two files hold table '{path.stem}' ({found[path.stem].name} and "
                f"{path.name}); keep one."
            )
        found[path.stem] = path
    if not found:
        names = ", ".join(f"{t}.csv" for t in TABLES)
        raise InputError(f"Data folder '{folder}' holds no input table; expected files like {names}.")
    return found


def read_chunks(path: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Yield a file's rows in chunks, indexed by their spreadsheet row number."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            chunks = pd.read_csv(path, dtype=str, chunksize=chunk_rows, skipinitialspace=True)
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            chunks = (b.to_pandas() for b in pq.ParquetFile(path).iter_batches(chunk_rows))
        else:
            chunks = iter([pd.read_excel(path, dtype=object)])
        start = FIRST_DATA_ROW
        for chunk in chunks:
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, pd.errors.EmptyDataError):
            raise InputError(f"{path.name}: the file is empty (no header row).") from exc
        raise InputError(f"{path.name}: cannot be read as {suffix[1:]}: {exc}") from exc


def _rows(index: pd.Series) -> str:
    rows = sorted({int(i) for i in index.dropna()})
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_SHOWN])
    more = f" and {len(rows) - MAX_ROWS_SHOWN} more" if len(rows) > MAX_ROWS_SHOWN else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def _examples(values: pd.Series) -> str:
    uniq = list(dict.fromkeys(f"{v:%Y-%m-%d}" if isinstance(v, pd.Timestamp) and v == v.normalize() else str(v)
                              for v in values))[:3]
    return ", ".join(repr(v) for v in uniq)


def _describe(table: str, column: str, check: str, cases: pd.DataFrame, found: list[str]) -> str:
    n = len(cases)
    field = TABLES[table].field(column) if column in TABLES[table].columns else None
    what = f"column '{column}' has {n} value{'s' if n > 1 else ''}"
    where = f"({_rows(cases['index'])})"
    eg = _examples(cases["failure_case"])
    if check == "column_in_dataframe":
        missing = ", ".join(f"'{c}'" for c in cases["failure_case"])
        return f"required column {missing} is missing (columns found: {', '.join(found)})"
    if check.startswith("coerce_dtype"):
        kind = KINDS[field.kind][2] if field else "the expected type"
        return f"{what} that cannot be read as a {kind} {where}: e.g. {eg}"
    if check == "not_nullable":
        return f"{what} empty {where}"
    if check == "field_uniqueness":
        return f"{what} that appear more than once {where}: e.g. {eg}"
    if check.startswith("isin"):
        allowed = ", ".join(field.allowed) if field and field.allowed else "?"
        return f"{what} not among the allowed values ({allowed}) {where}: e.g. {eg}"
    if check.startswith("in_range") and field:
        return f"{what} outside {field.min:g}..{field.max:g} {where}"
    if check.startswith("greater_than_or_equal_to") and field:
        kind = "negative" if field.min == 0 else f"below {field.min:g}"
        return f"{what} {kind} {where}"
    if check == "finite":
        return f"{what} that {'is not a finite number' if n == 1 else 'are not finite numbers'} {where}: e.g. {eg}"
    if check == "date_horizon":
        event = field is not None and is_event_date(TABLES[table], field)
        years = EVENT_YEARS if event else PLAN_YEARS
        return (f"{what} outside {FIRST_DATE:%Y-%m-%d} .. {date_limit(event):%Y-%m-%d} (at most {years} "
                f"year{'s' if years > 1 else ''} after today) {where}: e.g. {eg}")
    if check == "folder_name":
        return f"{what} that cannot name a report folder ({TEAM_NAME_RULE}) {where}: e.g. {eg}"
    return f"{what} that fail check {check} {where}"


def problems(exc: Exception, table: str, found: list[str]) -> list[str]:
    """Turn pandera's failure cases into one sentence per column and check."""
    cases = exc.failure_cases.copy()
    cases["column"] = cases["column"].where(cases["column"].notna(), "")
    coerce_failed = set(cases.loc[cases["check"].str.startswith("coerce_dtype"), "column"])
    noise = cases["check"].str.startswith("dtype(") | (
        cases["column"].isin(coerce_failed) & ~cases["check"].str.startswith("coerce_dtype")
    )
    out = []
    for (column, check), group in cases[~noise].groupby(["column", "check"], sort=True):
        out.append(_describe(table, column, check, group, found))
    return out


def validate_frame(df: pd.DataFrame, table: str, source: str) -> pd.DataFrame:
    """Validate and type one chunk of a table; raise InputError naming file, columns and rows."""
    import pandera.errors

    schema = pandera_schema(table)
    try:
        typed = schema.validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise InputError(
            "; ".join(f"{source}: {p}" for p in problems(exc, table, list(df.columns)))
        ) from None
    out = typed.reindex(columns=TABLES[table].columns)
    for f in TABLES[table].fields:
        if f.name not in df.columns:
            out[f.name] = pd.Series(None, index=out.index, dtype=KINDS[f.kind][0])
    return out


def check_references(
    df: pd.DataFrame, table: str, source: str, keys: dict[str, pd.Index]
) -> list[str]:
    """Sentences for values that point to rows missing from the referenced table."""
    out = []
    for f in TABLES[table].fields:
        if f.references is None or f.references not in keys or f.name not in df.columns:
            continue
        values = df[f.name].where(df[f.name].isna(), df[f.name].astype(str))
        bad = values.notna() & ~values.isin(keys[f.references])
        if bad.any():
            n = int(bad.sum())
            out.append(
                f"{source}: column '{f.name}' has {n} value{'s' if n > 1 else ''} not found in "
                f"{f.references} ({_rows(values.index[bad].to_series())}): "
                f"e.g. {_examples(values[bad])}"
            )
    return out

