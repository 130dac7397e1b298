"""Live controls for analysts in JupyterLab (batch reports show the parameters used instead)."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd
from IPython.display import display

from salesnb.domains import quotas
from salesnb.report import display as show


def what_if(inputs: pd.DataFrame, rules: quotas.QuotaRules, base: float, unshown: float = 0.0) -> None:
    """Sliders that recompute the proposal live in JupyterLab (`unshown`: as `quotas.propose` takes it)."""
    sliders = {
        "growth": w.FloatSlider(value=rules.growth, min=-0.3, max=0.5, step=0.01, description="growth"),
        "top_down_weight": w.FloatSlider(value=rules.top_down_weight, min=0, max=1, step=0.05,
                                         description="top-down"),
        "max_change": w.FloatSlider(value=rules.max_change, min=0, max=1, step=0.05,
                                    description="max change"),
        "over_assignment": w.FloatSlider(value=rules.over_assignment, min=0, max=0.3, step=0.01,
                                         description="over-assign"),
    }
    out = w.Output()

    def redraw(_=None) -> None:
        changed = rules.model_copy(update={k: s.value for k, s in sliders.items()})
        proposal = quotas.propose(inputs, changed, base, unshown)
        with out:
            out.clear_output(wait=True)
            show.say(quotas.proposal_sentence(proposal, changed))
            show.table(proposal[["name", "team", "last_quota", "quota", "change_vs_last"]],
                       money_cols=("last_quota", "quota"), change_cols=("change_vs_last",))

    for s in sliders.values():
        s.observe(redraw, names="value")
    redraw()
    display(w.VBox([w.HBox(list(sliders.values())[:2]), w.HBox(list(sliders.values())[2:]), out]))
