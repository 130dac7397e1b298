"""Commission plans: payout per rep from attainment, pay as a share of revenue, and the payout curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from salesnb.core import money
from salesnb.core.models import parse
from salesnb.core.scope import as_month


class CommissionPlan(BaseModel):
    """A plan on monthly on-target earnings (OTE): base salary plus a variable part paid on attainment.

    Variable paid = variable target × multiple(attainment), where the multiple is 0 below `threshold`,
    `rate` × attainment up to 100% (× `decelerator` below `decelerator_below`), then grows by
    `accelerator` × `rate` per point above 100%, and never exceeds `cap`.
    """

    model_config = ConfigDict(extra="forbid")

    ote: float = Field(7000.0, gt=0, description="monthly on-target earnings per rep, in the data's currency")
    base_share: float = Field(0.6, ge=0, le=1, description="share of OTE paid as base salary")
    rate: float = Field(1.0, gt=0, description="variable multiple per unit of attainment up to 100%")
    threshold: float = Field(0.5, ge=0, le=1, description="no variable below this attainment")
    decelerator: float = Field(0.5, gt=0, le=1, description="rate factor below decelerator_below")
    decelerator_below: float = Field(0.8, ge=0, le=1)
    accelerator: float = Field(2.0, ge=1, description="rate factor above 100% attainment")
    cap: float = Field(2.5, gt=0, description="largest variable multiple")

    @model_validator(mode="after")
    def _consistent(self) -> CommissionPlan:
        if self.cap < self.rate:
            raise ValueError(f"cap ({self.cap:g}) is below the rate paid at 100% ({self.rate:g})")
        if self.decelerator_below < self.threshold:
            raise ValueError("decelerator_below must not be under threshold")
        return self

    @property
    def variable_target(self) -> float:
        return self.ote * (1 - self.base_share)


def parse_plan(params: dict) -> CommissionPlan:
    """A commission plan from parameters, with one clear message for every problem."""
    return parse(CommissionPlan, params, "commission plan")


def multiple(attainment: np.ndarray | pd.Series | float, plan: CommissionPlan) -> np.ndarray:
    """Variable multiple paid for each attainment (1.0 = the variable target)."""
    a = np.nan_to_num(np.asarray(attainment, dtype=float), nan=0.0)
    below = plan.rate * a * np.where(a < plan.decelerator_below, plan.decelerator, 1.0)
    above = plan.rate * (1 + (a - 1) * plan.accelerator)
    m = np.where(a < plan.threshold, 0.0, np.where(a <= 1.0, below, above))
    return np.minimum(m, plan.cap)


def payouts(att: pd.DataFrame, plan: CommissionPlan) -> pd.DataFrame:
    """Base, variable and total pay per row of attainment, with pay as a share of revenue."""
    out = att.copy()
    out["base_pay"] = plan.ote * plan.base_share
    out["variable_multiple"] = multiple(out["attainment"], plan)
    out["variable_pay"] = plan.variable_target * out["variable_multiple"]
    out["total_pay"] = out["base_pay"] + out["variable_pay"]
    out["pay_to_revenue"] = out["total_pay"] / out["actual"].where(out["actual"] > 0)
    return out


def curve(plan: CommissionPlan, up_to: float = 2.0, points: int = 201) -> pd.DataFrame:
    """Pay for every attainment from 0 to `up_to`: the payout curve."""
    a = np.linspace(0, up_to, points)
    m = multiple(a, plan)
    return pd.DataFrame({"variable_multiple": m,
                         "total_pay": plan.ote * plan.base_share + plan.variable_target * m},
                        index=pd.Index(a, name="attainment"))


def kinks(plan: CommissionPlan) -> pd.DataFrame:
    """The points where the payout curve changes slope, with what happens there: the threshold, the end of the
    decelerator, 100%, and where the cap is reached."""
    cap_at = 1 + (plan.cap / plan.rate - 1) / plan.accelerator
    points = {"threshold: pay starts": plan.threshold, "decelerator ends": plan.decelerator_below,
              "quota: accelerator starts": 1.0, "cap reached": cap_at}
    out = pd.DataFrame({"attainment": points.values()}, index=pd.Index(points.keys(), name="kink"))
    out["just_below"] = multiple(out["attainment"].to_numpy() - 1e-9, plan)
    out["variable_multiple"] = multiple(out["attainment"].to_numpy(), plan)
    out["variable_pay"] = plan.variable_target * out["variable_multiple"]
    out["jump_pay"] = (plan.variable_target * (out["variable_multiple"] - out["just_below"])).round(2)
    return out


def jumps_sentence(kinks_: pd.DataFrame) -> str:
    """Where the curve jumps rather than bends: pay that changes at once by a whole step ('' when none)."""
    jumps = kinks_[(kinks_["variable_multiple"] - kinks_["just_below"]).abs() > 0.005]
    if jumps.empty:
        return ""
    return "The pay jumps at " + "; at ".join(
        f"{k['attainment']:.0%} of quota, from ×{k['just_below']:.2f} to ×{k['variable_multiple']:.2f} of the "
        f"variable target ({name}): {money.fmt(k['jump_pay'])} a month" for name, k in jumps.iterrows()
    ) + ". A rep just below a jump earns that much less than one just above it."


def threshold_sentence(expected: pd.DataFrame, plan: CommissionPlan) -> str:
    """The reps whose forecast would leave them under the plan's threshold on their proposed quota: no variable pay
    if the forecast comes true ('' when none)."""
    under = expected[expected["attainment"] < plan.threshold].sort_values("attainment")
    if under.empty:
        return ""
    names = ", ".join(f"{n} ({a:.1%})" for n, a in zip(under["name"], under["attainment"], strict=True))
    return (f"On their proposed quota, {len(under)} rep{'s' if len(under) > 1 else ''} would stay under the "
            f"{plan.threshold:.0%} threshold if their forecast comes true, and earn no variable pay: {names}. Check "
            "these quotas before signing.")


def plan_table(plan: CommissionPlan) -> pd.DataFrame:
    """Every parameter of the plan with its value and what it does."""
    rows = [("on-target earnings (monthly)", money.fmt(plan.ote), "base and variable pay at 100% of quota"),
            ("base share", f"{plan.base_share:.0%}", f"base pay {money.fmt(plan.ote * plan.base_share)} a month"),
            ("variable target", money.fmt(plan.variable_target), "variable pay at 100% of quota"),
            ("threshold", f"{plan.threshold:.0%}", "no variable pay below this attainment"),
            ("decelerator", f"× {plan.decelerator:g} below {plan.decelerator_below:.0%}",
             "the rate is cut below this attainment"),
            ("rate", f"{plan.rate:g}", "variable multiple per unit of attainment up to 100%"),
            ("accelerator", f"× {plan.accelerator:g} above 100%", "each point above quota pays this many times"),
            ("cap", f"{plan.cap:g} × variable target", "the most variable pay in a month")]
    return pd.DataFrame(rows, columns=["parameter", "value", "what it does"]).set_index("parameter")


def base_pay_sentence(plan: CommissionPlan, reps: pd.DataFrame) -> str:
    """Where base pay comes from: the plan's, the same for every rep (the data hold no salary)."""
    cost = " (reps.annual_cost is the fully loaded cost of a rep, not their pay)" if "annual_cost" in reps else ""
    return (f"Base pay is the plan's, {money.fmt(plan.ote * plan.base_share)} a month for every rep: the data hold no "
            f"base salary{cost}. Set `plan` in the parameters to the real plan.")


