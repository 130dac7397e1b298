"""The executive summary: quarter and year to date, what moved and who moved it, where to look, what is noise."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from salesnb.core import money
from salesnb.core.lazy import Lines, month_revenue
from salesnb.core.scope import Month, as_month, month_start
from salesnb.core.text import listing
from salesnb.domains import forecast, overview, reporting
from salesnb.domains.forecast import SeriesForecast


def format_value(unit: str, x: float) -> str:
    """A KPI value in its unit: amount, percentage, change, multiple, score, or net score (signed, as eNPS)."""
    if pd.isna(x):
        return "n/a"
    shown = round(x, 3) + 0.0  # no "-0.0%"
    return {"money": money.fmt(x), "percent": f"{shown:.1%}", "change": f"{shown:+.1%}", "ratio": f"{x:.2f}×",
            "score": f"{x:.1f}", "net": f"{x:+.0f}" if round(x) else "0"}[unit]


def thresholds_table(thresholds: dict[str, dict[str, float]], shown: Iterable[str] | None = None,
                     defaults: dict[str, dict[str, float]] | None = None) -> pd.DataFrame:
    """The traffic-light thresholds in words, one row per KPI that has them (and is shown, when `shown` is given);
    with `defaults`, whether each is salesnb's default or set in the parameters."""
    rows = {}
    for metric, (label, unit, higher) in overview.METRICS.items():
        rule = thresholds.get(metric)
        if rule is None or (shown is not None and metric not in set(shown)):
            continue
        good, warn = (format_value(unit if unit != "change" else "percent", rule[k]) for k in ("good", "warn"))
        if higher is None:
            rows[label] = {"green": f"within ±{good}", "amber": f"within ±{warn}", "red": f"beyond ±{warn}"}
        elif higher:
            rows[label] = {"green": f"{good} or more", "amber": f"{warn} to {good}", "red": f"under {warn}"}
        else:
            rows[label] = {"green": f"{good} or less", "amber": f"{good} to {warn}", "red": f"over {warn}"}
        if defaults is not None:
            rows[label]["set_by"] = "salesnb's default" if _is_default(metric, thresholds, defaults) else "you"
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("KPI")


def _is_default(metric: str, thresholds: dict[str, dict[str, float]], defaults: dict[str, dict[str, float]]) -> bool:
    rule = thresholds.get(metric)
    return rule is not None and {k: float(v) for k, v in rule.items()} == {
        k: float(v) for k, v in defaults.get(metric, {}).items()}


def defaults_sentence(thresholds: dict[str, dict[str, float]], defaults: dict[str, dict[str, float]],
                      shown: Iterable[str]) -> str:
    """Which colours shown rest on salesnb's default thresholds rather than the user's ('' when none)."""
    metrics = [m for m in overview.METRICS if m in set(shown) and _is_default(m, thresholds, defaults)]
    if not metrics:
        return ""
    every = len(metrics) == len([m for m in overview.METRICS if m in set(shown) and m in thresholds])
    which = "every KPI" if every else listing([f"“{_named(m)}”" for m in metrics])
    return (f"The colours of {which} are judged against salesnb's default thresholds, not targets set for this "
            "business (the table at the end gives them): "
            "set your own thresholds for the overview (00_overview) under notebooks in params/defaults.yaml, or in "
            "a team's file, and a red or green here becomes yours.")


def headline(kpis: pd.DataFrame, who: str, month: Month) -> str:
    """The month in one sentence from the KPI tiles: revenue and its change, attainment, and what next month's
    forecast points to ('' without revenue)."""
    if "revenue" not in kpis.index or pd.isna(kpis.at["revenue", "value"]):
        return ""
    month = as_month(month)
    rev = kpis.loc["revenue"]
    text = f"{who[0].upper()}{who[1:]} invoiced {format_value('money', rev['value'])} in {month.strftime('%B %Y')}"
    if pd.notna(rev["previous"]) and rev["previous"]:
        text += f" ({reporting.change(rev['value'], rev['previous']):+.1%} on {(month - 1).strftime('%B')})"
    if "attainment" in kpis.index and pd.notna(kpis.at["attainment", "value"]):
        text += f", {format_value('percent', kpis.at['attainment', 'value'])} of quota"
    if "forecast_vs_quota" in kpis.index and pd.notna(kpis.at["forecast_vs_quota", "value"]):
        text += (f"; the forecast for {(month + 1).strftime('%B')} is "
                 f"{format_value('percent', kpis.at['forecast_vs_quota', 'value'])} of its quota")
    return text + "."


