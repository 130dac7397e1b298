"""CRM exports into the input contract, driven by a YAML mapping: columns, values, dates, expressions,
row filters, defaults and lookups; every row is checked against the contract before anything is written."""

from __future__ import annotations

import codecs
import glob
import io
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PureWindowsPath
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from salesnb.core import cells, yamltext
from salesnb.core.errors import InputError, ParameterError
from salesnb.core.models import explain
from salesnb.data import expr
from salesnb.data.schema import FIRST_DATE, KINDS, TABLES, date_limit, is_event_date, pandera_schema
from salesnb.data.validate import (
    _examples,
    _rows,
    check_csv,
    csv_error,
    excel_header,
    problems,
    read_values,
    refuse_repeated_columns,
    row_rules,
    undecodable_line,
)

READERS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "excel", ".xls": "excel", ".parquet": "parquet"}
SUPPORTED = "csv, txt, tsv, xlsx, xls, parquet"
KIND_NAMES = {"csv": "a CSV file", "excel": "an Excel workbook", "parquet": "a Parquet file"}
CATCH_ALL = "*"
META_COLUMNS = ["source_file", "source_row", "reason"]

CURRENCY_SIGNS = re.escape("".join(c for c in map(chr, range(0x3000)) if unicodedata.category(c) == "Sc"))


