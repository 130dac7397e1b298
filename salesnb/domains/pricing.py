"""Pricing discipline: guideline compliance, discounts, price waterfall, margin leakage, agility."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.core import money
from salesnb.core.errors import ParameterError

BENCHMARK = {"top performers": 0.75, "others": 0.56}  # share of reps respecting price guidelines
SIZE_BANDS = (0, 1_000, 5_000, 20_000, np.inf)
WATERFALL_TOTALS = ("list price", "invoice price", "pocket price")


def with_guidelines(sales: pd.DataFrame, products: pd.DataFrame,
                    overrides: dict[str, dict[str, float]] | None = None) -> pd.DataFrame:
    """Each sales line with its allowed discount (product guideline, or family × segment override)."""
    out = sales.merge(products[["product_id", "max_discount"]], on="product_id", how="left")
    for family, by_segment in (overrides or {}).items():
        for segment, cap in by_segment.items():
            if not 0 <= float(cap) <= 1:
                raise ParameterError(f"Price guideline for {family}/{segment} must be within 0..1, "
                                     f"got {cap}.")
            mask = (out["family"] == family) & ((out["segment"] == segment) | (segment == "*"))
            out.loc[mask, "max_discount"] = float(cap)
    out["excess"] = (out["discount"] - out["max_discount"]).clip(lower=0).fillna(0.0)
    out["breach"] = out["excess"] > 1e-9
    out["amount_lost"] = out["gross_revenue"] * out["excess"]
    return out


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


def compliance(lines: pd.DataFrame, by: str, respect_share: float = 0.98) -> pd.DataFrame:
    """Per group: lines, share of lines and of revenue within guideline, amount lost, respects or not."""
    g = lines.groupby(by)
    out = pd.DataFrame({
        "lines": g.size(),
        "breaches": g["breach"].sum(),
        "lines_within": 1 - g["breach"].mean(),
        "revenue_within": 1 - lines["revenue"].where(lines["breach"], 0).groupby(lines[by]).sum()
        / g["revenue"].sum(),
        "amount_lost": g["amount_lost"].sum(),
    })
    out["respects_guidelines"] = out["lines_within"] >= respect_share
    return out.sort_values("lines_within")


def share_respecting(per_rep: pd.DataFrame) -> float:
    """Share of reps who respect pricing guidelines."""
    return float(per_rep["respects_guidelines"].mean()) if len(per_rep) else float("nan")


def breaches(lines: pd.DataFrame, levels: list[tuple[float, str]]) -> pd.DataFrame:
    """Every line priced beyond guideline, with the amount lost and who should have approved it."""
    b = lines[lines["breach"]].copy()
    b["approval_needed"] = approval_level(b["excess"], levels)
    cols = ["line_id", "order_date", "rep", "team", "product", "family", "segment", "quantity",
            "list_price", "discount", "max_discount", "excess", "amount_lost", "approval_needed"]
    return b[cols].sort_values("amount_lost", ascending=False).reset_index(drop=True)


def discount_distribution(lines: pd.DataFrame, by: str) -> pd.DataFrame:
    """Revenue-weighted average, median and 90th percentile discount per group."""
    g = lines.groupby(by, observed=True)
    weighted = (lines["discount"] * lines["gross_revenue"]).groupby(lines[by], observed=True).sum() \
        / g["gross_revenue"].sum()
    return pd.DataFrame({"lines": g.size(), "average_discount": weighted,
                         "median_discount": g["discount"].median(),
                         "p90_discount": g["discount"].quantile(0.9)})


def order_size_band(lines: pd.DataFrame) -> pd.Series:
    """Each line's order value band (gross value of the whole order)."""
    order_value = lines.groupby("order_id")["gross_revenue"].transform("sum")
    labels = [f"{lo:,.0f}–{hi:,.0f}" if np.isfinite(hi) else f"{lo:,.0f}+"
              for lo, hi in zip(SIZE_BANDS[:-1], SIZE_BANDS[1:], strict=True)]
    return pd.cut(order_value, SIZE_BANDS, labels=labels, right=False)


