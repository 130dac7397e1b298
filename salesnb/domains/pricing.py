"""Pricing discipline: guideline compliance, discounts, price waterfall, margin leakage, agility."""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import numpy as np
import pandas as pd
from ibis import _

from salesnb.core import money
from salesnb.core.errors import ParameterError
from salesnb.core.lazy import Lines, filled, grouped, lazy, run, value
from salesnb.core.scope import month_start
from salesnb.core.stats import shares_differ
from salesnb.core.text import listing

BENCHMARK = {"top performers": 0.75, "others": 0.56}  # share of reps respecting price guidelines
SIZE_BANDS = (0, 1_000, 5_000, 20_000, np.inf)
WATERFALL_TOTALS = ("list price", "invoice price", "pocket price")


def with_guidelines(sales: Lines, products: Lines,
                    overrides: dict[str, dict[str, float]] | None = None) -> ibis.Table:
    """Each sales line with its allowed discount (product guideline, or family × segment override)."""
    t, prods = lazy(sales), lazy(products).select("product_id", "max_discount")
    t = t.left_join(prods, "product_id")
    cap = t.max_discount
    for family, by_segment in (overrides or {}).items():
        for segment, limit in by_segment.items():
            if not 0 <= float(limit) <= 1:
                raise ParameterError(f"Price guideline for {family}/{segment} must be within 0..1, "
                                     f"got {limit}.")
            hit = (t.family == family) & ((t.segment == segment) | ibis.literal(segment == "*"))
            cap = ibis.ifelse(hit.fill_null(False), float(limit), cap)
    t = t.mutate(max_discount=cap.cast("float64"))
    t = t.mutate(excess=ibis.greatest(t.discount - t.max_discount, 0.0).fill_null(0.0))
    return t.mutate(breach=t.excess > 1e-9, amount_lost=t.gross_revenue * t.excess)


def approval_level(excess: pd.Series, levels: list[tuple[float, str]]) -> pd.Series:
    """Who must approve a discount beyond guideline: the first level whose limit covers the excess."""
    out = pd.Series("", index=excess.index, dtype=object)
    remaining = excess > 1e-9
    for limit, who in sorted(levels):
        hit = remaining & (excess <= limit + 1e-9)
        out[hit] = who
        remaining &= ~hit
    out[remaining] = "not allowed"
    return out


def compliance(lines: Lines, by: str, respect_share: float = 0.98) -> pd.DataFrame:
    """Per group: lines, share of lines and of revenue within guideline, amount lost, respects or not."""
    t = lazy(lines)
    out = grouped(t, by, lines=_.count(), breaches=_.count(where=_.breach),
              breach_revenue=_.revenue.sum(where=_.breach), revenue=_.revenue.sum(),
              amount_lost=_.amount_lost.sum())
    out["lines_within"] = 1 - out["breaches"] / out["lines"]
    out["revenue_within"] = 1 - out["breach_revenue"].fillna(0.0) / out["revenue"]
    out = out[["lines", "breaches", "lines_within", "revenue_within", "amount_lost"]]
    out["respects_guidelines"] = out["lines_within"] >= respect_share
    return out.sort_values("lines_within")


def share_respecting(per_rep: pd.DataFrame) -> float:
    """Share of reps who respect pricing guidelines."""
    return float(per_rep["respects_guidelines"].mean()) if len(per_rep) else float("nan")


def breaches(lines: Lines, levels: list[tuple[float, str]]) -> pd.DataFrame:
    """Every line priced beyond guideline, with the amount lost and who should have approved it."""
    cols = ["line_id", "order_date", "rep", "team", "product", "family", "segment", "quantity",
            "list_price", "discount", "max_discount", "excess", "amount_lost"]
    t = lazy(lines)
    b = run(t.filter(t.breach).select(cols).order_by(["order_date", "line_id"]))
    b["approval_needed"] = approval_level(b["excess"], levels)
    return b.sort_values("amount_lost", ascending=False).reset_index(drop=True)


