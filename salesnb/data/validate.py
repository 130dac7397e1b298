"""Read input files in chunks and validate them against the contract, with messages for people."""

from __future__ import annotations

import codecs
import csv
import itertools
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from salesnb.core.errors import InputError
from salesnb.core.scope import TEAM_NAME_RULE
from salesnb.data.schema import (
    EVENT_YEARS,
    FIRST_DATE,
    KINDS,
    PLAN_YEARS,
    TABLES,
    date_limit,
    is_event_date,
    pandera_schema,
)

SUFFIXES = (".csv", ".parquet", ".xlsx")
CHUNK_ROWS = 1_000_000
MAX_ROWS_SHOWN = 5
UTC_OFFSET = r"([T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$"  # read as written there
NA_MARKERS = ("NA", "N/A", "#N/A", "NULL", "null", "None", "NaN", "nan")
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
        if not path.is_file() and not path.is_dir():
            raise InputError(f"{path.name}: is not a regular file (a pipe, socket or device); save the table as a "
                             "file.")
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


def excel_header(path: Path, **read_options) -> list[str]:
    """A workbook's header row as written (pandas renames a repeated name to 'name.1')."""
    head = pd.read_excel(path, header=None, nrows=1, dtype=object, **read_options)
    return [str(c) for c in head.iloc[0].tolist()] if len(head) else []


def refuse_repeated_columns(name: str, header: list[str]) -> None:
    """Raise when a column name appears twice in a header (one of the two would be silently lost)."""
    repeated = sorted(c for c, n in Counter(header).items() if n > 1)
    if repeated:
        raise InputError(f"{name}: column{'s' if len(repeated) > 1 else ''} {', '.join(map(repr, repeated))} "
                         f"appear{'' if len(repeated) > 1 else 's'} more than once in the header row; keep one.")


def _nul_row(path: Path, block: int = 1 << 24) -> int | None:
    """Spreadsheet row of the first NUL byte of a text file (a binary or UTF-16 file), or None."""
    lines = 0
    with open(path, "rb") as f:
        while chunk := f.read(block):
            at = chunk.find(b"\x00")
            if at >= 0:
                return lines + chunk.count(b"\n", 0, at) + 1
            lines += chunk.count(b"\n")
    return None


def undecodable_line(path: Path, encoding: str = "utf-8") -> str:
    """Where the first text a file's encoding cannot read is: 'line N' as a text editor numbers lines."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return f"line {number}"
    return "the last line"


def check_csv(path: Path, encoding: str = "utf-8", sep: str = ",") -> None:
    """Refuse what pandas would read silently wrong: NUL bytes, a repeated column name, a first row longer than
    the header (pandas would take its first values as an index and shift every column)."""
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))  # NUL bytes are normal there
    if not wide and (row := _nul_row(path)) is not None:
        raise InputError(f"{path.name}: row {row} holds a NUL character: the file is binary or UTF-16, not a text "
                         "CSV in the expected encoding; save it as CSV UTF-8.")
    limit = csv.field_size_limit(sys.maxsize)  # the module's default (128 KiB) would call a long text damaged
    try:
        with open(path, encoding=encoding, newline="") as f:
            rows = list(itertools.islice(csv.reader(f, delimiter=sep), 2))
    finally:
        csv.field_size_limit(limit)
    if not rows:
        return
    header = [c.strip() for c in rows[0]]
    refuse_repeated_columns(path.name, header)
    if len(rows) > 1 and len(rows[1]) > len(header):
        raise InputError(f"{path.name}: row 2 has {len(rows[1])} values where the header row has {len(header)} "
                         "columns (a separator inside an unquoted value?).")


def csv_error(path: Path, exc: pd.errors.ParserError) -> InputError:
    """pandas' tokenizer error in the user's words, with the row."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if m:
        return InputError(f"{path.name}: row {m[2]} has {m[3]} values where the header row has {m[1]} columns "
                          "(a separator inside an unquoted value?).")
    m = re.search(r"EOF inside string starting at row (\d+)", str(exc))
    if m:
        return InputError(f"{path.name}: a quote opened on row {int(m[1]) + 1} is never closed.")
    return InputError(f"{path.name}: cannot be read as CSV: {exc}")


