"""The same Ibis code on Spark (local mode) as on DuckDB: reporting and pricing figures of the demo, side by side.

Opt-in, not in `make bench`: needs Java (Debian's `openjdk-17-jre-headless`) and `pip install -e '.[spark]'`.
Prints, per scope, the seconds each engine took and whether every figure agrees (relative tolerance 1e-9).
Usage: python benchmarks/bench_spark.py [SCALE]   (default 1, about 94,000 order lines)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb
import ibis
import pandas as pd

from salesnb.data.demo import END_MONTH, generate
from salesnb.data.workspace import Workspace, load_folder
from salesnb.domains import pricing, reporting

SCOPES = ("all", "north")


def figures(ws: Workspace, team: str) -> list[pd.DataFrame]:
    """What the reporting and pricing reports compute for a scope."""
    lines = ws.lines(team, END_MONTH, 24)
    guided = pricing.with_guidelines(ws.lines(team, END_MONTH, 2), ws.table("products"))
    return [reporting.summary(lines, END_MONTH), reporting.trend(lines),
            *(reporting.breakdown(lines, END_MONTH, by) for by in ("team", "rep", "family", "product")),
            pricing.compliance(guided, "rep"), pricing.discount_distribution(guided, "family"),
            pricing.size_distribution(guided), pricing.waterfall_table(guided, "family"),
            pricing.leakage_trend(guided)]


def spark_workspace(workspace: Path, folder: Path) -> Workspace:
    """The workspace's tables as Parquet files read by a local Spark session."""
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("salesnb").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    con = duckdb.connect(str(workspace), read_only=True)
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
        path = folder / f"table-{table}.parquet"  # Spark skips files whose name starts with _
        con.execute(f"COPY \"{table}\" TO '{path}' (FORMAT parquet)")
        spark.read.parquet(str(path)).createOrReplaceTempView(table)
    con.close()
    return Workspace(ibis.pyspark.connect(spark))


def timed(ws: Workspace, team: str) -> tuple[float, list[pd.DataFrame]]:
    start = time.perf_counter()
    out = figures(ws, team)
    return time.perf_counter() - start, out


def main(scale: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        manifest = generate(data, scale=scale, order_format="parquet")
        load_folder(data, data / "workspace.duckdb")
        duck = Workspace(data / "workspace.duckdb")
        spark = spark_workspace(data / "workspace.duckdb", Path(tmp))
        print(f"{manifest['rows']['order_lines']:,} order lines, on DuckDB and on Spark (local[2])\n")
        print(f"{'scope':<8} {'DuckDB s':>9} {'Spark s':>8}  figures equal")
        for team in SCOPES:
            t_duck, a = timed(duck, team)
            timed(spark, team)  # the first Spark query of a scope starts its jobs: time the second
            t_spark, b = timed(spark, team)
            equal = 0
            for x, y in zip(a, b, strict=True):
                try:
                    pd.testing.assert_frame_equal(x, y, check_dtype=False, check_index_type=False, rtol=1e-9)
                    equal += 1
                except AssertionError as exc:
                    print(f"  differs: {str(exc).splitlines()[0]}")
            print(f"{team:<8} {t_duck:>9.2f} {t_spark:>8.2f}  {equal} of {len(a)}")
        duck.close()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
