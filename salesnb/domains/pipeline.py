"""The pipeline as a forecast: measured stage win rates, weighted pipeline, and what changed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.core import money
from salesnb.core.scope import Month, as_month, between, month_start, month_window, trailing_window
from salesnb.core.vocabulary import OPEN_STAGES

STAGE_RANK = {s: i for i, s in enumerate(OPEN_STAGES)} | {"won": len(OPEN_STAGES)}
CATEGORY_ORDER = ("commit", "best_case", "pipeline", "omitted")
WATERFALL_STEPS = ("start", "new", "pulled_in", "amount_up", "amount_down", "slipped", "won", "lost",
                   "end")


def reached_rank(closed: pd.DataFrame, history: pd.DataFrame | None) -> pd.Series:
    """The furthest stage each deal reached (0 = prospecting … 4 = won), from its stage and snapshots."""
    reached = closed.set_index("opportunity_id")["stage"].map(STAGE_RANK).fillna(0)
    if history is not None and len(history):
        seen = history[history["stage"].isin(OPEN_STAGES)].assign(
            rank=lambda h: h["stage"].map(STAGE_RANK)).groupby("opportunity_id")["rank"].max()
        reached = np.maximum(reached, seen.reindex(reached.index).fillna(0))
    return reached


def stage_win_rates(opportunities: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """Of the closed deals that reached each open stage, the share that was won."""
    closed = opportunities[opportunities["stage"].isin(["won", "lost"])]
    reached = reached_rank(closed, history)
    won = closed.set_index("opportunity_id")["stage"].eq("won")
    rows = []
    for stage in OPEN_STAGES:
        mask = reached >= STAGE_RANK[stage]
        n, w = int(mask.sum()), int(won[mask].sum())
        rows.append({"stage": stage, "closed_deals_that_reached_it": n, "of_which_won": w,
                     "win_rate": w / n if n else np.nan})
    return pd.DataFrame(rows).set_index("stage")


def win_rates_sentence(rates: pd.DataFrame, history: bool = True) -> str:
    """How to read the stage win rates: won deals passed every stage, lost ones stopped somewhere (`history`:
    stage snapshots say where)."""
    if rates.empty or not rates["closed_deals_that_reached_it"].any():
        return "No closed deal yet: stage win rates cannot be measured."
    won = int(rates["of_which_won"].max())
    text = (f"All {won:,} won deals in the CRM went through every stage, so they count on each row; lost deals "
            "count up to the stage they reached, so the win rate rises stage by stage. The rates are the whole "
            "organisation's (all its closed deals), the same in every team's report.")
    if not history:
        text += (" Without stage snapshots a lost deal's last stage is unknown and it counts at the first stage "
                 "only, so the later stages' rates are upper bounds and the weighted pipeline is too high.")
    return text


def weighted_pipeline(opportunities: pd.DataFrame, win_rates: pd.DataFrame, start: pd.Timestamp,
                      end: pd.Timestamp) -> pd.DataFrame:
    """Open deals expected to close in [start, end), each weighted by its stage's measured win rate."""
    close = pd.to_datetime(opportunities["close_date"])
    open_ = opportunities[opportunities["stage"].isin(OPEN_STAGES) & (close >= start) & (close < end)]
    out = open_[["opportunity_id", "rep_id", "account_id", "stage", "amount", "close_date",
                 "forecast_category"]].copy()
    out["forecast_category"] = out["forecast_category"].fillna("pipeline")
    out["win_rate"] = out["stage"].map(win_rates["win_rate"]).astype(float)
    out["weighted"] = out["amount"] * out["win_rate"]
    return out.sort_values("weighted", ascending=False)


def rollup(pipeline: pd.DataFrame, quota: float | None) -> pd.DataFrame:
    """Amount and weighted amount by forecast category, cumulated, and as a share of quota."""
    g = pipeline.groupby("forecast_category").agg(deals=("opportunity_id", "count"),
                                                  amount=("amount", "sum"), weighted=("weighted", "sum"))
    g = g.reindex([c for c in CATEGORY_ORDER if c in g.index] +
                  [c for c in g.index if c not in CATEGORY_ORDER])
    g["cumulative_amount"] = g["amount"].cumsum()
    g["coverage_of_quota"] = g["cumulative_amount"] / quota if quota else np.nan
    g.loc["total"] = [g["deals"].sum(), g["amount"].sum(), g["weighted"].sum(), g["amount"].sum(),
                      g["amount"].sum() / quota if quota else np.nan]
    return g