def discount_distribution(lines: Lines, by: str) -> pd.DataFrame:
    """Revenue-weighted average, median and 90th percentile discount per group."""
    t = lazy(lines)
    out = grouped(t, by, lines=_.count(), weighted=(_.discount * _.gross_revenue).sum(), gross=_.gross_revenue.sum(),
              median_discount=_.discount.median(), p90_discount=_.discount.quantile(0.9))
    out["average_discount"] = out["weighted"] / out["gross"]
    return out[["lines", "average_discount", "median_discount", "p90_discount"]]


def size_labels() -> list[str]:
    """The order value bands, smallest first."""
    return [f"{lo:,.0f}–{hi:,.0f}" if np.isfinite(hi) else f"{lo:,.0f}+"
            for lo, hi in zip(SIZE_BANDS[:-1], SIZE_BANDS[1:], strict=True)]


def with_order_size(lines: Lines) -> ibis.Table:
    """Each line with its order value band (gross value of the whole order), as `order_size`."""
    t = lazy(lines)
    order_value = t.gross_revenue.sum().over(group_by=t.order_id)
    bands = [(order_value < hi, label) for hi, label in zip(SIZE_BANDS[1:], size_labels(), strict=True)
             if np.isfinite(hi)]
    return t.mutate(order_size=ibis.cases(*bands, else_=size_labels()[-1]))


def size_distribution(lines: Lines) -> pd.DataFrame:
    """`discount_distribution` by order value band, bands in order."""
    out = discount_distribution(with_order_size(lines), "order_size")
    return out.reindex([b for b in size_labels() if b in out.index]).rename_axis("order_size")


ABOVE_LIST = "above list"  # deals closed at a negative discount: shown apart from the discount bands


def discount_vs_win_rate(opportunities: pd.DataFrame, month: object | None = None,
                         bins: tuple[float, ...] = (0, 0.05, 0.1, 0.15, 1.01)) -> pd.DataFrame:
    """Win rate of the opportunities closed by the end of `month` (all when None) by discount band: do bigger
    discounts win more? The months the deals closed in are in attrs["window"]."""
    closed = opportunities[opportunities["stage"].isin(["won", "lost"]) & opportunities["discount"].notna()]
    close = pd.to_datetime(closed["close_date"])
    if month is not None:
        closed, close = closed[close < month_start(month, 1)], close[close < month_start(month, 1)]
    band = pd.cut(closed["discount"], bins, right=False,
                  labels=[f"{lo:.0%}–{hi:.0%}" if hi <= 1 else f"{lo:.0%}+"
                          for lo, hi in zip(bins[:-1], bins[1:], strict=True)])
    band = band.cat.add_categories([ABOVE_LIST])
    band = band.cat.reorder_categories([ABOVE_LIST, *band.cat.categories[:-1]])
    band[closed["discount"] < 0] = ABOVE_LIST
    g = closed.groupby(band, observed=False)
    out = pd.DataFrame({"closed_deals": g.size(), "won": g["stage"].apply(lambda s: (s == "won").sum()),
                        "win_rate": g["stage"].apply(lambda s: (s == "won").mean() if len(s) else np.nan)
                        }).rename_axis("discount")
    if not out.at[ABOVE_LIST, "closed_deals"]:
        out = out.drop(index=ABOVE_LIST)
    out.attrs["window"] = (close.min(), close.max()) if close.notna().any() else None
    return out


def win_rate_sentence(bands: pd.DataFrame, min_deals: int = 30) -> str:
    """The answer to "do bigger discounts win more deals?", from the lowest and highest bands with enough deals:
    a difference is claimed only beyond what chance gives on these numbers (`shares_differ`); deals priced above
    list are said apart."""
    text = _discount_sentence(bands.drop(index=ABOVE_LIST, errors="ignore"), min_deals, bands.attrs)
    if ABOVE_LIST not in bands.index:
        return text
    above = bands.loc[ABOVE_LIST]
    return text + (f" Apart: {int(above['closed_deals']):,} closed deal{'s' * int(above['closed_deals'] > 1)} priced "
                   f"above list (a negative discount), won {above['win_rate']:.0%} of the time.")