def to_date(sales: Lines, quotas: pd.DataFrame | None, month: Month) -> pd.DataFrame:
    """Quarter and year to date: revenue, the same months a year before, the change, quota and attainment."""
    month = as_month(month)
    quarter_start = month.asfreq("Q").asfreq("M", "start")
    year_start = month.asfreq("Y").asfreq("M", "start")
    q = (quotas.assign(month=pd.to_datetime(quotas["month"])).groupby("month")["quota"].sum()
         if quotas is not None and len(quotas) else None)
    revenue = month_revenue(sales)
    rows = {}
    for name, first in (("quarter to date", quarter_start), ("year to date", year_start)):
        start, end = month_start(first), month_start(month, 1)
        now = revenue[(revenue.index >= start) & (revenue.index < end)].sum()
        before = revenue[(revenue.index >= month_start(first, -12)) & (revenue.index < month_start(month, -11))].sum()
        covered = len(revenue) > 0 and revenue.index.min() <= month_start(first, -12)
        quota = q[(q.index >= start) & (q.index < end)].sum() if q is not None else np.nan
        rows[name] = {"from": f"{start:%B %Y}", "revenue": now,
                      "same_months_last_year": before if covered else np.nan,
                      "vs_same_months_last_year": reporting.change(now, before) if covered else np.nan,
                      "quota": quota if quota else np.nan,
                      "attainment": now / quota if quota else np.nan}
    numbers = ("revenue", "same_months_last_year", "vs_same_months_last_year", "quota", "attainment")
    return pd.DataFrame(rows).T.astype(dict.fromkeys(numbers, float))


def moved_sentence(summary: pd.DataFrame, by_group: pd.DataFrame, who: str, month: Month) -> str:
    """What moved in revenue since the previous month, and which groups moved it most."""
    month = as_month(month).strftime("%B %Y")
    now, before = summary.at["revenue", "month"], summary.at["revenue", "previous_month"]
    if pd.isna(before) or not before:
        return f"{who[0].upper()}{who[1:]} invoiced {money.fmt(now)} in {month}; there is no previous month to compare."
    why = "; ".join(f"{name} {reporting.signed(d)}" for name, d in reporting.movers(by_group)["change"].items())
    return (f"Revenue {money.fmt(now)} in {month}, {reporting.change(now, before):+.1%} on the previous month "
            f"({'+' if now >= before else '−'}{money.fmt(abs(now - before))})"
            + (f"; the largest moves: {why}." if why else "."))


def look_at(matrix: pd.DataFrame, status: pd.DataFrame) -> list[tuple[str, list[tuple[str, str]], int]]:
    """Per KPI red for some groups but not all: (KPI, its red groups worst first with their values, groups), the
    KPIs red for the largest share of groups first."""
    found = []
    for metric in status.columns:
        red = status.index[status[metric] == "red"]
        if len(red) == 0 or len(red) == len(status):
            continue  # the same colour everywhere says nothing about who to look at
        _, unit, higher = overview.METRICS[metric]
        values = matrix.loc[red, metric]
        order = (values.abs().sort_values(ascending=False) if higher is None
                 else values.sort_values(ascending=bool(higher))).index
        found.append((metric, [(str(g), format_value(unit, values[g])) for g in order], len(status)))
    return sorted(found, key=lambda f: -len(f[1]) / f[2])



def outlook(r: SeriesForecast, month: Month, quotas: pd.DataFrame | None = None,
            interval: float = 0.8) -> pd.DataFrame:
    """Next month's forecast, and the quarter it falls in: months already invoiced plus the forecast of the
    others, with an interval from the backtest errors of sums of that many months (`forecast.sum_bounds`); with
    `quotas`, the quota of each period (when every month of it has one) and the forecast's share of it."""
    nxt = as_month(month) + 1
    quarter = [month_start(m) for m in pd.period_range(nxt.asfreq("Q").asfreq("M", "start"),
                                                       nxt.asfreq("Q").asfreq("M", "end"), freq="M")]
    done = r.history[r.history.index.isin(quarter)].sum()
    ahead = r.forecast[r.forecast.index.isin(quarter)]
    rows = {f"{nxt.strftime('%B %Y')}": r.forecast.iloc[0][["yhat", "lower", "upper"]].astype(float).to_dict()}
    if len(ahead) == len(quarter) - int(r.history.index.isin(quarter).sum()):
        lo, hi = forecast.sum_bounds(r, len(ahead), interval)
        rest = forecast.with_interval(pd.DataFrame({"yhat": [ahead["yhat"].sum()]}), lo, hi).iloc[0]
        rows[f"Q{nxt.quarter} {nxt.year}"] = {c: done + rest[c] for c in ("yhat", "lower", "upper")}
    out = pd.DataFrame(rows).T.rename(columns={"yhat": "forecast"})
    if quotas is not None and len(quotas):
        per_month = quotas.assign(month=pd.to_datetime(quotas["month"])).groupby("month")["quota"].sum()
        months = [[month_start(nxt)], quarter][: len(out)]
        out["quota"] = [per_month.reindex(m).sum(min_count=len(m)) for m in months]
        out["forecast_vs_quota"] = out["forecast"] / out["quota"].where(out["quota"] > 0)
    return out