def _snapshot(history: pd.DataFrame, date: pd.Timestamp, period_end: pd.Timestamp) -> pd.DataFrame:
    snap = history[history["snapshot_date"] == date].set_index("opportunity_id")
    snap = snap.assign(in_pipeline=snap["stage"].isin(OPEN_STAGES) &
                       (pd.to_datetime(snap["close_date"]) < period_end))
    return snap


def pipeline_changes(history: pd.DataFrame, opportunities: pd.DataFrame, before: pd.Timestamp,
                     after: pd.Timestamp, period_end: pd.Timestamp) -> pd.DataFrame:
    """Each deal's contribution to the change in pipeline closing before `period_end`."""
    s0, s1 = _snapshot(history, before, period_end), _snapshot(history, after, period_end)
    final = opportunities.set_index("opportunity_id")["stage"]
    ids = s0.index[s0["in_pipeline"]].union(s1.index[s1["in_pipeline"]])
    rows = []
    for oid in ids:
        in0 = bool(oid in s0.index and s0.at[oid, "in_pipeline"])
        in1 = bool(oid in s1.index and s1.at[oid, "in_pipeline"])
        a0 = float(s0.at[oid, "amount"]) if in0 else 0.0
        a1 = float(s1.at[oid, "amount"]) if in1 else 0.0
        if in0 and in1:
            step = "amount_up" if a1 > a0 else "amount_down" if a1 < a0 else "unchanged"
        elif in1:
            step = "pulled_in" if oid in s0.index and s0.at[oid, "stage"] in OPEN_STAGES else "new"
        else:
            stage1 = s1.at[oid, "stage"] if oid in s1.index else final.get(oid, "lost")
            step = ("won" if stage1 == "won" else "lost" if stage1 == "lost"
                    else "slipped")
        rows.append({"opportunity_id": oid, "step": step, "amount_before": a0, "amount_after": a1,
                     "change": a1 - a0})
    return pd.DataFrame(rows, columns=["opportunity_id", "step", "amount_before", "amount_after",
                                       "change"])


def waterfall(changes: pd.DataFrame) -> pd.Series:
    """From the earlier pipeline total to the later one, step by step (they add up)."""
    by_step = changes.groupby("step")["change"].sum()
    out = pd.Series(0.0, index=list(WATERFALL_STEPS))
    out["start"] = changes["amount_before"].sum()
    for step in WATERFALL_STEPS[1:-1]:
        out[step] = by_step.get(step, 0.0)
    out["end"] = changes["amount_after"].sum()
    return out


def quota_from_deals_note(parts: pd.Series, whole: float, by: str) -> str:
    """Why the groups' quota from deals does not add up to the whole's exactly ('' when it does, to the unit)."""
    total = float(parts.sum())
    if parts.dropna().empty or whole != whole or round(total) == round(whole):
        return ""
    return (f"Each {by}'s quota from deals uses its own share of revenue from deals: they add up to "
            f"{money.fmt(total)}, against {money.fmt(whole)} for the whole, which uses its own share.")


def waterfall_sentence(steps: pd.Series, before: pd.Timestamp, after: pd.Timestamp) -> str:
    """The pipeline waterfall in words: where it started and ended, what was won and lost, and every other step
    that moved it (so the figures add up), saying when none was pulled in or raised."""
    text = (f"From {before:%-d %B} to {after:%-d %B %Y} this pipeline went from {money.fmt(steps['start'])} to "
            f"{money.fmt(steps['end'])}")
    won, lost = -steps["won"], -steps["lost"]
    if won or lost:
        ratio = f" ({lost / won:.1f}× what was won)" if won > 0 and lost > won else ""
        text += f": {money.fmt(won)} won and {money.fmt(lost)} lost{ratio}"
    moves = [(steps["new"], "new deals"), (steps["pulled_in"], "pulled in"),
             (steps["amount_up"], "added by raised amounts"), (-steps["amount_down"], "cut by lowered amounts"),
             (-steps["slipped"], "slipped to later"),
             (-steps.get("past_due", 0.0), "now past due in the CRM and left out")]
    said = [f"{money.fmt(abs(v))} {what}" for v, what in moves if v]
    text += f"; {', '.join(said)}" if said else ""
    idle = [what for step, what in (("pulled_in", "pulled in"), ("amount_up", "raised")) if not steps[step]]
    return text + (f" (no deal was {' or '.join(idle)})." if idle else ".")


