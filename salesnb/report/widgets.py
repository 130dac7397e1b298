"""Live controls for analysts in JupyterLab (batch reports list the levers and show the parameters used)."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd
from IPython.display import display

from salesnb.core.errors import ParameterError
from salesnb.domains import compensation, quotas
from salesnb.report import charts
from salesnb.report import display as show

LEVERS = ("growth", "target_from", "over_assignment", "top_down_weight", "potential", "history", "forecast",
          "trusted_wape", "max_change", "floor", "forecast_floor", "cut_underperformers", "spread", "threshold",
          "accelerator", "cap")


class QuotaLevers:
    """Every lever of the quota policy and the pay plan; a change recomputes the bridge, the proposal and the payout
    curve at once (`unshown`: as `quotas.propose` takes it)."""

    def __init__(self, inputs: pd.DataFrame, rules: quotas.QuotaRules, plan: compensation.CommissionPlan,
                 base: float, unshown: float = 0.0) -> None:
        self.inputs, self.rules, self.plan, self.base, self.unshown = inputs, rules, plan, base, unshown
        weights = rules.weights

        def slider(value: float, low: float, high: float, step: float, text: str) -> w.FloatSlider:
            return w.FloatSlider(value=value, min=low, max=high, step=step, description=text)

        self.controls = {
            "growth": slider(rules.growth, -0.3, 0.5, 0.01, "growth"),
            "target_from": w.Dropdown(options=["growth", "forecast", "larger"], value=rules.target_from,
                                      description="target from"),
            "over_assignment": slider(rules.over_assignment, 0, 0.3, 0.01, "over-assign"),
            "top_down_weight": slider(rules.top_down_weight, 0, 1, 0.05, "top-down"),
            "potential": slider(weights.get("potential", 0.0), 0, 1, 0.05, "w potential"),
            "history": slider(weights.get("history", 0.0), 0, 1, 0.05, "w history"),
            "forecast": slider(weights.get("forecast", 0.0), 0, 1, 0.05, "w forecast"),
            "trusted_wape": slider(rules.trusted_wape, 0, 1, 0.05, "trusted error"),
            "max_change": slider(rules.max_change, 0, 1, 0.05, "max change"),
            "floor": w.FloatText(value=rules.floor, description="floor"),
            "forecast_floor": w.Checkbox(value=rules.forecast_floor, description="never under forecast"),
            "cut_underperformers": w.Checkbox(value=rules.cut_underperformers, description="cut underperformers"),
            "spread": w.Checkbox(value=rules.spread, description="spread floors over others"),
            "threshold": slider(plan.threshold, 0, 1, 0.05, "pay threshold"),
            "accelerator": slider(plan.accelerator, 1, 4, 0.25, "accelerator"),
            "cap": slider(plan.cap, 1, 5, 0.25, "cap"),
        }
        self.out = w.Output()
        self.proposal: pd.DataFrame | None = None
        self.error = ""
        for control in self.controls.values():
            control.observe(self.redraw, names="value")
        self.redraw()

    def current(self) -> tuple[quotas.QuotaRules, compensation.CommissionPlan]:
        """The rules and plan the controls say (weights scaled to add up to 1)."""
        v = {name: c.value for name, c in self.controls.items()}
        total = v["potential"] + v["history"] + v["forecast"]
        weights = ({k: v[k] / total for k in ("potential", "history", "forecast")} if total > 0
                   else self.rules.weights)
        rules = quotas.parse_rules(self.rules.model_dump() | {k: v[k] for k in (
            "growth", "target_from", "over_assignment", "top_down_weight", "trusted_wape", "max_change", "floor",
            "forecast_floor", "cut_underperformers", "spread")} | {"weights": weights})
        plan = compensation.parse_plan(self.plan.model_dump() | {k: v[k] for k in ("threshold", "accelerator",
                                                                                   "cap")})
        return rules, plan

    def redraw(self, _: object = None) -> None:
        """Recompute and show the bridge, the proposal and the payout curve for the current levers."""
        with self.out:
            self.out.clear_output(wait=True)
            try:
                rules, plan = self.current()
            except ParameterError as exc:  # levers that contradict each other: said, the last result kept
                self.error = str(exc)
                show.say(f"These levers cannot be used together: {exc}")
                return
            self.error = ""
            self.proposal = quotas.in_whole_units(quotas.propose(self.inputs, rules, self.base, self.unshown))
            show.say(quotas.proposal_sentence(self.proposal, rules))
            show.table(quotas.bridge(self.proposal, rules).drop(columns="kind"), money_cols=("amount",))
            show.table(quotas.shown(self.proposal), money_cols=("quota_this_month", "proposed_quota", "evidence_used",
                                                                "on_file"),
                       change_cols=("change_vs_this_month", "change_vs_on_file"))
            show.figure(charts.payout_chart(compensation.curve(plan), "Variable pay multiple by attainment",
                                            compensation.kinks(plan)))

    def show(self) -> None:
        """Display the controls above their result."""
        boxes = list(self.controls.values())
        display(w.VBox([w.HBox(boxes[i:i + 3]) for i in range(0, len(boxes), 3)] + [self.out]))


def levers_sentence() -> str:
    """What an analyst can change live in JupyterLab (the batch report shows the parameters used)."""
    return ("In JupyterLab (run with interactive = True) every lever recomputes the bridge, the proposal and the "
            "payout curve at once: " + ", ".join(name.replace("_", " ") for name in LEVERS) + ". In this report "
            "they are the parameters above; change them in params/defaults.yaml and rerun.")