class Lookup(BaseModel):
    """A column taken from another file of the export, by key."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(description="file name or pattern in the export folder")
    key: str = Field(description="key column in that file")
    on: str = Field(description="column of this table's file holding the key")
    value: str = Field(description="column of that file to take")
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None

    @model_validator(mode="before")
    @classmethod
    def _on_key(cls, data: Any) -> Any:
        """YAML reads an unquoted `on:` key as True; take it back as 'on'."""
        if isinstance(data, dict) and True in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data


class TableMapping(BaseModel):
    """How one contract table is built from one export file."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(description="file name or glob pattern in the source folder")
    encoding: str = "utf-8"
    delimiter: str | None = Field(None, min_length=1, max_length=1, description="None: ',' (tab for .tsv)")
    decimal: str = "."
    thousands: str | None = None
    sheet: str | int = 0
    date_format: str | None = Field(None, description="strptime format of date columns; None: ISO")
    where: str | None = Field(None, description="keep only the rows where this expression is true")
    columns: dict[str, str] = Field(default_factory=dict, description="contract column: source column")
    lookups: dict[str, Lookup] = Field(default_factory=dict, description="contract column: column of another file")
    values: dict[str, dict[str, str]] = Field(default_factory=dict,
                                               description="contract column: {source value: contract value}")
    derived: dict[str, str] = Field(default_factory=dict, description="contract column: expression")
    constants: dict[str, Any] = Field(default_factory=dict, description="contract column: one value for every row")
    defaults: dict[str, Any] = Field(default_factory=dict, description="contract column: value where blank")
    distinct: bool = Field(False, description="keep one row per key (e.g. reps from deal owners)")

    @field_validator("constants", "defaults")
    @classmethod
    def _one_value(cls, value: dict[str, Any]) -> dict[str, Any]:
        """A constant or default is one text, number or true/false, never a list or a block."""
        wrong = [col for col, v in value.items() if isinstance(v, (list, dict))]
        if wrong:
            raise ValueError(f"{', '.join(map(repr, wrong))}: give one value (text, number or true/false), "
                             "not a list or a block")
        return value

    @model_validator(mode="after")
    def _separators(self) -> TableMapping:
        """A number cannot use one character for both its decimal and its thousands separator."""
        if self.thousands is not None and self.thousands == self.decimal:
            raise ValueError(f"decimal and thousands are both {self.decimal!r}: 1{self.decimal}234 could be read two "
                             "ways; give each its own character")
        return self

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        """A strptime format that reads back the year, month and day it writes."""
        if value is None:
            return value
        day = datetime(2026, 1, 31)
        try:
            back = datetime.strptime(day.strftime(value), value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a date format ({exc}); e.g. '%d/%m/%Y' for 31/01/2026") from None
        if back.date() != day.date():
            raise ValueError(f"{value!r} does not give the year, month and day; e.g. '%d/%m/%Y' for 31/01/2026")
        return value

    @field_validator("values", mode="before")
    @classmethod
    def _text_values(cls, value: Any) -> Any:
        """Numbers written as YAML keys or values (1: won) are the text they look like."""
        if not isinstance(value, dict):
            return value
        return {col: {_key(k): _key(v) for k, v in m.items()} if isinstance(m, dict) else m
                for col, m in value.items()}


class Mapping(BaseModel):
    """A whole export: one entry per contract table it feeds, and the data's currency and country."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    currency: str | None = Field(None, description="ISO 4217 code of the amounts")
    country: str | None = Field(None, description="ISO 3166 alpha-2 code for holidays, e.g. US, GB, FR")
    tables: dict[str, TableMapping]
    _path: str = PrivateAttr("")

    @field_validator("currency", "country")
    @classmethod
    def _code(cls, value: str | None, info: Any) -> str | None:
        """Upper-case ISO codes: three letters for a currency, two for a country."""
        if value is None:
            return None
        size = 3 if info.field_name == "currency" else 2
        code = str(value).strip().upper()
        if not re.fullmatch(f"[A-Z]{{{size}}}", code):
            norm = "ISO 4217" if size == 3 else "ISO 3166"
            raise ValueError(f"{info.field_name} must be a {size}-letter {norm} code, not {value!r}")
        return code

    @field_validator("tables")
    @classmethod
    def _some(cls, value: dict[str, TableMapping]) -> dict[str, TableMapping]:
        """At least one table: an import of nothing would leave a data folder no report can read."""
        if not value:
            raise ValueError("no table is mapped: give at least one, e.g. order_lines with its file and columns")
        return value


def _key(value: Any) -> Any:
    """A YAML number as the text it was written as."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


@dataclass
class TableImport:
    """One table through the import: its source rows, contract rows, and what was dropped or rejected."""

    table: str
    file: str
    source: pd.DataFrame
    frame: pd.DataFrame
    rows_read: int
    filtered: int = 0
    merged: int = 0
    distinct: bool = False
    unmapped_columns: list[str] = field(default_factory=list)
    unmapped_values: dict[str, list[str]] = field(default_factory=dict)
    kept: pd.DataFrame | None = None
    rejects: pd.DataFrame | None = None
    problems: list[str] = field(default_factory=list)


def load_mapping(path: Path) -> Mapping:
    """A mapping from YAML, checked against the contract (tables, columns, required columns, expressions)."""
    try:
        raw = yamltext.read(path)
    except FileNotFoundError:
        raise ParameterError(f"Mapping file '{path}' does not exist.") from None
    except IsADirectoryError:
        raise ParameterError(f"Mapping file '{path}' is a folder.") from None
    except OSError as exc:
        raise ParameterError(f"Mapping file '{path}': {exc.strerror or exc}.") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{path}: not a valid YAML text file: {exc}") from None
    if not isinstance(raw, dict):
        got = type(raw).__name__ if raw is not None else "an empty file"
        raise ParameterError(f"{path}: a mapping is a YAML block with `tables:` (and optionally `name:`, "
                             f"`currency:`, `country:`), not {got}.")
    try:
        mapping = Mapping(**raw)
    except ValidationError as exc:
        raise explain(exc, str(path), "not a valid mapping") from None
    mapping._path = str(path)
    found = []
    for table, m in mapping.tables.items():
        if table not in TABLES:
            found.append(f"unknown table '{table}' (tables: {', '.join(TABLES)})")
            continue
        found += [f"{table}: {p}" for p in _table_problems(table, m)]
    if found:
        raise ParameterError(f"{path}: " + "; ".join(found) + ".")
    return mapping


def _table_problems(table: str, m: TableMapping) -> list[str]:
    """What is wrong with one table's mapping, all at once."""
    spec = TABLES[table]
    sources = {"columns": m.columns, "lookups": m.lookups, "derived": m.derived, "constants": m.constants}
    out = []
    seen: dict[str, str] = {}
    for kind, cols in sources.items():
        for col in cols:
            if col in seen:
                out.append(f"'{col}' is given in both {seen[col]} and {kind}; keep one")
            seen.setdefault(col, kind)
    given = set(seen) | set(m.defaults)
    out += [f"'{col}' is not a column of the contract table" for col in sorted(given - set(spec.columns))]
    out += [f"required column '{f.name}' is not mapped" for f in spec.fields if f.required and f.name not in given]
    out += [f"values given for '{col}', which is not mapped from a source column or a lookup"
            for col in m.values if col not in m.columns and col not in m.lookups]
    for pattern in [m.file, *(lk.file for lk in m.lookups.values())]:
        problem = _pattern_problem(pattern)
        if problem:
            out.append(problem)
    for encoding in dict.fromkeys([m.encoding, *(lk.encoding for lk in m.lookups.values() if lk.encoding)]):
        try:
            codecs.lookup(encoding)
        except LookupError:
            out.append(f"unknown encoding '{encoding}' (utf-8, latin-1 and cp1252 are common)")
    for col, text in _expressions(m).items():
        try:
            if col == "where" or not expr.is_template(text):
                expr.parse(text)
        except expr.ExpressionError as exc:
            out.append(f"{_what(col)} {text!r} is not allowed: {exc}")
    return out


def _expressions(m: TableMapping) -> dict[str, str]:
    """The mapping's expressions: 'where' for the row filter, else the contract column they compute."""
    return {**({"where": m.where} if m.where is not None else {}), **m.derived}


def _what(col: str) -> str:
    """How messages name an expression of the mapping."""
    return "the row filter (where)" if col == "where" else f"the expression for '{col}'"


def _pattern_problem(pattern: str) -> str | None:
    """Why a file pattern could reach outside the export folder, or None."""
    windows = PureWindowsPath(pattern)
    if Path(pattern).is_absolute() or windows.is_absolute() or windows.drive or pattern.startswith(("/", "\\", "~")):
        return f"file pattern '{pattern}' must be a name inside the export folder, not an absolute path"
    if ".." in re.split(r"[\\/]", pattern):
        return f"file pattern '{pattern}' must stay inside the export folder (no '..')"
    return None


def _source_file(folder: Path, pattern: str, table: str) -> Path:
    """The one file of the export folder a pattern names."""
    problem = _pattern_problem(pattern)
    if problem:
        raise ParameterError(f"{table}: {problem}.")
    root = folder.resolve()
    hits = sorted(h for h in glob.glob(pattern, root_dir=folder) if (folder / h).is_file())
    outside = [h for h in hits if not (folder / h).resolve().is_relative_to(root)]
    if outside:
        raise InputError(f"{table}: file pattern '{pattern}' matches {', '.join(outside)}, a link to a file "
                         f"outside the export folder {folder}; copy the file into the folder instead.")
    if not hits:
        raise InputError(f"{table}: no file matching '{pattern}' in {folder}.")
    if len(hits) > 1:
        raise InputError(f"{table}: several files match '{pattern}' in {folder}: "
                         f"{', '.join(Path(h).name for h in hits)}; make the pattern precise.")
    return folder / hits[0]


def read_source(path: Path, encoding: str = "utf-8", delimiter: str | None = None,
                sheet: str | int = 0) -> pd.DataFrame:
    """An export file read as text (CSV, TSV, Excel or Parquet), indexed by spreadsheet row number."""
    suffix = path.suffix.lower()
    kind = READERS.get(suffix)
    if kind is None:
        raise InputError(f"{path.name}: file type {suffix or '(none)'} is not supported ({SUPPORTED}).")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ParameterError(f"{path.name}: unknown encoding '{encoding}' (utf-8, latin-1 and cp1252 "
                             "are common).") from None
    try:
        frame = _read(path, kind, encoding, delimiter, sheet)
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name}: cannot be read as {encoding} ({exc.reason} on "
                         f"{undecodable_line(path, encoding)}); "
                         "set `encoding` in the mapping (latin-1 and cp1252 are common).") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path.name}: the file is empty (no header row).") from None
    except ImportError:
        raise InputError(f"{path.name}: reading {suffix} files needs an extra package (xlrd for .xls); "
                         "or save the file as .xlsx or .csv.") from None
    except Exception as exc:  # Excel and Parquet readers raise many types for a damaged or disguised file
        raise InputError(f"{path.name}: cannot be read as {KIND_NAMES[kind]}: {type(exc).__name__}: {exc}") from None
    frame.columns = [str(c) for c in frame.columns]
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return frame


