"""CRM exports into the input contract, driven by a YAML mapping: columns, values, dates, expressions."""

from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from salesnb.errors import InputError, ParameterError
from salesnb.schema import TABLES
from salesnb.validate import check_references, validate_frame


class TableMapping(BaseModel):
    """How one contract table is built from one export file."""

    model_config = ConfigDict(extra="forbid")

    file: str = Field(description="file name or glob pattern in the source folder")
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    thousands: str | None = None
    sheet: str | int = 0
    date_format: str | None = Field(None, description="strptime format of date columns; None: ISO")
    columns: dict[str, str] = Field(default_factory=dict, description="contract column: source column")
    values: dict[str, dict[str, str]] = Field(default_factory=dict,
                                               description="contract column: {source value: contract value}")
    derived: dict[str, str] = Field(default_factory=dict, description="contract column: expression")
    constants: dict[str, Any] = Field(default_factory=dict)
    distinct: bool = Field(False, description="keep one row per key (e.g. reps from deal owners)")


class Mapping(BaseModel):
    """A whole export: one entry per contract table it feeds."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    tables: dict[str, TableMapping]


def load_mapping(path: Path) -> Mapping:
    """A mapping from YAML, checked against the contract (tables, columns, required columns)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        mapping = Mapping(**(raw or {}))
    except FileNotFoundError:
        raise ParameterError(f"Mapping file '{path}' does not exist.") from None
    except (yaml.YAMLError, ValidationError, TypeError) as exc:
        raise ParameterError(f"{path}: not a valid mapping: {exc}") from None
    problems = []
    for table, m in mapping.tables.items():
        if table not in TABLES:
            problems.append(f"unknown table '{table}' (tables: {', '.join(TABLES)})")
            continue
        spec = TABLES[table]
        given = set(m.columns) | set(m.derived) | set(m.constants)
        for col in sorted(given - set(spec.columns)):
            problems.append(f"{table}: '{col}' is not a column of the contract table")
        for f in spec.fields:
            if f.required and f.name not in given:
                problems.append(f"{table}: required column '{f.name}' is not mapped")
        for col in m.values:
            if col not in m.columns:
                problems.append(f"{table}: values given for '{col}', which is not mapped from a source column")
    if problems:
        raise ParameterError(f"{path}: " + "; ".join(problems) + ".")
    return mapping


def _source_file(folder: Path, table: str, m: TableMapping) -> Path:
    hits = sorted(glob.glob(str(folder / m.file)))
    if not hits:
        raise InputError(f"{table}: no file matching '{m.file}' in {folder}.")
    if len(hits) > 1:
        raise InputError(f"{table}: several files match '{m.file}' in {folder}: "
                         f"{', '.join(Path(h).name for h in hits)}; make the pattern precise.")
    return Path(hits[0])


def read_source(path: Path, m: TableMapping) -> pd.DataFrame:
    """An export file read as text, with its encoding, delimiter, decimal and thousands separators."""
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            return pd.read_excel(path, sheet_name=m.sheet, dtype=str)
        return pd.read_csv(path, dtype=str, encoding=m.encoding, sep=m.delimiter, keep_default_na=True)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name}: cannot be read as {m.encoding} ({exc.reason} at byte {exc.start}); "
                         "set `encoding` in the mapping (latin-1 and cp1252 are common).") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path.name}: cannot be read: {exc}") from None


def _number(series: pd.Series, m: TableMapping) -> pd.Series:
    text = series.astype("string").str.strip()
    if m.thousands:
        text = text.str.replace(m.thousands, "", regex=False)
    if m.decimal != ".":
        text = text.str.replace(m.decimal, ".", regex=False)
    return text.str.replace(r"[%€$\s]", "", regex=True)


def _fill(template: str, row: dict) -> str:
    return re.sub(r"{([^{}]+)}", lambda found: str(row[found.group(1)]), template)