def read_chunks(path: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Yield a file's rows in chunks, indexed by their spreadsheet row number."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            check_csv(path)
            chunks = pd.read_csv(path, dtype=str, chunksize=chunk_rows, skipinitialspace=True, index_col=False,
                                 keep_default_na=False, na_values=[""])
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            chunks = (b.to_pandas() for b in pq.ParquetFile(path).iter_batches(chunk_rows))
        else:
            refuse_repeated_columns(path.name, excel_header(path))
            chunks = iter([pd.read_excel(path, dtype=object, keep_default_na=False, na_values=[""])])
        start = FIRST_DATA_ROW
        for chunk in chunks:
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(f"{path.name}: the file is empty (no header row).") from None
    except pd.errors.ParserError as exc:
        raise csv_error(path, exc) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name}: is not UTF-8 ({exc.reason} on {undecodable_line(path)}); save it as CSV "
                         "UTF-8, or import it with a mapping that names its encoding (salesnb import).") from None
    except IsADirectoryError:
        raise InputError(f"{path.name}: is a folder, not a file.") from None
    except Exception as exc:  # noqa: BLE001 - readers raise many types for a damaged or disguised file
        raise InputError(f"{path.name}: cannot be read as {suffix[1:]} (damaged, or another kind of file under this "
                         f"name): {type(exc).__name__}: {exc}") from None


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
        several = len(cases) > 1
        hint = next((f"; the file seems to be separated by '{sep}': import it with a mapping that sets `delimiter`"
                     for sep in (";", "\t", "|") if len(found) == 1 and sep in found[0]), "")
        return (f"required column{'s' if several else ''} {missing} {'are' if several else 'is'} missing "
                f"(columns found: {', '.join(found)}){hint}")
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
    if check == "magnitude":
        return f"{what} of 10^15 or more {where}: e.g. {eg}"
    if check == "date_horizon":
        event = field is not None and is_event_date(TABLES[table], field)
        years = EVENT_YEARS if event else PLAN_YEARS
        return (f"{what} outside {FIRST_DATE:%Y-%m-%d} .. {date_limit(event):%Y-%m-%d} (at most {years} "
                f"year{'s' if years > 1 else ''} after today) {where}: e.g. {eg}")
    if check == "folder_name":
        return f"{what} that cannot name a report folder ({TEAM_NAME_RULE}) {where}: e.g. {eg}"
    return f"{what} that fail check {check} {where}"


def problems(exc: Exception, table: str, found: list[str], known: frozenset = frozenset()) -> list[str]:
    """Turn pandera's failure cases into one sentence per column and check (`known`: (column, row) pairs
    already reported)."""
    cases = exc.failure_cases.copy()
    cases["column"] = cases["column"].where(cases["column"].notna(), "")
    cases = cases[[(c, i) not in known for c, i in zip(cases["column"], cases["index"], strict=True)]]
    coerce_failed = set(cases.loc[cases["check"].str.startswith("coerce_dtype"), "column"])
    noise = cases["check"].str.startswith("dtype(") | (
        cases["column"].isin(coerce_failed) & ~cases["check"].str.startswith("coerce_dtype")
    )
    out = []
    for (column, check), group in cases[~noise].groupby(["column", "check"], sort=True):
        out.append(_describe(table, column, check, group, found))
    return out


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)


def parse_numbers(df: pd.DataFrame, table: str) -> tuple[pd.DataFrame, list[str], frozenset]:
    """Number columns read as numbers are written (never '1_000', never true/false); the sentences for values that
    are not, and their (column, row) pairs."""
    out, sentences, bad_cells = df.copy(), [], set()
    for f in TABLES[table].fields:
        if f.kind not in ("float", "int") or f.name not in df.columns:
            continue
        raw = df[f.name]
        if pd.api.types.is_bool_dtype(raw):
            bad = raw.notna()
            out[f.name] = pd.Series(np.nan, index=raw.index)
        elif _is_text(raw):
            given = raw.notna() & (raw.astype(str).str.strip() != "")
            truth = raw.map(lambda v: isinstance(v, (bool, np.bool_)))
            number = pd.to_numeric(raw.where(given & ~truth), errors="coerce")
            bad = given & (number.isna() | truth)
            if f.kind == "int":
                bad |= np.isfinite(number) & (number != number.round())
            out[f.name] = number.where(~bad)
        else:
            continue
        if bad.any():
            cases = pd.DataFrame({"index": raw.index[bad], "failure_case": raw[bad].to_numpy()})
            sentences.append(_describe(table, f.name, "coerce_dtype", cases, list(df.columns)))
            bad_cells |= {(f.name, i) for i in raw.index[bad]}
    return out, sentences, frozenset(bad_cells)


def read_values(df: pd.DataFrame, table: str) -> tuple[pd.DataFrame, list[str], frozenset]:
    """Numbers and dates read (`parse_numbers`, `parse_dates`): the frame, the sentences for values that could not
    be, and their (column, row) pairs."""
    numbers, said, bad = parse_numbers(df, table)
    out, more, worse = parse_dates(numbers, table)
    return out, said + more, bad | worse


