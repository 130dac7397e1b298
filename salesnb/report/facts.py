"""Figures more than one report shows, each made by one function, for the organisation, and shown per team:
the same rep, team and month give the same number in every report."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from salesnb.core.lazy import filled, lazy, total, value
from salesnb.core.scope import ALL, month_start, month_window
from salesnb.data.workspace import Workspace
from salesnb.domains import (
    accuracy,
    call,
    dedup,
    field,
    forecast,
    funnel,
    overview,
    performance,
    pipeline,
    pulse,
    quality,
    quotas,
    scoring,
)
from salesnb.domains.forecast import HEADLINE, ForecastSettings, SeriesForecast
from salesnb.report import claims
from salesnb.report.opening import ReportData, make_scope

HISTORY_MONTHS = 120  # months of order lines every forecast is fitted on
REP_KEY = {"quotas": "rep_id", "submissions": "rep_id", "opportunities": "rep_id", "accounts": "owner_rep_id"}
EXPLAINED_IN = {"revenue": "02_reporting", "margin_pct": "02_reporting", "attainment": "05_quotas",
                "forecast_gap": "03_forecast", "forecast_vs_quota": "03_forecast",
                "pipeline_coverage": "10_activity_pipeline", "win_rate": "10_activity_pipeline",
                "hygiene": "01_data_quality", "enps": "09_team_pulse"}


def forecast_settings(forecasting: dict) -> ForecastSettings:
    """The run's forecast settings (params/defaults.yaml `forecasting:`), the same for every scope."""
    return ForecastSettings(**forecasting)


@dataclass(frozen=True)
class Forecasts:
    """The organisation's revenue forecasts (itself, each team, each rep), reconciled so that they add up, and
    the backtest accuracy of each series before and after reconciliation."""

    reconciled: forecast.Reconciled  # the forecasts made to add up, the method, and its backtest scores
    parent: dict[str, str]
    unassigned: dict[str, float]
    own: dict[str, float]  # each series' own forecast of next month, before reconciliation
    too_new: dict[str, tuple[str, int]]  # reps with under forecast.MIN_MONTHS months of sales: (team, months); their
    # share of the team's forecast is reconciled like any rep's, but never shown or used as their forecast

    @property
    def series(self) -> dict[str, SeriesForecast]:
        """Every series' reconciled forecast."""
        return self.reconciled.series

    @property
    def accuracy(self) -> pd.DataFrame:
        """Per series: backtest WAPE of its own forecast and of the reconciled one."""
        return self.reconciled.accuracy

    def children(self, name: str) -> list[str]:
        """The series under `name` that have a forecast to show (reps too new to forecast count in the
        reconciliation, not here)."""
        return [c for c, p in self.parent.items() if p == name and c not in self.too_new]

    def children_own(self, name: str) -> float:
        """Next month's own forecasts of a series' children, added up before reconciliation."""
        return sum(self.own[c] for c in self.children(name))


def revenue_forecasts(data: ReportData, settings: ForecastSettings) -> Forecasts:
    """Every revenue forecast of the organisation (itself, teams, reps), made once per run (cached) and
    reconciled, so that reps add up to their team and teams to the organisation in every report."""
    return reconciled_forecasts(data, settings, "revenue", reps=True)


def order_forecasts(data: ReportData, settings: ForecastSettings) -> Forecasts:
    """The organisation's and each team's forecast of the number of orders, reconciled like revenue."""
    return reconciled_forecasts(data, settings, "orders", reps=False)


def reconciled_forecasts(data: ReportData, settings: ForecastSettings, measure: str, reps: bool) -> Forecasts:
    """The organisation's forecasts of `measure`, of each team and (with `reps`) each rep, reconciled."""
    return data.once(("forecasts", settings, measure, reps), lambda: _reconciled(data.org, settings, measure, reps))


