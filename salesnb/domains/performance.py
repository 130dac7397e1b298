"""Rep scorecards (relevance, efficiency, effectiveness), accountability flags, and team challenges."""

from __future__ import annotations

import numpy as np
import pandas as pd
from ibis import _
from pydantic import BaseModel, ConfigDict, Field

from salesnb.core.errors import ParameterError
from salesnb.core.lazy import Lines, grouped, lazy, total
from salesnb.core.models import parse
from salesnb.core.scope import between, trailing_window
from salesnb.domains.funnel import closed_between

INDICATORS = {  # name: (axis, definition, higher is better)
    "activity_on_a_accounts": ("relevance", "share of activities logged on class-A accounts", True),
    "visits_on_a_accounts": ("relevance", "share of visits made to class-A accounts", True),
    "revenue_per_visit_made": ("efficiency", "revenue ÷ field visits", True),
    "revenue_per_activity_hour": ("efficiency", "revenue ÷ hours of logged activity", True),
    "cost_of_sales": ("efficiency", "the rep's cost ÷ revenue", False),
    "attainment": ("effectiveness", "revenue ÷ quota over the period", True),
    "win_rate": ("effectiveness", "deals won ÷ deals closed in the period", True),
    "revenue_growth": ("effectiveness", "revenue vs the same months a year before", True),
}


