"""Account scoring: Pareto/ABC classes on revenue, a points scale with reasons, TOP-N prospect lists."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from salesnb.core import money
from salesnb.core.errors import ParameterError
from salesnb.core.lazy import Lines, lazy, total
from salesnb.core.models import parse
from salesnb.core.scope import between
from salesnb.core.vocabulary import OPEN_STAGES
from salesnb.domains.pipeline import overdue


class Criterion(BaseModel):
    """One line of the points scale: a feature, its weight, and points by threshold or by value."""

    model_config = ConfigDict(extra="forbid")

    feature: str
    weight: float = Field(1.0, gt=0)
    label: str = ""
    thresholds: list[tuple[float, float]] = Field(default_factory=list,
                                                  description="(at least this value, points), any order")
    values: dict[str, float] = Field(default_factory=dict, description="points per category")

    @model_validator(mode="after")
    def _one_kind(self) -> Criterion:
        if bool(self.thresholds) == bool(self.values):
            raise ValueError(f"criterion '{self.feature}' needs either thresholds or values")
        return self


def parse_scale(criteria: list[dict[str, Any]]) -> list[Criterion]:
    """A points scale from parameters, with a clear error naming the faulty criterion."""
    return [parse(Criterion, c, f"points scale, criterion {i + 1}") for i, c in enumerate(criteria)]


def abc_classes(revenue: pd.Series, a_share: float = 0.8, b_share: float = 0.95) -> pd.DataFrame:
    """Pareto classes: A are the largest accounts that make the first `a_share` of revenue.

    An account is A when the revenue of the larger accounts before it is under `a_share` of the total
    (so the account that crosses the line is A), B likewise up to `b_share`, C the rest.
    """
    if not 0 < a_share < b_share <= 1:
        raise ParameterError("ABC shares must satisfy 0 < a_share < b_share <= 1.")
    ranked = revenue.clip(lower=0).sort_values(ascending=False, kind="stable")
    total = ranked.sum()
    share = ranked / total if total else ranked * 0
    before = share.cumsum() - share
    cls = np.where(ranked.le(0), "C", np.where(before < a_share, "A",
                                                 np.where(before < b_share, "B", "C")))
    return pd.DataFrame({"revenue": ranked, "share": share, "cumulative_share": share.cumsum(),
                         "class": cls})


MEASURED = {"revenue_12m": "order_lines", "open_pipeline": "opportunities",
            "activities_90d": "activities"}


def usable(scale: list[Criterion], feats: pd.DataFrame) -> tuple[list[Criterion], str]:
    """The criteria the data can feed, and a note on those skipped for a missing table."""
    unknown = [c.feature for c in scale if c.feature not in feats.columns and c.feature not in MEASURED]
    if unknown:
        raise ParameterError(f"Points scale uses unknown feature(s) {', '.join(unknown)}; available: "
                             f"{', '.join([*feats.columns, *MEASURED])}.")
    kept = [c for c in scale if c.feature in feats.columns]
    skipped = [f"{c.feature} (needs {MEASURED[c.feature]})" for c in scale if c not in kept]
    note = f"Criteria skipped for lack of data: {', '.join(skipped)}." if skipped else ""
    return kept, note


def features(accounts: pd.DataFrame, sales: Lines | None, opportunities: pd.DataFrame | None,
             activities: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per account: the fields and measured facts a points scale can use."""
    out = accounts.set_index("account_id")[["name", "status", "owner_rep_id", "segment", "industry",
                                            "city", "employees", "potential"]].copy()
    year_ago = as_of - pd.DateOffset(months=12)
    if sales is not None:
        recent = between(lazy(sales), "order_date", year_ago, as_of)
        out["revenue_12m"] = total(recent, "account_id").reindex(out.index).fillna(0.0)
    if opportunities is not None:
        open_ = opportunities[opportunities["stage"].isin(OPEN_STAGES)]
        open_ = open_.drop(overdue(open_, as_of).index)
        out["open_pipeline"] = open_.groupby("account_id")["amount"].sum().reindex(out.index).fillna(0.0)
    if activities is not None:
        recent = between(activities, "activity_date", as_of - pd.Timedelta(days=90), as_of)
        out["activities_90d"] = recent.groupby("account_id").size().reindex(out.index).fillna(0)
    return out


def _points(values: pd.Series, c: Criterion) -> pd.Series:
    if c.values:
        return values.map(lambda v: c.values.get(str(v), 0.0)).astype(float)
    steps = sorted(c.thresholds)
    pts = pd.Series(0.0, index=values.index)
    for at_least, p in steps:
        pts = pts.where(~(values >= at_least), p)
    return pts.where(values.notna(), 0.0)


MONEY_FEATURES = ("potential", "open_pipeline", "revenue_12m")


def _fmt(value: object, feature: str = "") -> str:
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return money.fmt(value) if feature in MONEY_FEATURES else f"{value:,.0f}"
    return str(value).replace("_", " ")  # codes of the contract in words: mid_market → mid market


def score(feats: pd.DataFrame, scale: list[Criterion]) -> pd.DataFrame:
    """Points per criterion (× weight), the total, and the reasons in words."""
    missing = [c.feature for c in scale if c.feature not in feats.columns]
    if missing:
        raise ParameterError(f"Points scale uses feature(s) {', '.join(missing)} that the data does not "
                             f"provide; available: {', '.join(feats.columns)}.")
    out = pd.DataFrame(index=feats.index)
    for c in scale:
        out[c.feature] = _points(feats[c.feature], c) * c.weight
    out["score"] = out[[c.feature for c in scale]].sum(axis=1)
    out["reasons"] = [
        "; ".join(f"{c.label or c.feature} {_fmt(feats.at[i, c.feature], c.feature)} (+{out.at[i, c.feature]:g})"
                  for c in scale if out.at[i, c.feature] > 0)
        for i in out.index
    ]
    return out