def _discount_sentence(bands: pd.DataFrame, min_deals: int, attrs: dict) -> str:
    enough = bands[bands["closed_deals"] >= min_deals]
    used = bands[bands["closed_deals"] > 0]
    if used.empty:
        return "No closed deal carries a discount in the data: whether discounts win deals cannot be said."
    if len(used) == 1:
        return (f"Every closed deal with a discount is in the {used.index[0]} band: with nothing to compare it with, "
                "whether discounts win deals cannot be said.")
    if len(enough) < 2:
        return f"Too few closed deals per discount band (under {min_deals}) to say whether discounts win deals."
    low, high = enough.iloc[0], enough.iloc[-1]
    gap = high["win_rate"] - low["win_rate"]
    deals = (high["closed_deals"], low["closed_deals"])
    differ = shares_differ((high["win_rate"] * deals[0], low["win_rate"] * deals[1]), deals)
    verdict = ("no clear difference (within what chance gives on these numbers): bigger discounts do not win "
               "noticeably more deals" if not differ else
               "bigger discounts win more deals" if gap > 0 else "bigger discounts go with fewer wins")
    window = attrs.get("window")
    closed = f"Of the deals closed from {window[0]:%B %Y} to {window[1]:%B %Y}, d" if window else "D"
    return (f"{closed}eals discounted {enough.index[-1]} were won {high['win_rate']:.0%} of the time, against "
            f"{low['win_rate']:.0%} at {enough.index[0]} ({gap * 100:+.1f} pts): {verdict}.")


def period_end_discounting(lines: Lines, last_days: int = 5) -> pd.DataFrame:
    """Average discount in the last days of each quarter vs the rest of the time."""
    t = lazy(lines)
    date = t.order_date.cast("date")
    quarter_end = date.truncate("Q") + ibis.interval(months=3) - ibis.interval(days=1)
    late = quarter_end.delta(date, unit="day") < last_days
    t = t.mutate(when=ibis.ifelse(late, f"last {last_days} days of a quarter", "rest of the time"))
    out = discount_distribution(t, "when")
    if filled(t, "max_discount"):
        out["breach_rate"] = grouped(t, "when", rate=ibis.ifelse(_.breach, 1.0, 0.0).mean())["rate"]
    return out


def period_end_sentence(table: pd.DataFrame) -> str:
    """Whether deals are discounted harder at quarter end, and whether that breaks the guidelines."""
    if len(table) < 2:
        return "Orders fall on one side of the quarter ends only: no comparison."
    late, rest = table.loc[table.index.str.startswith("last")].iloc[0], table.loc["rest of the time"]
    gap = late["average_discount"] - rest["average_discount"]
    text = (f"In the last days of a quarter the average discount is {late['average_discount']:.1%}, against "
            f"{rest['average_discount']:.1%} the rest of the time ({gap * 100:+.1f} pts)")
    if "breach_rate" in table:
        text += (f"; {late['breach_rate']:.1%} of those lines go past their product's maximum discount, against "
                 f"{rest['breach_rate']:.1%} otherwise (a deep discount within the maximum is no breach)")
    return text + "."


POCKET_COSTS = {"rebate": "rebates", "freight": "freight"}


def pocket_costs(lines: Lines) -> list[str]:
    """The costs after invoice (rebates, freight) the data hold at all: an absent step is not a zero."""
    t = lazy(lines)
    held = run(t.aggregate(**{col: t[col].notnull().any() for col in POCKET_COSTS}))
    return [col for col in POCKET_COSTS if bool(held.at[0, col])]


def _steps(gross: float, invoice: float, pocket: dict[str, float]) -> dict[str, float]:
    steps = {"list price": gross, "discount": invoice - gross, "invoice price": invoice}
    steps |= {POCKET_COSTS[col]: -cost for col, cost in pocket.items()}
    if pocket:
        steps["pocket price"] = invoice + sum(steps[POCKET_COSTS[col]] for col in pocket)
    return steps


def _sums(costs: list[str]) -> dict[str, ibis.Deferred]:
    return {"gross": _.gross_revenue.sum(), "invoice": _.revenue.sum(),
            **{col: _[col].sum().fill_null(0.0) for col in costs}}


