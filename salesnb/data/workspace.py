"""The workspace: validated input tables in one embedded DuckDB file, read back as filtered frames."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import yaml
from ibis.backends import BaseBackend

from salesnb.core import yamltext
from salesnb.core.errors import EmptyPeriodError, InputError
from salesnb.core.lazy import run, value
from salesnb.core.scope import ALL, trailing_window
from salesnb.data import engine
from salesnb.data.schema import DOMAINS, KINDS, TABLES
from salesnb.data.validate import check_references, find_inputs, read_chunks, validate_frame

DATASET = "dataset.yaml"
META = "_salesnb_meta"
REJECTS = "_salesnb_rejects"  # rows an import left out, counted by table and reason (rejects/<table>.csv)
REFERENCED = {"reps": "rep_id", "accounts": "account_id", "products": "product_id",
              "opportunities": "opportunity_id"}


def fingerprint(files: dict[str, Path], folder: Path | None = None) -> str:
    """A digest of the input files' names, sizes and modification times (and of dataset.yaml)."""
    parts = [(t, p.name, p.stat().st_size, p.stat().st_mtime_ns) for t, p in sorted(files.items())]
    if folder is not None and (folder / DATASET).exists():
        parts.append(("dataset", (folder / DATASET).read_text(encoding="utf-8")))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def dataset_facts(folder: Path) -> dict[str, str]:
    """What a data folder's dataset.yaml says about its data: currency (ISO 4217) and country (ISO 3166)."""
    path = Path(folder) / DATASET
    if not path.exists():
        return {}
    try:
        facts = yamltext.read(path) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file.") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}.") from None
    if not isinstance(facts, dict) or set(facts) - {"currency", "country"}:
        raise InputError(f"{path}: expected only the keys currency and country, got {facts!r}.")
    out = {k: str(v).strip().upper() for k, v in facts.items() if v}
    if "currency" in out and not re.fullmatch(r"[A-Z]{3}", out["currency"]):
        raise InputError(f"{path}: currency {out['currency']!r} is not a three-letter ISO 4217 code.")
    if "country" in out and not re.fullmatch(r"[A-Z]{2}", out["country"]):
        raise InputError(f"{path}: country {out['country']!r} is not a two-letter ISO 3166 code.")
    return out


def import_rejects(folder: Path) -> list[tuple[str, str, int]]:
    """The rows an import rejected, from the folder's rejects/<table>.csv files: (table, reason, rows)."""
    out = []
    for table in TABLES:
        path = folder / "rejects" / f"{table}.csv"
        if path.is_file():
            try:
                reasons = pd.read_csv(path, usecols=["reason"], dtype=str, keep_default_na=False)["reason"]
            except (ValueError, OSError, pd.errors.ParserError) as exc:
                raise InputError(f"{path}: not a rejects file written by salesnb import ({exc}).") from None
            out += [(table, str(reason), int(n)) for reason, n in reasons.value_counts(sort=True).items()]
    return out


def _ddl(table: str) -> str:
    cols = ", ".join(f'"{f.name}" {KINDS[f.kind][1]}' for f in TABLES[table].fields)
    return f'CREATE TABLE "{table}" ({cols})'


def _duplicates(con: duckdb.DuckDBPyConnection, table: str, source: str) -> list[str]:
    out = []
    for f in TABLES[table].fields:
        if not f.unique:
            continue
        dup = con.execute(
            f'SELECT "{f.name}" FROM "{table}" GROUP BY 1 HAVING count(*) > 1 LIMIT 3'
        ).fetchall()
        if dup:
            eg = ", ".join(repr(str(d[0])) for d in dup)
            out.append(f"{source}: column '{f.name}' has values that appear more than once: e.g. {eg}")
    key = TABLES[table].key
    if key:
        cols = ", ".join(f'"{c}"' for c in key)
        dup = con.execute(f'SELECT {cols} FROM "{table}" GROUP BY ALL HAVING count(*) > 1 LIMIT 3').fetchall()
        if dup:
            eg = ", ".join(repr(tuple(str(v) for v in d)) for d in dup)
            out.append(f"{source}: columns {', '.join(map(repr, key))} repeat the same {' and '.join(key)}; keep "
                       f"one: e.g. {eg}")
    return out