def _read(path: Path, kind: str, encoding: str, delimiter: str | None, sheet: str | int) -> pd.DataFrame:
    """The file's cells as text; missing cells empty."""
    if kind == "excel":
        refuse_repeated_columns(path.name, excel_header(path, sheet_name=sheet))
        return pd.read_excel(path, sheet_name=sheet, dtype=str)
    if kind == "parquet":
        frame = pd.read_parquet(path, dtype_backend="numpy_nullable").astype("string").astype(object)
        return frame.where(frame.notna(), np.nan)
    sep = delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    check_csv(path, encoding, sep)
    try:
        return pd.read_csv(path, dtype=str, encoding=encoding, sep=sep, keep_default_na=True, index_col=False)
    except pd.errors.ParserError as exc:
        raise csv_error(path, exc) from None


def _number(series: pd.Series, m: TableMapping) -> pd.Series:
    """Numbers written the export's way as plain text: '1 234,50' → '1234.50', '(12.50)' → '-12.50'."""
    text = series.astype("string").str.strip().str.replace("\u2212", "-", regex=False)
    if m.thousands:
        text = text.str.replace(m.thousands, "", regex=False)
    if m.decimal != ".":
        text = text.str.replace(m.decimal, ".", regex=False)
    text = text.str.replace(f"[%{CURRENCY_SIGNS}\\s]", "", regex=True)
    text = text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    return text.str.replace(r"^(\d[\d.]*)-$", r"-\1", regex=True)


