"""Running reports: notebooks in a process pool, each in a staging folder, published only when complete."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, replace
from pathlib import Path

from salesnb.run.plan import Job

KERNEL_START_TRIES = 3


def _ipc_kernel_manager(socket_dir: str, started: list) -> type:
    """A kernel manager on local sockets (no TCP ports to race for); records each manager it makes."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc")

        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            started.append(self)

        @default("ip")
        def _default_ip(self) -> str:
            return os.path.join(socket_dir, "kernel")

    return IPCKernelManager


class NotebookTimeout(Exception):
    """A report ran longer than its wall-clock limit."""


def _kill(managers: list, expired: threading.Event) -> None:
    expired.set()
    for km in managers:
        pid = getattr(getattr(km, "provisioner", None), "pid", None)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _execute(job: Job, staging: Path) -> None:
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel

    for attempt in range(1, KERNEL_START_TRIES + 1):
        socket_dir = tempfile.mkdtemp(prefix="salesnb-kernel-")
        managers: list = []
        expired = threading.Event()
        watchdog = threading.Timer(job.notebook_timeout, _kill, (managers, expired))
        watchdog.start()
        try:
            papermill.execute_notebook(
                job.source, str(staging), parameters=job.parameters, kernel_name="python3",
                progress_bar=False, execution_timeout=job.cell_timeout, cwd=job.cwd,
                kernel_manager_class=_ipc_kernel_manager(socket_dir, managers),
            )
            return
        except Exception as exc:
            if expired.is_set():
                raise NotebookTimeout(f"stopped after {job.notebook_timeout} s (notebook_timeout)") from None
            if not isinstance(exc, (RuntimeError, TimeoutError)):
                raise
            started = staging.exists() and _ran_any_cell(staging)
            if started or attempt == KERNEL_START_TRIES or isinstance(exc, NoSuchKernel):
                raise
            time.sleep(0.5 * attempt)
        finally:
            watchdog.cancel()
            shutil.rmtree(socket_dir, ignore_errors=True)


def _ran_any_cell(path: Path) -> bool:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return any(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


def run_job(job: Job) -> dict:
    """Execute one report into a staging file; publish it only if it completed."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    from salesnb.report.publish import atomic_write, is_complete, to_html

    if job.skipped:
        return {**asdict(job), "status": "skipped",
                "message": job.skipped, "seconds": 0.0, "report": str(job.report)}
    started = time.perf_counter()
    report = job.report
    report.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{job.notebook}.", dir=report.parent))
    staging = tmp / f"{job.notebook}.ipynb"
    error_nb = report.with_suffix(".error.ipynb")
    status, message = "ok", ""
    exports = tmp / "exports"
    if "output_dir" in job.parameters:
        exports.mkdir()
        job = replace(job, parameters=job.parameters | {"output_dir": str(exports)})
    try:
        try:
            _execute(job, staging)
            nb = nbformat.read(staging, as_version=4)
            if not is_complete(nb):
                status, message = "failed", "the notebook stopped before its last cell"
        except PapermillExecutionError as exc:
            status, message = "failed", f"{exc.ename}: {exc.evalue}".strip()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, the batch goes on
            status, message = "failed", f"{type(exc).__name__}: {exc}"
        if status == "ok":
            title = f"{job.title} — {job.team} — {job.month}"
            html_tmp = tmp / "report.html"
            html_tmp.write_text(to_html(nb, title), encoding="utf-8")
            for item in sorted(exports.glob("*")) if exports.exists() else []:
                os.replace(item, report.parent / item.name)
            os.replace(staging, report.with_suffix(".ipynb"))
            os.replace(html_tmp, report)
            error_nb.unlink(missing_ok=True)
        elif staging.exists():
            os.replace(staging, error_nb)
        else:
            atomic_write(error_nb, "{}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {**asdict(job), "status": status,
            "message": message[:500],
            "seconds": round(time.perf_counter() - started, 2), "report": str(report)}


def _pool_run(jobs: list[Job], workers: int, bar) -> list[dict]:
    if not jobs:
        return []
    results = []
    if min(workers, len(jobs)) == 1:
        for job in jobs:
            results.append(run_job(job))
            bar.update()
        return results
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=ctx) as pool:
        futures = [pool.submit(run_job, job) for job in jobs]
        for future in as_completed(futures):
            results.append(future.result())
            bar.update()
    return results


def with_written_links(job: Job, results: list[dict]) -> Job:
    """A summary job whose links point only to the reports of its team and month that were written."""
    written = {r["notebook"] for r in results
               if r["team"] == job.team and r["month"] == job.month and r["status"] == "ok"}
    links = [pair for pair in job.parameters["reports"] if pair[0] in written]
    return replace(job, parameters=job.parameters | {"reports": links})


def run_jobs(jobs: list[Job], workers: int = 0, progress: bool = True) -> list[dict]:
    """Run jobs on a pool of processes (one per core by default), with a progress bar; reports that link to
    others (the overview) run last, linking only to what was written."""
    from tqdm import tqdm

    workers = workers or os.cpu_count() or 1
    bar = tqdm(total=len(jobs), desc="reports", unit="report", disable=not progress)
    summaries = [j for j in jobs if "reports" in j.parameters]
    results = _pool_run([j for j in jobs if "reports" not in j.parameters], workers, bar)
    results += _pool_run([with_written_links(j, results) for j in summaries], workers, bar)
    bar.close()
    return sorted(results, key=lambda r: (r["month"], r["team"], r["notebook"]))


def publish_index(results: list[dict]) -> list[Path]:
    """Update each month's run record and index page; return the index paths."""
    from salesnb.report.publish import record_runs, write_index

    paths = []
    by_month: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        by_month.setdefault((r["outputs"], r["month"]), []).append(r)
    for (outputs, month), rs in sorted(by_month.items()):
        month_dir = Path(outputs) / month
        paths.append(write_index(month_dir, month, record_runs(month_dir, rs)))
    return paths
