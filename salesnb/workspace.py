"""The workspace: validated input tables in one embedded DuckDB file, read back as filtered frames."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd

from salesnb.errors import EmptyPeriodError, InputError
from salesnb.schema import DOMAINS, KINDS, TABLES
from salesnb.validate import check_references, find_inputs, read_chunks, validate_frame

ALL = "all"
META = "_salesnb_meta"
REFERENCED = {"reps": "rep_id", "accounts": "account_id", "products": "product_id",
              "opportunities": "opportunity_id"}


def fingerprint(files: dict[str, Path]) -> str:
    """A digest of the input files' names, sizes and modification times."""
    parts = [(t, p.name, p.stat().st_size, p.stat().st_mtime_ns) for t, p in sorted(files.items())]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


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
    return out


def load_folder(folder: str | Path, workspace: str | Path) -> dict[str, int]:
    """Validate every input file of a folder and load it into the workspace, all or nothing."""
    folder, workspace = Path(folder), Path(workspace)
    files = find_inputs(folder)
    existed = workspace.exists()
    workspace.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(workspace))
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
            if not file_errors:
                file_errors += _duplicates(con, table, path.name)
            if key_parts:
                keys[table] = pd.Index(pd.concat(key_parts).unique())
            errors += file_errors
        if errors:
            raise InputError(f"Cannot load data folder '{folder}':\n- " + "\n- ".join(errors))
        con.execute(f'CREATE OR REPLACE TABLE "{META}" (key VARCHAR, value VARCHAR)')
        con.executemany(
            f'INSERT INTO "{META}" VALUES (?, ?)',
            [("fingerprint", fingerprint(files)), ("source", str(folder.resolve())),
             ("files", json.dumps({t: p.name for t, p in files.items()}))],
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
            if row and row[0] == fingerprint(files):
                return False
        except duckdb.Error:
            pass
    load_folder(folder, workspace)
    return True


def month_bounds(month: str, months_back: int = 0) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First day of the period starting `months_back` months before `month`, and the day after it."""
    end = pd.Period(month, freq="M")
    return (end - months_back).start_time, (end + 1).start_time


def between(df: pd.DataFrame, column: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Rows whose `column` date falls in [start, end)."""
    date = pd.to_datetime(df[column])
    return df[(date >= start) & (date < end)]


class Workspace:
    """Read-only access to a workspace file, filtered by team and period."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(
                f"Workspace '{self.path}' does not exist: run `salesnb validate DATA_DIR` or "
                "`salesnb demo` first."
            )
        self.con = duckdb.connect(str(self.path), read_only=True)

    def close(self) -> None:
        self.con.close()

    def tables(self) -> set[str]:
        """The contract tables present in the workspace."""
        names = {r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return names & set(TABLES)

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
                f"'{self.path.name}' does not hold; add {', '.join(t + '.csv' for t in lacking)} "
                "to the data folder."
            )

    def teams(self) -> list[str]:
        """Every team named in the reps table."""
        return [r[0] for r in self.con.execute("SELECT DISTINCT team FROM reps ORDER BY 1").fetchall()]

    def _month(self, func: str, table: str, column: str | None = None) -> str | None:
        if table not in self.tables():
            return None
        col = column or TABLES[table].date_column
        row = self.con.execute(f'SELECT {func}("{col}") FROM "{table}"').fetchone()
        return None if row[0] is None else pd.Timestamp(row[0]).strftime("%Y-%m")

    def first_month(self, table: str = "order_lines", column: str | None = None) -> str | None:
        """The earliest month (YYYY-MM) with rows in a dated table."""
        return self._month("min", table, column)

    def last_month(self, table: str = "order_lines", column: str | None = None) -> str | None:
        """The latest month (YYYY-MM) with rows in a dated table."""
        return self._month("max", table, column)

    def read(self, table: str, team: str = ALL) -> pd.DataFrame:
        """A whole table, restricted to one team (or every team with 'all')."""
        cols = TABLES[table].columns
        team_reps = "(SELECT rep_id FROM reps WHERE team = $team)"
        if team == ALL or not ({"team", "rep_id", "owner_rep_id", "opportunity_id", "account_id"}
                               & set(cols)):
            return self.con.execute(f'SELECT * FROM "{table}"').df()
        if "team" in cols:
            where = "team = $team"
        elif "rep_id" in cols:
            where = f"rep_id IN {team_reps}"
        elif "owner_rep_id" in cols:
            where = f"owner_rep_id IN {team_reps}"
        elif "opportunity_id" in cols:
            where = ("opportunity_id IN (SELECT opportunity_id FROM opportunities "
                     f"WHERE rep_id IN {team_reps})")
        else:
            where = f"account_id IN (SELECT account_id FROM accounts WHERE owner_rep_id IN {team_reps})"
        return self.con.execute(f'SELECT * FROM "{table}" WHERE {where}', {"team": team}).df()

    def sales(self, team: str, month: str, months_back: int = 0) -> pd.DataFrame:
        """Order lines of a team over a period, with revenue, cost, margin and their dimensions."""
        start, end = month_bounds(month, months_back)
        has_accounts = "accounts" in self.tables()
        segment = "a.segment" if has_accounts else "CAST(NULL AS VARCHAR)"
        join = "LEFT JOIN accounts a ON a.account_id = o.account_id" if has_accounts else ""
        df = self.con.execute(
            f"""
            SELECT o.line_id, o.order_id, o.order_date,
                   CAST(date_trunc('month', o.order_date) AS DATE) AS month,
                   o.account_id, o.rep_id, r.name AS rep, r.team, r.region,
                   o.product_id, p.name AS product, p.family, {segment} AS segment,
                   o.quantity, o.list_price, o.discount, o.rebate, o.freight,
                   o.quantity * o.list_price AS gross_revenue,
                   o.quantity * o.list_price * (1 - o.discount) AS revenue,
                   o.quantity * coalesce(o.unit_cost, p.unit_cost) AS cost
            FROM order_lines o
            JOIN reps r ON r.rep_id = o.rep_id
            JOIN products p ON p.product_id = o.product_id
            {join}
            WHERE (? = '{ALL}' OR r.team = ?) AND o.order_date >= ? AND o.order_date < ?
            ORDER BY o.order_date, o.line_id
            """,
            [team, team, start.date(), end.date()],
        ).df()
        df["month"] = pd.to_datetime(df["month"])
        df["margin"] = df["revenue"] - df["cost"]
        return df

    def sales_for(self, team: str, month: str, months_back: int = 0) -> pd.DataFrame:
        """Like `sales`, but raise EmptyPeriodError if the month itself has no order line."""
        df = self.sales(team, month, months_back)
        if not (df["month"] == pd.Period(month, freq="M").start_time).any():
            raise EmptyPeriodError(
                f"No order line for team '{team}' in {month} in workspace '{self.path.name}'."
            )
        return df
