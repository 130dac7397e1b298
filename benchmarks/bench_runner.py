"""Batch runner vs the naive loop (papermill CLI then nbconvert CLI per report), same plan, same data.

Prints the wall time of each and the ratio. Run with `make bench`; not part of the tests.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = "02_reporting"
TEAMS = ["north", "east", "south", "west", "all"]
MONTHS = ["2026-08", "2026-09", "2026-10"]


def naive(workspace: Path, out: Path) -> float:
    """What a user does by hand: one papermill call, then one nbconvert call, per report."""
    start = time.perf_counter()
    for month in MONTHS:
        for team in TEAMS:
            nb = out / f"{month}-{team}.ipynb"
            subprocess.run([BIN / "papermill", "--no-progress-bar", "--cwd", ROOT / "notebooks",
                            ROOT / "notebooks" / f"{NOTEBOOK}.ipynb", nb, "-p", "workspace",
                            str(workspace), "-p", "team", team, "-p", "month", month],
                           check=True, capture_output=True)
            subprocess.run([BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", nb],
                           check=True, capture_output=True)
    return time.perf_counter() - start


def batch(data: Path, out: Path) -> float:
    """The same reports with `salesnb run --plan`."""
    plan = out / "plan.yaml"
    plan.write_text(f"notebooks: [{NOTEBOOK}]\nteams: [{', '.join(TEAMS)}]\n"
                    f"months: [{', '.join(MONTHS)}]\n")
    start = time.perf_counter()
    subprocess.run([BIN / "salesnb", "run", "--plan", plan, "--data", data, "--outputs", out,
                    "--quiet", "--params", ROOT / "params"], check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    written = len(list(out.glob(f"*/*/{NOTEBOOK}.html")))
    assert written == len(TEAMS) * len(MONTHS), f"only {written} reports written"
    return elapsed


def main() -> None:
    n = len(TEAMS) * len(MONTHS)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "demo"
        subprocess.run([BIN / "salesnb", "demo", "--out", data], check=True, capture_output=True)
        (tmp / "naive").mkdir()
        (tmp / "batch").mkdir()
        t_batch = batch(data, tmp / "batch")
        t_naive = naive(data / "workspace.duckdb", tmp / "naive")
    print(f"{n} reports ({NOTEBOOK} x {len(TEAMS)} teams x {len(MONTHS)} months)")
    print(f"naive loop (papermill CLI + nbconvert CLI): {t_naive:7.1f} s  ({t_naive / n:.2f} s/report)")
    print(f"salesnb run --plan                        : {t_batch:7.1f} s  ({t_batch / n:.2f} s/report)")
    print(f"speed-up: {t_naive / t_batch:.1f}x")


if __name__ == "__main__":
    main()
