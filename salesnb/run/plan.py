"""A batch plan checked before any kernel starts: teams, months, reports and their parameters."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from salesnb.core.errors import ParameterError
from salesnb.core.models import explain
from salesnb.core.scope import ALL, EACH_TEAM, LATEST, TEAM_NAME_RULE, folder_safe, latest_month
from salesnb.data.engine import is_url
from salesnb.data.workspace import Workspace, ensure_loaded
from salesnb.domains import quality
from salesnb.report.registry import REPORTS, Report
from salesnb.run.params import Plan, Settings, load_settings

SET_BY_PLAN = ("workspace", "team", "month")
SET_BY_RUN = ("output_dir", "reports")  # where exports go, which reports the overview links to
RUN_WIDE = ("forecasting", "accountability")  # set once in params/defaults.yaml, passed to every report taking it


@dataclass(frozen=True)
class Job:
    """One report: a notebook for a team and a month, with its full parameters."""

    notebook: str
    title: str
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
    data_end: str = ""
    rejects: str = ""  # what the import left out, said on the index page

    @property
    def report(self) -> Path:
        return report_path(Path(self.outputs), self.month, self.team, self.notebook)


def report_path(outputs: Path, month: str, team: str, notebook: str) -> Path:
    """Where a report's HTML goes: outputs/<month>/<team>/<notebook>.html."""
    return outputs / month / team / f"{notebook}.html"


@dataclass(frozen=True)
class DataFacts:
    """What the plan needs to know of the data: tables, teams, dates, and which teams have rows where."""

    tables: set[str]
    teams: list[str]
    first: Any
    last: Any
    empty: dict[tuple[str, str], list[str]]
    sold: dict[str, set[str]]
    rejects: str


def _facts(ws: Workspace, reports: list[Report]) -> DataFacts:
    tables, teams = ws.tables(), ws.teams()
    first, last = ws.activity_dates()
    count = functools.cache(ws.count)
    empty = {(r.name, team): [t for t in r.needs["required"] if t in tables and count(t, team) == 0]
             for r in reports for team in teams}
    sold = {team: ws.months_with_rows("order_lines", team) for team in [*teams, ALL]}
    return DataFacts(tables, teams, first, last, empty, sold, quality.rejects_sentence(ws.rejects()))


def _report(name: str, settings: Settings) -> Report:
    source = settings.notebooks_dir / f"{name}.ipynb"
    if name not in REPORTS or not source.exists():
        names = sorted(p.stem for p in settings.notebooks_dir.glob("*.ipynb") if p.stem in REPORTS)
        where = "is not a registered report" if source.exists() else f"not found in {settings.notebooks_dir}"
        raise ParameterError(f"Notebook '{name}' {where}; available: {', '.join(names)}.")
    return REPORTS[name]


def _teams(wanted: list[str], known: list[str]) -> list[str]:
    unsafe = [t for t in known if not folder_safe(t)]
    if unsafe:  # validation refuses them; a workspace loaded otherwise (a warehouse) is checked here
        raise ParameterError(f"Team name(s) {', '.join(map(repr, unsafe))} in the data cannot name a report "
                             f"folder: {TEAM_NAME_RULE}.")
    teams: list[str] = []
    for team in wanted:
        if team == EACH_TEAM:
            teams += known
        elif team == ALL or team in known:
            teams.append(team)
        else:
            raise ParameterError(f"Unknown team '{team}': the data have teams "
                                 f"{', '.join(known) or '(none)'}; use one of them or '{ALL}'.")
    return list(dict.fromkeys(teams))


def _months(wanted: list[str], facts: DataFacts) -> list[str]:
    if facts.last is None:
        raise ParameterError("The workspace holds no order line nor opportunity, so no month can be reported.")
    months = []
    for month in wanted:
        month = latest_month(facts.last) if month == LATEST else month
        if not f"{facts.first:%Y-%m}" <= month <= f"{facts.last:%Y-%m}":
            raise ParameterError(f"Month {month} has no data: the data cover "
                                 f"{facts.first:%Y-%m-%d} to {facts.last:%Y-%m-%d}.")
        months.append(month)
    return list(dict.fromkeys(months))