def _discard_unreadable(workspace: Path) -> None:
    """Remove a workspace file written by another DuckDB version, or damaged: it is made again from the folder."""
    if not workspace.exists():
        return
    try:
        duckdb.connect(str(workspace), read_only=True).close()
    except duckdb.Error as exc:
        if "version number" in str(exc) or "not a valid DuckDB database" in str(exc):
            workspace.unlink()
            Path(f"{workspace}.wal").unlink(missing_ok=True)


def load_folder(folder: str | Path, workspace: str | Path) -> dict[str, int]:
    """Validate every input file of a folder and load it into the workspace, all or nothing."""
    folder, workspace = Path(folder), Path(workspace)
    files = find_inputs(folder)
    facts = dataset_facts(folder)
    _discard_unreadable(workspace)
    existed = workspace.exists()
    workspace.parent.mkdir(parents=True, exist_ok=True)
    con = engine.open_duckdb(workspace)
    counts: dict[str, int] = {}
    try:
        con.begin()
        errors: list[str] = []
        keys: dict[str, pd.Index] = {}
        for table in TABLES:
            con.execute(f'DROP TABLE IF EXISTS "{table}"')
            if table not in files:
                continue
            path = files[table]
            con.execute(_ddl(table))
            file_errors: list[str] = []
            key_parts = []
            counts[table] = 0
            try:
                for chunk in read_chunks(path):
                    file_errors += check_references(chunk, table, path.name, keys)
                    try:
                        typed = validate_frame(chunk, table, path.name)
                    except InputError as exc:
                        file_errors.append(str(exc))
                        continue
                    if file_errors:
                        continue
                    if table in REFERENCED:
                        key_parts.append(typed[REFERENCED[table]])
                    con.register("chunk", typed)
                    con.execute(f'INSERT INTO "{table}" SELECT * FROM chunk')
                    con.unregister("chunk")
                    counts[table] += len(typed)
            except InputError as exc:  # an unreadable file: say so, and go on checking the others
                file_errors.append(str(exc))
            if not file_errors:
                file_errors += _duplicates(con, table, path.name)
            if key_parts:
                keys[table] = pd.Index(pd.concat(key_parts).unique())
            errors += file_errors
        if errors:
            raise InputError(f"Cannot load data folder '{folder}':\n- " + "\n- ".join(errors))
        con.execute(f'CREATE OR REPLACE TABLE "{REJECTS}" ("table" VARCHAR, reason VARCHAR, "rows" BIGINT)')
        if rejected := import_rejects(folder):
            con.executemany(f'INSERT INTO "{REJECTS}" VALUES (?, ?, ?)', rejected)
        con.execute(f'CREATE OR REPLACE TABLE "{META}" (key VARCHAR, value VARCHAR)')
        con.executemany(
            f'INSERT INTO "{META}" VALUES (?, ?)',
            [("fingerprint", fingerprint(files, folder)), ("source", str(folder.resolve())),
             ("files", json.dumps({t: p.name for t, p in files.items()})), *facts.items()],
        )
        con.commit()
    except BaseException:
        con.rollback()
        con.close()
        if not existed:
            workspace.unlink(missing_ok=True)
            Path(f"{workspace}.wal").unlink(missing_ok=True)
        raise
    con.close()
    return counts


def ensure_loaded(folder: str | Path, workspace: str | Path) -> bool:
    """Load the folder unless the workspace already holds exactly these files; True if loaded."""
    files = find_inputs(Path(folder))
    if Path(workspace).exists():
        try:
            with duckdb.connect(str(workspace), read_only=True) as con:
                row = con.execute(f"SELECT value FROM \"{META}\" WHERE key = 'fingerprint'").fetchone()
            if row and row[0] == fingerprint(files, Path(folder)):
                return False
        except duckdb.Error as exc:
            if "lock" in str(exc).lower():
                raise engine.duckdb_error(Path(workspace), exc) from None
    load_folder(folder, workspace)
    return True