def _reconciled(org: ReportData, settings: ForecastSettings, measure: str, reps: bool) -> Forecasts:
    sales = org.lines(months_back=HISTORY_MONTHS)
    month = org.scope.month
    totals = forecast.monthly_totals(sales, None, month)[measure].rename(ALL).to_frame()
    parent: dict[str, str] = {}
    too_new: dict[str, tuple[str, int]] = {}
    if filled(sales, "team"):
        teams = forecast.monthly_totals(sales, "team", month)[measure].unstack(0)
        totals = totals.join(teams)
        parent |= dict.fromkeys(teams.columns, ALL)
    if reps and filled(sales, "rep_id"):
        per_rep = forecast.monthly_totals(sales, "rep_id", month)[measure].unstack(0)
        home = total(sales, ["rep_id", "team"]).reset_index().sort_values(
            "revenue", kind="stable").drop_duplicates("rep_id", keep="last").set_index("rep_id")["team"]
        selling = per_rep.ne(0).cummax().sum()
        too_new = {rep: (home.get(rep, ALL), int(n)) for rep, n in selling.items() if n < forecast.MIN_MONTHS}
        totals = totals.join(per_rep)
        parent |= {rep: home.get(rep, ALL) for rep in per_rep.columns}
    below = [name for name in totals.columns if name in parent and parent[name] != ALL]  # reps: the headline only
    base = org.forecasts({name: totals[name] for name in totals.columns if name not in below}, settings)
    base |= org.forecasts({name: totals[name] for name in below}, dataclasses.replace(settings, models=HEADLINE))
    base = {name: base[name] for name in totals.columns}
    unassigned = forecast.unassigned_shares(totals, parent)
    made = forecast.reconcile(base, parent, unassigned, ALL)
    return Forecasts(made, parent, unassigned,
                     {name: float(r.forecast["yhat"].iloc[0]) if len(r.forecast) else 0.0 for name, r in base.items()},
                     too_new)


def make_forecasts(workspace: str, month: str, forecasting: dict, currency: str = "", country: str = "") -> None:
    """The organisation's revenue and order forecasts of a month, into the workspace's cache, on every spare core:
    a batch makes them before its reports start, so no report waits for another."""
    ws = Workspace(workspace)
    try:
        org = ReportData(ws, make_scope(ws, ALL, month, currency, country))
        if org.has("order_lines"):
            revenue_forecasts(org, forecast_settings(forecasting))
            order_forecasts(org, forecast_settings(forecasting))
    finally:
        ws.close()


def team_forecasts(data: ReportData, settings: ForecastSettings, by: str = "team") -> dict[str, SeriesForecast]:
    """The scope's own revenue forecast with, for the organisation, its teams (`by="team"`) or, for a team, its
    reps (`by="rep"`, by name): the organisation's reconciled forecasts, so a series has one forecast in every
    report and scope."""
    made = revenue_forecasts(data, settings)
    own = data.scope.team
    names = _rep_names(data) if by == "rep" else {}
    children = made.children(own) if (by == "team") == data.scope.is_org else []
    return {own: made.series[own]} | {names.get(c, c): made.series[c] for c in children}


def forecast_export(data: ReportData, settings: ForecastSettings) -> pd.DataFrame:
    """Every revenue and order forecast of the scope, month by month: the organisation, its teams and their reps
    (a team: itself and its reps), as the reports show them; reps too new to forecast are left out."""
    names = _rep_names(data)
    parts = []
    for made, measure in ((revenue_forecasts(data, settings), "revenue"), (order_forecasts(data, settings), "orders")):
        shown = [data.scope.team, *made.children(data.scope.team)]
        if data.scope.is_org:
            shown += [r for t in made.children(ALL) for r in made.children(t)]
        label = {s: names.get(s, s) for s in shown}
        under = {label[s]: names.get(made.parent[s], made.parent[s]) for s in shown if s in made.parent}
        parts.append(forecast.horizon_table({label[s]: made.series[s] for s in shown}, measure,
                                            {label[s]: made.own[s] for s in shown}, made.reconciled.method, under))
    return pd.concat(parts, ignore_index=True)


def _rep_names(data: ReportData) -> dict[str, str]:
    if not data.has("reps"):
        return {}
    reps = data.org.read("reps")
    return dict(zip(reps["rep_id"], reps["name"], strict=True))


def too_new(data: ReportData, settings: ForecastSettings) -> dict[str, int]:
    """The team's reps with too few months of sales for a forecast of their own, by name: their months of sales
    (none for the organisation, whose page lists teams)."""
    if data.scope.is_org:
        return {}
    names = _rep_names(data)
    return {names.get(rep, rep): n for rep, (team, n) in revenue_forecasts(data, settings).too_new.items()
            if team == data.scope.team}


