"""A workspace's tables copied into a PostgreSQL warehouse, so reports can run where the data live."""

from __future__ import annotations

from pathlib import Path

from salesnb.data import engine
from salesnb.data.schema import KINDS, TABLES
from salesnb.data.workspace import META, REJECTS

POSTGRES_TYPES = {"VARCHAR": "text", "DOUBLE": "double precision", "BIGINT": "bigint", "DATE": "date"}
BATCH = 50_000


def _columns(table: str) -> list[tuple[str, str]]:
    if table == META:
        return [("key", "text"), ("value", "text")]
    if table == REJECTS:
        return [("table", "text"), ("reason", "text"), ("rows", "bigint")]
    return [(f.name, POSTGRES_TYPES[KINDS[f.kind][1]]) for f in TABLES[table].fields]


def copy_to_postgres(workspace: str | Path, url: str) -> dict[str, int]:
    """Copy every contract table of a DuckDB workspace into a PostgreSQL database (replacing them); rows per table."""
    import psycopg

    url = engine.check_url(url)
    src = engine.open_duckdb(workspace, read_only=True)
    counts: dict[str, int] = {}
    try:
        present = {r[0] for r in src.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        with psycopg.connect(url) as pg:
            for table in [t for t in (*TABLES, META, REJECTS) if t in present]:
                cols = _columns(table)
                names = ", ".join(f'"{c}"' for c, _ in cols)
                pg.execute(f'DROP TABLE IF EXISTS "{table}"')
                defs = ", ".join(f'"{c}" {t}' for c, t in cols)
                pg.execute(f'CREATE TABLE "{table}" ({defs})')
                result = src.execute(f'SELECT {names} FROM "{table}"')
                counts[table] = 0
                with pg.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    while rows := result.fetchmany(BATCH):
                        for row in rows:
                            copy.write_row(row)
                        counts[table] += len(rows)
    finally:
        src.close()
    return counts