def convert_table(source: pd.DataFrame, table: str, m: TableMapping, name: str) -> tuple[pd.DataFrame, dict]:
    """Build one contract table from an export; also what was left unmapped."""
    spec = TABLES[table]
    missing = sorted(set(m.columns.values()) - set(source.columns))
    if missing:
        raise ParameterError(f"{name}: mapped column(s) {', '.join(map(repr, missing))} not in the file "
                             f"(columns: {', '.join(source.columns)}).")
    out = pd.DataFrame(index=source.index)
    for col, src in m.columns.items():
        out[col] = source[src]
    numeric = source.copy()
    for c in numeric.columns:
        converted = pd.to_numeric(_number(numeric[c], m), errors="coerce")
        if converted.notna().sum() == numeric[c].notna().sum() and numeric[c].notna().any():
            numeric[c] = converted
    for col, expr in m.derived.items():
        try:
            if "{" in expr:  # text template: "{First Name} {Last Name}"
                fields = re.findall(r"{([^{}]+)}", expr)
                unknown = [f for f in fields if f not in source.columns]
                if unknown:
                    raise KeyError(", ".join(unknown))
                out[col] = [_fill(expr, row) for row in source[fields].fillna("").to_dict("records")]
            else:  # arithmetic on columns: "1 - `Net amount` / `List amount`"
                out[col] = numeric.eval(expr, engine="python")
        except Exception as exc:  # noqa: BLE001 - any bad expression gets the same clear message
            raise ParameterError(f"{name}: expression for '{col}' ({expr}) failed: {exc!r}") from None
    for col, value in m.constants.items():
        out[col] = value
    unmapped_values = {}
    for col, mapping in m.values.items():
        raw = out[col].astype("string").str.strip()
        mapped = raw.map(mapping)
        unknown = raw[mapped.isna() & raw.notna()]
        if len(unknown):
            unmapped_values[col] = sorted(unknown.unique().tolist())[:10]
        out[col] = mapped.where(mapped.notna(), raw)
    for f in spec.fields:
        if f.name not in out:
            continue
        if f.kind in ("float", "int") and f.name in m.columns:
            out[f.name] = _number(out[f.name], m)
        if f.kind == "float" and f.name in m.columns and f.name in ("probability", "discount"):
            numbers = pd.to_numeric(out[f.name], errors="coerce")
            out[f.name] = np.where(numbers > 1, numbers / 100, numbers)  # "35" (%) → 0.35
        if f.kind == "date" and f.name in m.columns:
            parsed = pd.to_datetime(out[f.name], format=m.date_format or "mixed", errors="coerce",
                                    dayfirst=False)
            out[f.name] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), out[f.name])
    if m.distinct:
        out = out.drop_duplicates(subset=spec.columns[0]).dropna(subset=[spec.columns[0]])
    report = {"unmapped_columns": sorted(set(source.columns) - set(m.columns.values())),
              "unmapped_values": unmapped_values}
    return out[[c for c in spec.columns if c in out.columns]], report


def convert(mapping: Mapping, folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """Every table of the mapping, converted; and what each conversion left unmapped."""
    tables, reports = {}, {}
    for table in [t for t in TABLES if t in mapping.tables]:
        m = mapping.tables[table]
        path = _source_file(Path(folder), table, m)
        source = read_source(path, m)
        df, report = convert_table(source, table, m, path.name)
        tables[table] = df
        reports[table] = {"file": path.name, "rows_read": len(source), **report}
    return tables, reports


def dry_run(tables: dict[str, pd.DataFrame], reports: dict[str, dict]) -> pd.DataFrame:
    """Per table: rows read, rows that would be rejected and why, unmapped columns and values."""
    keys: dict[str, pd.Index] = {}
    rows = []
    for table, df in tables.items():
        frame = df.copy()
        frame.index = pd.RangeIndex(2, 2 + len(frame))
        problems = check_references(frame, table, reports[table]["file"], keys)
        try:
            typed = validate_frame(frame, table, reports[table]["file"])
            key = TABLES[table].columns[0]
            keys[table] = pd.Index(typed[key].dropna().astype(str).unique())
        except InputError as exc:
            problems += str(exc).split("; ")
        rows.append({"table": table, "file": reports[table]["file"], "rows_read": reports[table]["rows_read"],
                     "rows_kept": len(df), "problems": " | ".join(problems) or "none",
                     "unmapped_columns": ", ".join(reports[table]["unmapped_columns"]) or "none",
                     "unmapped_values": "; ".join(f"{c}: {', '.join(v)}" for c, v in
                                                  reports[table]["unmapped_values"].items()) or "none"})
    return pd.DataFrame(rows).set_index("table")


def write_folder(tables: dict[str, pd.DataFrame], out: Path) -> None:
    """Write the converted tables as contract CSV files (the data folder salesnb loads)."""
    out.mkdir(parents=True, exist_ok=True)
    for table, df in tables.items():
        df.to_csv(out / f"{table}.csv", index=False)

