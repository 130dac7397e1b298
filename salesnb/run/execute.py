"""Running reports: notebooks in a process pool, each in a staging folder, published only when complete."""

from __future__ import annotations

import contextlib
import ctypes
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, replace
from pathlib import Path

from salesnb.core import cores
from salesnb.core.scope import display_name
from salesnb.data.engine import is_url
from salesnb.domains.forecast import SPARE_CORES
from salesnb.run.forkserver import SERVER_DIR, ForkProvisioner, ForkServer, ReadyClient, alive
from salesnb.run.plan import Job

KERNEL_START_TRIES = 3
FORK_SERVER = "SALESNB_FORK_SERVER"  # the batch's fork server socket, read by its workers
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _ipc_kernel_manager(socket_dir: str, started: list) -> type:
    """A kernel manager on local sockets (no TCP ports to race for), whose kernels the batch's fork server starts
    when there is one; records each manager it makes."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc")

        @default("client_factory")
        def _ready_client(self) -> type:
            return ReadyClient

        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            started.append(self)

        async def _async_pre_start_kernel(self, **kw):
            address = os.environ.get(FORK_SERVER)
            if address and self.provisioner is None:
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
                self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                                   parent=self, address=address)
            return await super()._async_pre_start_kernel(**kw)

        @default("ip")
        def _default_ip(self) -> str:
            return os.path.join(socket_dir, "kernel")

        async def _async_interrupt_kernel(self) -> None:
            """No SIGINT before a shutdown request (the kernel would log a KeyboardInterrupt on every report)."""
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

    return IPCKernelManager


class NotebookTimeout(Exception):
    """A report ran longer than its wall-clock limit."""


_KERNELS: list = []  # kernel managers running in this process, stopped with it
_STAGING: set[Path] = set()  # staging and kernel folders of this process, removed when it is stopped
STALE = re.compile(r"^\.[^/]+\.(\d+)\.\w+(\.tmp)?$")  # .<name>.<pid>.<random>[.tmp]
KERNEL_DIR = "salesnb-kernel-"


def _kernel_pid(km) -> int | None:
    return getattr(getattr(km, "provisioner", None), "pid", None)


def _kill_group(km) -> None:
    """Stop a kernel and every process it started: its process group, and every descendant that left the group
    (setsid) or its parent (a forked kernel adopts its orphans)."""
    import psutil

    pid = _kernel_pid(km)
    if not pid:
        return
    try:
        family = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        family = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for process in family:
        with contextlib.suppress(psutil.Error):
            process.kill()


def _kill(managers: list, expired: threading.Event) -> None:
    expired.set()
    for km in managers:
        _kill_group(km)


def _peak_kib(pid: int) -> int:
    """The highest resident memory a live process has had (VmHWM), in KiB; 0 when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _watch_memory(managers: list, first: int, stop: threading.Event, peak: list[int]) -> None:
    """Keep in `peak[0]` the highest resident memory of the kernels started from `managers[first]` on."""
    while not stop.wait(0.1):
        for km in managers[first:]:
            pid = _kernel_pid(km)
            if pid:
                peak[0] = max(peak[0], _peak_kib(pid))


def _execute(job: Job, staging: Path, peak: list[int]) -> None:
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel

    for attempt in range(1, KERNEL_START_TRIES + 1):
        socket_dir = tempfile.mkdtemp(prefix=f"{KERNEL_DIR}{os.getpid()}-")
        _STAGING.add(Path(socket_dir))
        managers: list = _KERNELS
        started_here = len(managers)
        expired = threading.Event()
        watchdog = threading.Timer(job.notebook_timeout, _kill, (managers, expired))
        watchdog.start()
        done = threading.Event()
        threading.Thread(target=_watch_memory, args=(managers, started_here, done, peak), daemon=True).start()
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
            done.set()
            for km in managers[started_here:]:
                _kill_group(km)  # whatever a cell left running goes with the kernel
            del managers[started_here:]
            shutil.rmtree(socket_dir, ignore_errors=True)
            _STAGING.discard(Path(socket_dir))


def _ran_any_cell(path: Path) -> bool:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return any(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


def _stand_ins(job: Job, staging: Path, exports: Path) -> dict[str, str]:
    """What each absolute path in an executed notebook becomes when it is shared: paths relative to the report's
    folder for the data and the project, '.' for the staging folders, <python> for the interpreter's files."""
    folder = job.report.parent.resolve()
    here = {str(Path(p).resolve()): os.path.relpath(Path(p).resolve(), folder)
            for p in (job.parameters.get("workspace", ""), job.source, job.cwd, os.getcwd()) if p and not is_url(p)}
    python = {p: "<python>" for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}}
    home = {str(Path.home()): "~"} if len(Path.home().parts) > 1 else {}
    return home | here | python | {str(exports): ".", str(staging): "."}