def _map_values(raw: pd.Series, mapping: dict[str, str]) -> tuple[pd.Series, list[str]]:
    """Source values translated; '*' catches every value not listed ('*': '*' keeps them as they are); also the
    values left as they were without being asked to."""
    text = raw.astype("string").str.strip().replace("", pd.NA)
    mapped = text.map({k: v for k, v in mapping.items() if k != CATCH_ALL}).astype(object)
    unmatched = (text.notna() & mapped.isna()).astype(bool)
    if CATCH_ALL in mapping:
        rest = text.astype(object) if mapping[CATCH_ALL] == CATCH_ALL else mapping[CATCH_ALL]
        return mapped.where(~unmatched, rest), []
    return mapped.where(~unmatched, text.astype(object)), sorted(text[unmatched].unique().tolist())[:10]


class _Reader:
    """Reads each export file once, whatever number of tables and lookups use it."""

    def __init__(self, folder: Path):
        self.folder, self.cache = folder, {}

    def __call__(self, pattern: str, table: str, encoding: str, delimiter: str | None,
                 sheet: str | int) -> tuple[Path, pd.DataFrame]:
        """The file a pattern names, and its rows."""
        path = _source_file(self.folder, pattern, table)
        key = (path, encoding, delimiter, sheet)
        if key not in self.cache:
            self.cache[key] = read_source(path, encoding, delimiter, sheet)
        return path, self.cache[key]


