"""The quota levers' callbacks, driven as JupyterLab would drive them: a change recomputes the proposal."""

import numpy as np
import pandas as pd
import pytest

from salesnb.domains import compensation, quotas
from salesnb.report import widgets


def _levers():
    inputs = pd.DataFrame({
        "name": ["a", "b", "c"], "team": "t", "potential": [100.0, 100.0, 200.0], "history": [100.0, 100.0, 200.0],
        "forecast": [60.0, 60.0, 120.0], "pipeline": 0.0, "last_quota": [100.0, 100.0, 200.0],
        "tenure_months": 40.0, "underperformer": [True, False, False],
    }, index=["A", "B", "C"])
    rules = quotas.QuotaRules(growth=0.0, over_assignment=0.0, max_change=0.5, target_from="growth")
    return widgets.QuotaLevers(inputs, rules, compensation.CommissionPlan(), base=400.0)


def test_each_lever_recomputes_the_proposal():
    levers = _levers()
    assert levers.proposal["quota"].sum() == 400
    levers.controls["growth"].value = 0.25
    assert levers.proposal.attrs["target"] == pytest.approx(500) and levers.proposal["quota"].sum() == 500
    levers.controls["over_assignment"].value = 0.1
    assert levers.proposal["quota"].sum() == 550
    levers.controls["growth"].value = -0.25  # target 300, × 1.1 = 330: A is flagged and keeps 100
    assert levers.proposal.loc["A", "quota"] == 100
    levers.controls["cut_underperformers"].value = True
    assert levers.proposal.loc["A", "quota"] < 100
    levers.controls["target_from"].value = "forecast"  # the reps' forecasts add up to 240
    assert levers.proposal.attrs["target"] == 240


def test_weights_are_scaled_to_add_up_and_the_plan_levers_reach_the_curve():
    levers = _levers()
    for name, value in (("potential", 1.0), ("history", 1.0), ("forecast", 0.0)):
        levers.controls[name].value = value
    rules, plan = levers.current()
    assert rules.weights == {"potential": 0.5, "history": 0.5, "forecast": 0.0}
    levers.controls["cap"].value = 2.0
    _, plan = levers.current()
    assert compensation.multiple(np.array([3.0]), plan)[0] == 2.0
    levers.controls["cap"].value = 1.0
    levers.controls["accelerator"].value = 1.0
    levers.controls["threshold"].value = 0.9  # under the decelerator point: refused, said, the last result kept
    assert "decelerator_below" in levers.error and levers.proposal is not None
    assert "max change" in widgets.levers_sentence()
