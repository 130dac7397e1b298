"""The manager's one-page overview: headline KPIs with their change and a traffic-light status."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.data.workspace import Workspace
from salesnb.domains import accuracy, funnel, pipeline, pulse, quality, reporting

# metric: (label, unit, higher is better)
METRICS = {
    "revenue": ("Revenue", "money", True),
    "margin_pct": ("Margin rate", "percent", True),
    "attainment": ("Quota attainment", "percent", True),
    "forecast_gap": ("Actual vs forecast", "change", None),
    "pipeline_coverage": ("Pipeline coverage, next month", "ratio", True),
    "win_rate": ("Win rate, last 3 months", "percent", True),
    "hygiene": ("Data hygiene", "score", True),
    "enps": ("eNPS", "score", True),
}


def status(metric: str, value: float, thresholds: dict[str, dict[str, float]]) -> str:
    """green / amber / red against the metric's thresholds (forecast gap: by its size either way)."""
    rule = thresholds.get(metric)
    if rule is None or value is None or pd.isna(value):
        return "none"
    higher = METRICS[metric][2]
    v = abs(value) if higher is None else value
    good, warn = rule["good"], rule["warn"]
    if higher is False or higher is None:
        return "green" if v <= good else "amber" if v <= warn else "red"
    return "green" if v >= good else "amber" if v >= warn else "red"


def _attainment(sales: pd.DataFrame, quotas: pd.DataFrame, month: pd.Timestamp) -> float:
    quota = quotas.loc[pd.to_datetime(quotas["month"]) == month, "quota"].sum()
    return float(sales.loc[sales["month"] == month, "revenue"].sum() / quota) if quota else np.nan


def _win_rate(opps: pd.DataFrame, month: str) -> float:
    end = pd.Period(month, freq="M").end_time.normalize() + pd.Timedelta(days=1)
    closed = funnel.closed_between(opps, end - pd.DateOffset(months=3), end)
    return float((closed["stage"] == "won").mean()) if len(closed) else np.nan


def kpis(ws: Workspace, team: str, month: str, min_respondents: int = 5,
         thresholds: dict[str, dict[str, float]] | None = None) -> pd.DataFrame:
    """Each headline KPI for the month and the month before, with its status."""
    thresholds = thresholds or {}
    have = ws.tables()
    prev = (pd.Period(month, freq="M") - 1).strftime("%Y-%m")
    sales = ws.sales_for(team, month, months_back=12)
    now, before = reporting.summary(sales, month), reporting.summary(sales, prev)
    values: dict[str, tuple[float, float]] = {
        "revenue": (now.at["revenue", "month"], before.at["revenue", "month"]),
        "margin_pct": (now.at["margin_pct", "month"], before.at["margin_pct", "month"]),
    }
    quotas = ws.read("quotas", team) if "quotas" in have else None
    if quotas is not None:
        values["attainment"] = tuple(_attainment(sales, quotas, pd.Period(m, freq="M").start_time)
                                     for m in (month, prev))
    if "forecast_submissions" in have:
        errors = accuracy.rep_errors(ws.read("forecast_submissions", team),
                                     accuracy.actuals_by_rep(sales))
        gap = accuracy.plan_gap(errors, None, month, months=2)["gap_vs_forecast_pct"]
        values["forecast_gap"] = tuple(float(gap.get(pd.Period(m, freq="M").start_time, np.nan))
                                       for m in (month, prev))
    if "opportunities" in have:
        opps = ws.read("opportunities", team)
        history = ws.read("opportunity_history", team) if "opportunity_history" in have else None
        rates = pipeline.stage_win_rates(opps, history)
        cov = pipeline.coverage(opps, rates, quotas, month, periods=1)["pipeline_coverage"].iloc[0]
        values["pipeline_coverage"] = (cov, np.nan)
        values["win_rate"] = (_win_rate(opps, month), _win_rate(opps, prev))
    accounts = ws.read("accounts", team) if "accounts" in have else None
    if accounts is not None:
        contacts = ws.read("contacts", team) if "contacts" in have else None
        opps = ws.read("opportunities", team) if "opportunities" in have else None
        as_of, _ = pipeline.period(month, 1)
        problems = quality.issues(accounts, contacts, opps, as_of)
        records = quality.owned_records(accounts, contacts, opps)
        if records["id"].nunique():
            values["hygiene"] = (100 * (1 - problems["id"].nunique() / records["id"].nunique()), np.nan)
    if "survey_answers" in have:
        answers = ws.read("survey_answers", team)
        answers = answers.assign(team="all") if team == "all" else answers
        e = pulse.team_enps(answers[pd.to_datetime(answers["survey_date"])
                                    < pd.Period(month, freq="M").end_time], min_respondents)
        series = e["enps"].droplevel(0).sort_index() if len(e) else pd.Series(dtype=float)
        values["enps"] = (float(series.iloc[-1]) if len(series) else np.nan,
                          float(series.iloc[-2]) if len(series) > 1 else np.nan)
    rows = []
    for metric, (label, unit, _) in METRICS.items():
        if metric not in values:
            continue
        value, previous = values[metric]
        rows.append({"metric": metric, "label": label, "unit": unit, "value": value,
                     "previous": previous, "change": value - previous,
                     "status": status(metric, value, thresholds)})
    return pd.DataFrame(rows).set_index("metric")


def missing_sentence(table: pd.DataFrame) -> str:
    """Which KPIs the data could not give."""
    absent = [METRICS[m][0] for m in METRICS if m not in table.index]
    return f"Not available from this data: {', '.join(absent)}." if absent else ""
