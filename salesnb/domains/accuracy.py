"""Rep forecast accuracy (what each rep called vs what they sold) and the plan-vs-actual gap."""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from salesnb.core.lazy import lazy, total
from salesnb.core.scope import month_start

BENCHMARK = {"top performers": 0.60, "others": 0.20}
SOURCE = "R. Blanchard, “Performance commerciale : 6 domaines clés”, 2017"


@dataclass(frozen=True)
class AccuracyRule:
    """A rep forecasts well when their error stays within `tolerance`; bias needs consistency."""

    months: int = 12
    tolerance: float = 0.10
    consistency: float = 0.7
    min_months: int = 3

    def describe(self) -> str:
        return (f"Over the last {self.months} months with both a forecast and sales (at least "
                f"{self.min_months}): a rep is *sandbagging* when the median forecast is more than "
                f"{self.tolerance:.0%} under actual and {self.consistency:.0%} or more of the months "
                f"are under; *over-optimistic* the same way above; *accurate* when the total "
                f"absolute error is within {self.tolerance:.0%} of actual sales (WAPE); "
                f"*erratic* otherwise.")


def actuals_by_rep(sales: pd.DataFrame | ibis.Table) -> pd.DataFrame:
    """Revenue per rep and month."""
    t = lazy(sales)
    return total(t.mutate(month=t.month.cast("date")), ["rep_id", "month"]).rename("actual").reset_index()


def rep_errors(submissions: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Each submitted forecast beside the actual: error, relative bias, absolute error."""
    sub = submissions.sort_values("submitted_date").groupby(["rep_id", "month"], as_index=False).last()
    sub["month"] = pd.to_datetime(sub["month"])
    df = sub[["rep_id", "month", "forecast"]].merge(actuals, on=["rep_id", "month"], how="left")
    df["actual"] = df["actual"].fillna(0.0)
    df["error"] = df["forecast"] - df["actual"]
    df["bias"] = df["error"] / df["actual"].where(df["actual"] > 0)
    return df


def classify(errors: pd.DataFrame, last_month: str, rule: AccuracyRule = AccuracyRule()) -> pd.DataFrame:
    """One row per rep: months judged, median bias, WAPE, share under/over, the class, and the last month's own
    call vs actual (the overview's figure for the rep)."""
    start, end = month_start(last_month, 1 - rule.months), month_start(last_month)
    window = errors[(errors["month"] >= start) & (errors["month"] <= end) & (errors["actual"] > 0)]
    rows = []
    for rep, g in window.groupby("rep_id"):
        n = len(g)
        median = float(g["bias"].median())
        wape = float(g["error"].abs().sum() / g["actual"].sum())
        under, over = float((g["error"] < 0).mean()), float((g["error"] > 0).mean())
        if n < rule.min_months:
            label = "too_few_months"
        elif median < -rule.tolerance and under >= rule.consistency:
            label = "sandbagging"
        elif median > rule.tolerance and over >= rule.consistency:
            label = "over_optimistic"
        elif wape <= rule.tolerance:
            label = "accurate"
        else:
            label = "erratic"
        last = g.loc[g["month"] == end, "bias"]
        rows.append({"rep_id": rep, "months": n, "median_bias": median, "wape": wape,
                     "share_under": under, "share_over": over, "class": label,
                     "last_month_call_vs_actual": float(last.iloc[0]) if len(last) else float("nan")})
    cols = ["rep_id", "months", "median_bias", "wape", "share_under", "share_over", "class",
            "last_month_call_vs_actual"]
    return pd.DataFrame(rows, columns=cols).set_index("rep_id")


def share_forecasting_well(classes: pd.DataFrame) -> float:
    """Share of judged reps (enough months) classed accurate."""
    judged = classes[classes["class"] != "too_few_months"]
    return float((judged["class"] == "accurate").mean()) if len(judged) else float("nan")


def accuracy_trend(errors: pd.DataFrame) -> pd.DataFrame:
    """Per month: WAPE and bias of all reps' forecasts together."""
    g = errors[errors["actual"] > 0].groupby("month")
    out = pd.DataFrame({"forecast": g["forecast"].sum(), "actual": g["actual"].sum(),
                        "abs_error": g["error"].apply(lambda e: e.abs().sum())})
    out["wape"] = out["abs_error"] / out["actual"]
    out["bias"] = (out["forecast"] - out["actual"]) / out["actual"]
    return out.drop(columns="abs_error")


def plan_gap(errors: pd.DataFrame, quotas: pd.DataFrame | None, last_month: str,
             months: int = 12) -> pd.DataFrame:
    """Per past month: forecast called, actual, quota, and the gaps between them."""
    start, end = month_start(last_month, 1 - months), month_start(last_month)
    df = errors[(errors["month"] >= start) & (errors["month"] <= end)]
    out = df.groupby("month")[["forecast", "actual"]].sum()
    if quotas is not None and len(quotas):
        q = quotas.assign(month=pd.to_datetime(quotas["month"])).groupby("month")["quota"].sum()
        out["quota"] = q.reindex(out.index)
    else:
        out["quota"] = np.nan
    out["forecast_minus_actual"] = out["forecast"] - out["actual"]
    out["forecast_vs_actual"] = out["forecast_minus_actual"] / out["actual"].where(out["actual"] > 0)
    out["attainment"] = out["actual"] / out["quota"]
    return out


CALL_NAMES = {"forecast": "reps_call", "forecast_minus_actual": "call_minus_actual",
              "forecast_vs_actual": "call_vs_actual", "bias": "call_bias"}


def as_calls(table: pd.DataFrame) -> pd.DataFrame:
    """A table of the reps' submitted forecasts with columns named as calls, apart from the statistical forecast."""
    return table.rename(columns=CALL_NAMES)


def share_sentence(classes: pd.DataFrame) -> str:
    """The share of reps forecasting well, beside the source article's benchmark."""
    share = share_forecasting_well(classes)
    judged = int((classes["class"] != "too_few_months").sum())
    if judged == 0:
        return "No rep has enough months of forecasts and sales to be judged yet."
    counts = classes["class"].value_counts()
    return (f"{share:.0%} of the {judged} reps judged forecast accurately "
            f"(a survey benchmark, not measured the same way: {BENCHMARK['top performers']:.0%} of reps "
            f"forecast well in top-performing companies, as low as {BENCHMARK['others']:.0%} in others; "
            f"{SOURCE}). Sandbagging: {counts.get('sandbagging', 0)}, "
            f"over-optimistic: {counts.get('over_optimistic', 0)}, erratic: {counts.get('erratic', 0)}.")


def named(classes: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """The classification with each rep's name, worst bias first."""
    names = reps.set_index("rep_id")["name"]
    out = classes.assign(rep=names.reindex(classes.index)).reset_index()
    out["order"] = out["median_bias"].abs()
    return out.sort_values("order", ascending=False).drop(columns="order").set_index("rep")