def _lookup(read: _Reader, source: pd.DataFrame, table: str, col: str, lk: Lookup,
            m: TableMapping) -> pd.Series:
    """One contract column from another file, matched on a key (left join)."""
    sheet = lk.sheet if lk.sheet is not None else m.sheet
    path, other = read(lk.file, table, lk.encoding or m.encoding, lk.delimiter or m.delimiter, sheet)
    missing = [c for c in (lk.key, lk.value) if c not in other.columns]
    if missing:
        raise ParameterError(f"{table}: lookup for '{col}': column(s) {', '.join(map(repr, missing))} not in "
                             f"{path.name} (columns: {', '.join(other.columns)}).")
    keys = other[lk.key].astype("string").str.strip()
    usable = (keys.notna() & (keys != "")).astype(bool)
    twice = usable & keys.duplicated(keep=False).astype(bool)
    if twice.any():
        raise InputError(f"{path.name}: lookup key column '{lk.key}' has values that appear more than once "
                         f"({_rows(keys.index[twice].to_series())}): e.g. {_examples(keys[twice])}; "
                         f"a lookup needs one row per key.")
    table_of = dict(zip(keys[usable], other.loc[usable, lk.value], strict=True))
    return source[lk.on].astype("string").str.strip().map(table_of).astype(object)


def _reads(m: TableMapping) -> dict[str, set[str]]:
    """The source columns each part of a table's mapping reads ('' for mapped columns and lookup keys)."""
    out = {"": set(m.columns.values()) | {lk.on for lk in m.lookups.values()}}
    for col, text in _expressions(m).items():
        template = col != "where" and expr.is_template(text)
        out[col] = set(expr.template_fields(text)) - {expr.ROW} if template else expr.parse(text).columns
    return out


def _missing_columns(m: TableMapping, source: pd.DataFrame) -> list[str]:
    """Source columns the mapping names that the file does not have, per place they are named."""
    out = []
    for col, used in _reads(m).items():
        known = set(source.columns) | (set(m.lookups) if col in m.derived else set())  # derived: looked-up too
        missing = ", ".join(map(repr, sorted(used - known)))
        if missing:
            out.append(f"{_what(col)} {_expressions(m)[col]!r} uses unknown column(s) {missing}" if col else
                       f"mapped column(s) {missing} not in the file")
    return out


def _compute(mapping: Mapping, table: str, col: str, text: str, source: pd.DataFrame, file: str,
             number: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """One expression or text template on the source rows."""
    try:
        if col != "where" and expr.is_template(text):
            return expr.fill(text, source)
        parsed = expr.parse(text)
        return expr.condition(parsed, source, number) if col == "where" else expr.evaluate(parsed, source, number)
    except expr.ExpressionError as exc:
        raise ParameterError(f"{mapping._path}: {table}: {_what(col)} {text!r} failed on {file}: {exc}.") from None


def convert_table(mapping: Mapping, table: str, read: _Reader) -> TableImport:
    """Build one contract table from its export file; also what was filtered, merged and left unmapped."""
    m, spec = mapping.tables[table], TABLES[table]
    path, source = read(m.file, table, m.encoding, m.delimiter, m.sheet)
    missing = _missing_columns(m, source)
    if missing:
        raise ParameterError(f"{mapping._path}: {table}: " + "; ".join(missing) +
                             f" (columns of {path.name}: {', '.join(source.columns)}).")

    def number(s: pd.Series) -> pd.Series:
        """Text as numbers, with this table's separators."""
        return pd.to_numeric(_number(s, m), errors="coerce").astype("float64")

    rows_read = len(source)
    if m.where is not None:
        source = source[_compute(mapping, table, "where", m.where, source, path.name, number)]
    out = pd.DataFrame(index=source.index)
    for col, src in m.columns.items():
        out[col] = source[src]
    for col, lk in m.lookups.items():
        out[col] = _lookup(read, source, table, col, lk, m)
    looked_up = source.assign(**{c: out[c] for c in m.lookups if c not in source.columns})
    for col, text in m.derived.items():
        out[col] = _compute(mapping, table, col, text, looked_up, path.name, number)
    for col, value in m.constants.items():
        out[col] = value
    unmapped_values = {}
    for col, values in m.values.items():
        out[col], unknown = _map_values(out[col], values)
        if unknown:
            unmapped_values[col] = unknown
    _parse_types(out, spec.fields, set(m.columns) | set(m.lookups), m)
    for col, value in m.defaults.items():
        out[col] = out[col].astype(object).where(~expr.blank(out[col]), value) if col in out else value
    kept = len(out)
    if m.distinct:
        key = spec.columns[0]
        out = out[~expr.blank(out[key])].drop_duplicates(subset=key)
    return TableImport(table, path.name, source, out[[c for c in spec.columns if c in out.columns]], rows_read,
                       filtered=rows_read - len(source), merged=kept - len(out), distinct=m.distinct,
                       unmapped_columns=sorted(set(source.columns) - set().union(*_reads(m).values())),
                       unmapped_values=unmapped_values)


def _parse_types(out: pd.DataFrame, fields: tuple, raw: set[str], m: TableMapping) -> None:
    """Numbers and dates of columns taken as text from the export, written the contract's way."""
    for f in fields:
        if f.name not in out or f.name not in raw:
            continue
        if f.kind in ("float", "int"):
            out[f.name] = _number(out[f.name], m)
        if f.kind == "float" and f.name in ("probability", "discount"):
            numbers = pd.to_numeric(out[f.name], errors="coerce").astype("float64")
            percent = numbers.where(~(numbers > 1), numbers / 100)  # "35" (%) → 0.35
            out[f.name] = percent.astype(object).where(numbers.notna(), out[f.name])
        if f.kind == "date":
            parsed = pd.to_datetime(out[f.name], format=m.date_format or "ISO8601", errors="coerce")
            iso = out[f.name].astype("string").str.strip().str.match(r"\d{4}-\d{2}-\d{2}([T ]|$)").fillna(False)
            unread = out[f.name] if m.date_format is None else out[f.name].where(
                expr.blank(out[f.name]) | iso, out[f.name].astype("string") + f" (not {m.date_format})")
            out[f.name] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), unread)


