"""The demo at scale (~10 million order lines): load it, then run the whole demo plan on it with the default workers.

Prints the load's time and memory; the reporting figures by one hand-written DuckDB query beside the
same figures by the reporting functions (same workspace, same process); then, per report of the plan, the wall time
and the peak memory of its kernel, for the organisation and the largest of the teams, and the batch's largest
process. Not part of the tests.
Usage: python benchmarks/bench_scale.py [SCALE]   (default 110, about 10.3 million order lines)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from salesnb.core.scope import trailing_window
from salesnb.data.demo import END_MONTH
from salesnb.data.workspace import Workspace
from salesnb.domains import reporting

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LIMIT_MIB = 1536

HAND_WRITTEN = """
WITH l AS (
  SELECT date_trunc('month', o.order_date) AS month, o.order_id, o.quantity, r.team, r.name AS rep, p.family,
         p.name AS product, o.quantity * o.list_price * (1 - o.discount) AS revenue,
         o.quantity * o.list_price * (1 - o.discount) - o.quantity * coalesce(o.unit_cost, p.unit_cost) AS margin
  FROM order_lines o JOIN products p USING (product_id) LEFT JOIN reps r USING (rep_id)
  WHERE o.order_date >= $first AND o.order_date < $end)
SELECT month, team, rep, family, product, sum(revenue) AS revenue, sum(margin) AS margin,
       sum(quantity) AS units, count(DISTINCT order_id) FILTER (WHERE quantity >= 0) AS orders
FROM l GROUP BY GROUPING SETS ((month), (month, team), (month, rep), (month, family), (month, product))
"""


MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[2:]).returncode
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(f"{time.perf_counter() - start} {peak} {code}")
"""


def timed_run(*args: object) -> tuple[float, float, int]:
    """Run a command in a small process of its own (a child inherits its parent's peak memory): wall seconds, the
    largest resident memory of the command and its descendants (MiB), exit code."""
    with tempfile.NamedTemporaryFile(suffix=".measure") as out:
        subprocess.run([sys.executable, "-c", MEASURE, out.name, *map(str, args)], capture_output=True)
        seconds, kib, code = Path(out.name).read_text().split()
    return float(seconds), int(kib) / 1024, int(code)


def reporting_figures(ws: Workspace, month: str) -> None:
    """What 02_reporting computes for the organisation: summary, trend, breakdowns."""
    lines = ws.lines("all", month, 24)
    reporting.summary(lines, month)
    reporting.trend(lines)
    for by in ("team", "rep", "family", "product"):
        reporting.breakdown(lines, month, by)


def compare_reporting(path: Path, month: str) -> tuple[float, float]:
    """Seconds of the hand-written query and of the reporting functions, best of three each."""
    first, end = trailing_window(month, 25)
    con = duckdb.connect(str(path), read_only=True)
    hand = []
    for _ in range(3):
        t = time.perf_counter()
        con.execute(HAND_WRITTEN, {"first": first.date(), "end": end.date()}).df()
        hand.append(time.perf_counter() - t)
    con.close()
    ws = Workspace(path)
    ours = []
    for _ in range(3):
        t = time.perf_counter()
        reporting_figures(ws, month)
        ours.append(time.perf_counter() - t)
    ws.close()
    return min(hand), min(ours)


def main(scale: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data", Path(tmp) / "out"
        seconds, mib, _ = timed_run(BIN / "salesnb", "demo", "--scale", scale, "--format", "parquet", "--out", data)
        rows = json.loads((data / "manifest.json").read_text())["rows"]["order_lines"]
        print(f"generate + validate + load (salesnb demo): {rows:,} order lines in {seconds:.0f} s, "
              f"peak memory {mib:,.0f} MiB")

        hand, ours = compare_reporting(data / "workspace.duckdb", END_MONTH)
        print(f"\nreporting figures for the organisation ({END_MONTH}, 25 months): hand-written DuckDB query "
              f"{hand:.2f} s, reporting functions (Ibis on DuckDB) {ours:.2f} s, ratio {ours / hand:.2f}")

        wall, mib, code = timed_run(BIN / "salesnb", "run", "--plan", ROOT / "params" / "plans" / "demo.yaml",
                                    "--data", data, "--outputs", out, "--quiet", "--params", ROOT / "params")
        runs = json.loads((out / END_MONTH / "runs.json").read_text())
        print(f"\ndemo plan: {len(runs)} reports in {wall:.0f} s with the default workers, exit {code}; "
              f"largest process of the batch: {mib:,.0f} MiB\n")
        print(f"{'report':<22} {'all: s':>7} {'all: MiB':>9} {'teams: max s':>13} {'teams: max MiB':>15}  status")
        over = []
        for nb in sorted({r["notebook"] for r in runs.values()}):
            org = runs[f"all/{nb}"]
            teams = [r for k, r in runs.items() if r["notebook"] == nb and not k.startswith("all/")]
            statuses = {r["status"] for r in [org, *teams]}
            peak = max(r.get("peak_mib", 0) for r in [org, *teams])
            over += [nb] if peak > LIMIT_MIB else []
            print(f"{nb:<22} {org['seconds']:>7.1f} {org.get('peak_mib', 0):>9,} "
                  f"{max(r['seconds'] for r in teams):>13.1f} {max(r.get('peak_mib', 0) for r in teams):>15,}  "
                  f"{'/'.join(sorted(statuses))}")
        failed = [k for k, r in runs.items() if r["status"] != "ok"]
        print(f"\nnot ok: {', '.join(failed) or 'none'}; over {LIMIT_MIB} MiB: {', '.join(over) or 'none'}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 110.0)