def overdue(opportunities: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Past-due deals: open in the CRM with a close date there before `as_of`. They count in no commit, best case
    or coverage of a month from `as_of` on until their date is fixed (every report uses this one rule)."""
    late = opportunities["stage"].isin(OPEN_STAGES) & (pd.to_datetime(opportunities["close_date"]) < as_of)
    return opportunities[late]


def overdue_figures(late: pd.DataFrame) -> dict[str, float]:
    """How many past-due deals (`overdue`), their amount, and how much of it is called commit."""
    commit = late["forecast_category"].eq("commit") if "forecast_category" in late else False
    return {"deals": float(len(late)), "amount": float(late["amount"].sum()),
            "commit": float(late.loc[commit, "amount"].sum()) if len(late) else 0.0}


def overdue_sentence(late: pd.DataFrame, as_of: pd.Timestamp) -> str:
    """The past-due deals (`overdue`), with how much of them is called commit ('' when none)."""
    if late.empty:
        return ""
    f = overdue_figures(late)
    return (f"In all, {len(late):,} open deals in the CRM ({money.fmt(f['amount'])}, {money.fmt(f['commit'])} of it "
            f"called commit) have a close date before {as_of:%-d %B %Y}: they count in no month until their date is "
            "fixed (the data-quality fix list has them).")


def reference_snapshot(history: pd.DataFrame | None, month: Month) -> pd.Timestamp | None:
    """The first snapshot on or after the month's end: the pipeline as the month left it (None if none)."""
    if history is None or history.empty:
        return None
    dates = pd.to_datetime(history["snapshot_date"])
    after = dates[dates >= month_start(month, 1)]
    return after.min() if len(after) else None


def state_at(opportunities: pd.DataFrame, history: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The opportunities as the snapshot of `as_of` saw them: stage, amount, close date and forecast category
    from the snapshot, the rest (rep, account, product, dates of quote) from the table."""
    snap = history[pd.to_datetime(history["snapshot_date"]) == as_of].drop(columns="snapshot_date")
    moving = [c for c in snap.columns if c != "opportunity_id"]
    return opportunities.drop(columns=[c for c in moving if c in opportunities]).merge(snap, on="opportunity_id")


def snapshot_dates(history: pd.DataFrame, month: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first snapshot of the month and the first one after it (None if fewer than two)."""
    dates = pd.to_datetime(pd.Series(history["snapshot_date"].unique())).sort_values()
    start, end = month_window(month)
    before = dates[(dates >= start) & (dates < end)]
    after = dates[dates >= end]
    if before.empty or after.empty:
        return None
    return before.iloc[0], after.iloc[0]


def deal_share(opportunities: pd.DataFrame, revenue: float, month: Month, months: int = 12) -> float:
    """The share of revenue that deals bring: won deal amounts closed in the `months` months to `month` ÷ the
    revenue invoiced in them (at most 1); NaN when nothing was won or sold, so coverage is not claimed."""
    closed = between(opportunities, "close_date", *trailing_window(month, months))
    won = float(closed.loc[closed["stage"].eq("won"), "amount"].sum())
    return min(1.0, won / revenue) if won > 0 and revenue > 0 else float("nan")


def coverage(opportunities: pd.DataFrame, win_rates: pd.DataFrame, quotas: pd.DataFrame | None,
             month: Month, periods: int = 2, share: float = 1.0) -> pd.DataFrame:
    """For the next periods: quota, the part of it deals must bring (quota × `share`, see `deal_share`), commit,
    best case, open and weighted pipeline, and coverage (open pipeline ÷ the deals' part of quota)."""
    q = (quotas.assign(month=pd.to_datetime(quotas["month"])).groupby("month")["quota"].sum()
         if quotas is not None and len(quotas) else pd.Series(dtype=float))
    rows = []
    for ahead in range(1, periods + 1):
        start, end = month_window(month, ahead)
        wp = weighted_pipeline(opportunities, win_rates, start, end)
        quota = float(q.get(start, np.nan))
        from_deals = quota * share
        by_cat = wp.groupby("forecast_category")["amount"].sum()
        rows.append({
            "month": start.strftime("%Y-%m"), "quota": quota, "quota_from_deals": from_deals,
            "commit": float(by_cat.get("commit", 0.0)),
            "best_case": float(by_cat.get("best_case", 0.0)),
            "open_pipeline": float(wp["amount"].sum()),
            "weighted_pipeline": float(wp["weighted"].sum()),
            "pipeline_coverage": float(wp["amount"].sum() / from_deals) if from_deals > 0 else np.nan,
        })
    return pd.DataFrame(rows).set_index("month")


def outlook(cover: pd.DataFrame, revenue: pd.Series, forecast: pd.DataFrame) -> pd.DataFrame:
    """Coverage for the next periods (`coverage`), beside the run-rate and the time-series forecast."""
    out = cover.copy()
    out.insert(1, "run_rate", float(revenue.iloc[-3:].mean()))
    starts = [month_start(m) for m in out.index]
    out.insert(2, "statistical_forecast", [float(forecast["yhat"].get(t, np.nan)) for t in starts])
    return out


def gap_sentence(outlook: pd.DataFrame) -> str:
    """Next month's forecast against its quota, with the deals due that month ('' without a quota)."""
    first = outlook.iloc[0]
    forecast, quota = first["statistical_forecast"], first["quota"]
    if not quota > 0 or forecast != forecast:
        return ""
    gap = forecast - quota
    return (f"For {as_month(outlook.index[0]):%B %Y} the statistical forecast of all revenue, "
            f"{money.fmt(forecast)}, is {forecast / quota:.1%} of the {money.fmt(quota)} quota ({money.fmt(abs(gap))} "
            f"{'over' if gap >= 0 else 'short'}). Deals due that month: {money.fmt(first['open_pipeline'])} open, "
            f"{money.fmt(first['commit'])} of it called commit; "
            f"at their stages' measured win rates they weigh {money.fmt(first['weighted_pipeline'])}.")


def later_sentence(outlook: pd.DataFrame) -> str:
    """The months after the next one, forecast against quota ('' when there is none with a quota)."""
    later = outlook.iloc[1:]
    later = later[(later["quota"] > 0) & later["statistical_forecast"].notna()]
    if later.empty:
        return ""
    parts = [f"{as_month(month):%B %Y}: {money.fmt(row['statistical_forecast'])}, "
             f"{row['statistical_forecast'] / row['quota']:.1%} of the {money.fmt(row['quota'])} quota"
             for month, row in later.iterrows()]
    return "Then " + "; ".join(parts) + "."


def forecast_sentence(forecast: pd.DataFrame, interval: float) -> str:
    """Next month's forecast of all revenue with its interval (the headline when there is no pipeline)."""
    first = forecast.iloc[0]
    return (f"For {forecast.index[0]:%B %Y} the statistical forecast of all revenue is {money.fmt(first['yhat'])} "
            f"({interval:.0%} interval {money.fmt(first['lower'])} to {money.fmt(first['upper'])}).")


def share_sentence(share: float, invoiced: bool = True, quotas: bool = True) -> str:
    """What part of quota the pipeline is measured against (`invoiced`: the export has invoiced revenue;
    `quotas`: it has quotas)."""
    if not quotas:
        return "No quotas in this export: pipeline coverage (pipeline ÷ quota) is not given."
    if not invoiced:
        return "No invoiced revenue in this export: the pipeline is measured against the whole quota."
    if share != share:
        return ("No deal was won in the last 12 months, so the share of revenue that deals bring is unknown and "
                "pipeline coverage is not given.")
    return (f"Won deals brought {share:.0%} of the revenue of the last 12 months (the rest is invoiced without a "
            f"deal: repeat orders, contracts), so the pipeline is measured against {share:.0%} of quota, the part "
            "deals must bring: 3× is the usual comfort, under 2× is short.")