def as_written(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame exactly as the workspace will read it back from the contract CSV file."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    out = pd.read_csv(buffer, dtype=str, skipinitialspace=True)
    out.index = frame.index
    return out


def _reason(table: str, column: str, check: str, value: Any) -> str:
    """Why one value of one row breaks the contract."""
    f = TABLES[table].field(column)
    shown = f"{value:g}" if isinstance(value, float) else repr(str(value))
    if check.startswith("coerce_dtype"):
        return f"{column}: {shown} is not a {KINDS[f.kind][2]}"
    if check == "not_nullable":
        return f"{column}: empty"
    if check == "field_uniqueness":
        return f"{column}: {shown} appears more than once"
    if check.startswith("isin"):
        return f"{column}: {shown} is not one of {', '.join(f.allowed or ())}"
    if check.startswith(("in_range", "greater_than", "less_than")):
        low = "" if f.min is None else f"{f.min:g}"
        high = "" if f.max is None else f"{f.max:g}"
        return f"{column}: {shown} is outside {low}..{high}"
    if check == "finite":
        return f"{column}: {shown} is not a finite number"
    if check == "magnitude":
        return f"{column}: {shown} is 10^15 or more"
    if check == "date_horizon":
        limit = date_limit(is_event_date(TABLES[table], f))
        return f"{column}: {shown} is outside {FIRST_DATE:%Y-%m-%d}..{limit:%Y-%m-%d}"
    if check == "folder_name":
        return f"{column}: {shown} cannot name a report folder"
    return f"{column}: {shown} fails {check}"


def failing_rows(frame: pd.DataFrame, table: str, file: str) -> tuple[dict[int, list[str]], list[str]]:
    """Rows that break the contract, with their reasons, and one sentence per column and check.

    Pandera is run again on the remaining rows until they pass, because a failed conversion in a column
    hides that column's other checks."""
    import pandera.errors

    rest, sentences, bad_dates = read_values(frame, table)
    sentences = [f"{table} ({file}): {p}" for p in sentences]
    reasons: dict[int, list[str]] = {}
    for column, row in sorted(bad_dates):
        reasons.setdefault(int(row), []).append(_reason(table, column, "coerce_dtype", frame.at[row, column]))
    while True:
        try:
            typed = pandera_schema(table).validate(rest, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            sentences += [f"{table} ({file}): {p}" for p in problems(exc, table, list(frame.columns), bad_dates)]
            cases = exc.failure_cases
            cases = cases[cases["index"].notna() & ~cases["check"].astype(str).str.startswith("dtype(")]
            if cases.empty:
                raise InputError("; ".join(dict.fromkeys(sentences))) from None
            for row, column, check, value in zip(cases["index"], cases["column"], cases["check"],
                                                 cases["failure_case"], strict=True):
                if (column, row) not in bad_dates:  # a date that is not ISO is empty here, and said already
                    reasons.setdefault(int(row), []).append(_reason(table, column, check, value))
            rest = rest.drop(index=sorted({int(i) for i in cases["index"]}))
            continue
        for text, reason, rows in row_rules(typed, table):
            sentences.append(f"{table} ({file}): {text} ({_rows(pd.Series(rows))})")
            for row in rows:
                reasons.setdefault(int(row), []).append(reason)
        return reasons, list(dict.fromkeys(sentences))


def _reference_rows(frame: pd.DataFrame, item: TableImport, keys: dict[str, pd.Index],
                    refused: dict[str, pd.Index]) -> tuple[dict[int, list[str]], list[str]]:
    """Rows pointing to a row missing from, or rejected in, the table they reference."""
    reasons: dict[int, list[str]] = {}
    sentences = []
    for f in TABLES[item.table].fields:
        if f.references not in keys or f.name not in frame.columns:
            continue
        values = frame[f.name]
        bad = (values.notna() & ~values.isin(keys[f.references])).astype(bool)
        rejected = bad & values.isin(refused[f.references]).astype(bool)
        for mask, why, reason in ((bad & ~rejected, f"not found in {f.references}", f"not found in {f.references}"),
                                  (rejected, f"pointing to rejected rows of {f.references}",
                                   f"points to a rejected row of {f.references}")):
            if not mask.any():
                continue
            n = int(mask.sum())
            sentences.append(f"{item.table} ({item.file}): column '{f.name}' has {n} value{'s' if n > 1 else ''} "
                             f"{why} ({_rows(values.index[mask].to_series())}): e.g. {_examples(values[mask])}")
            for row, value in values[mask].items():
                reasons.setdefault(int(row), []).append(f"{f.name}: {value!r} {reason}")
    return reasons, sentences


def check(items: dict[str, TableImport]) -> None:
    """Split every table into the rows to import and the rows rejected (with reasons), table by table in
    contract order, so rows pointing to rejected rows are rejected too."""
    keys: dict[str, pd.Index] = {}
    refused: dict[str, pd.Index] = {}
    for table, item in items.items():
        frame = as_written(item.frame)
        reasons, item.problems = failing_rows(frame, table, item.file)
        valid = frame.drop(index=list(reasons))
        more, sentences = _reference_rows(valid, item, keys, refused)
        item.problems += sentences
        for row, why in more.items():
            reasons.setdefault(row, []).extend(why)
        item.kept = frame.drop(index=list(reasons))
        spec = TABLES[table]
        if spec.fields[0].unique:
            key = spec.columns[0]
            keys[table] = pd.Index(item.kept[key].dropna().unique())
            refused[table] = pd.Index(frame.loc[list(reasons), key].dropna().unique()).difference(keys[table])
        item.rejects = _rejects(item, reasons)


def _rejects(item: TableImport, reasons: dict[int, list[str]]) -> pd.DataFrame:
    """The rejected rows as the user wrote them, with file, spreadsheet row and reason in front."""
    rows = sorted(reasons)
    meta = pd.DataFrame({"source_file": item.file, "source_row": rows,
                         "reason": ["; ".join(reasons[r]) for r in rows]}, index=rows)
    return pd.concat([meta, item.source.loc[rows]], axis=1)


def prepare(mapping: Mapping, folder: Path) -> dict[str, TableImport]:
    """Every table of the mapping converted and checked row by row; nothing written."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"Export folder '{folder}' does not exist or is not a folder.")
    read = _Reader(folder)
    items, unreadable = {}, []
    for table in (t for t in TABLES if t in mapping.tables):
        try:
            items[table] = convert_table(mapping, table, read)
        except (InputError, ParameterError) as exc:  # say every file that cannot be read, not the first
            unreadable.append(str(exc))
    if len(unreadable) == 1:
        raise InputError(unreadable[0])
    if unreadable:
        raise InputError(f"{len(unreadable)} export files cannot be imported:\n- " + "\n- ".join(unreadable))
    check(items)
    return items


def summary(items: dict[str, TableImport], dry_run: bool, refused: bool) -> list[str]:
    """Per table: rows read, filtered out, merged, rejected and imported; what was left unmapped."""
    done = "valid" if refused else ("would be imported" if dry_run else "imported")
    lines = []
    for table, item in items.items():
        merged = f", {item.merged} merged (distinct)" if item.distinct else ""
        lines.append(f"{table} ({item.file}): {item.rows_read} read, {item.filtered} filtered out{merged}, "
                     f"{len(item.rejects)} rejected, {len(item.kept)} {done}")
        if not refused:
            lines += [f"  rejected: {p}" for p in item.problems]
        if dry_run:
            values = "; ".join(f"{c}: {', '.join(v)}" for c, v in item.unmapped_values.items())
            lines.append(f"  source columns not used: {', '.join(item.unmapped_columns) or 'none'}")
            lines.append(f"  values without a mapping: {values or 'none'}")
    return lines


def refusal(items: dict[str, TableImport], dry_run: bool) -> str:
    """The all-or-nothing import's refusal: every problem of every table."""
    found = [p for item in items.values() for p in item.problems]
    head = "Dry run: the import would be refused" if dry_run else "Import refused, nothing written"
    return (f"{head} ({len(found)} problem{'s' if len(found) > 1 else ''}; fix them, or use --keep-going to import "
            "the valid rows and list the others in OUT/rejects/):\n- " + "\n- ".join(found))


def write_import(items: dict[str, TableImport], mapping: Mapping, out: Path) -> dict[str, int]:
    """Write the valid rows as contract files plus the workspace, the rejected rows, and dataset.yaml."""
    from salesnb.data.workspace import load_folder

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=out))
    try:
        for table, item in items.items():
            item.kept.to_csv(staging / f"{table}.csv", index=False)
        write_rejects(items, staging / "rejects")  # the workspace counts them, so reports can say so
        try:
            counts = load_folder(staging, out / "workspace.duckdb")
        except InputError as exc:  # name the import, not a staging folder that is about to be removed
            raise InputError(str(exc).replace(f"Cannot load data folder '{staging}'",
                                              "The imported tables cannot be loaded")) from None
        for table in items:
            (staging / f"{table}.csv").replace(out / f"{table}.csv")
        for table in TABLES:  # this import's rejects replace the last one's
            kept, staged = out / "rejects" / f"{table}.csv", staging / "rejects" / f"{table}.csv"
            kept.unlink(missing_ok=True)
            if staged.exists():
                kept.parent.mkdir(exist_ok=True)
                staged.replace(kept)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    write_dataset(mapping, out)
    return counts


def write_rejects(items: dict[str, TableImport], folder: Path) -> None:
    """One CSV file of rejected rows per table that has any."""
    for table, item in items.items():
        if len(item.rejects):
            folder.mkdir(parents=True, exist_ok=True)
            cells.write_csv(item.rejects, folder / f"{table}.csv")


def write_dataset(mapping: Mapping, out: Path) -> None:
    """dataset.yaml: the data's currency and holiday country, as far as the mapping gives them."""
    info = {k: v for k, v in (("currency", mapping.currency), ("country", mapping.country)) if v}
    path = out / "dataset.yaml"
    if info:
        path.write_text(yaml.safe_dump(info, sort_keys=False), encoding="utf-8")
    else:
        path.unlink(missing_ok=True)
