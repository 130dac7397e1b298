"""The workspace's database as Ibis tables: a DuckDB file, or a warehouse named by a URL."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import duckdb
import ibis
from ibis.backends import BaseBackend

from salesnb.core.errors import InputError

WAREHOUSES = ("postgres", "postgresql")
SECRET_KEYS = {"password", "sslpassword"}  # libpq reads these from the query string too


def is_url(where: str | Path) -> bool:
    """True when the workspace is a database URL rather than a DuckDB file."""
    return "://" in str(where)


def check_url(url: str) -> str:
    """The URL, refused when its scheme is not a supported warehouse or it holds a password."""
    parts = urlsplit(url)
    if parts.scheme not in WAREHOUSES:
        raise InputError(f"Workspace URL '{url.split('://')[0]}://…' is not supported: use "
                         f"{' or '.join(s + '://' for s in WAREHOUSES)}, or a DuckDB file.")
    in_query = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)} & SECRET_KEYS
    if parts.password or in_query:
        raise InputError("The workspace URL holds a password, which every report would show: put it in "
                         "PGPASSWORD or ~/.pgpass and leave it out of the URL.")
    return url


def connect(where: str | Path) -> BaseBackend:
    """A read-only connection to the workspace."""
    if is_url(where):
        url = check_url(str(where))
        try:
            return ibis.connect(url.replace("postgresql://", "postgres://", 1))
        except Exception as exc:  # noqa: BLE001 - the driver's own message says what went wrong
            raise InputError(f"Cannot connect to the workspace {url}: {exc}".strip()) from None
    path = Path(where)
    if not path.exists():
        raise InputError(f"Workspace '{path}' does not exist: run `salesnb validate DATA_DIR` or "
                         "`salesnb demo` first.")
    try:
        con = ibis.duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise duckdb_error(path, exc) from None
    con.raw_sql("SET threads = 1")  # sums in one order on any machine (a setting, so other connections agree)
    return con


def duckdb_error(path: Path, exc: Exception) -> InputError:
    """DuckDB's refusal to open a workspace file, in the user's words."""
    text = str(exc)
    if "lock" in text.lower():
        holder = re.search(r"held in (.+?) \(PID (\d+)\)", text)
        by = f" ({Path(holder[1]).name}, process {holder[2]})" if holder else ""
        return InputError(f"{path}: in use by another program{by}; close it (a notebook or a DuckDB shell that holds "
                          "the file) and run again.")
    if "not a valid DuckDB database" in text:
        return InputError(f"{path}: not a DuckDB database (damaged, or another file under this name); delete it: "
                          "`salesnb validate DATA_DIR` rebuilds it from the data folder.")
    return InputError(f"{path}: cannot be opened: {text}")


def open_duckdb(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to a workspace file; InputError when it is locked or not a database."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise duckdb_error(Path(path), exc) from None


def name(where: str | Path) -> str:
    """How messages name the workspace: the file's name, or the URL."""
    return str(where) if is_url(where) else Path(where).name
