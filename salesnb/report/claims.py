"""What each claim of a report needs from the data: an empty string when the input is there, else the sentence
shown instead of a number computed on nothing."""

from __future__ import annotations

import ibis
import pandas as pd

from salesnb.core.lazy import filled
from salesnb.data.schema import OPEN_STAGES


def owners(accounts: pd.DataFrame | None) -> str:
    """Visit needs, capacity, staffing and territories need accounts with an owner."""
    if filled(accounts, "owner_rep_id"):
        return ""
    return ("No account has an owner (accounts.owner_rep_id is empty), so visits per rep, capacity, staffing, "
            "routes and territories cannot be worked out; map the account owner to enable them.")


def coordinates(accounts: pd.DataFrame | None, reps: pd.DataFrame | None) -> str:
    """Distances, travel costs and routes need coordinates of accounts and of reps' bases."""
    missing = [name for name, ok in (("accounts.lat/lon", filled(accounts, "lat") and filled(accounts, "lon")),
                                     ("reps.base_lat/base_lon", filled(reps, "base_lat") and filled(reps, "base_lon")))
               if not ok]
    if not missing:
        return ""
    return (f"No coordinates in {' and '.join(missing)}, so distances, travel costs, routes and maps cannot be "
            "computed; add latitude and longitude to enable them.")


def revenue(sales: pd.DataFrame | None) -> str:
    """Revenue per account (ABC classes, revenue per visit) needs order lines with a customer."""
    if filled(sales, "account_id"):
        return ""
    return ("No order line names a customer, so revenue per account (ABC classes, revenue per visit) cannot be "
            "computed: every customer is treated as class C.")


def guidelines(products: pd.DataFrame | None, overrides: dict | None = None) -> str:
    """Guideline compliance, breaches and leakage need a maximum discount per product (or overrides)."""
    if overrides or filled(products, "max_discount"):
        return ""
    return ("No product carries a price guideline (products.max_discount is empty and no guideline_overrides "
            "are set), so compliance, breaches and revenue lost beyond guideline cannot be judged; the discounts "
            "actually given are shown below.")


def stage_history(history: pd.DataFrame | None) -> str:
    """Stage-to-stage conversion, the bottleneck and time in stage need dated stage snapshots."""
    if history is not None and len(history):
        return ""
    return ("No stage history (opportunity_history), so stage-to-stage conversion, the bottleneck and time in "
            "stage cannot be measured: a deal's current stage does not tell which stages a lost deal went "
            "through. Shown instead: closed deals won and lost, and open deals by their current stage.")


def open_amounts(opps: pd.DataFrame | None) -> str:
    """Pipeline value and coverage need open deals with an amount and an expected close date."""
    open_ = None if opps is None else opps[opps["stage"].isin(OPEN_STAGES)]
    if filled(open_, "amount") and filled(open_, "close_date"):
        return ""
    return ("No open deal has both an amount and an expected close date, so pipeline value and coverage of the "
            "next months cannot be computed.")


def team_column(sales: pd.DataFrame | ibis.Table | None) -> str:
    """Breakdowns by rep need reps credited on the lines."""
    if filled(sales, "rep"):
        return ""
    return ("The order lines name no rep, so the breakdown by rep is not shown; lines are credited to teams "
            "only (order_lines.team).")
