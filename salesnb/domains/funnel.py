"""The sales process: stage conversion, time in stage, cycle length, win rate, velocity, bottleneck."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.core.scope import between
from salesnb.core.stats import shares_differ
from salesnb.core.vocabulary import OPEN_STAGES
from salesnb.domains.pipeline import STAGE_RANK, reached_rank

STEPS = [(a, b) for a, b in zip(OPEN_STAGES, [*OPEN_STAGES[1:], "won"], strict=True)]


def closed_between(opportunities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Deals won or lost with a close date in [start, end)."""
    return between(opportunities[opportunities["stage"].isin(["won", "lost"])], "close_date", start, end)


def conversion(closed: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """For each step, of the closed deals that reached the first stage, the share that reached the next."""
    reached = reached_rank(closed, history)
    rows = []
    for a, b in STEPS:
        at = int((reached >= STAGE_RANK[a]).sum())
        passed = int((reached >= STAGE_RANK[b]).sum())
        rows.append({"step": f"{a} → {b}", "reached": at, "passed": passed,
                     "conversion": passed / at if at else np.nan})
    return pd.DataFrame(rows).set_index("step")


def time_in_stage(history: pd.DataFrame, opportunity_ids: pd.Index | None = None) -> pd.Series:
    """Median days between the first snapshot in a stage and the first snapshot in the next one seen."""
    h = history if opportunity_ids is None else history[history["opportunity_id"].isin(opportunity_ids)]
    first = h.groupby(["opportunity_id", "stage"])["snapshot_date"].min().reset_index()
    first["rank"] = first["stage"].map(STAGE_RANK | {"lost": len(STAGE_RANK)})
    first = first.sort_values(["opportunity_id", "rank"])
    first["next_seen"] = first.groupby("opportunity_id")["snapshot_date"].shift(-1)
    first["days"] = (pd.to_datetime(first["next_seen"]) - pd.to_datetime(first["snapshot_date"])).dt.days
    dwell = first[first["stage"].isin(OPEN_STAGES)].groupby("stage")["days"].median()
    return dwell.reindex(list(OPEN_STAGES)).rename("median_days_in_stage")


def process_kpis(opportunities: pd.DataFrame, closed: pd.DataFrame) -> dict[str, float]:
    """Win rate, mean won deal, cycle length of won deals (median, and the mean velocity uses) and sales
    velocity (open deals × win rate × mean won deal ÷ mean cycle) over closed deals."""
    won = closed[closed["stage"] == "won"]
    win_rate = len(won) / len(closed) if len(closed) else np.nan
    deal = float(won["amount"].mean()) if won["amount"].notna().any() else np.nan
    days = (pd.to_datetime(won["close_date"]) - pd.to_datetime(won["created_date"])).dt.days
    cycle = float(days.mean()) if days.notna().any() else np.nan
    open_deals = int(opportunities["stage"].isin(OPEN_STAGES).sum())
    velocity = open_deals * win_rate * deal / cycle if cycle and cycle > 0 else np.nan
    return {"open_opportunities": open_deals, "closed_deals": len(closed), "win_rate": win_rate,
            "mean_won_deal": deal, "median_cycle_days": float(days.median()) if days.notna().any() else np.nan,
            "mean_cycle_days": cycle, "velocity_per_day": velocity,
            "velocity_per_month": velocity * 30 if velocity == velocity else np.nan}


def baseline(start: pd.Timestamp, months_before: int) -> str:
    """The earlier window a recent one starting at `start` is compared with, in words."""
    return f"in the {months_before} months before {start:%B %Y}"


def window_sentence(start: pd.Timestamp, end: pd.Timestamp, months_before: int) -> str:
    """The recent window [start, end) and the one it is compared with, in words."""
    last = end - pd.Timedelta(days=1)
    return (f"Recent window: {start:%-d %B %Y} to {last:%-d %B %Y}; compared with the {months_before} months "
            "before.")


def bottleneck(recent: pd.DataFrame, before: pd.DataFrame | None, baseline: str = "before") -> str:
    """The step that converts worst relative to earlier deals (else the lowest), in one sentence; `baseline` names
    the earlier window ("in the 12 months before August 2026")."""
    if recent["conversion"].isna().all():
        return "Too few closed deals to find a bottleneck."
    if before is not None and before["conversion"].notna().any():
        ratio = recent["conversion"] / before["conversion"]
        step = ratio.idxmin()
        now, then = recent.loc[step], before.loc[step]
        text = (f"{now['conversion']:.0%} of deals pass now ({int(now['passed']):,} of {int(now['reached']):,}) "
                f"against {then['conversion']:.0%} {baseline} ({int(then['passed']):,} of {int(then['reached']):,})")
        if now["conversion"] < then["conversion"] and shares_differ((now["passed"], then["passed"]),
                                                                    (now["reached"], then["reached"])):
            return f"The bottleneck is {step}: {text}, the largest drop of any step, beyond what chance gives."
        return (f"No step converts clearly worse than {baseline}: the largest drop is at {step}, where {text}, "
                "within what chance gives on these numbers.")
    step = recent["conversion"].idxmin()
    return (f"The bottleneck is {step}: only {recent.at[step, 'conversion']:.0%} of deals pass it, "
            "the lowest of any step.")


def open_by_stage(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Open deals by their current stage: how many, with how much amount (where known)."""
    open_ = opportunities[opportunities["stage"].isin(OPEN_STAGES)]
    g = open_.groupby("stage")
    out = pd.DataFrame({"open_deals": g.size(), "with_amount": g["amount"].count(),
                        "amount": g["amount"].sum(min_count=1)})
    return out.reindex(list(OPEN_STAGES)).fillna({"open_deals": 0, "with_amount": 0}).rename_axis("current_stage")


def kpi_table(opportunities: pd.DataFrame, closed: pd.DataFrame) -> pd.DataFrame:
    """The process KPIs as a one-row table."""
    return pd.DataFrame([process_kpis(opportunities, closed)], index=["recent window"])


def snapshot_step(history: pd.DataFrame) -> int:
    """The usual number of days between two snapshots (0 with fewer than two)."""
    dates = pd.to_datetime(pd.Series(history["snapshot_date"].unique())).sort_values()
    return int(dates.diff().dt.days.median()) if len(dates) >= 2 else 0


def one_step_each(times: pd.Series, history: pd.DataFrame) -> bool:
    """True when every stage's median time is one snapshot step: the snapshots cannot tell stages apart."""
    step, seen = snapshot_step(history), times.dropna()
    return step > 7 and len(seen) > 0 and bool((seen - step).abs().le(step / 10).all())


def snapshot_step_note(history: pd.DataFrame, times: pd.Series | None = None) -> str:
    """What the spacing of snapshots does to time in stage ('' when snapshots are at most a week apart)."""
    step = snapshot_step(history)
    if step <= 7:
        return ""
    if times is not None and one_step_each(times, history):
        return (f"Snapshots are about {step} days apart and every stage's median time reads one step: deals move "
                "on within a month, and these snapshots cannot tell the stages apart, so no table is shown. Daily "
                "snapshots (or the CRM's stage-change dates) would measure time in stage.")
    return (f"Snapshots are about {step} days apart, so time in stage is counted in steps of about {step} days: "
            f"a deal that moved on within a month reads as {step} days. Read these figures to the month, not to the "
            "day; daily snapshots (or the CRM's stage-change dates) would measure them exactly.")