class Workspace:
    """Read-only access to a workspace (a DuckDB file or a warehouse URL), filtered by team and period."""

    def __init__(self, where: str | Path | BaseBackend):
        """`where`: a DuckDB file, a warehouse URL, or an open Ibis backend (a Spark session's, say)."""
        if isinstance(where, BaseBackend):
            self.where, self.name, self.db = f"{where.name}://", where.name, where
        else:
            self.where, self.name, self.db = str(where), engine.name(where), engine.connect(where)
        self._tables: set[str] | None = None

    @property
    def cache_dir(self) -> Path:
        """Where results computed from this workspace are kept between reports."""
        if engine.is_url(self.where):
            digest = hashlib.sha256(self.where.encode()).hexdigest()[:16]
            return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "salesnb" / digest
        return Path(self.where).with_suffix(".cache")

    def close(self) -> None:
        self.db.disconnect()

    def tables(self) -> set[str]:
        """The contract tables present in the workspace."""
        if self._tables is None:
            self._tables = set(self.db.list_tables()) & set(TABLES)
        return self._tables

    def table(self, name: str) -> ibis.Table:
        """A contract table as a lazy Ibis table."""
        return self.db.table(name)

    def missing(self, domain: str) -> dict[str, list[str]]:
        """Required and optional tables of a domain that the workspace lacks."""
        have = self.tables()
        return {kind: [t for t in DOMAINS[domain][kind] if t not in have]
                for kind in ("required", "optional")}

    def require(self, domain: str) -> None:
        """Raise InputError naming the tables a domain needs but the workspace lacks."""
        lacking = self.missing(domain)["required"]
        if lacking:
            raise InputError(
                f"The {domain} report needs table(s) {', '.join(lacking)}, which the workspace "
                f"'{self.name}' does not hold; add {', '.join(t + '.csv' for t in lacking)} "
                "to the data folder."
            )

    def teams(self) -> list[str]:
        """Every team named in the reps table or, for lines without a rep, in the order lines."""
        have = self.tables()
        parts = [self.table("reps").select("team")] if "reps" in have else []
        if "order_lines" in have:
            o = self.table("order_lines")
            parts.append(o.filter(o.rep_id.isnull()).select("team"))
        if not parts:
            return []
        teams = ibis.union(*parts, distinct=True) if len(parts) > 1 else parts[0].distinct()
        return sorted(teams.filter(teams.team.notnull()).team.to_pandas().tolist())

    def rejects(self, tables: Iterable[str] | None = None) -> pd.DataFrame:
        """Rows the import rejected (of `tables`, else of every table): table, reason, rows; most first."""
        if REJECTS not in self.db.list_tables():
            return pd.DataFrame(columns=["table", "reason", "rows"])
        out = self.table(REJECTS).to_pandas()
        if tables is not None:
            out = out[out["table"].isin(list(tables))]
        return out.sort_values(["rows", "table"], ascending=[False, True], kind="stable").reset_index(drop=True)

    def meta(self) -> dict[str, str]:
        """What the data folder declared about itself (currency, country) and where it came from."""
        if META not in self.db.list_tables():
            return {}
        rows = self.table(META).to_pandas()
        return dict(zip(rows["key"], rows["value"], strict=True))

    def _date(self, func: str, table: str, column: str | None) -> pd.Timestamp | None:
        if table not in self.tables():
            return None
        col = self.table(table)[column or TABLES[table].date_column]
        value = (col.min() if func == "min" else col.max()).to_pandas()
        return None if pd.isna(value) else pd.Timestamp(value)

    def first_date(self, table: str = "order_lines", column: str | None = None) -> pd.Timestamp | None:
        """The earliest date with rows in a dated table."""
        return self._date("min", table, column)

    def last_date(self, table: str = "order_lines", column: str | None = None) -> pd.Timestamp | None:
        """The latest date with rows in a dated table."""
        return self._date("max", table, column)

    def first_month(self, table: str = "order_lines", column: str | None = None) -> str | None:
        """The earliest month (YYYY-MM) with rows in a dated table."""
        first = self.first_date(table, column)
        return None if first is None else first.strftime("%Y-%m")

    def last_month(self, table: str = "order_lines", column: str | None = None) -> str | None:
        """The latest month (YYYY-MM) with rows in a dated table."""
        last = self.last_date(table, column)
        return None if last is None else last.strftime("%Y-%m")

    def activity_dates(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """First and last date of the data's activity: order lines, else opportunities opened."""
        have = self.tables()
        table, column = ("order_lines", None) if "order_lines" in have else ("opportunities", "created_date")
        if table not in have:
            return None, None
        return self.first_date(table, column), self.last_date(table, column)

    def _team_reps(self, team: str) -> ibis.Column | None:
        if "reps" not in self.tables():
            return None
        reps = self.table("reps")
        return reps.filter(reps.team == team).rep_id

    def _of_team(self, t: ibis.Table, team: str) -> ibis.Table:
        cols = set(t.columns)
        if team == ALL or not ({"team", "rep_id", "owner_rep_id", "opportunity_id", "account_id"} & cols):
            return t
        reps = self._team_reps(team)

        def owned(col: ibis.Column) -> ibis.BooleanValue:
            return ibis.literal(False) if reps is None else col.isin(reps)

        if "team" in cols and "rep_id" in cols:
            return t.filter(owned(t.rep_id) | (t.rep_id.isnull() & (t.team == team)))
        if "team" in cols:
            return t.filter(t.team == team)
        if "rep_id" in cols:
            return t.filter(owned(t.rep_id))
        if "owner_rep_id" in cols:
            return t.filter(owned(t.owner_rep_id))
        if "opportunity_id" in cols:
            opps = self.table("opportunities")
            return t.filter(t.opportunity_id.isin(opps.filter(owned(opps.rep_id)).opportunity_id))
        accounts = self.table("accounts")
        return t.filter(t.account_id.isin(accounts.filter(owned(accounts.owner_rep_id)).account_id))

    def of_team(self, table: str, team: str = ALL) -> ibis.Table:
        """A table's rows that belong to a team, as a lazy Ibis table."""
        return self._of_team(self.table(table), team)

    def read(self, table: str, team: str = ALL) -> pd.DataFrame:
        """A whole table, restricted to one team (or every team with 'all')."""
        return run(self.of_team(table, team))

    def count(self, table: str, team: str = ALL) -> int:
        """Rows of a table that belong to a team."""
        return int(self.of_team(table, team).count().to_pandas()) if table in self.tables() else 0

    def months_with_rows(self, table: str, team: str = ALL) -> set[str]:
        """The months (YYYY-MM) in which a dated table has rows of a team."""
        if table not in self.tables():
            return set()
        t = self.of_team(table, team)
        months = t.select(m=t[TABLES[table].date_column].strftime("%Y-%m")).distinct()
        return set(months.m.to_pandas().dropna())

    def lines(self, team: str, month: str, months_back: int = 0) -> ibis.Table:
        """Order lines of a team over a period, with revenue, cost, margin and their dimensions (lazy)."""
        start, end = trailing_window(month, months_back + 1)
        have = self.tables()
        o, p = self.table("order_lines"), self.table("products")
        o = o.filter((o.order_date >= start.date()) & (o.order_date < end.date()))
        null = ibis.null("string")
        joined = o.inner_join(p, o.product_id == p.product_id)
        segment, rep, region, team_col = null, null, null, o.team
        if "reps" in have:
            r = self.table("reps")
            joined = joined.left_join(r, o.rep_id == r.rep_id)
            rep, region, team_col = r.name, r.region, ibis.coalesce(r.team, o.team)
        if "accounts" in have:
            a = self.table("accounts")
            joined = joined.left_join(a, o.account_id == a.account_id)
            segment = a.segment
        revenue = o.quantity * o.list_price * (1 - o.discount)
        cost = o.quantity * ibis.coalesce(o.unit_cost, p.unit_cost)
        out = joined.select(
            line_id=o.line_id, order_id=o.order_id, order_date=o.order_date,
            month=o.order_date.truncate("M").cast("date"), account_id=o.account_id, rep_id=o.rep_id,
            rep=rep, team=team_col, region=region, product_id=o.product_id, product=p.name,
            family=p.family, segment=segment, quantity=o.quantity, list_price=o.list_price,
            discount=o.discount, rebate=o.rebate, freight=o.freight, credit=o.quantity < 0,
            gross_revenue=o.quantity * o.list_price, revenue=revenue, cost=cost, margin=revenue - cost)
        return out if team == ALL else out.filter(out.team == team)

    def lines_for(self, team: str, month: str, months_back: int = 0) -> ibis.Table:
        """Like `lines`, but raise EmptyPeriodError if the month itself has no order line."""
        if not value(self.lines(team, month).count()):
            raise EmptyPeriodError(
                f"No order line for team '{team}' in {month} in workspace '{self.name}'."
            )
        return self.lines(team, month, months_back)

    def sales(self, team: str, month: str, months_back: int = 0) -> pd.DataFrame:
        """Order lines of a team over a period, with revenue, cost, margin and their dimensions."""
        return run(self.lines(team, month, months_back).order_by(["order_date", "line_id"]))

    def sales_for(self, team: str, month: str, months_back: int = 0) -> pd.DataFrame:
        """Like `sales`, but raise EmptyPeriodError if the month itself has no order line."""
        return run(self.lines_for(team, month, months_back).order_by(["order_date", "line_id"]))