def rep_scaling(data: ReportData, settings: ForecastSettings) -> pd.Series:
    """Per team of the scope: how much reconciliation moved its reps' forecasts of next month (their share of the
    team's forecast against their own models added up, − 1)."""
    made = revenue_forecasts(data, settings)
    teams = made.children(ALL) if data.scope.is_org else [data.scope.team]
    out = {}
    for team in teams:
        own = made.children_own(team)
        shared = sum(float(made.series[c].forecast["yhat"].iloc[0]) for c in made.children(team))
        if own > 0:
            out[team] = shared / own - 1
    return pd.Series(out, dtype=float)


def rep_forecasts(data: ReportData, settings: ForecastSettings) -> pd.Series:
    """Next month's reconciled revenue forecast of every rep of the organisation, by rep id."""
    made = revenue_forecasts(data, settings)
    return pd.Series({rep: made.series[rep].forecast["yhat"].iloc[0] for rep, p in made.parent.items()
                      if p != ALL and rep not in made.too_new}, dtype=float)


@dataclass(frozen=True)
class Pipeline:
    """Deals as the month left them (without those now past due), the deals table, its snapshots and the stage
    win rates."""

    open: pd.DataFrame
    deals: pd.DataFrame
    history: pd.DataFrame | None
    as_of: pd.Timestamp | None
    win_rates: pd.DataFrame

    def sentence(self, month: pd.Period) -> str:
        """Which state of the pipeline the figures describe."""
        if self.as_of is None:
            return ("Pipeline as in the export: no snapshot after the month, so deals are counted as they stand "
                    "now, not as the month left them.")
        return f"Pipeline as the snapshot of {self.as_of:%-d %B %Y} saw it (the first after {month.strftime('%B %Y')})."


def pipeline_state(data: ReportData) -> Pipeline:
    """The scope's pipeline at the month's end, weighted by stage win rates measured on the whole organisation."""
    return data.once(("pipeline", data.scope.team), lambda: _pipeline_state(data))


def _pipeline_state(data: ReportData) -> Pipeline:
    deals, history = data.read("opportunities"), data.optional("opportunity_history")
    as_of = pipeline.reference_snapshot(history, data.scope.month)
    state = deals if as_of is None else pipeline.state_at(deals, history, as_of)
    open_ = call.can_close(state, deals, month_start(data.scope.month, 1))
    org = data.org
    rates = pipeline.stage_win_rates(org.read("opportunities"), org.optional("opportunity_history"))
    return Pipeline(open_, deals, history, as_of, rates)


def deal_share(data: ReportData) -> float:
    """The share of the scope's revenue of the last 12 months that won deals brought (`pipeline.deal_share`); 1
    for an export without invoices, where deals are all the revenue there is."""
    if not data.has("order_lines"):
        return 1.0
    return data.once(("deal_share", data.scope.team), lambda: pipeline.deal_share(
        data.read("opportunities"), float(value(lazy(data.lines(11, month_required=False)).revenue.sum()) or 0.0),
        data.scope.month))


def coverage_basis(data: ReportData) -> str:
    """The sentence that says what the scope's pipeline coverage is measured against."""
    return pipeline.share_sentence(deal_share(data), data.has("order_lines"), data.has("quotas"))


def coverage(data: ReportData, state: Pipeline | None = None, periods: int = 2, rep: str | None = None) -> pd.DataFrame:
    """Quota and its part from deals, commit, best case, open and weighted pipeline and coverage for the next
    months (of one rep, against the scope's deal share)."""
    state = state or pipeline_state(data)
    open_, quotas_ = state.open, data.optional("quotas")
    if rep is not None:
        open_ = open_[open_["rep_id"] == rep]
        quotas_ = None if quotas_ is None else quotas_[quotas_["rep_id"] == rep]
    return pipeline.coverage(open_, state.win_rates, quotas_, data.scope.month, periods, deal_share(data))