def report_parameters(report: Report, given: dict[str, Any], scope: dict[str, str]) -> dict[str, Any]:
    """The parameters papermill injects: the plan's scope and what params/ or -p set, validated."""
    model = report.params
    unknown = sorted(set(given) - set(model.model_fields))
    if unknown:
        raise ParameterError(f"Notebook {report.name} has no parameter(s) {', '.join(unknown)}; it takes "
                             f"{', '.join(n for n in model.model_fields if n not in SET_BY_PLAN)}. "
                             "Check the spelling in params/ or on the command line.")
    fixed = sorted(set(given) & set(SET_BY_PLAN))
    if fixed:
        raise ParameterError(f"{', '.join(fixed)} cannot be set as a report parameter: use --team, --month "
                             "and --workspace (or the plan), so every check applies.")
    try:
        params = model(**(given | scope))
    except ValidationError as exc:
        raise explain(exc, f"Notebook {report.name}") from None
    return {k: v for k, v in params.model_dump(mode="json").items() if k in params.model_fields_set}


def _given(report: Report, settings: Settings, extra: dict | None) -> dict[str, Any]:
    given = settings.notebooks.get(report.name, {}) | (extra or {})
    fixed = sorted(set(given) & set(SET_BY_RUN))
    if fixed:
        raise ParameterError(f"{', '.join(fixed)} cannot be set as a report parameter: salesnb run sets "
                             "it for each report (exports go beside the report, in --outputs).")
    for key in RUN_WIDE:
        if getattr(settings, key) and key in report.params.model_fields:
            given = {key: getattr(settings, key)} | given
    return given


def _skip(report: Report, team: str, month: str, facts: DataFacts) -> str:
    absent = [t for t in report.needs["required"] if t not in facts.tables]
    if absent:
        return f"skipped: needs {', '.join(absent)}, not in the data"
    if facts.empty.get((report.name, team)):
        return f"skipped: no data for this team ({', '.join(facts.empty[report.name, team])} hold no row of it)"
    if "order_lines" in report.needs["required"] and month not in facts.sold[team]:
        return f"skipped: no order line for this team in {month}"
    return ""


def plan_jobs(
    plan: Plan, params_dir: Path, overrides: dict | None = None, extra: dict | None = None
) -> tuple[Settings, list[Job]]:
    """Validate a plan against parameters, the report registry and the data; return the jobs to run."""
    settings = load_settings(params_dir, overrides=overrides)
    warehouse = is_url(settings.workspace_path)
    if not warehouse and not settings.data_dir.is_dir() and not Path(settings.workspace_path).exists():
        raise ParameterError(
            f"Data folder '{settings.data_dir}' does not exist (set data_dir in "
            f"{params_dir / 'defaults.yaml'} or pass --data); `salesnb demo` creates demo data."
        )
    if not warehouse and settings.data_dir.is_dir():
        ensure_loaded(settings.data_dir, settings.workspace_path)
    reports = [_report(name, settings) for name in plan.notebooks]
    ws = Workspace(settings.workspace_path)
    try:
        facts = _facts(ws, reports)
    finally:
        ws.close()
    teams, months = _teams(plan.teams, facts.teams), _months(plan.months, facts)
    data_end = f"{facts.last:%Y-%m-%d}" if facts.last is not None else ""
    per_team = {team: load_settings(params_dir, team=team, overrides=overrides) for team in teams}
    jobs = []
    for report in reports:
        base = _given(report, settings, extra)
        for team in teams:
            team_settings = per_team[team]
            given = _given(report, team_settings, extra)
            changed = sorted(n for n in report.shared if given.get(n) != base.get(n))
            if changed:
                raise ParameterError(
                    f"params/teams/{team}.yaml sets {', '.join(changed)} for {report.name}: "
                    f"{'it shapes' if len(changed) == 1 else 'they shape'} a figure made once for the whole "
                    "organisation and shown per team (a quota proposal, a forecast, an anonymity threshold), "
                    "so set it in params/defaults.yaml.")
            given |= {k: getattr(team_settings, k) for k in ("currency", "country") if getattr(team_settings, k)}
            if "reports" in report.params.model_fields:
                given["reports"] = [[r.name, r.title] for r in reports if r is not report]
            if "interactive" in report.params.model_fields:
                given["interactive"] = False
            if "output_dir" in report.params.model_fields:
                given["output_dir"] = ""  # the staging folder, set when the job runs
            for month in months:
                params = report_parameters(report, given, {"workspace": str(settings.workspace_path),
                                                           "team": team, "month": month})
                lacking = [t for t in report.needs["optional"] if t not in facts.tables]
                jobs.append(Job(report.name, report.title, team, month,
                                str(settings.notebooks_dir / f"{report.name}.ipynb"), str(settings.outputs),
                                params, team_settings.cell_timeout, str(settings.notebooks_dir),
                                _skip(report, team, month, facts), ", ".join(lacking),
                                team_settings.notebook_timeout, data_end, facts.rejects))
    return settings, jobs