def run_job(job: Job) -> dict:
    """Execute one report into a staging file; publish it only if it completed."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    from salesnb.report.publish import (
        atomic_write,
        exports_of,
        headline,
        is_complete,
        published,
        to_html,
        without_paths,
        write_if_changed,
    )

    if job.skipped:
        return {**asdict(job), "status": "skipped",
                "message": job.skipped, "seconds": 0.0, "report": str(job.report)}
    started = time.perf_counter()
    report = job.report
    report.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{job.notebook}.{os.getpid()}.", dir=report.parent))
    _STAGING.add(tmp)
    staging = tmp / f"{job.notebook}.ipynb"
    error_nb = report.with_suffix(".error.ipynb")
    status, message, shown = "ok", "", []
    exports = tmp / "exports"
    if "output_dir" in job.parameters:
        exports.mkdir()
        job = replace(job, parameters=job.parameters | {"output_dir": str(exports)})
    peak = [0]
    try:
        try:
            _execute(job, staging, peak)
            nb = nbformat.read(staging, as_version=4)
            if not is_complete(nb):
                status, message = "failed", "the notebook stopped before its last cell"
        except PapermillExecutionError as exc:
            status, message = "failed", f"{exc.ename}: {exc.evalue}".strip()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, the batch goes on
            status, message = "failed", f"{type(exc).__name__}: {exc}"
        if status == "ok":
            shown = headline(nb)
            shared = published(nb, _stand_ins(job, tmp, exports))
            written = sorted(exports.glob("*")) if exports.exists() else []
            before = exports_of(report.with_suffix(".ipynb"))
            shared.metadata.setdefault("salesnb", {})["exports"] = [item.name for item in written]
            page = to_html(shared, f"{job.title} — {display_name(job.team)} — {job.month}").encode("utf-8")
            for item in written:
                write_if_changed(report.parent / item.name, item.read_bytes())
            write_if_changed(report.with_suffix(".ipynb"), nbformat.writes(shared).encode("utf-8"))
            write_if_changed(report, page)
            for name in before - {item.name for item in written}:  # an export this report no longer writes
                (report.parent / name).unlink(missing_ok=True)
            error_nb.unlink(missing_ok=True)
        elif staging.exists():
            shared = published(nbformat.read(staging, as_version=4), _stand_ins(job, tmp, exports))
            atomic_write(error_nb, nbformat.writes(shared))
        else:
            atomic_write(error_nb, "{}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        _STAGING.discard(tmp)
    return {**asdict(job), "status": status,
            "message": without_paths(message, _stand_ins(job, tmp, exports))[:500],
            "seconds": round(time.perf_counter() - started, 2), "peak_mib": round(peak[0] / 1024),
            "report": str(report), "headline": shown}


def _stop_worker(signum: int, frame: object) -> None:
    """SIGTERM in a worker: kill its kernels, remove its staging folders, exit at once."""
    for km in list(_KERNELS):
        _kill_group(km)
    for path in list(_STAGING):
        shutil.rmtree(path, ignore_errors=True)
    os._exit(130)


def _worker_start(parent: int) -> None:
    """A pool worker leaves Ctrl-C to the batch, cleans up on SIGTERM, and dies with the batch (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the batch died before prctl took effect
        os._exit(1)


class _Queue:
    """The batch's reports in the order they may start: a report linking to others (the overview) is ready once
    its team and month's other reports are done, and goes before every report not yet started."""

    def __init__(self, jobs: list[Job]) -> None:
        self.todo = [j for j in jobs if "reports" not in j.parameters]
        self.summaries = [j for j in jobs if "reports" in j.parameters]
        self.ready: list[Job] = []
        self.done([], [])

    def next(self) -> Job | None:
        """The next report to start; None when none may start now."""
        if self.ready:
            return self.ready.pop(0)
        return self.todo.pop(0) if self.todo else None

    def done(self, running: list[Job], results: list[dict]) -> None:
        """Make ready the summaries whose team and month have no other report left to run, linking to what was
        written."""
        busy = {(j.month, j.team) for j in self.todo + running if "reports" not in j.parameters}
        self.ready += [with_written_links(j, results) for j in self.summaries if (j.month, j.team) not in busy]
        self.summaries = [j for j in self.summaries if (j.month, j.team) in busy]


def _pool_run(jobs: list[Job], workers: int, bar, results: list[dict]) -> None:
    """Run jobs, appending each result as it comes; on Ctrl-C stop the workers (and their kernels) first."""
    queue = _Queue(jobs)
    if min(workers, len(jobs)) <= 1:
        while (job := queue.next()) is not None:
            results.append(run_job(job))
            bar.update()
            queue.done([], results)
        return
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=ctx, initializer=_worker_start,
                               initargs=(os.getpid(),))
    running: dict = {}
    try:
        while True:
            while len(running) < workers and (job := queue.next()) is not None:
                running[pool.submit(run_job, job)] = job
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                del running[future]
                results.append(future.result())
                bar.update()
            queue.done(list(running.values()), results)
    except KeyboardInterrupt:
        seen = {id(r) for r in results}
        finished = [f for f in running if f.done() and not f.cancelled() and f.exception() is None]
        results += [f.result() for f in finished if id(f.result()) not in seen]
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(ProcessLookupError, OSError):
                process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def with_written_links(job: Job, results: list[dict]) -> Job:
    """A summary job whose links point only to the reports of its team and month that were written."""
    written = {r["notebook"] for r in results
               if r["team"] == job.team and r["month"] == job.month and r["status"] == "ok"}
    links = [pair for pair in job.parameters["reports"] if pair[0] in written]
    return replace(job, parameters=job.parameters | {"reports": links})