def parse_dates(df: pd.DataFrame, table: str) -> tuple[pd.DataFrame, list[str], frozenset]:
    """Date columns read as ISO dates (YYYY-MM-DD) only, so 03/08/2026 is never guessed day- or month-first;
    the sentences for values that are not, and their (column, row) pairs."""
    out, sentences, bad_cells = df.copy(), [], set()
    found = list(df.columns)
    for f in TABLES[table].fields:
        if f.kind != "date" or f.name not in df.columns:
            continue
        raw = df[f.name]
        if isinstance(raw.dtype, pd.DatetimeTZDtype):
            out[f.name] = raw.dt.tz_localize(None)  # the date and time as written where they were recorded
        if pd.api.types.is_datetime64_any_dtype(raw):
            continue
        given = raw.notna() & (raw.astype(str).str.strip() != "")
        written = raw.where(given).astype("string").str.strip().str.replace(UTC_OFFSET, r"\1", regex=True)
        parsed = pd.to_datetime(written, format="ISO8601", errors="coerce")
        bad = given & parsed.isna()
        if bad.any():
            cases = pd.DataFrame({"index": raw.index[bad], "failure_case": raw[bad].to_numpy()})
            sentences.append(_describe(table, f.name, "coerce_dtype", cases, found))
            bad_cells |= {(f.name, i) for i in raw.index[bad]}
        far = (parsed < FIRST_DATE) | (parsed > date_limit(is_event_date(TABLES[table], f)))
        if far.any():  # said here: past 2262 the schema's nanosecond dates could not hold them
            cases = pd.DataFrame({"index": raw.index[far], "failure_case": raw[far].to_numpy()})
            sentences.append(_describe(table, f.name, "date_horizon", cases, found))
            bad_cells |= {(f.name, i) for i in raw.index[far]}
            parsed = parsed.mask(far)
        out[f.name] = parsed
    return out, sentences, frozenset(bad_cells)


def row_rules(df: pd.DataFrame, table: str) -> list[tuple[str, str, pd.Index]]:
    """The table's rules across columns (a key of several columns, dates in order): for each one broken, the
    sentence (without rows), the reason a rejected row gives, and the rows."""
    spec, out = TABLES[table], []
    key = [c for c in spec.key if c in df.columns]
    if key and len(key) == len(spec.key):
        twice = df.duplicated(key, keep=False) & df[key].notna().all(axis=1)
        if twice.any():
            pair = " and ".join(key)
            out.append((f"columns {', '.join(map(repr, key))} have {int(twice.sum())} rows that repeat the same "
                        f"{pair}; keep one", f"{pair}: repeated", df.index[twice]))
    for earlier, later in spec.order:
        if earlier in df.columns and later in df.columns:
            before = (pd.to_datetime(df[later]) < pd.to_datetime(df[earlier])).fillna(False).astype(bool)
            if before.any():
                n = int(before.sum())
                out.append((f"column '{later}' has {n} value{'s' if n > 1 else ''} before its '{earlier}'",
                            f"{later}: before {earlier}", df.index[before]))
    return out


def blank_markers(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Numbers and dates written as NA, NULL, None or NaN are empty; texts keep them (a team may be called NA)."""
    out = df.copy()
    for f in TABLES[table].fields:
        if f.kind != "str" and f.name in out.columns and _is_text(out[f.name]):
            out[f.name] = out[f.name].mask(out[f.name].astype(str).str.strip().isin(NA_MARKERS))
    return out


def validate_frame(df: pd.DataFrame, table: str, source: str) -> pd.DataFrame:
    """Validate and type one chunk of a table; raise InputError naming file, columns and rows."""
    import pandera.errors

    df = blank_markers(df, table)
    schema = pandera_schema(table)
    rest, found, known = read_values(df, table)
    while True:  # a value that cannot be read hides its column's other checks: check the other rows again
        try:
            typed = schema.validate(rest, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            found += problems(exc, table, list(df.columns), known)
            rows = exc.failure_cases["index"].dropna()
            if rows.empty:
                break
            rest = rest.drop(index=sorted({int(i) for i in rows}))
        else:
            found += [f"{text} ({_rows(pd.Series(rows))})" for text, _, rows in row_rules(typed, table)]
            break
    if found:
        raise InputError("; ".join(f"{source}: {p}" for p in sorted(dict.fromkeys(found), key=_column_of)))
    out = typed.reindex(columns=TABLES[table].columns)
    for f in TABLES[table].fields:
        if f.name not in df.columns:
            out[f.name] = pd.Series(None, index=out.index, dtype=KINDS[f.kind][0])
    return out


def _column_of(sentence: str) -> str:
    return sentence.split("'")[1] if "'" in sentence else ""


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