def cost_sentence(paid: pd.DataFrame, month: object) -> str:
    """What the plan paid in a month, on what revenue, and pay as a share of revenue."""
    total, revenue = paid["total_pay"].sum(), paid["actual"].sum()
    return (f"For {as_month(month):%B %Y}: {money.fmt(total)} paid on {money.fmt(revenue)} of revenue, "
            f"pay of {total / revenue:.1%} of revenue.")


def expected_sentence(expected: pd.DataFrame, left_out: list[str] | tuple[str, ...] = ()) -> str:
    """What the plan would pay if reps sell their forecast on the proposed quotas, who is left out (reps too new for
    a forecast of their own), and how many of them that puts at exactly 100% (a quota set at the forecast)."""
    total, revenue = expected["total_pay"].sum(), expected["actual"].sum()
    text = (f"Expected pay {money.fmt(total)} on {money.fmt(revenue)} of forecast revenue: "
            f"pay of {total / revenue:.1%} of revenue.")
    if left_out:
        text += (f" Left out, too new for a forecast of their own: {', '.join(left_out)} (their part of the team's "
                 "forecast counts in the target, not here).")
    at_forecast = int((expected["actual"] / expected["quota"] - 1).abs().lt(0.0005).sum()) if "quota" in expected else 0
    if at_forecast:
        verb = "is" if at_forecast == 1 else "are"
        text += (f" {at_forecast} of the {expected['actual'].notna().sum()} reps with a forecast {verb} at 100%: their "
                 "proposed quota is their forecast, so they are on target by construction. Read this as what the plan "
                 "costs if the forecasts come true, not as a measure of risk (the forecasts report gives their "
                 "intervals).")
    return text