def discount_vs_win_rate(opportunities: pd.DataFrame,
                         bins: tuple[float, ...] = (0, 0.05, 0.1, 0.15, 1.01)) -> pd.DataFrame:
    """Win rate of closed opportunities by discount band: do bigger discounts win more?"""
    closed = opportunities[opportunities["stage"].isin(["won", "lost"]) & opportunities["discount"].notna()]
    band = pd.cut(closed["discount"], bins, right=False,
                  labels=[f"{lo:.0%}–{hi:.0%}" if hi <= 1 else f"{lo:.0%}+"
                          for lo, hi in zip(bins[:-1], bins[1:], strict=True)])
    g = closed.groupby(band, observed=False)
    return pd.DataFrame({"closed_deals": g.size(), "won": g["stage"].apply(lambda s: (s == "won").sum()),
                         "win_rate": g["stage"].apply(lambda s: (s == "won").mean() if len(s) else np.nan)
                         }).rename_axis("discount")


def period_end_discounting(lines: pd.DataFrame, last_days: int = 5) -> pd.DataFrame:
    """Average discount in the last days of each quarter vs the rest of the time."""
    date = pd.to_datetime(lines["order_date"])
    quarter_end = date + pd.offsets.QuarterEnd(0)
    late = (quarter_end - date).dt.days < last_days
    label = np.where(late, f"last {last_days} days of a quarter", "rest of the time")
    out = discount_distribution(lines.assign(when=label), "when")
    if lines["max_discount"].notna().any():
        out["breach_rate"] = lines["breach"].groupby(label).mean()
    return out


POCKET_COSTS = {"rebate": "rebates", "freight": "freight"}


def pocket_costs(lines: pd.DataFrame) -> list[str]:
    """The costs after invoice (rebates, freight) the data hold at all: an absent step is not a zero."""
    return [col for col in POCKET_COSTS if lines[col].notna().any()]


def waterfall(lines: pd.DataFrame, costs: list[str] | None = None) -> pd.Series:
    """List price → invoice price → pocket price (when the data hold costs after invoice), over the lines given."""
    costs = pocket_costs(lines) if costs is None else costs
    gross = lines["gross_revenue"].sum()
    invoice = lines["revenue"].sum()
    steps = {"list price": gross, "discount": invoice - gross, "invoice price": invoice}
    steps |= {POCKET_COSTS[col]: -lines[col].fillna(0).sum() for col in costs}
    if costs:
        steps["pocket price"] = invoice + sum(steps[POCKET_COSTS[col]] for col in costs)
    return pd.Series(steps)


def waterfall_table(lines: pd.DataFrame, by: str) -> pd.DataFrame:
    """The waterfall per group, with pocket price as a share of list price."""
    costs = pocket_costs(lines)
    out = pd.DataFrame({key: waterfall(g, costs) for key, g in lines.groupby(by)}).T
    if costs:
        out["pocket_share"] = out["pocket price"] / out["list price"]
    return out


def waterfall_note(lines: pd.DataFrame) -> str:
    """What the waterfall cannot show because the data lack it."""
    absent = [POCKET_COSTS[col] for col in POCKET_COSTS if col not in pocket_costs(lines)]
    if not absent:
        return ""
    return (f"No {' and no '.join(absent)} in the order lines, so "
            + ("the waterfall stops at invoice price." if len(absent) == len(POCKET_COSTS)
               else f"pocket price leaves {' and '.join(absent)} out."))


def leakage_trend(lines: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Revenue (and so margin) lost beyond guideline per month, optionally per group."""
    keys = ["month"] if by is None else ["month", by]
    out = lines.groupby(keys).agg(amount_lost=("amount_lost", "sum"), revenue=("revenue", "sum"))
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


def leakage_sentence(lines: pd.DataFrame) -> str:
    """Revenue given away beyond guideline over the lines given."""
    return f"Revenue lost beyond guideline over the period: {money.fmt(lines['amount_lost'].sum())}."


def compliance_sentence(per_rep: pd.DataFrame, respect_share: float) -> str:
    """The share of reps respecting guidelines, beside the benchmark."""
    share = share_respecting(per_rep)
    return (f"{share:.0%} of {len(per_rep)} reps respect the price guidelines (at least "
            f"{respect_share:.0%} of their lines within them); benchmark: "
            f"{BENCHMARK['top performers']:.0%} in top-performing companies, "
            f"{BENCHMARK['others']:.0%} in others. Revenue lost beyond guideline: "
            f"{money.fmt(per_rep['amount_lost'].sum())}.")
