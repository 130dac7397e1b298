"""Batch runner: check every job before any kernel starts, run notebooks in parallel, publish safely."""

from __future__ import annotations

import ast
import contextlib
import functools
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from salesnb.core.errors import ParameterError
from salesnb.core.scope import activity_dates, latest_month
from salesnb.data.schema import DOMAINS
from salesnb.data.workspace import ALL, Workspace, ensure_loaded
from salesnb.run.checks import CHECKS
from salesnb.run.params import EACH_TEAM, LATEST, Plan, Settings, check_month, load_settings

COMMON = ("workspace", "team", "month")
SCOPE_FACTS = ("currency", "country")
KERNEL_START_TRIES = 3
TYPES = {"int": int, "float": (int, float), "str": str, "bool": bool}


@dataclass(frozen=True)
class Job:
    """One report: a notebook for a team and a month, with its full parameters."""

    notebook: str
    team: str
    month: str
    source: str
    outputs: str
    parameters: dict[str, Any]
    cell_timeout: int
    cwd: str
    skipped: str = ""
    without: str = ""
    notebook_timeout: int = 1800

    @property
    def report(self) -> Path:
        return report_path(Path(self.outputs), self.month, self.team, self.notebook)


def report_path(outputs: Path, month: str, team: str, notebook: str) -> Path:
    """Where a report's HTML goes: outputs/<month>/<team>/<notebook>.html."""
    return outputs / month / team / f"{notebook}.html"


def notebook_parameters(path: Path) -> dict[str, dict]:
    """The names and inferred types declared in a notebook's parameters cell."""
    import papermill

    return papermill.inspect_notebook(str(path))


def notebook_domain(path: Path) -> str | None:
    """The contract domain a notebook opens with `show.open_report(..., "<domain>", ...)`."""
    import nbformat

    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    found = re.search(r'open_report\(workspace, team, month, "(\w+)"', code)
    return found.group(1) if found else None