def waterfall(lines: Lines, costs: list[str] | None = None) -> pd.Series:
    """List price → invoice price → pocket price (when the data hold costs after invoice), over the lines given."""
    t = lazy(lines)
    costs = pocket_costs(t) if costs is None else costs
    row = run(t.aggregate(**_sums(costs))).iloc[0].fillna(0.0)
    return pd.Series(_steps(row["gross"], row["invoice"], {col: row[col] for col in costs}))


def waterfall_table(lines: Lines, by: str) -> pd.DataFrame:
    """The waterfall per group, with pocket price as a share of list price."""
    t = lazy(lines)
    costs = pocket_costs(t)
    sums = grouped(t, by, **_sums(costs))
    out = pd.DataFrame({key: _steps(r["gross"], r["invoice"], {col: r[col] for col in costs})
                        for key, r in sums.iterrows()}).T
    if costs:
        out["pocket_share"] = out["pocket price"] / out["list price"]
    return out


def waterfall_note(lines: Lines) -> str:
    """What the waterfall cannot show because the data lack it."""
    held = pocket_costs(lines)
    absent = [POCKET_COSTS[col] for col in POCKET_COSTS if col not in held]
    if not absent:
        return ""
    return (f"No {' and no '.join(absent)} in the order lines, so "
            + ("the waterfall stops at invoice price." if len(absent) == len(POCKET_COSTS)
               else f"pocket price leaves {' and '.join(absent)} out."))


def leakage_trend(lines: Lines, by: str | None = None) -> pd.DataFrame:
    """Revenue (and so margin) lost beyond guideline per month, optionally per group."""
    t = lazy(lines)
    keys = ["month"] if by is None else ["month", by]
    t = t.mutate(month=t.month.cast("date"))
    out = run(t.group_by(keys).aggregate(amount_lost=t.amount_lost.sum(), revenue=t.revenue.sum()))
    out = out.set_index(keys).sort_index()
    out["lost_share"] = out["amount_lost"] / out["revenue"]
    return out


def agility(opportunities: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Days from quote to price approval and from quote to a won close, per team."""
    o = opportunities.merge(reps[["rep_id", "team"]], on="rep_id", how="left")
    o["quote_to_approval"] = (pd.to_datetime(o["approval_date"]) - pd.to_datetime(o["quote_date"])).dt.days
    won = o["stage"] == "won"
    o["quote_to_win"] = ((pd.to_datetime(o["close_date"]) - pd.to_datetime(o["quote_date"])).dt.days
                         .where(won))
    g = o.groupby("team")
    return pd.DataFrame({"quotes": g["quote_date"].count(),
                         "median_days_to_approval": g["quote_to_approval"].median(),
                         "median_days_quote_to_win": g["quote_to_win"].median()})


def leakage_sentence(lines: Lines) -> str:
    """Revenue given away beyond guideline over the lines given."""
    lost = value(lazy(lines).amount_lost.sum().fill_null(0.0))
    return f"Amount lost beyond guideline over the period: {money.fmt(lost)}."


def compliance_sentence(per_rep: pd.DataFrame, respect_share: float, ramping: Iterable[str] = ()) -> str:
    """The share of reps respecting guidelines (over the reps past their ramp: `ramping` names those who are not),
    beside the benchmark."""
    new = [r for r in ramping if r in per_rep.index]
    judged = per_rep.drop(index=new)
    share = share_respecting(judged)
    past = " past their ramp" if new else ""
    text = (f"{share:.0%} of {len(judged)} reps{past} respect the price guidelines (at least "
            f"{respect_share:.0%} of their lines within them); benchmark: "
            f"{BENCHMARK['top performers']:.0%} in top-performing companies, "
            f"{BENCHMARK['others']:.0%} in others (RAIN Group's survey of companies, not measured the same way "
            "as here). Amount lost beyond guideline: "
            f"{money.fmt(per_rep['amount_lost'].sum())}")
    return text + (f", new hires included ({listing(new)}, in the table but not in the share)." if new else ".")


def lines_sentence(lines: Lines, month: object) -> str:
    """How many lines the analysis covers, and from which month."""
    t = lazy(lines)
    row = run(t.aggregate(n=_.count(), first=_.month.min())).iloc[0]
    if not row["n"]:
        return f"No sales line up to {month}."
    return f"{row['n']:,} sales lines from {row['first']:%Y-%m} to {month}."
