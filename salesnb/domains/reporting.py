"""Sales reporting: revenue, volume and margin for a month vs last month and the same month last year."""

from __future__ import annotations

import ibis
import pandas as pd

from salesnb.core import money
from salesnb.core.lazy import Lines, lazy, run, value
from salesnb.core.scope import as_month, comparison_starts, in_months, month_start

METRICS = ("revenue", "returns", "margin", "margin_pct", "orders", "units", "lines", "credit_lines")
CREDIT_METRICS = ("returns", "credit_lines")


def change(current: float, before: float) -> float:
    """Relative change; NaN when there is nothing to compare with."""
    if pd.isna(before) or before == 0 or pd.isna(current):
        return float("nan")
    return (current - before) / abs(before)


COUNTS = ("revenue", "returns", "orders", "units", "lines", "credit_lines")


def _month(t: ibis.Table) -> ibis.DateValue:
    return t.month.cast("date")


def monthly_totals(sales: Lines, starts: list[pd.Timestamp]) -> pd.DataFrame:
    """Headline metrics (rows) of each month starting at `starts` (columns, in that order)."""
    t = lazy(sales)
    t = t.filter(in_months(t, "order_date", starts))
    credit = t.quantity < 0
    agg = t.group_by(month=_month(t)).aggregate(
        revenue=t.revenue.sum(), returns=t.revenue.sum(where=credit), margin=t.margin.sum(),
        costed=t.revenue.sum(where=t.margin.notnull()), orders=t.order_id.nunique(where=~credit),
        units=t.quantity.sum(), lines=t.count(where=~credit), credit_lines=t.count(where=credit))
    out = run(agg).set_index("month").reindex(starts).astype(float)
    out[list(COUNTS)] = out[list(COUNTS)].fillna(0.0)
    out["margin_pct"] = margin_rate(out["margin"], out["costed"])
    out["costed_share"] = out["costed"] / out["revenue"].where(out["revenue"] != 0)
    rows = list(METRICS) + (["costed_share"] if (out["costed_share"].dropna() < 0.9995).any() else [])
    return out.T.loc[rows]


def margin_rate(margin: pd.Series, costed_revenue: pd.Series) -> pd.Series:
    """Margin over the revenue of the lines whose cost is known (a line without cost has no margin)."""
    return margin / costed_revenue.where(costed_revenue != 0)


def has_credits(sales: Lines) -> bool:
    """True when any line is a credit (negative quantity)."""
    t = lazy(sales)
    return bool(value(t.filter(t.quantity < 0).limit(1).count()))


def uncovered(month: str, covered_from: pd.Period | None) -> list[str]:
    """The comparison months (previous month, last year) that fall before the first month the data cover."""
    return [name for name, start in comparison_starts(month).items()
            if name != "month" and covered_from is not None and start.to_period("M") < covered_from]


def summary(sales: Lines, month: str, covered_from: pd.Period | None = None) -> pd.DataFrame:
    """Headline metrics for the month, last month and last year, with the changes.

    A comparison month before `covered_from` (the first month the data cover) is left empty, not zero.
    """
    starts = comparison_starts(month)
    out = monthly_totals(sales, list(starts.values()))
    out.columns = list(starts)
    out[uncovered(month, covered_from)] = float("nan")
    if not has_credits(sales):
        out = out.drop(list(CREDIT_METRICS))
    out["vs_previous_month"] = [change(a, b) for a, b in zip(out["month"], out["previous_month"],
                                                             strict=True)]
    out["vs_last_year"] = [change(a, b) for a, b in zip(out["month"], out["last_year"], strict=True)]
    for rate in {"margin_pct", "costed_share"} & set(out.index):  # rates change by points, not by percent
        out.loc[rate, ["vs_previous_month", "vs_last_year"]] = (
            out.loc[rate, "month"] - out.loc[rate, ["previous_month", "last_year"]]
        ).to_numpy()
    out.index.name = "metric"
    return out


def breakdown(sales: Lines, month: str, by: str, covered_from: pd.Period | None = None) -> pd.DataFrame:
    """Revenue, margin and volume per value of `by` for the month, with changes and share; a comparison month
    before `covered_from` (the first month the data cover) is left empty, not zero."""
    p = comparison_starts(month)
    t = lazy(sales)
    t = t.filter(in_months(t, "order_date", list(p.values())) & t[by].notnull())
    agg = run(t.group_by([by, _month(t).name("month")]).aggregate(
        revenue=t.revenue.sum(), margin=t.margin.sum(), units=t.quantity.sum(),
        costed=t.revenue.sum(where=t.margin.notnull())))
    table = agg.pivot_table(index=by, columns="month", values="revenue", aggfunc="sum", fill_value=0.0)
    table = table.reindex(columns=list(p.values()), fill_value=0.0).sort_index()
    table.columns = ["revenue", "revenue_previous_month", "revenue_last_year"]
    table.columns.name = None
    for key in uncovered(month, covered_from):
        table[f"revenue_{key}"] = float("nan")
    cur = agg[agg["month"] == p["month"]].set_index(by)
    table["margin"] = cur["margin"].astype(float)
    table["units"] = cur["units"].astype(float)
    table = table.fillna({"units": 0.0})
    table["margin_pct"] = margin_rate(table["margin"], cur["costed"].astype(float).reindex(table.index))
    table["vs_previous_month"] = [change(a, b) for a, b in
                                  zip(table["revenue"], table["revenue_previous_month"], strict=True)]
    table["vs_last_year"] = [change(a, b) for a, b in
                             zip(table["revenue"], table["revenue_last_year"], strict=True)]
    total = table["revenue"].sum()
    table["share"] = table["revenue"] / total if total else float("nan")
    return table.sort_values(["revenue", "revenue_previous_month"], ascending=False)


