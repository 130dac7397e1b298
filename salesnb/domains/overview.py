"""The manager's one-page overview: headline KPIs with their change and a traffic-light status."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.core.lazy import Lines, month_revenue
from salesnb.core.scope import ALL, Month, as_month, month_start, month_window
from salesnb.core.stats import shares_differ
from salesnb.domains import accuracy, funnel, pulse, quality, reporting

# argument of `kpis`: the contract table it reads (each optional)
INPUTS = {"quotas": "quotas", "submissions": "forecast_submissions", "opportunities": "opportunities",
          "accounts": "accounts", "contacts": "contacts",
          "answers": "survey_answers"}
# metric: (label, unit, higher is better)
METRICS = {
    "revenue": ("Revenue", "money", True),
    "margin_pct": ("Margin rate", "percent", True),
    "attainment": ("Quota attainment", "percent", True),
    "forecast_gap": ("Reps' call vs actual", "change", None),
    "forecast_vs_quota": ("Forecast ÷ quota, next month", "percent", True),
    "pipeline_coverage": ("Pipeline coverage, next month", "ratio", True),
    "win_rate": ("Win rate, last 3 months", "percent", True),
    "hygiene": ("Data hygiene", "score", True),
    "enps": ("eNPS", "net", True),
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


def _attainment(sales: Lines, quotas: pd.DataFrame, month: pd.Timestamp) -> float:
    quota = quotas.loc[pd.to_datetime(quotas["month"]) == month, "quota"].sum()
    return float(month_revenue(sales).get(month, 0.0) / quota) if quota else np.nan


def closed_recently(opps: pd.DataFrame, month: Month) -> pd.DataFrame:
    """Deals won or lost in the 3 months to `month`: the window of the win-rate KPI."""
    return funnel.closed_between(opps, month_start(month, -2), month_window(month)[1])


def win_rate(opps: pd.DataFrame, month: Month) -> float:
    """Deals won ÷ deals closed in the 3 months to `month` (NaN when none closed)."""
    closed = closed_recently(opps, month)
    return float((closed["stage"] == "won").mean()) if len(closed) else np.nan


def win_rate_sentence(opps: pd.DataFrame, month: Month, who: str) -> str:
    """The win rate of the last 3 months against the 3 months to the month before, as the overview's tile sets them,
    and whether the change is more than chance: the two windows share two months, so the change is the month that
    came in against the month that went out, compared on their own deals ('' without closed deals); `who` starts the
    sentence (`Scope.who_first`)."""
    month = as_month(month)
    now, before = closed_recently(opps, month), closed_recently(opps, month - 1)
    if now.empty or before.empty:
        return ""
    text = (f"{who}: {now['stage'].eq('won').mean():.1%} of the {len(now):,} deals closed in the "
            f"3 months to {month:%B} were won, against {before['stage'].eq('won').mean():.1%} of {len(before):,} in "
            f"the 3 months to {month - 1:%B}.")
    return f"{text} {win_rate_change(opps, month)}".strip()


def _came_and_went(opps: pd.DataFrame, month: Month) -> tuple[pd.DataFrame, pd.DataFrame]:
    return funnel.closed_between(opps, *month_window(month)), funnel.closed_between(opps, *month_window(month - 3))


def win_rate_moved(opps: pd.DataFrame | None, month: Month) -> bool:
    """True when the win rate of the last 3 months moved beyond chance (as `win_rate_change` judges it)."""
    if opps is None:
        return False
    came, went = _came_and_went(opps, as_month(month))
    return not came.empty and not went.empty and shares_differ(
        (float(came["stage"].eq("won").sum()), float(went["stage"].eq("won").sum())),
        (float(len(came)), float(len(went))))


def win_rate_change(opps: pd.DataFrame | None, month: Month) -> str:
    """Whether the win rate of the last 3 months moved beyond chance against the 3 months to the month before: the
    windows share two months, so the month that came in is compared with the month that went out ('' without
    deals closed in both)."""
    if opps is None:
        return ""
    month = as_month(month)
    came, went = _came_and_went(opps, month)
    if came.empty or went.empty:
        return ""
    hits = (came["stage"].eq("won").sum(), went["stage"].eq("won").sum())
    beyond = win_rate_moved(opps, month)
    return (f"The windows share two months: the change is {month:%B} ({hits[0] / len(came):.0%} won of "
            f"{len(came):,}) replacing {month - 3:%B} ({hits[1] / len(went):.0%} of {len(went):,}), "
            f"{'beyond' if beyond else 'within'} what chance gives on these numbers.")


def kpis(month: Month, sales: Lines, quotas: pd.DataFrame | None = None,
         submissions: pd.DataFrame | None = None, opportunities: pd.DataFrame | None = None,
         coverage: float | None = None, accounts: pd.DataFrame | None = None,
         contacts: pd.DataFrame | None = None, answers: pd.DataFrame | None = None,
         org: bool = True, visible: pd.DataFrame | None = None,
         thresholds: dict[str, dict[str, float]] | None = None,
         forecast_vs_quota: float | None = None, deal_share: float | None = None,
         typical_deal: float = float("nan")) -> pd.DataFrame:
    """Each headline KPI for the month and the one it is compared with, with its status; absent inputs give no
    row. `visible` says which survey groups may be shown (`pulse.visibility` of the organisation's answers);
    `deal_share` is the part of quota pipeline coverage is measured against (said on its tile); `typical_deal`
    is the organisation's (`quality.typical_deal`)."""
    thresholds = thresholds or {}
    month = as_month(month)
    prev = month - 1
    now, before = reporting.summary(sales, month), reporting.summary(sales, prev)
    values: dict[str, tuple[float, float]] = {
        "revenue": (now.at["revenue", "month"], before.at["revenue", "month"]),
        "margin_pct": (now.at["margin_pct", "month"], before.at["margin_pct", "month"]),
    }
    if quotas is not None:
        values["attainment"] = tuple(_attainment(sales, quotas, month_start(m)) for m in (month, prev))
    if submissions is not None:
        errors = accuracy.rep_errors(submissions, accuracy.actuals_by_rep(sales))
        gap = accuracy.plan_gap(errors, None, month, months=2)["forecast_vs_actual"]
        values["forecast_gap"] = tuple(float(gap.get(month_start(m), np.nan)) for m in (month, prev))
    if forecast_vs_quota is not None:
        values["forecast_vs_quota"] = (forecast_vs_quota, np.nan)
    if coverage is not None:
        values["pipeline_coverage"] = (coverage, np.nan)
    if opportunities is not None:
        values["win_rate"] = (win_rate(opportunities, month), win_rate(opportunities, prev))
    if accounts is not None:
        problems = quality.issues(accounts, contacts, opportunities, month_start(month, 1))
        records = quality.owned_records(accounts, contacts, opportunities, typical_deal)
        if len(records):
            values["hygiene"] = (quality.score(records, problems), np.nan)
    if answers is not None:
        answers = answers.assign(team=ALL) if org else answers
        _, end = month_window(month)
        if visible is None:
            visible = pulse.visibility(answers)
        e = pulse.team_enps(answers[pd.to_datetime(answers["survey_date"]) < end], visible)
        series = e["enps"].droplevel(0).sort_index() if len(e) else pd.Series(dtype=float)
        values["enps"] = (float(series.iloc[-1]) if len(series) else np.nan,
                          float(series.iloc[-2]) if len(series) > 1 else np.nan)
    rows = []
    for metric, (label, unit, _) in METRICS.items():
        if metric not in values:
            continue
        value, previous = values[metric]
        against = f"the 3 months to {prev.strftime('%B')}" if metric == "win_rate" else "last month"
        note = (f"against the {deal_share:.0%} of quota that deals bring" if metric == "pipeline_coverage"
                and deal_share is not None and deal_share < 1 else "")
        if metric == "margin_pct" and pd.isna(value):
            note = "no unit cost in the data" if pd.isna(previous) else "no unit cost this month"
        rows.append({"metric": metric, "label": label, "unit": unit, "value": value,
                     "previous": previous, "change": value - previous, "against": against, "note": note,
                     "status": status(metric, value, thresholds)})
    return pd.DataFrame(rows).set_index("metric")


def missing_sentence(table: pd.DataFrame) -> str:
    """Which KPIs the data could not give."""
    absent = [METRICS[m][0] for m in METRICS if m not in table.index]
    return f"Not available from this data: {', '.join(absent)}." if absent else ""