def groups(data: ReportData) -> dict[str, tuple[ReportData, str | None]]:
    """The groups a scope is compared across, by name: each team of the organisation (its data, no rep), or each
    active rep of a team (the team's data and the rep id); none for a team without a reps table."""
    if data.scope.is_org:
        return {team: (data.team(team), None) for team in data.ws.teams()}
    if not data.has("reps"):
        return {}
    reps = data.read("reps")
    active = reps[reps["end_date"].isna()] if "end_date" in reps else reps
    return {name: (data, rep) for rep, name in zip(active["rep_id"], active["name"], strict=True)}


def team_win_rate_moves(data: ReportData) -> dict[str, str]:
    """For the organisation, each team whose win rate moved beyond chance this month: its win-rate sentence, by
    team (none for a team's page, whose own sentence says it)."""
    if not data.scope.is_org:
        return {}
    out = {}
    for team, (scoped, _) in groups(data).items():
        opps = scoped.optional("opportunities")
        if overview.win_rate_moved(opps, data.scope.month):
            out[team] = overview.win_rate_sentence(opps, data.scope.month, f"Team {team}")
    return out


def pipeline_by_group(data: ReportData, state: Pipeline) -> pd.DataFrame:
    """Per team (organisation) or active rep (team): the overview's win rate of the last 3 months, the deals closed
    and won in the month itself, and next month's open pipeline, quota from deals and coverage, made as the overview
    makes them."""
    rows = {}
    for name, (scoped, rep) in groups(data).items():
        opps = scoped.read("opportunities")
        if rep is not None:
            opps = opps[opps["rep_id"] == rep]
        own = pipeline_state(scoped) if rep is None else state
        cover = coverage(scoped, own, periods=1, rep=rep).iloc[0]
        month = funnel.closed_between(opps, *month_window(data.scope.month))
        rows[name] = {"closed_deals": len(overview.closed_recently(opps, data.scope.month)),
                      "win_rate": overview.win_rate(opps, data.scope.month),
                      "closed_in_the_month": len(month), "won_in_the_month": int(month["stage"].eq("won").sum()),
                      "open_pipeline": cover["open_pipeline"],
                      "quota_from_deals": cover["quota_from_deals"], "pipeline_coverage": cover["pipeline_coverage"]}
    return pd.DataFrame.from_dict(rows, orient="index")


def call_deals(data: ReportData, state: Pipeline, months: int = 3) -> pd.DataFrame:
    """Every commit and best-case deal of the scope due in the next `months` months, and the past-due deals so
    called (`call.deal_list`), with each deal's team on the organisation's page."""
    start, end = month_window(data.scope.month, 1)[0], month_window(data.scope.month, months)[1]
    dates = pipeline.snapshot_dates(state.history, data.scope.month) if state.history is not None else None
    deals = call.deal_list(state.open, state.deals, state.history, data.optional("activities"),
                           data.org.optional("accounts"), state.as_of or start, start, end,
                           dates[0] if dates else None)
    if data.scope.is_org:
        deals.insert(2, "team", deals["rep_id"].map(data.read("reps").set_index("rep_id")["team"]))
    return deals


def call_rollup(data: ReportData, deals: pd.DataFrame, settings: ForecastSettings) -> pd.DataFrame:
    """Next month's call by team (organisation) or rep (team) against quota, with the reconciled statistical
    forecast of each and of the scope, and the reps' submitted forecasts where there are any."""
    start, end = month_window(data.scope.month, 1)
    reps = data.org.read("reps")
    made = revenue_forecasts(data, settings)
    if data.scope.is_org:
        groups = reps.set_index("rep_id")["team"]
        forecasts = {team: made.series[team].forecast["yhat"].iloc[0] for team in made.children(ALL)}
    else:
        groups = reps[reps["team"] == data.scope.team].set_index("rep_id")["name"]
        forecasts = {groups[rep]: made.series[rep].forecast["yhat"].iloc[0] for rep in made.children(data.scope.team)}
    def by_group(table: str, value: str) -> pd.Series | None:
        rows = data.optional(table)
        if rows is None:
            return None
        rows = rows[pd.to_datetime(rows["month"]) == start]
        return rows.assign(group=rows["rep_id"].map(groups)).groupby("group")[value].sum()

    shares = ({team: deal_share(data.team(team)) for team in groups.dropna().unique()} if data.scope.is_org
              else dict.fromkeys(groups, deal_share(data)))
    quota = by_group("quotas", "quota")
    return call.rollup(call.due_by(deals, end), groups, quota if quota is not None else pd.Series(dtype=float),
                       pd.Series(forecasts, dtype=float), pd.Series(shares, dtype=float), deal_share(data),
                       made.series[data.scope.team].forecast["yhat"].iloc[0],
                       by_group("forecast_submissions", "forecast"))


