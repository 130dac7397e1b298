"""Opening a report: the workspace, the scope, the theme, the header, and the team's tables."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import ibis
import pandas as pd

from salesnb.core import money
from salesnb.core.errors import ParameterError
from salesnb.core.scope import ALL, Scope, as_month
from salesnb.data.schema import DOMAINS
from salesnb.data.workspace import Workspace
from salesnb.domains import quality
from salesnb.domains.forecast import ForecastSettings, SeriesForecast
from salesnb.report import cache, display
from salesnb.report.registry import REPORTS

T = TypeVar("T")


def make_scope(ws: Workspace, team: str, month: str, currency: str = "", country: str = "") -> Scope:
    """The scope of a report: parameters first, then what the data folder declared."""
    if team != ALL and team not in ws.teams():
        raise ParameterError(f"Unknown team '{team}': the data have teams "
                             f"{', '.join(ws.teams()) or '(none)'}; use one of them or '{ALL}'.")
    facts = ws.meta()
    start, end = ws.activity_dates()
    return Scope(team, as_month(month), money.currency(currency or facts.get("currency")),
                 (country or facts.get("country") or None), start, end)


@dataclass
class ReportData:
    """A report's workspace and scope; reads the scope's rows of each table once."""

    ws: Workspace
    scope: Scope
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _made: dict[tuple, Any] = field(default_factory=dict, repr=False)  # shared by every scope of the report

    def has(self, *tables: str) -> bool:
        """True when the workspace holds every one of `tables`."""
        return set(tables) <= self.ws.tables()

    def read(self, table: str) -> pd.DataFrame:
        """The scope's rows of a table the report's domain requires."""
        if table not in self._frames:
            self._frames[table] = self.ws.read(table, self.scope.team)
        return self._frames[table]

    def table(self, table: str) -> ibis.Table:
        """The scope's rows of a table, lazy: computed in the workspace's engine when run."""
        return self.ws.of_team(table, self.scope.team)

    def lines(self, months_back: int = 0, month_required: bool = True) -> ibis.Table:
        """Order lines with revenue and margin (lazy), from `months_back` months before the month to its end
        (an EmptyPeriodError when the month itself has none, unless not `month_required`)."""
        read = self.ws.lines_for if month_required else self.ws.lines
        return read(self.scope.team, str(self.scope.month), months_back)

    def optional(self, table: str) -> pd.DataFrame | None:
        """The scope's rows of a table, or None when the workspace does not hold it."""
        return self.read(table) if self.has(table) else None

    def optionals(self, names: dict[str, str]) -> dict[str, pd.DataFrame | None]:
        """Optional tables by argument name ({argument: table})."""
        return {arg: self.optional(table) for arg, table in names.items()}

    @functools.cached_property
    def org(self) -> ReportData:
        """The same workspace for the whole organisation: facts made for the organisation, shown per team."""
        return self if self.scope.is_org else self.team(ALL)

    def team(self, team: str) -> ReportData:
        """The same workspace for one team of the organisation."""
        return ReportData(self.ws, dataclasses.replace(self.scope, team=team), _made=self._made)

    def once(self, key: tuple, make: Callable[[], T]) -> T:
        """A fact made once per report whichever scope asks for it (`key` names all it depends on)."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def forecasts(self, histories: dict[str, pd.Series], settings: ForecastSettings) -> dict[str, SeriesForecast]:
        """Forecasts of these series, made once for this data and settings and reused by every report."""
        return cache.forecasts(histories, settings, self.ws.cache_dir / "forecasts")


def open_report(report: str, workspace: str, team: str, month: str, currency: str = "",
                country: str = "") -> ReportData:
    """Open a registered report: theme, workspace, scope, header line, and what the data lack."""
    from salesnb.report import charts

    charts.apply_theme()
    domain = REPORTS[report].domain
    ws = Workspace(workspace)
    ws.require(domain)
    scope = make_scope(ws, team, month, currency, country)
    money.use(scope.currency)
    display.nav(scope.team)
    display.use_scope(REPORTS[report].title, scope)
    display.use_names(*(ws.read(t, ALL) if t in ws.tables() else None for t in ("reps", "accounts")))
    display.say(scope.header(REPORTS[report].money))
    lacking = ws.missing(domain)["optional"]
    if lacking:
        display.say(f"Not in this workspace: {', '.join(lacking)}. Analyses that need "
                    f"{'it' if len(lacking) == 1 else 'them'} are skipped.")
    display.say(quality.rejects_sentence(ws.rejects([*DOMAINS[domain]["required"], *DOMAINS[domain]["optional"]])))
    return ReportData(ws, scope)
