"""Sales activity (calls, meetings, proposals, quotes, contracts) per rep, team and week, and its yield."""

from __future__ import annotations

import pandas as pd

from salesnb.core.scope import between
from salesnb.core.vocabulary import ACTIVITY_TYPES

COLUMNS = (*ACTIVITY_TYPES, "total")


def in_period(activities: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Activities dated in [start, end)."""
    return between(activities, "activity_date", start, end)


def counts(activities: pd.DataFrame, by: str) -> pd.DataFrame:
    """Number of activities of each type per group, with the total."""
    table = activities.pivot_table(index=by, columns="type", values="activity_id", aggfunc="count",
                                   fill_value=0)
    table = table.reindex(columns=list(ACTIVITY_TYPES), fill_value=0)
    table["total"] = table.sum(axis=1)
    return table.sort_values("total", ascending=False)


def weekly(activities: pd.DataFrame) -> pd.DataFrame:
    """Activities of each type per week (weeks start on Monday)."""
    week = pd.to_datetime(activities["activity_date"]).dt.to_period("W-SUN").dt.start_time
    return counts(activities.assign(week=week), "week").sort_index()


def per_rep_week(activities: pd.DataFrame, reps: pd.DataFrame, weeks: float) -> pd.DataFrame:
    """Each rep's activities of each type per week over the period, with name and team."""
    table = counts(activities, "rep_id") / weeks
    names = reps.set_index("rep_id")[["name", "team"]]
    return names.join(table, how="right").fillna({"name": "", "team": ""})


def deal_types(activities: pd.DataFrame) -> list[str]:
    """The activity types the data tie to deals at least once (calls and emails are often logged on accounts)."""
    tied = set(activities.loc[activities["opportunity_id"].notna(), "type"])
    return [kind for kind in ACTIVITY_TYPES if kind in tied]


def untied_sentence(activities: pd.DataFrame) -> str:
    """Which activity types the chain leaves out because no activity of theirs names a deal."""
    present = set(activities["type"])
    untied = [kind for kind in ACTIVITY_TYPES if kind in present and kind not in deal_types(activities)]
    if not untied:
        return ""
    plural = [f"{kind}s" for kind in untied]
    names = plural[0] if len(plural) == 1 else ", ".join(plural[:-1]) + f" or {plural[-1]}"
    return (f"None of the {names} in the activities table is tied to a deal, so they cannot be "
            "counted per deal and are left out of this chain; the activity tables above count them.")


def chain(activities: pd.DataFrame, closed: pd.DataFrame) -> pd.DataFrame:
    """From activity to result: activities logged on the deals closed in the period, per deal and per win (only
    the types the data tie to deals)."""
    kinds = deal_types(activities)
    linked = activities[activities["opportunity_id"].isin(closed["opportunity_id"]) & activities["type"].isin(kinds)]
    won = int((closed["stage"] == "won").sum())
    rows = {}
    for kind in [*kinds, "total"]:
        n = len(linked) if kind == "total" else int((linked["type"] == kind).sum())
        rows[kind] = {"activities": n, "per_closed_deal": n / len(closed) if len(closed) else float("nan"),
                      "per_win": n / won if won else float("nan")}
    return pd.DataFrame(rows).T


def full_weeks(weekly: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Only the weeks wholly inside [start, end): a partial first or last week would read as a drop."""
    starts = pd.to_datetime(weekly.index)
    return weekly[(starts >= start) & (starts + pd.Timedelta(days=7) <= end)]