def call_moves(data: ReportData, state: Pipeline) -> tuple[pd.DataFrame, pd.Series] | None:
    """What moved the pipeline closing by the end of next month since the month's first snapshot, by team
    (organisation) or rep (team), the deals now past due left out at the end; and how the month's commit at that
    snapshot landed (`call.commit_conversion`). None without two snapshots around the month."""
    dates = pipeline.snapshot_dates(state.history, data.scope.month) if state.history is not None else None
    if not dates:
        return None
    month, (next_start, next_end) = month_window(data.scope.month), month_window(data.scope.month, 1)
    changes = pipeline.pipeline_changes(state.history, state.deals, *dates, next_end)
    reps = data.org.read("reps").set_index("rep_id")
    by = reps["team"] if data.scope.is_org else reps["name"]
    late = pipeline.overdue(state.deals, next_start)["opportunity_id"]
    moved = call.moves(changes, state.deals.set_index("opportunity_id")["rep_id"].map(by), pd.Index(late))
    return moved, call.commit_conversion(state.history, *dates, *month)


def forecast_errors(data: ReportData) -> pd.DataFrame:
    """Each rep's submitted forecasts against what they then sold (`accuracy.rep_errors`), made once per report."""
    return data.once(("forecast_errors", data.scope.team), lambda: accuracy.rep_errors(
        data.read("forecast_submissions"), accuracy.actuals_by_rep(data.lines(months_back=HISTORY_MONTHS))))


def last_month_forecasts(data: ReportData, settings: ForecastSettings) -> pd.DataFrame:
    """The report month's reps' call (against the calling reps' sales) and the statistical forecast made the month
    before by the method used today (its backtest, against all revenue), beside what was invoiced."""
    month = month_start(data.scope.month)
    main = revenue_forecasts(data, settings).series[data.scope.team]
    rows = {}
    if data.has("forecast_submissions"):
        errors = forecast_errors(data)
        called = errors[errors["month"] == month]
        if len(called):
            rows["reps' call"] = (float(called["forecast"].sum()), float(called["actual"].sum()))
    bt = main.backtest
    if len(bt):
        made = bt[(bt["model"] == main.chosen) & (bt["month"] == month) & (bt["step"] == 1)]
        if len(made):
            rows["statistical forecast"] = (float(made["forecast"].iloc[0]), float(made["actual"].iloc[0]))
    return call.last_month(rows)


def weighted_next_month(state: Pipeline, month: object) -> pd.Series:
    """Weighted pipeline closing next month, by rep."""
    start, end = month_window(month, 1)
    return pipeline.weighted_pipeline(state.open, state.win_rates, start, end).groupby("rep_id")["weighted"].sum()


@dataclass(frozen=True)
class Proposal:
    """Next month's quota proposal for the organisation, the figures it was built from, the base revenue, and the
    forecast of reps too new for one of their own (it counts in the target)."""

    table: pd.DataFrame
    inputs: pd.DataFrame
    base: float
    unshown: float = 0.0