def interrupted(job: Job) -> dict:
    """The record of a report the batch did not finish because it was stopped."""
    return {**asdict(job), "status": "interrupted", "message": "the run was stopped before this report finished",
            "seconds": 0.0, "report": str(job.report)}


def clean_stale(outputs: list[Path]) -> int:
    """Remove staging folders, half-written files and kernel folders left by runs that were killed; those of
    runs still alive are kept. Returns how many were removed."""
    candidates = [p for root in outputs for pattern in (".*", "*/.*", "*/*/.*") for p in root.glob(pattern)]
    candidates += [p for prefix in (KERNEL_DIR, SERVER_DIR) for p in Path(tempfile.gettempdir()).glob(f"{prefix}*")]
    removed = 0
    for path in candidates:
        m = STALE.match(path.name) or re.match(rf"^(?:{KERNEL_DIR}|{SERVER_DIR})(\d+)-", path.name)
        if m and not alive(int(m.group(1))):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            removed += 1
    return removed


def make_shared(jobs: list[Job], progress: bool) -> None:
    """The facts several reports share (the organisation's forecasts of each month), made once on every core
    before the reports start; where one cannot be made, the reports that need it say why."""
    from salesnb.report.facts import make_forecasts
    from salesnb.report.registry import REPORTS, ForecastChoice, ReportParams

    wanted = set()
    for job in jobs:
        takes = getattr(REPORTS.get(job.notebook), "params", ReportParams).model_fields
        if not job.skipped and "forecasting" in takes:
            p = job.parameters
            wanted.add((p["workspace"], job.month, ForecastChoice(**p.get("forecasting", {})).model_dump_json(),
                        p.get("currency", ""), p.get("country", "")))
    for workspace, month, forecasting, currency, country in sorted(wanted):
        if progress:
            print(f"Making the forecasts of {month} once, for every report that shows them…", file=sys.stderr,
                  flush=True)
        with contextlib.suppress(Exception):
            make_forecasts(workspace, month, json.loads(forecasting), currency, country)


def run_jobs(jobs: list[Job], workers: int = 0, progress: bool = True) -> list[dict]:
    """Run jobs on a pool of processes (one per core by default), each report in a kernel forked from the batch's
    warm server, with a progress bar, after making the facts they share; a report that links to others (the
    overview) starts once its team and month's other reports are done, linking only to what was written. On
    Ctrl-C the running reports are stopped and every report not finished is recorded as interrupted."""
    from tqdm import tqdm

    workers = workers or cores.usable()
    clean_stale(sorted({Path(j.outputs) for j in jobs}))
    saved = {name: os.environ.get(name) for name in (SPARE_CORES, FORK_SERVER)}
    on_ctrl_c = signal.getsignal(signal.SIGINT)
    bar = None
    results: list[dict] = []
    try:
        if any(not j.skipped for j in jobs):
            os.environ[FORK_SERVER] = ForkServer.start()  # imports the stack meanwhile; kernels wait for it
            make_shared(jobs, progress)
        spare = max(1, cores.usable() // max(1, min(workers, len(jobs))))
        os.environ[SPARE_CORES] = str(spare)  # forecasts in a report start no pool when the reports fill the cores
        bar = tqdm(total=len(jobs), desc="reports", unit="report", disable=not progress)
        _pool_run(jobs, workers, bar, results)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the cleanup short
        done = {(r["month"], r["team"], r["notebook"]) for r in results}
        results += [interrupted(j) for j in jobs if (j.month, j.team, j.notebook) not in done]
    finally:
        signal.signal(signal.SIGINT, on_ctrl_c)  # the caller's Ctrl-C again (a notebook, a test, a script)
        if bar is not None:
            bar.close()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return sorted(results, key=lambda r: (r["month"], r["team"], r["notebook"]))


def publish_index(results: list[dict]) -> list[Path]:
    """Update each month's run record and index page; return the index paths."""
    from salesnb.core.lock import locked
    from salesnb.report.publish import record_runs, write_index

    paths = []
    by_month: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        by_month.setdefault((r["outputs"], r["month"]), []).append(r)
    for (outputs, month), rs in sorted(by_month.items()):
        month_dir = Path(outputs) / month
        with locked(month_dir):
            paths.append(write_index(month_dir, month, record_runs(month_dir, rs)))
    return paths
