"""Sales reporting: revenue, volume and margin for a month vs last month and the same month last year."""

from __future__ import annotations

import pandas as pd

METRICS = ("revenue", "margin", "margin_pct", "orders", "units", "lines")


def periods(month: str) -> dict[str, pd.Timestamp]:
    """First day of the month, of the month before, and of the same month a year before."""
    p = pd.Period(month, freq="M")
    return {"month": p.start_time, "previous_month": (p - 1).start_time,
            "last_year": (p - 12).start_time}


def change(current: float, before: float) -> float:
    """Relative change; NaN when there is nothing to compare with."""
    if pd.isna(before) or before == 0 or pd.isna(current):
        return float("nan")
    return (current - before) / abs(before)


def _totals(df: pd.DataFrame) -> dict[str, float]:
    revenue = float(df["revenue"].sum())
    margin = float(df["margin"].sum(min_count=1)) if df["margin"].notna().any() else float("nan")
    return {"revenue": revenue, "margin": margin,
            "margin_pct": margin / revenue if revenue else float("nan"),
            "orders": float(df["order_id"].nunique()), "units": float(df["quantity"].sum()),
            "lines": float(len(df))}


def summary(sales: pd.DataFrame, month: str) -> pd.DataFrame:
    """Headline metrics for the month, last month and last year, with the changes."""
    cols = {name: _totals(sales[sales["month"] == start]) for name, start in periods(month).items()}
    out = pd.DataFrame(cols).loc[list(METRICS)]
    out["vs_previous_month"] = [change(a, b) for a, b in zip(out["month"], out["previous_month"],
                                                             strict=True)]
    out["vs_last_year"] = [change(a, b) for a, b in zip(out["month"], out["last_year"], strict=True)]
    out.loc["margin_pct", ["vs_previous_month", "vs_last_year"]] = (
        out.loc["margin_pct", "month"] - out.loc["margin_pct", ["previous_month", "last_year"]]
    ).to_numpy()
    out.index.name = "metric"
    return out


def breakdown(sales: pd.DataFrame, month: str, by: str) -> pd.DataFrame:
    """Revenue, margin and volume per value of `by` for the month, with changes and share."""
    p = periods(month)
    pick = sales[sales["month"].isin(list(p.values()))]
    table = pick.pivot_table(index=by, columns="month", values="revenue", aggfunc="sum",
                             fill_value=0.0, observed=True)
    table = table.reindex(columns=list(p.values()), fill_value=0.0)
    table.columns = ["revenue", "revenue_previous_month", "revenue_last_year"]
    cur = pick[pick["month"] == p["month"]].groupby(by, observed=True)
    table["margin"] = cur["margin"].sum(min_count=1)
    table["units"] = cur["quantity"].sum()
    table = table.fillna({"units": 0.0})
    table["margin_pct"] = table["margin"] / table["revenue"].where(table["revenue"] != 0)
    table["vs_previous_month"] = [change(a, b) for a, b in
                                  zip(table["revenue"], table["revenue_previous_month"], strict=True)]
    table["vs_last_year"] = [change(a, b) for a, b in
                             zip(table["revenue"], table["revenue_last_year"], strict=True)]
    total = table["revenue"].sum()
    table["share"] = table["revenue"] / total if total else float("nan")
    return table.sort_values(["revenue", "revenue_previous_month"], ascending=False)


def trend(sales: pd.DataFrame) -> pd.DataFrame:
    """Monthly revenue, margin and margin rate over the whole frame."""
    out = sales.groupby("month").agg(revenue=("revenue", "sum"),
                                     margin=("margin", lambda s: s.sum(min_count=1)),
                                     orders=("order_id", "nunique"))
    out["margin_pct"] = out["margin"] / out["revenue"]
    return out


def headline(table: pd.DataFrame, team: str, month: str) -> str:
    """One sentence a manager reads first: revenue, margin and the two changes."""
    row = table.loc["revenue"]
    who = "the whole organisation" if team == "all" else f"team {team}"

    def pct(x: float) -> str:
        return "n/a" if pd.isna(x) else f"{x:+.1%}"

    margin = table.loc["margin_pct", "month"]
    margin_txt = "" if pd.isna(margin) else f", at a {margin:.1%} margin"
    return (f"In {month}, {who} invoiced EUR {row['month']:,.0f}{margin_txt}: "
            f"{pct(row['vs_previous_month'])} vs the previous month and "
            f"{pct(row['vs_last_year'])} vs the same month last year.")
