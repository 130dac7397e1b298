"""The forecast call: which deals can still close, every commit and best-case deal with its risks, the roll-up
against quota and forecast, and what moved since last month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.core import money
from salesnb.core.text import counted
from salesnb.core.vocabulary import OPEN_STAGES
from salesnb.domains.pipeline import WATERFALL_STEPS, overdue

CALLED = ("commit", "best_case")
FLAGS = {"past_due": "past due", "closes_before_created": "close date before creation", "pushed_twice":
         "pushed twice or more", "no_stage_change": "no stage change in 60 days", "no_recent_activity":
         "no activity in 60 days", "missing_fields": "missing fields", "amount_cut": "amount cut"}


def can_close(state: pd.DataFrame, deals: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """The pipeline `state` (a snapshot's) without the deals the CRM now holds as past due at `start`."""
    return state[~state["opportunity_id"].isin(overdue(deals, start)["opportunity_id"])]


def _pushes(history: pd.DataFrame) -> pd.Series:
    close = pd.to_datetime(history["close_date"])
    return (close.groupby(history["opportunity_id"]).diff() > pd.Timedelta(0)).groupby(
        history["opportunity_id"]).sum()


def _last_stage_move(history: pd.DataFrame) -> pd.Series:
    changed = history["stage"].ne(history.groupby("opportunity_id")["stage"].shift())
    return pd.to_datetime(history[changed].groupby("opportunity_id")["snapshot_date"].max())


def _amounts_at(history: pd.DataFrame | None, date: pd.Timestamp | None) -> pd.Series:
    if history is None or date is None:
        return pd.Series(dtype=float)
    snap = history[pd.to_datetime(history["snapshot_date"]) == date]
    return snap.set_index("opportunity_id")["amount"].astype(float)


def deal_list(state: pd.DataFrame, deals: pd.DataFrame, history: pd.DataFrame | None,
              activities: pd.DataFrame | None, accounts: pd.DataFrame | None, as_of: pd.Timestamp,
              start: pd.Timestamp, end: pd.Timestamp, previous: pd.Timestamp | None = None,
              stale_days: int = 60, cut: float = 0.2) -> pd.DataFrame:
    """Every commit and best-case deal due in [start, end) as `state` (the pipeline as of `as_of`) holds it, and
    the deals so called that the CRM now holds as past due (with the CRM's category), each with its facts and risk
    flags: past due first, then month by month, risky money first. `previous`: the snapshot amounts are compared
    with (a month earlier); an amount lowered by `cut` of it or more is flagged; a deal with no logged activity is
    flagged when the export links activities to deals."""
    close = pd.to_datetime(state["close_date"])
    due = state[state["stage"].isin(OPEN_STAGES) & (close >= start) & (close < end)]
    due = can_close(due, deals, start)
    late = overdue(deals, start)
    rows = pd.concat([due.assign(past_due=False), late.assign(past_due=True)], ignore_index=True)
    rows = rows.assign(forecast_category=rows.get("forecast_category"))  # none in the export: nothing called
    rows = rows[rows["forecast_category"].isin(CALLED)].set_index("opportunity_id")
    crm = deals.set_index("opportunity_id")
    out = pd.DataFrame(index=rows.index)
    out["rep_id"] = crm["rep_id"].reindex(out.index)
    out["account_id"] = crm["account_id"].reindex(out.index)
    names = (accounts.set_index("account_id")["name"] if accounts is not None and "name" in accounts
             else pd.Series(dtype=str))
    out["account"] = out["account_id"].map(names)
    for col in ("forecast_category", "stage", "amount", "close_date", "past_due"):
        out[col] = rows[col]
    out["close_date"] = pd.to_datetime(out["close_date"])
    out["age_days"] = (as_of - pd.to_datetime(crm["created_date"]).reindex(out.index)).dt.days
    out["days_since_activity"] = _days_since_activity(activities, out.index, as_of)
    if history is not None and len(history):
        h = history[pd.to_datetime(history["snapshot_date"]) <= as_of].sort_values(
            ["opportunity_id", "snapshot_date"])
        out["pushes"] = _pushes(h).reindex(out.index).fillna(0).astype(int)
        days_in_stage = (as_of - _last_stage_move(h).reindex(out.index)).dt.days
    else:
        out["pushes"], days_in_stage = np.nan, pd.Series(np.nan, index=out.index)
    before = _amounts_at(history, previous).reindex(out.index)
    out["amount_change"] = out["amount"] - before
    out["closes_before_created"] = out["close_date"] < pd.to_datetime(crm["created_date"]).reindex(out.index)
    out["pushed_twice"] = out["pushes"] >= 2
    out["no_stage_change"] = days_in_stage >= stale_days
    linked = activities is not None and "opportunity_id" in activities and activities["opportunity_id"].notna().any()
    out["no_recent_activity"] = (out["days_since_activity"] >= stale_days) | (
        linked & out["days_since_activity"].isna())
    fields = [c for c in ("account_id", "product_id") if c in crm]
    missing = crm.reindex(out.index)[fields].isna().any(axis=1) if fields else False
    out["missing_fields"] = missing | ~(out["amount"] > 0) | out["close_date"].isna()
    out["amount_cut"] = (before > 0) & (out["amount_change"] <= -cut * before)
    flags = out[list(FLAGS)].fillna(False).astype(bool)
    out["risk"] = flags.apply(lambda r: "; ".join(FLAGS[f] for f in FLAGS if r[f]), axis=1) if len(out) else ""
    out["risky"] = flags.any(axis=1)
    out["manager_call"] = ""
    out.insert(out.columns.get_loc("close_date") + 1, "month", out["close_date"].dt.strftime("%Y-%m"))
    order = out.assign(_month=out["month"].where(~out["past_due"], ""))  # past due: the largest first
    order = order.sort_values(["past_due", "_month", "risky", "amount"], ascending=[False, True, False, False],
                              kind="stable")
    return order.drop(columns="_month").reset_index()


def _days_since_activity(activities: pd.DataFrame | None, ids: pd.Index, as_of: pd.Timestamp) -> pd.Series:
    if activities is None or "opportunity_id" not in activities:
        return pd.Series(np.nan, index=ids)
    acts = activities[pd.to_datetime(activities["activity_date"]) <= as_of]
    last = pd.to_datetime(acts.groupby("opportunity_id")["activity_date"].max())
    return (as_of - last.reindex(ids)).dt.days


PAGE_COLUMNS = ["opportunity_id", "team", "rep_id", "account", "forecast_category", "stage", "amount", "close_date",
                "age_days", "days_since_activity", "pushes", "amount_change", "risk"]


def shown(deals: pd.DataFrame) -> pd.DataFrame:
    """A `deal_list` as the page shows it: what a manager reads in the call (the export has every column)."""
    return deals[[c for c in PAGE_COLUMNS if c in deals]]


def flag_amounts(deals: pd.DataFrame, category: str = "commit") -> pd.Series:
    """The amount of a category's deals under each risk flag (a deal can carry several)."""
    called = deals[deals["forecast_category"].eq(category)]
    return pd.Series({f: float(called.loc[called[f].fillna(False).astype(bool), "amount"].sum())
                      for f in FLAGS}, dtype=float)


def risk_sentence(deals: pd.DataFrame, start: pd.Timestamp) -> str:
    """The call's risks in words: the past-due deals left out, then the commit on risky deals, flag by flag."""
    late = deals[deals["past_due"]]
    called = deals[~deals["past_due"]]
    commit = called[called["forecast_category"].eq("commit")]
    text = ""
    if len(late):
        late_commit = late.loc[late["forecast_category"].eq("commit"), "amount"].sum()
        text = (f"First risk: {counted(len(late), 'deal')} called commit or best case "
                f"({money.fmt(late['amount'].sum())}, {money.fmt(late_commit)} of it commit) have a close date "
                f"before {start:%-d %B %Y} in the CRM: they are past due and count in no commit, best case or "
                "coverage until their date is fixed")
        slips = int(late["closes_before_created"].sum())
        text += (f" ({counted(slips, 'deal')} with a close date before its creation: a typing slip to check). "
                 if slips else ". ")
    total = commit["amount"].sum()
    if not len(commit):
        return text + f"No deal due from {start:%-d %B} is called commit."
    at_risk = commit.loc[commit["risky"], "amount"].sum()
    share = at_risk / total if total else 0.0
    shown = "under 1%" if 0 < share < 0.005 else f"{share:.0%}"
    text += (f"Of the {money.fmt(total)} commit ({counted(len(commit), 'deal')}), {shown} ({money.fmt(at_risk)}, "
             f"{counted(int(commit['risky'].sum()), 'deal')}) sits on risky deals")
    parts = [f"{money.fmt(v)} {FLAGS[f]}" for f, v in flag_amounts(called).items() if v and f != "past_due"]
    return text + (f": {', '.join(parts)} (a deal can carry several flags)." if parts else ".")


def figures(deals: pd.DataFrame) -> dict[str, float]:
    """The call's totals of a `deal_list`: commit and best case without the past-due deals, the past-due amount,
    and the commit on risky deals."""
    live, late = deals[~deals["past_due"]], deals[deals["past_due"]]
    commit = live[live["forecast_category"].eq("commit")]
    return {"commit": float(commit["amount"].sum()),
            "best_case": float(live.loc[live["forecast_category"].eq("best_case"), "amount"].sum()),
            "past_due": float(late["amount"].sum()),
            "risky_commit": float(commit.loc[commit["risky"], "amount"].sum())}


def quarter_sentence(deals: pd.DataFrame) -> str:
    """The call over the whole window of a `deal_list`, month by month."""
    live = deals[~deals["past_due"]]
    if live.empty:
        return "No deal is called commit or best case in the next three months."
    by = live.groupby([live["close_date"].dt.to_period("M"), "forecast_category"])["amount"].sum().unstack(
        fill_value=0)
    parts = [f"{m:%B} {money.fmt(r.get('commit', 0.0))} commit and {money.fmt(r.get('best_case', 0.0))} best case"
             for m, r in by.iterrows()]
    return "Month by month: " + "; ".join(parts) + "."


def rollup(deals: pd.DataFrame, groups: pd.Series, quotas: pd.Series, forecasts: pd.Series, shares: pd.Series,
           whole_share: float, whole_forecast: float, calls: pd.Series | None = None) -> pd.DataFrame:
    """Per group (rep or team) and in total: quota, the statistical forecast (`whole_forecast` for the total) and
    the reps' call (`calls`, their submitted forecasts) against it, the part of quota deals must bring (the group's
    share of it, `whole_share` for the total), commit, best case, both together and how far they cover that part,
    and the past-due amount left out. `groups` maps each rep to its group."""
    d = deals.assign(group=deals["rep_id"].map(groups))
    live = d[~d["past_due"]]
    by = live.pivot_table(index="group", columns="forecast_category", values="amount", aggfunc="sum")
    out = pd.DataFrame(index=pd.Index(sorted(set(groups.dropna())), name="group"))
    out["quota"] = quotas.reindex(out.index)
    out["statistical_forecast"] = forecasts.reindex(out.index)
    if calls is not None:
        out["reps_call"] = calls.reindex(out.index)
    out["quota_from_deals"] = out["quota"] * shares.reindex(out.index)
    for cat in CALLED:
        out[cat] = by[cat].reindex(out.index).fillna(0.0) if cat in by else 0.0
    out["commit_and_best_case"] = out["commit"] + out["best_case"]
    out["past_due"] = d[d["past_due"]].groupby("group")["amount"].sum().reindex(out.index).fillna(0.0)
    out = pd.concat([out, out.sum(min_count=1).rename("total").to_frame().T])
    out.loc["total", ["quota_from_deals", "statistical_forecast"]] = [out.loc["total", "quota"] * whole_share,
                                                                     whole_forecast]
    out.insert(2, "forecast_vs_quota", out["statistical_forecast"] / out["quota"].where(out["quota"] > 0))
    out.insert(out.columns.get_loc("commit_and_best_case") + 1, "coverage",
               out["commit_and_best_case"] / out["quota_from_deals"].where(out["quota_from_deals"] > 0))
    return out


def rollup_sentence(table: pd.DataFrame, month: pd.Timestamp, share: float) -> str:
    """The scope's commit and best case against the part of quota deals must bring, the statistical forecast
    against quota, and whether reps have called the month."""
    t = table.loc["total"]
    quota, forecast = t["quota"], t["statistical_forecast"]
    text = (f"For {month:%B %Y}: {money.fmt(t['commit'])} commit and {money.fmt(t['best_case'])} best case, "
            f"{money.fmt(t['commit_and_best_case'])} together")
    if quota == quota and quota > 0:
        text += f", against {money.fmt(t['quota_from_deals'])} of quota that deals must bring"
        if share < 1:
            text += f" ({share:.0%} of the {money.fmt(quota)} quota)"
        left = t["quota_from_deals"] - t["commit_and_best_case"]
        text += (f": {money.fmt(left)} is still to be found in the rest of the pipeline" if left > 0
                 else f": they cover it {t['coverage']:.2f}×")
    if forecast == forecast:
        text += f". The statistical forecast of all revenue (deals and the rest) is {money.fmt(forecast)}"
        if quota == quota and quota > 0:
            gap = forecast - quota
            text += f", {money.fmt(abs(gap))} {'over' if gap >= 0 else 'short of'} quota ({forecast / quota:.1%})"
    text += "."
    if "reps_call" in table and table["reps_call"].isna().all():
        text += f" No rep has submitted a forecast for {month:%B} yet."
    return text


def moves(changes: pd.DataFrame, groups: pd.Series, late: pd.Index | None = None) -> pd.DataFrame:
    """Per group and in total: the pipeline at the start, each step of `pipeline.waterfall`, the deals at the end
    that are now past due (`late` ids, left out), and the end without them, so that every row adds up. `groups`
    maps each deal id to its group."""
    c = changes.assign(group=changes["opportunity_id"].map(groups).fillna("unassigned"))
    out = c.pivot_table(index="group", columns="step", values="change", aggfunc="sum").reindex(
        columns=list(WATERFALL_STEPS)).fillna(0.0)
    out["start"] = c.groupby("group")["amount_before"].sum()
    gone = c["opportunity_id"].isin(late if late is not None else [])
    out["past_due"] = -c["amount_after"].where(gone, 0.0).groupby(c["group"]).sum()
    out["end"] = c.groupby("group")["amount_after"].sum() + out["past_due"]
    out = out[[*WATERFALL_STEPS[:-1], "past_due", "end"]]
    return pd.concat([out, out.sum().rename("total").to_frame().T]).rename_axis(None).rename_axis(None, axis=1)


def commit_conversion(history: pd.DataFrame, before: pd.Timestamp, after: pd.Timestamp, start: pd.Timestamp,
                      end: pd.Timestamp) -> pd.Series:
    """What became of the commit due in [start, end) as the `before` snapshot held it, by the `after` snapshot:
    its amount then, and how much of it was won, lost or is still open."""
    s0 = history[pd.to_datetime(history["snapshot_date"]) == before]
    close = pd.to_datetime(s0["close_date"])
    commit = s0[s0["stage"].isin(OPEN_STAGES) & s0["forecast_category"].eq("commit") & (close >= start)
                & (close < end)].set_index("opportunity_id")["amount"]
    s1 = history[pd.to_datetime(history["snapshot_date"]) == after].set_index("opportunity_id")["stage"]
    stage = s1.reindex(commit.index).map(lambda x: x if x in ("won", "lost") else "open")
    return pd.Series({"commit": commit.sum(), **{k: commit[stage == k].sum() for k in ("won", "lost", "open")}})


def conversion_sentence(c: pd.Series, before: pd.Timestamp, after: pd.Timestamp, month: pd.Timestamp) -> str:
    """How last month's commit landed, in words ('' when nothing was called commit)."""
    if not c["commit"] > 0:
        return ""
    return (f"How commit lands here: of the {money.fmt(c['commit'])} called commit on {before:%-d %B} for "
            f"{month:%B}, {money.fmt(c['won'])} ({c['won'] / c['commit']:.0%}) was won by {after:%-d %B}, "
            f"{money.fmt(c['lost'])} lost and {money.fmt(c['open'])} is still open.")


def due_by(deals: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The deals of a `deal_list` due before `end`, with the past-due ones."""
    return deals[deals["past_due"] | (deals["close_date"] < end)]


def last_month(rows: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Last month's forecasts (name → (forecast, what it is measured against)) beside what was invoiced, with
    the error as a share of it."""
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["forecast", "actual"])
    out["error"] = (out["forecast"] - out["actual"]) / out["actual"].where(out["actual"] > 0)
    return out