def ranks_sentence(listed: int, shown: int) -> str:
    """What the prospect lists hold beyond the first `shown` ranks, `listed` prospects in all."""
    if listed == 0:
        return "No prospect can be ranked: the data hold none left to score."
    if listed <= shown:
        return f"All {listed} prospects that could be ranked are in the list above and in the export."
    return f"Ranks {shown + 1} to {listed} (all {listed} are in the export):"


def top_prospects(feats: pd.DataFrame, scored: pd.DataFrame, n: int,
                  exclude: pd.Index | None = None) -> pd.DataFrame:
    """The `n` best-scored prospects, ties broken by potential then name, leaving out `exclude` (prospects that
    are likely duplicates of customers)."""
    table = feats.join(scored[["score", "reasons"]])
    prospects = table[table["status"] == "prospect"].copy()
    if exclude is not None:
        prospects = prospects[~prospects.index.isin(exclude)]
    prospects["_pot"] = prospects["potential"].fillna(0) if "potential" in prospects else 0
    ranked = prospects.sort_values(["score", "_pot", "name"], ascending=[False, False, True])
    ranked = ranked.drop(columns="_pot").head(n)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    cols = ["rank", "name", "owner_rep_id", "city", "score", "reasons"]
    return ranked[[c for c in cols if c in ranked.columns]]


def duplicates_of_customers(pairs: pd.DataFrame, accounts: pd.DataFrame) -> pd.Index:
    """Prospects that a duplicate search paired with a customer: the same company, not a prospect."""
    status = accounts.set_index("account_id")["status"]
    a, b = status.reindex(pairs["account_id"]).to_numpy(), status.reindex(pairs["duplicate_id"]).to_numpy()
    left = pairs.loc[(a == "prospect") & (b == "customer"), "account_id"]
    right = pairs.loc[(b == "prospect") & (a == "customer"), "duplicate_id"]
    return pd.Index(sorted(set(left) | set(right)))


def with_classes(abc: pd.DataFrame, classes: pd.Series) -> pd.DataFrame:
    """The scope's Pareto ranking with each account's class taken from `classes` (the organisation's), so an
    account has one class in every report and scope; an account absent there is C."""
    return abc.assign(**{"class": classes.reindex(abc.index).fillna("C").to_numpy()})


def class_summary(abc: pd.DataFrame) -> pd.DataFrame:
    """Accounts and revenue per class, with their shares."""
    g = abc.groupby("class").agg(accounts=("revenue", "size"), revenue=("revenue", "sum"))
    g = g.reindex(["A", "B", "C"], fill_value=0)
    g["share_of_accounts"] = g["accounts"] / g["accounts"].sum()
    g["share_of_revenue"] = g["revenue"] / g["revenue"].sum() if g["revenue"].sum() else 0.0
    return g


def pareto_sentence(classes: pd.DataFrame, a_share: float) -> str:
    """The Pareto finding in one sentence."""
    a = classes.loc["A"]
    return (f"{int(a['accounts'])} accounts ({a['share_of_accounts']:.0%} of customers) make "
            f"{a['share_of_revenue']:.0%} of revenue: they are class A (line at {a_share:.0%}).")


def _at_least(threshold: float, feature: str) -> str:
    """A threshold in words: '≥ 20,000' in the report's currency, or 'any' for an amount of one unit or less."""
    return "any" if feature in MONEY_FEATURES and 0 < threshold <= 1 else f"≥ {_fmt(threshold, feature)}"


def scale_table(scale: list[Criterion]) -> pd.DataFrame:
    """The points scale as a readable table."""
    rows = []
    for c in scale:
        rule = (", ".join(f"{_at_least(t, c.feature)}: {p:g}" for t, p in sorted(c.thresholds)) if c.thresholds
                else ", ".join(f"{str(v).replace('_', ' ')}: {p:g}" for v, p in c.values.items()))
        rows.append({"criterion": c.label or c.feature, "weight": c.weight, "points": rule})
    return pd.DataFrame(rows).set_index("criterion")


def account_book(feats: pd.DataFrame, scored: pd.DataFrame, abc: pd.DataFrame) -> pd.DataFrame:
    """Customers with revenue, ABC class, activities of the last 90 days (when logged), score and reasons: by class,
    then score, then revenue."""
    book = feats[feats["status"] == "customer"].join(abc[["class"]]).join(scored[["score", "reasons"]])
    book = book.sort_values(["class", "score", "revenue_12m"], ascending=[True, False, False]).reset_index()
    cols = ["account_id", "name", "owner_rep_id", "city", "revenue_12m", "class", "activities_90d", "score", "reasons"]
    return book[[c for c in cols if c in book]]


def neglected_sentence(book: pd.DataFrame, shown: int = 5) -> str:
    """The class-A customers with no activity logged in the last 90 days: the first to call ('' when the data log
    no activity)."""
    if "activities_90d" not in book:
        return ""
    a = book[book["class"] == "A"]
    quiet = a[a["activities_90d"] == 0].sort_values("revenue_12m", ascending=False)
    if quiet.empty:
        return f"Every one of the {len(a):,} class-A customers had an activity logged in the last 90 days."
    names = ", ".join(quiet["name"].head(shown).astype(str))
    more = f" and {len(quiet) - shown:,} more" if len(quiet) > shown else ""
    return (f"{len(quiet):,} of the {len(a):,} class-A customers ({money.fmt(quiet['revenue_12m'].sum())} of revenue "
            f"over 12 months) had no activity logged in the last 90 days: {names}{more}. They are the first to call.")
