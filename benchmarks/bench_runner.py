"""The batch against its two references on the same plan and data, in one script: the naive loop (papermill CLI
then nbconvert CLI per report) and the limit (the same notebooks' code run one after the other in one Python
process, no kernel, no HTML); then the fixed cost of one report (an empty report through the batch's path).

Run with `make bench`; not part of the tests. Prints seconds and ratios, never asserts a time.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
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
    """The same reports with `salesnb run --plan`, from the command's start to its end."""
    plan = out / "plan.yaml"
    plan.write_text(f"notebooks: [{NOTEBOOK}]\nteams: [{', '.join(TEAMS)}]\nmonths: [{', '.join(MONTHS)}]\n")
    start = time.perf_counter()
    subprocess.run([BIN / "salesnb", "run", "--plan", plan, "--data", data, "--outputs", out,
                    "--quiet", "--params", ROOT / "params"], check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    written = len(list(out.glob(f"*/*/{NOTEBOOK}.html")))
    assert written == len(TEAMS) * len(MONTHS), f"only {written} reports written"
    return elapsed


LIMIT = """
import contextlib, io, os, sys, time
import nbformat
os.environ["MPLBACKEND"] = "Agg"
import matplotlib.pyplot as plt
from salesnb.run.forkserver import _preload
_preload()
workspace, teams, months, notebook = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(","), sys.argv[4]
os.chdir(os.path.dirname(notebook))
cells = [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
start = time.perf_counter()
for month in months:
    for team in teams:
        code = [cells[0], f"workspace = {workspace!r}\\nteam = {team!r}\\nmonth = {month!r}\\noutput_dir = ''"]
        with contextlib.redirect_stdout(io.StringIO()):
            namespace = {}
            for source in code + cells[1:]:
                exec(compile(source, notebook, "exec"), namespace)
        plt.close("all")
print(time.perf_counter() - start)
"""


def limit(workspace: Path) -> float:
    """The same notebooks' code run one report after the other in one process that has imported the stack."""
    out = subprocess.run([sys.executable, "-c", LIMIT, str(workspace), ",".join(TEAMS), ",".join(MONTHS),
                          str(ROOT / "notebooks" / f"{NOTEBOOK}.ipynb")], check=True, capture_output=True,
                         text=True, cwd=ROOT)
    return float(out.stdout.strip().splitlines()[-1])


def fixed_cost(out: Path, runs: int = 7) -> float:
    """Median seconds of an empty report (parameters and the completion cell) through the batch's own path:
    a kernel forked from the warm server, papermill, the HTML export and publishing."""
    import nbformat

    from salesnb.run import execute
    from salesnb.run.forkserver import ForkServer
    from salesnb.run.plan import Job

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('team = "all"')
    params.metadata["tags"] = ["parameters"]
    done = nbformat.v4.new_code_cell("from salesnb.report import display\ndisplay.complete()")
    done.metadata["tags"] = ["salesnb-complete"]
    nb.cells = [params, done]
    source = out / "empty.ipynb"
    nbformat.write(nb, source)
    os.environ[execute.FORK_SERVER] = ForkServer.address()
    job = Job("empty", "Empty", "all", "2026-10", str(source), str(out), {"team": "all"}, 60, str(out))
    seconds = []
    with contextlib.redirect_stdout(io.StringIO()):
        for _ in range(runs):
            result = execute.run_job(job)
            assert result["status"] == "ok", result["message"]
            seconds.append(result["seconds"])
    return statistics.median(seconds[1:])


def main() -> None:
    n = len(TEAMS) * len(MONTHS)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "demo"
        subprocess.run([BIN / "salesnb", "demo", "--out", data], check=True, capture_output=True)
        for name in ("naive", "batch", "empty"):
            (tmp / name).mkdir()
        t_batch = batch(data, tmp / "batch")
        t_limit = limit(data / "workspace.duckdb")
        t_naive = naive(data / "workspace.duckdb", tmp / "naive")
        t_fixed = fixed_cost(tmp / "empty")
    print(f"{n} reports ({NOTEBOOK} x {len(TEAMS)} teams x {len(MONTHS)} months), {os.cpu_count()} cores")
    print(f"naive loop (papermill CLI + nbconvert CLI): {t_naive:7.1f} s  ({t_naive / n:.2f} s/report)")
    print(f"salesnb run --plan                        : {t_batch:7.1f} s  ({t_batch / n:.2f} s/report)")
    print(f"same code in one process (the limit)      : {t_limit:7.1f} s  ({t_limit / n:.2f} s/report)")
    print(f"batch vs naive: {t_naive / t_batch:.1f}x faster; batch vs the limit: {t_batch / t_limit:.2f}x")
    print(f"fixed cost of one report (empty report, batch path, median): {t_fixed:.2f} s")


if __name__ == "__main__":
    main()