def scorecard(reps: pd.DataFrame, sales: Lines, month: str, months: int,
              classes: pd.Series | None = None, activities: pd.DataFrame | None = None,
              visits: pd.DataFrame | None = None, quotas: pd.DataFrame | None = None,
              opportunities: pd.DataFrame | None = None, accounts: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per rep, one column per indicator the data allows (see INDICATORS); with `accounts`, a rep who owns
    no class-A account has no share of effort on A accounts (n/a, not 0%)."""
    start, end = trailing_window(month, months)
    still_here = ~(pd.to_datetime(reps["end_date"]) < start) if "end_date" in reps else True
    out = reps[still_here].set_index("rep_id")[["name", "team"]].copy()
    revenue = total(between(lazy(sales), "order_date", start, end), "rep_id").reindex(out.index).fillna(0.0)
    out["revenue"] = revenue
    if activities is not None and classes is not None:
        acts = between(activities, "activity_date", start, end)
        on_a = acts["account_id"].map(classes).eq("A")
        out["activity_on_a_accounts"] = on_a.groupby(acts["rep_id"]).mean()
    if visits is not None:
        vis = between(visits, "visit_date", start, end)
        n_visits = vis.groupby("rep_id").size().reindex(out.index)
        out["revenue_per_visit_made"] = revenue / n_visits.where(n_visits > 0)
        if classes is not None:
            out["visits_on_a_accounts"] = vis["account_id"].map(classes).eq("A").groupby(vis["rep_id"]).mean()
    if activities is not None and activities["duration_min"].notna().any():
        hours = between(activities, "activity_date", start, end).groupby("rep_id")["duration_min"].sum() / 60
        out["revenue_per_activity_hour"] = revenue / hours.reindex(out.index).where(lambda h: h > 0)
    if accounts is not None and classes is not None and "owner_rep_id" in accounts:
        owns_a = accounts["account_id"].map(classes).eq("A").groupby(accounts["owner_rep_id"]).any()
        none = ~owns_a.reindex(out.index, fill_value=False)
        for col in ("activity_on_a_accounts", "visits_on_a_accounts"):
            if col in out:
                out.loc[none, col] = np.nan
    if "annual_cost" in reps and reps["annual_cost"].notna().any():
        info = reps.set_index("rep_id")
        hired = pd.to_datetime(info["hire_date"]) if "hire_date" in info else pd.Series(pd.NaT, index=info.index)
        in_post = (end - hired.clip(lower=start).fillna(start)).dt.days / (end - start).days  # a new hire: part
        cost = info["annual_cost"] * months / 12 * in_post.clip(lower=0)
        out["cost_of_sales"] = cost / revenue.where(revenue > 0)
    if quotas is not None and len(quotas):
        q = between(quotas, "month", start, end).groupby("rep_id")["quota"].sum().reindex(out.index)
        out["attainment"] = revenue / q.where(q > 0)
    if opportunities is not None:
        closed = closed_between(opportunities, start, end)
        out["win_rate"] = closed["stage"].eq("won").groupby(closed["rep_id"]).mean()
    before = between(lazy(sales), "order_date", start - pd.DateOffset(years=1), end - pd.DateOffset(years=1))
    prior = total(before, "rep_id").reindex(out.index)
    out["revenue_growth"] = revenue / prior.where(prior > 0) - 1
    return out


def positions(card: pd.DataFrame) -> pd.DataFrame:
    """Long table: each rep's value per indicator, the team median, and the rep's rank in the team."""
    rows = []
    for name in [c for c in INDICATORS if c in card.columns]:
        axis, definition, higher = INDICATORS[name]
        median = card.groupby("team")[name].transform("median")
        rank = card.groupby("team")[name].rank(ascending=not higher, method="min")
        size = card.groupby("team")[name].transform("count")
        rows.append(pd.DataFrame({"rep": card["name"], "team": card["team"], "axis": axis,
                                  "indicator": name, "definition": definition, "value": card[name],
                                  "team_median": median, "rank": rank, "of": size}))
    return pd.concat(rows).reset_index(names="rep_id") if rows else pd.DataFrame()


class AccountabilityRule(BaseModel):
    """Sustained underperformance: attainment under `threshold` in `k` of the last `n` months."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(0.75, gt=0)
    k: int = Field(4, ge=1)
    n: int = Field(6, ge=1)
    ramp_months: int = Field(6, ge=0, description="reps with less tenure are not judged")
    low_activity: float = Field(0.75, gt=0, description="activity under this share of the team median")

    @property
    def watch_from(self) -> int:
        """Months under the threshold from which a rep not flagged is one to watch."""
        return max(1, self.k // 2)

    def describe(self) -> str:
        return (f"A rep is flagged when attainment was under {self.threshold:.0%} in at least {self.k} "
                f"of the last {self.n} months, and to watch from {self.watch_from}. Reps with under "
                f"{self.ramp_months} months of tenure at the start of those months are still ramping and are not "
                "judged. In the trail, – is a month without a quota. The cause is *low activity* when their "
                f"activities per month over the same {self.n} months are under {self.low_activity:.0%} of their "
                "team's median, otherwise *low conversion* (they work, but it does not turn into sales).")


def parse_rule(params: dict) -> AccountabilityRule:
    """An accountability rule from parameters."""
    rule = parse(AccountabilityRule, params, "accountability rule")
    if rule.k > rule.n:
        raise ParameterError(f"Invalid accountability rule: k ({rule.k}) is larger than n ({rule.n}).")
    return rule


def activity_per_month(activities: pd.DataFrame, month: str, months: int) -> pd.Series:
    """Activities logged per rep and month over the `months` months ending with `month`."""
    start, end = trailing_window(month, months)
    return between(activities, "activity_date", start, end).groupby("rep_id").size() / months


def flags(monthly: pd.DataFrame, reps: pd.DataFrame, activity_per_month: pd.Series | None,
          month: str, rule: AccountabilityRule) -> pd.DataFrame:
    """Per rep: months under threshold, the attainment trail, ramping or not, flag and cause."""
    start, end = trailing_window(month, rule.n)
    m = monthly[(monthly["month"] >= start) & (monthly["month"] < end)]
    pivot = m.pivot_table(index="rep_id", columns="month", values="attainment")
    info = reps.set_index("rep_id")
    out = pd.DataFrame(index=pivot.index)
    out["name"] = info["name"].reindex(out.index)
    out["team"] = info["team"].reindex(out.index)
    out["months_under"] = (pivot < rule.threshold).sum(axis=1)
    out["median_attainment"] = pivot.median(axis=1)
    out["trail"] = [" ".join("–" if pd.isna(v) else f"{v:.0%}" for v in row) for row in pivot.to_numpy()]
    hire = pd.to_datetime(info["hire_date"]).reindex(out.index)
    out["ramping"] = ((start - hire).dt.days / 30.44 < rule.ramp_months).fillna(False)
    out["flagged"] = (out["months_under"] >= rule.k) & ~out["ramping"]
    if activity_per_month is not None:
        act = activity_per_month.reindex(out.index)
        out["activity_vs_team"] = act / act.groupby(out["team"]).transform("median")
        cause = np.where(out["activity_vs_team"] < rule.low_activity, "low activity", "low conversion")
    else:
        out["activity_vs_team"] = np.nan
        cause = "unknown (no activities table)"
    out["cause"] = np.where(out["flagged"], cause, "")
    watch = ~out["flagged"] & ~out["ramping"] & (out["months_under"] >= rule.watch_from)
    out["status"] = np.select([out["flagged"], watch, out["ramping"]], ["flagged", "watch", "ramping"], "")
    return out.sort_values(["flagged", "months_under"], ascending=False)


class Challenge(BaseModel):
    """A team challenge: a metric over a period, a collective target, per team or per person."""

    model_config = ConfigDict(extra="forbid")

    name: str
    metric: str
    start: str
    end: str
    target: float = Field(gt=0)
    reward: str = ""


CHALLENGE_METRICS = ("revenue", "orders", "call", "meeting", "proposal", "quote", "contract", "visits")


def parse_challenge(params: dict) -> Challenge:
    """A challenge from parameters, with its metric checked."""
    c = parse(Challenge, params, "challenge")
    if c.metric not in CHALLENGE_METRICS:
        raise ParameterError(f"Challenge metric '{c.metric}' is unknown; use one of "
                             f"{', '.join(CHALLENGE_METRICS)}.")
    return c


def leaderboard(challenge: Challenge, reps: pd.DataFrame, sales: Lines,
                activities: pd.DataFrame | None, visits: pd.DataFrame | None) -> pd.DataFrame:
    """Each rep's score on the challenge metric over its period, best first."""
    start, end = pd.Timestamp(challenge.start), pd.Timestamp(challenge.end) + pd.Timedelta(days=1)
    if challenge.metric in ("revenue", "orders"):
        s = between(lazy(sales), "order_date", start, end)
        score = (total(s, "rep_id") if challenge.metric == "revenue"
                 else grouped(s, "rep_id", n=_.order_id.nunique())["n"])
    elif challenge.metric == "visits":
        if visits is None:
            raise ParameterError("The challenge counts visits but the workspace has no visits table.")
        score = between(visits, "visit_date", start, end).groupby("rep_id").size()
    else:
        if activities is None:
            raise ParameterError("The challenge counts activities but the workspace has no activities table.")
        a = between(activities, "activity_date", start, end)
        score = a[a["type"] == challenge.metric].groupby("rep_id").size()
    board = reps.set_index("rep_id")[["name", "team"]].assign(score=score).fillna({"score": 0})
    board = board.sort_values("score", ascending=False)
    board.insert(0, "rank", board["score"].rank(ascending=False, method="min").astype(int))
    return board


def progress(board: pd.DataFrame, challenge: Challenge) -> float:
    """Collective progress toward the challenge target (1.0 = reached)."""
    return float(board["score"].sum() / challenge.target)


COUNTED = {"revenue": "revenue invoiced", "orders": "orders taken", "visits": "field visits made"}


def challenge_sentence(challenge: Challenge, board: pd.DataFrame) -> str:
    """The challenge, what it counts over which days, its target and reward, and how far the team has come."""
    counted = COUNTED.get(challenge.metric, f"{challenge.metric}s logged")
    start, end = pd.Timestamp(challenge.start), pd.Timestamp(challenge.end)
    reward = f" (reward: {challenge.reward})" if challenge.reward else ""
    return (f"{challenge.name}: {counted} from {start:%-d %B %Y} to {end:%-d %B %Y}, against a collective target "
            f"of {challenge.target:,.0f}{reward}. Progress: {board['score'].sum():,.0f} "
            f"({progress(board, challenge):.0%}).")


def contribution_sentence(board: pd.DataFrame, team: str) -> str:
    """A team's part of the organisation's challenge score, and its best rank."""
    mine = board[board["team"] == team]
    total = board["score"].sum()
    share = f" ({mine['score'].sum() / total:.0%} of it)" if total else ""
    best = f"; its best rep ranks {int(mine['rank'].min())} of {len(board)}" if len(mine) else ""
    return f"The challenge is collective: team {team} brought {mine['score'].sum():,.0f}{share}{best}."


def challenge_missing(challenge: Challenge, tables: set[str]) -> str:
    """Why the challenge cannot be scored on this workspace ('' when it can)."""
    need = ("order_lines" if challenge.metric in ("revenue", "orders")
            else "visits" if challenge.metric == "visits" else "activities")
    return "" if need in tables else (f"The challenge '{challenge.name}' counts {challenge.metric}, "
                                      f"which needs the {need} table: it is skipped.")


def definitions(card: pd.DataFrame) -> pd.DataFrame:
    """The indicators present, with their axis and definition."""
    rows = [{"indicator": k, "axis": v[0], "definition": v[1], "better": "higher" if v[2] else "lower"}
            for k, v in INDICATORS.items() if k in card.columns]
    return pd.DataFrame(rows).set_index("indicator")


def _median_rep(card: pd.DataFrame, ramping: list[str]) -> pd.DataFrame:
    """Each team's median rep per column, among the reps who are not ramping."""
    judged = card.drop(index=[r for r in ramping if r in card.index])
    return judged.groupby("team")[[c for c in card.columns if c == "revenue" or c in INDICATORS]].median()


def standing(card: pd.DataFrame, gap: float = 0.25, growth_points: float = 0.10,
             ramping: list[str] = ()) -> pd.DataFrame:
    """Per rep and indicator: "green" when at least `gap` better than the team's median rep (`growth_points`
    for revenue growth), "red" when as much worse (for growth, only a fall), else "none"; reps still ramping are
    neither coloured nor part of the median."""
    out = pd.DataFrame("none", index=card.index, columns=card.columns)
    medians = _median_rep(card, list(ramping))
    judged = ~card.index.isin(list(ramping))
    for col, (*_unused, higher) in INDICATORS.items():
        if col not in card:
            continue
        median = card["team"].map(medians[col])
        if col == "revenue_growth":
            better, worse = card[col] >= median + growth_points, (card[col] <= median - growth_points) & (card[col] < 0)
        else:
            ratio = card[col] / median.where(median > 0)
            better, worse = ratio >= 1 + gap, ratio <= 1 / (1 + gap)
            if not higher:
                better, worse = worse, better
        out[col] = np.select([better.fillna(False) & judged, worse.fillna(False) & judged], ["green", "red"], "none")
    return out


def team_medians(card: pd.DataFrame, ramping: list[str] = ()) -> pd.DataFrame:
    """Median rep of each team: every indicator's median across the team's reps not ramping (not the team's
    total)."""
    return _median_rep(card, list(ramping)).rename_axis("team (median rep)")


def flag_sentence(flagged: pd.DataFrame, rule: AccountabilityRule) -> str:
    """Who is flagged and why, who is to watch, and how many were not judged."""
    f = flagged[flagged["status"] == "flagged"]
    text = f"{len(f)} of {len(flagged)} reps flagged"
    if len(f):
        text += ": " + ", ".join(f"{r.name} ({r.months_under} of {rule.n} months under {rule.threshold:.0%}; "
                                 f"{r.cause})" for r in f.itertuples())
    watch = flagged[flagged["status"] == "watch"]
    if len(watch):
        text += (f". To watch ({rule.watch_from} to {rule.k - 1} months under): "
                 + ", ".join(f"{r.name} ({r.months_under})" for r in watch.itertuples()))
    ramping = int((flagged["status"] == "ramping").sum())
    return text + (f"; {ramping} still ramping, not judged." if ramping else ".")


def to_show(flagged: pd.DataFrame, rule: AccountabilityRule, month: object) -> pd.DataFrame:
    """The reps flagged, to watch or ramping, with their evidence (the others were fine); the trail's column
    names its months."""
    start, end = trailing_window(month, rule.n)
    months = f"attainment_{start:%b}_to_{end - pd.Timedelta(days=1):%b}"
    return flagged[flagged["status"] != ""].drop(columns=["flagged", "ramping"]).rename(columns={"trail": months})


def window_sentence(month: object, months: int) -> str:
    """Which months the scorecards cover."""
    start, end = trailing_window(month, months)
    last = end - pd.Timedelta(days=1)
    return (f"Scorecards cover the {months} months from {start:%-d %B %Y} to {last:%-d %B %Y}; attainment here is "
            "over that window, not the single month the overview and the quota report show.")
