"""Sales reporting: revenue, volume and margin for a month vs last month and the same month last year."""

from __future__ import annotations

import pandas as pd

from salesnb.core import money
from salesnb.core.scope import comparison_starts

METRICS = ("revenue", "returns", "margin", "margin_pct", "orders", "units", "lines", "credit_lines")
CREDIT_METRICS = ("returns", "credit_lines")


def change(current: float, before: float) -> float:
    """Relative change; NaN when there is nothing to compare with."""
    if pd.isna(before) or before == 0 or pd.isna(current):
        return float("nan")
    return (current - before) / abs(before)


def _totals(df: pd.DataFrame) -> dict[str, float]:
    revenue = float(df["revenue"].sum())
    margin = float(df["margin"].sum(min_count=1)) if df["margin"].notna().any() else float("nan")
    credit = df["quantity"] < 0
    return {"revenue": revenue, "returns": float(df.loc[credit, "revenue"].sum()), "margin": margin,
            "margin_pct": margin / revenue if revenue else float("nan"),
            "orders": float(df.loc[~credit, "order_id"].nunique()),
            "units": float(df["quantity"].sum()), "lines": float((~credit).sum()),
            "credit_lines": float(credit.sum())}


def summary(sales: pd.DataFrame, month: str, covered_from: pd.Period | None = None) -> pd.DataFrame:
    """Headline metrics for the month, last month and last year, with the changes.

    A comparison month before `covered_from` (the first month the data cover) is left empty, not zero.
    """
    cols = {name: _totals(sales[sales["month"] == start]) for name, start in comparison_starts(month).items()}
    out = pd.DataFrame(cols).loc[list(METRICS)]
    for name, start in comparison_starts(month).items():
        if covered_from is not None and start.to_period("M") < covered_from:
            out[name] = float("nan")
    if not (sales["quantity"] < 0).any():
        out = out.drop(list(CREDIT_METRICS))
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
    p = comparison_starts(month)
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


def headline(table: pd.DataFrame, who: str, month: str, partial_until: pd.Timestamp | None = None) -> str:
    """One sentence a manager reads first: net revenue, margin and the changes the data support."""
    row = table.loc["revenue"]
    margin = table.loc["margin_pct", "month"]
    margin_txt = "" if pd.isna(margin) else f", at a {margin:.1%} margin"
    when = f"In {month} (a partial month: data up to {partial_until:%d %B})" if partial_until else f"In {month}"
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