def quota_proposal(data: ReportData, rules: quotas.QuotaRules, settings: ForecastSettings,
                   accountability: performance.AccountabilityRule | None = None) -> Proposal:
    """The organisation's quota proposal for the month after the report's (every team shows its part of it): each
    rep's own forecast and its backtest error, and the reps `accountability` flags, count as the rules say."""
    org = data.org
    sales = org.lines(months_back=HISTORY_MONTHS)
    weighted = (weighted_next_month(pipeline_state(org), org.scope.month) if org.has("opportunities")
                else pd.Series(dtype=float))
    made = revenue_forecasts(org, settings)
    inputs = quotas.rep_inputs(org.read("reps"), org.optional("accounts"), sales, org.read("quotas"),
                               rep_forecasts(org, settings), weighted, org.scope.month)
    shown = [rep for rep in inputs.index if rep in made.series and rep not in made.too_new]
    inputs["own_forecast"] = pd.Series({rep: made.own[rep] for rep in shown}, dtype=float).reindex(inputs.index)
    inputs["forecast_wape"] = pd.Series({rep: forecast.backtest_wape(made.series[rep]) for rep in shown},
                                        dtype=float).reindex(inputs.index)
    flags = accountability_flags(org, accountability) if accountability is not None else None
    inputs["underperformer"] = inputs.index.isin([] if flags is None else flags.index[flags["flagged"]])
    base = quotas.base_revenue(sales, org.scope.month)
    shares = pd.Series({name: float(r.forecast["yhat"].iloc[0]) for name, r in made.series.items()})
    unshown = float(shares.reindex(list(made.too_new)).sum())
    table = quotas.in_whole_units(quotas.propose(inputs, rules, base, unshown))
    table["forecast_share"] = shares.reindex(table.index)  # every rep's part of the forecast, for the totals
    table.loc[table.index.isin(list(made.too_new)), "forecast"] = float("nan")  # the rules counted none: shown as none
    return Proposal(table, inputs, base, unshown)


def potentials_below_sales(data: ReportData) -> tuple[pd.DataFrame, int]:
    """The scope's accounts whose last 12 months' sales exceed their stated potential, and how many accounts have
    a potential (none without potentials or order lines)."""
    accounts = data.optional("accounts")
    if accounts is None or "potential" not in accounts or not data.has("order_lines"):
        return pd.DataFrame(), 0
    bought = total(data.lines(months_back=11, month_required=False), "account_id")
    return quality.potential_below_sales(accounts, bought), int(accounts["potential"].gt(0).sum())


def challenge_board(data: ReportData, challenge: performance.Challenge) -> pd.DataFrame:
    """Every rep of the organisation in post during the challenge, best first: the target is collective."""
    org = data.org
    reps = org.read("reps")
    if "end_date" in reps:
        reps = reps[~(pd.to_datetime(reps["end_date"]) < pd.Timestamp(challenge.start))]
    return performance.leaderboard(challenge, reps, org.lines(months_back=23, month_required=False),
                                   org.optional("activities"), org.optional("visits"))


def accountability_flags(data: ReportData, rule: performance.AccountabilityRule) -> pd.DataFrame | None:
    """The accountability flags of the scope's reps, judged on the organisation's data (None without quotas)."""
    org = data.org
    if not org.has("quotas"):
        return None
    reps = org.read("reps")
    monthly = quotas.attainment(accuracy.actuals_by_rep(org.lines(months_back=rule.n, month_required=False)),
                                org.read("quotas"))
    activities = org.optional("activities")
    per_month = performance.activity_per_month(activities, data.scope.month, rule.n) if activities is not None \
        else None
    flagged = performance.flags(monthly, reps, per_month, data.scope.month, rule)
    return flagged if data.scope.is_org else flagged[flagged["team"] == data.scope.team]


def survey_visibility(data: ReportData, min_respondents: int) -> pd.DataFrame:
    """Which survey groups may be shown, decided on the whole organisation's answers (the same in every scope)."""
    return pulse.visibility(data.org.read("survey_answers"), min_respondents)


def tile_links(reports: list) -> dict[str, str]:
    """Each KPI's page, among the reports of the batch ([name, title] pairs)."""
    written = {name for name, _ in reports}
    return {metric: f"{name}.html" for metric, name in EXPLAINED_IN.items() if name in written}


def forecast_vs_quota(data: ReportData, settings: ForecastSettings, quotas_: pd.DataFrame | None,
                      rep: str | None = None) -> float | None:
    """Next month's revenue forecast of the scope (or one rep) ÷ its quotas on file for that month (None without
    either, or for a rep too new to forecast): the forecasts report's reconciled forecast."""
    if quotas_ is None or not data.has("order_lines"):
        return None
    quota = quotas_.loc[pd.to_datetime(quotas_["month"]) == month_window(data.scope.month, 1)[0], "quota"].sum()
    made = revenue_forecasts(data, settings)
    name = rep if rep is not None else data.scope.team
    if not quota or name not in made.series or name in made.too_new:
        return None
    return float(made.series[name].forecast["yhat"].iloc[0] / quota)