def _named(metric: str) -> str:
    """A KPI's label inside a sentence (lower case first, but eNPS stays eNPS)."""
    label = overview.METRICS[metric][0]
    return label if label[1:2].isupper() else label[0].lower() + label[1:]


def _who(red: list[tuple[str, str]], shown: int = 3) -> str:
    names = [f"{g} ({v})" for g, v in red[:shown]]
    return listing(names + ([f"{len(red) - shown} more"] if len(red) > shown else []))


def more_sentence(rest: list[tuple[str, list[tuple[str, str]], int]], by: str) -> str:
    """The KPIs red for some groups beyond those said first, with who, worst first ('' when none)."""
    if not rest:
        return ""
    parts = [f"“{_named(m)}” for {_who(red)}" for m, red, _ in rest]
    return f"Also red for some {by}s: {'; '.join(parts)}."


def everywhere_sentence(matrix: pd.DataFrame, status: pd.DataFrame, by: str) -> str:
    """The KPIs red for every group (two or more), with their range: a colour shared by all is said once here
    ('' when none)."""
    if len(status) < 2:
        return ""
    parts = []
    for metric in status.columns:
        if (status[metric] == "red").all():
            unit = overview.METRICS[metric][1]
            low, high = matrix[metric].min(), matrix[metric].max()
            span = (format_value(unit, low) if low == high
                    else f"{format_value(unit, low)} to {format_value(unit, high)}")
            parts.append(f"“{_named(metric)}” ({span})")
    return f"Red for every {by}: {listing(parts)}." if parts else ""


def shifts(kpis: pd.DataFrame, points: float = 0.05, notes: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The rates that moved by at least `points` since the period before, each with its sentence and the note
    `notes` gives it (whether the move is beyond chance); revenue and attainment are in the headline."""
    said = []
    for metric, row in kpis.iterrows():
        if row["unit"] != "percent" or metric == "attainment" or pd.isna(row["change"]):
            continue
        if abs(row["change"]) >= points:
            said.append((metric, f"{overview.METRICS[metric][0]} {'rose' if row['change'] > 0 else 'fell'} "
                                 f"{abs(row['change']) * 100:.1f} points to {format_value('percent', row['value'])}, "
                                 f"against {row['against']}. {(notes or {}).get(metric, '')}".strip()))
    return said


def hygiene_note(table: pd.DataFrame, teams: pd.DataFrame) -> str:
    """Why the organisation's data hygiene sits below every team's, when it does ('' otherwise): `table` is the
    organisation's KPIs (`overview.kpis`), `teams` the team × KPI values."""
    if "hygiene" not in table.index or "hygiene" not in teams or teams["hygiene"].dropna().empty:
        return ""
    org, low, high = table.at["hygiene", "value"], teams["hygiene"].min(), teams["hygiene"].max()
    if not org < low:
        return ""
    span = f"{low:.1f}" if round(low, 1) == round(high, 1) else f"{low:.1f} to {high:.1f}"
    return (f"The organisation's data hygiene ({org:.1f}) is below every team's ({span}): records with a problem "
            "and no owner count in the organisation's score and in no team's.")


def not_judged_sentence(names: list[str]) -> str:
    """Reps hired too recently to be judged on the overview ('' when none)."""
    if not names:
        return ""
    one = len(names) == 1
    return (f"{listing(names)}, hired in the last 6 months and still on the ramp, {'is' if one else 'are'} in the "
            f"table below but not coloured or named above.")


def look_sentence(metric: str, red: list[tuple[str, str]], groups: int, by: str) -> str:
    """Where to look: the groups whose KPI is red, worst first."""
    what = _named(metric)
    names = ", ".join(f"{g} ({v})" for g, v in red[:4]) + (f" and {len(red) - 4} more" if len(red) > 4 else "")
    return f"Look at {what}: red for {len(red)} of {groups} {by}s — {names}."