def movers(breakdown: pd.DataFrame, n: int = 2) -> pd.DataFrame:
    """The groups (teams, reps, products) whose revenue moved most since the previous month, largest first."""
    delta = (breakdown["revenue"] - breakdown["revenue_previous_month"]).rename("change").dropna()
    return delta.reindex(delta.abs().sort_values(ascending=False).index).head(n).to_frame()


def signed(amount: float) -> str:
    """An amount with its sign (+1,200, −300 in the currency of the report)."""
    return f"{'+' if amount >= 0 else '−'}{money.fmt(abs(amount))}"


def drivers_sentence(parts: dict[str, pd.DataFrame]) -> str:
    """Which groups moved revenue most since the previous month, for each breakdown given (by its label)."""
    said = []
    for label, table in parts.items():
        top = movers(table)["change"]
        top = top[top != 0]
        if len(top):
            said.append(f"by {label}, " + " and ".join(f"{name} {signed(d)}" for name, d in top.items()))
    return ("Against the previous month, the largest moves: " + "; ".join(said) + ".") if said else ""


def with_team(by_rep: pd.DataFrame, reps: pd.DataFrame, month: str | None = None) -> pd.DataFrame:
    """A rep breakdown (by rep name) with each rep's team first; with `month`, the revenue of a comparison month
    the rep was not yet hired in is unknown (n/a), not zero."""
    info = reps.drop_duplicates("name").set_index("name")
    out = by_rep.assign(team=info["team"].reindex(by_rep.index).to_numpy())[["team", *by_rep.columns]]
    if month is None or "hire_date" not in info:
        return out
    hired = pd.to_datetime(info["hire_date"]).reindex(out.index)
    starts = comparison_starts(month)
    for column, key in (("revenue_previous_month", "previous_month"), ("revenue_last_year", "last_year")):
        if column in out:
            out[column] = out[column].mask(hired >= starts[key] + pd.offsets.MonthBegin(1))
    return out


def with_quotas(by_rep: pd.DataFrame, quotas: pd.DataFrame, reps: pd.DataFrame, month: str) -> pd.DataFrame:
    """A rep breakdown (by rep name) with each rep's quota for the month and attainment (revenue ÷ quota)."""
    current = quotas[pd.to_datetime(quotas["month"]) == month_start(month)]
    per_rep = current.groupby("rep_id")["quota"].sum()
    names = reps.set_index("rep_id")["name"]
    quota = per_rep.groupby(names.reindex(per_rep.index).to_numpy()).sum()
    out = by_rep.copy()
    at = out.columns.get_loc("revenue") + 1
    out.insert(at, "quota", quota.reindex(out.index))
    out.insert(at + 1, "attainment", out["revenue"] / out["quota"].where(out["quota"] > 0))
    return out


def trend(sales: Lines) -> pd.DataFrame:
    """Monthly revenue, margin and margin rate over the whole frame."""
    t = lazy(sales)
    agg = t.group_by(month=_month(t)).aggregate(revenue=t.revenue.sum(), margin=t.margin.sum(),
                                                costed=t.revenue.sum(where=t.margin.notnull()),
                                                orders=t.order_id.nunique())
    out = run(agg).set_index("month").sort_index()
    out["margin_pct"] = margin_rate(out["margin"], out["costed"])
    return out.drop(columns="costed")


def headline(table: pd.DataFrame, who: str, month: str, partial_until: pd.Timestamp | None = None) -> str:
    """One sentence a manager reads first: net revenue, margin and the changes the data support."""
    row = table.loc["revenue"]
    margin = table.loc["margin_pct", "month"]
    margin_txt = "" if pd.isna(margin) else f", at a {margin:.1%} margin"
    share = table.loc["costed_share", "month"] if "costed_share" in table.index else 1.0
    if pd.notna(margin) and share < 0.9995:
        margin_txt += f" on the {share:.0%} of revenue whose cost is known"
    named = f"{as_month(month):%B %Y}"
    when = f"In {named} (a partial month: data up to {partial_until:%-d %B})" if partial_until else f"In {named}"
    returns = (f" after {money.fmt(-table.loc['returns', 'month'])} of returns and cancellations"
               if "returns" in table.index and table.loc["returns", "month"] else "")
    text = f"{when}, {who} invoiced {money.fmt(row['month'])} net{returns}{margin_txt}"
    compared = []
    for col, base, name in (("vs_previous_month", "previous_month", "the previous month"),
                            ("vs_last_year", "last_year", "the same month last year")):
        if pd.isna(row[base]):
            compared.append(f"no comparison with {name} (the data do not cover it)")
        elif partial_until:
            compared.append(f"{row[col]:+.1%} vs {name}, a full month, so not like for like")
        elif pd.notna(row[col]):
            compared.append(f"{row[col]:+.1%} vs {name}")
    return text + (": " + " and ".join(compared) if compared else "") + "."