def notebook_title(path: Path) -> str:
    """The notebook's H1 title, else its name."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return path.stem


def _literal(text: str | None) -> object:
    try:
        return ast.literal_eval(text) if text else None
    except (ValueError, SyntaxError):
        return None


def _check_parameters(nb: str, declared: dict[str, dict], given: dict[str, Any]) -> None:
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ParameterError(
            f"Notebook {nb} has no parameter(s) {', '.join(unknown)}; it declares "
            f"{', '.join(declared)}. Check the spelling in params/ or on the command line."
        )
    for name, value in given.items():
        expected = TYPES.get(declared[name].get("inferred_type_name", ""))
        if expected and not isinstance(value, expected) or (
            expected is int and isinstance(value, bool)
        ):
            raise ParameterError(
                f"Notebook {nb}: parameter '{name}' must be "
                f"{declared[name]['inferred_type_name']}, got {value!r}."
            )


def plan_jobs(
    plan: Plan, params_dir: Path, overrides: dict | None = None, extra: dict | None = None
) -> tuple[Settings, list[Job]]:
    """Validate a plan against parameters, notebooks and data; return the jobs to run."""
    settings = load_settings(params_dir, overrides=overrides)
    if not settings.data_dir.is_dir() and not settings.workspace_path.exists():
        raise ParameterError(
            f"Data folder '{settings.data_dir}' does not exist (set data_dir in "
            f"{params_dir / 'defaults.yaml'} or pass --data); `salesnb demo` creates demo data."
        )
    if settings.data_dir.is_dir():
        ensure_loaded(settings.data_dir, settings.workspace_path)
    ws = Workspace(settings.workspace_path)
    try:
        have = ws.tables()
        known = ws.teams()
        first, last = activity_dates(ws)
        lacking, empty, domains = {}, {}, {}
        count = functools.cache(ws.count)
        for nb in plan.notebooks:
            source = settings.notebooks_dir / f"{nb}.ipynb"
            domain = domains[nb] = notebook_domain(source) if source.exists() else None
            lacking[nb] = ws.missing(domain) if domain else {"required": [], "optional": []}
            required = [t for t in DOMAINS[domain]["required"] if t in have] if domain else []
            empty[nb] = {team: [t for t in required if count(t, team) == 0] for team in known}
        sold = {team: ws.months_with_rows("order_lines", team) for team in [*known, ALL]}
    finally:
        ws.close()
    unsafe = [t for t in known if "/" in t or "\\" in t or t.startswith(".") or not t.strip()]
    if unsafe:
        raise ParameterError(f"Team name(s) {', '.join(map(repr, unsafe))} in the reps table cannot "
                             "name a report folder: avoid '/', '\\' and a leading '.'.")
    teams: list[str] = []
    for team in plan.teams:
        if team == EACH_TEAM:
            teams += known
        elif team == ALL or team in known:
            teams.append(team)
        else:
            raise ParameterError(
                f"Unknown team '{team}': the data have teams "
                f"{', '.join(known) or '(none)'}; use one of them or '{ALL}'."
            )
    if last is None:
        raise ParameterError("The workspace holds no order line nor opportunity, so no month can be reported.")
    first_month, last_month = first.strftime("%Y-%m"), last.strftime("%Y-%m")
    months = []
    for month in plan.months:
        month = latest_month(last) if check_month(month) == LATEST else month
        if not first_month <= month <= last_month:
            raise ParameterError(
                f"Month {month} has no data: the data cover {first:%Y-%m-%d} to {last:%Y-%m-%d}."
            )
        months.append(month)
    jobs = []
    for nb in plan.notebooks:
        source = settings.notebooks_dir / f"{nb}.ipynb"
        if not source.exists():
            names = sorted(p.stem for p in settings.notebooks_dir.glob("*.ipynb"))
            raise ParameterError(f"Notebook '{nb}' not found in {settings.notebooks_dir}; "
                                 f"available: {', '.join(names)}.")
        declared = notebook_parameters(source)
        defaults = {name: _literal(info.get("default")) for name, info in declared.items()}
        missing = [c for c in COMMON if c not in declared]
        if missing:
            raise ParameterError(f"Notebook {nb} must declare parameter(s) {', '.join(missing)}.")
        for team in dict.fromkeys(teams):
            team_settings = load_settings(params_dir, team=team, overrides=overrides)
            given = team_settings.notebooks.get(nb, {}) | (extra or {})
            _check_parameters(nb, declared, given)
            if nb in CHECKS:
                CHECKS[nb](defaults | given)
            for month in dict.fromkeys(months):
                params = {"workspace": str(settings.workspace_path), "team": team,
                          "month": month} | given
                for name in SCOPE_FACTS:
                    if name in declared and getattr(team_settings, name):
                        params[name] = getattr(team_settings, name)
                if "output_dir" in declared:
                    params["output_dir"] = ""  # set to the staging folder when the job runs
                if "interactive" in declared:
                    params["interactive"] = False  # no live widgets in a shared report
                if "reports" in declared:
                    params["reports"] = [[other, notebook_title(settings.notebooks_dir / f"{other}.ipynb")]
                                         for other in plan.notebooks if other != nb]
                need = lacking[nb]
                skipped = (f"skipped: needs {', '.join(need['required'])}, not in the data"
                           if need["required"] else "")
                if not skipped and empty[nb].get(team):
                    skipped = f"skipped: no data for this team ({', '.join(empty[nb][team])} hold no row of it)"
                needs_sales = domains[nb] and "order_lines" in DOMAINS[domains[nb]]["required"]
                if not skipped and needs_sales and month not in sold[team]:
                    skipped = f"skipped: no order line for this team in {month}"
                jobs.append(Job(nb, team, month, str(source), str(settings.outputs), params,
                                team_settings.cell_timeout, str(settings.notebooks_dir), skipped,
                                ", ".join(need["optional"]), team_settings.notebook_timeout))
    return settings, jobs


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
        return {**asdict(job), "title": notebook_title(Path(job.source)), "status": "skipped",
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
            title = f"{notebook_title(Path(job.source))} — {job.team} — {job.month}"
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
    return {**asdict(job), "title": notebook_title(Path(job.source)), "status": status,
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