def kpis(data: ReportData, min_respondents: int, thresholds: dict, settings: ForecastSettings,
         rep: str | None = None) -> pd.DataFrame:
    """The overview's KPIs for the scope, or for one of its reps (no eNPS: a rep is not a survey group)."""
    frames = data.optionals(overview.INPUTS)
    if claims.owners(frames["accounts"]):
        frames["accounts"] = None  # hygiene is scored on owned records: none without owners
    sales = data.lines(months_back=12, month_required=False)
    state = pipeline_state(data) if data.has("opportunities") else None
    if rep is not None:
        sales = sales.filter(sales.rep_id == rep)
        contacts = frames["contacts"]
        frames = {arg: None if df is None or arg not in REP_KEY else df[df[REP_KEY[arg]] == rep]
                  for arg, df in frames.items()}
        owned = set() if frames["accounts"] is None else set(frames["accounts"]["account_id"])
        frames["contacts"] = None if contacts is None else contacts[contacts["account_id"].isin(owned)]
    cover = None if state is None else coverage(data, state, periods=1, rep=rep)["pipeline_coverage"].iloc[0]
    cover = None if cover is None or pd.isna(cover) else cover  # no quota, no deal share: not a figure
    visible = None if frames["answers"] is None else survey_visibility(data, min_respondents)
    outlook = forecast_vs_quota(data, settings, frames["quotas"], rep)
    share = deal_share(data) if cover is not None else None
    return overview.kpis(data.scope.month, sales, **frames, coverage=cover, org=data.scope.is_org and rep is None,
                         visible=visible, thresholds=thresholds, forecast_vs_quota=outlook, deal_share=share,
                         typical_deal=typical_deal(data))


def typical_deal(data: ReportData) -> float:
    """The organisation's typical open deal (`quality.typical_deal`): what one hygiene record weighs in every
    scope."""
    return data.once(("typical_deal",), lambda: quality.typical_deal(data.org.optional("opportunities")))


def new_hires(data: ReportData, months: int = 6) -> list[str]:
    """Names of the scope's reps hired in the last `months` months (none for the organisation: it lists teams)."""
    return [] if data.scope.is_org else hire_names(data, months)


def hire_names(data: ReportData, months: int = 6) -> list[str]:
    """Names of the reps of the scope (the organisation's too) hired in the last `months` months."""
    if not data.has("reps"):
        return []
    reps = data.read("reps")
    hired = set(field.new_hires(reps, data.scope.month, months))
    return reps.loc[reps["rep_id"].isin(hired), "name"].tolist()


def kpi_matrix(data: ReportData, min_respondents: int, thresholds: dict,
               settings: ForecastSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each team (for the organisation) or each active rep (for a team) × KPI: values, and their status (none for
    reps still ramping: they are not judged)."""
    tables = {name: kpis(scoped, min_respondents, thresholds, settings, rep=rep)
              for name, (scoped, rep) in groups(data).items()}
    if not tables:
        return pd.DataFrame(), pd.DataFrame()
    values = pd.DataFrame({g: t["value"] for g, t in tables.items()}).T
    status = pd.DataFrame({g: t["status"] for g, t in tables.items()}).T
    if not data.scope.is_org and "revenue" in values:  # reps, largest first
        values = values.sort_values("revenue", ascending=False, kind="stable")
        status = status.loc[values.index]
    status.loc[status.index.isin(new_hires(data))] = "none"
    order = [m for m in overview.METRICS if m in values.columns]
    return values[order], status[order]


def account_classes(data: ReportData, a_share: float = 0.8, b_share: float = 0.95) -> pd.Series:
    """Each account's ABC class on the organisation's revenue of the last 12 months (the same class in every
    report and scope)."""
    org = data.org
    if not org.has("order_lines"):
        return pd.Series(dtype=str)
    sales = org.lines(months_back=11, month_required=False)
    return scoring.abc_classes(total(sales, "account_id"), a_share, b_share)["class"]


def prospect_duplicates(data: ReportData) -> pd.Index:
    """The organisation's prospects that look like duplicates of customers (the data-quality report's search)."""
    accounts = data.org.read("accounts")
    return scoring.duplicates_of_customers(dedup.duplicate_accounts(accounts), accounts)
