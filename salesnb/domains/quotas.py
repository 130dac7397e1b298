"""Quotas: proposals for the next period (top-down, bottom-up, blend, rules), attainment and fairness."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from salesnb.core import money
from salesnb.core.lazy import Lines, lazy, month_revenue, total
from salesnb.core.models import parse
from salesnb.core.scope import as_month, between, month_start, month_window
from salesnb.core.text import counted, listing, reading_order
from salesnb.domains import accuracy


class QuotaRules(BaseModel):
    """How next period's quotas are set; every field comes from parameters."""

    model_config = ConfigDict(extra="forbid")

    growth: float = Field(0.05, gt=-1, description="target = base × (1 + growth)")
    target: float | None = Field(None, ge=0, description="absolute target, instead of growth")
    over_assignment: float = Field(0.05, ge=0, le=1, description="quotas add up to target × (1 + this)")
    weights: dict[str, float] = Field(
        default_factory=lambda: {"potential": 0.4, "history": 0.4, "forecast": 0.2},
        description="top-down split by territory potential, revenue history, forecast")
    top_down_weight: float = Field(0.7, ge=0, le=1, description="blend: top-down share, rest bottom-up")
    max_change: float = Field(0.25, ge=0, description="largest change vs the rep's last quota")
    ramp: list[tuple[float, float]] = Field(
        default_factory=lambda: [(0, 0.25), (3, 0.5), (6, 1.0)],
        description="(months of tenure at least, share of a full quota)")
    floor: float = Field(0.0, ge=0, description="smallest quota of a fully ramped rep")
    target_from: Literal["growth", "forecast", "larger"] = Field(
        "larger", description="the target: the growth rule, the statistical forecast of the reps' revenue, or the "
                              "larger of the two (a target under the forecast pays for what is expected anyway)")
    forecast_floor: bool = Field(False, description="no rep's quota under their share of the team's forecast")
    trusted_wape: float = Field(0.25, ge=0, description="a rep's own forecast counts as evidence when its backtest "
                                                         "error (WAPE) is at most this")
    cut_underperformers: bool = Field(False, description="reps flagged for sustained underperformance may be cut "
                                                         "(within max_change); else they keep this month's quota")
    spread: bool = Field(False, description="what a rep's floor adds or cap holds back is taken from or given to the "
                                            "other reps, so quotas add up to the plan; else the total moves")
    keep_for_achievers: bool = Field(True, description="a rep who reached quota last month or over the last 3 "
                                                       "months is not given less than their last quota")

    @field_validator("weights")
    @classmethod
    def _weights(cls, w: dict[str, float]) -> dict[str, float]:
        unknown = set(w) - {"potential", "history", "forecast"}
        if unknown:
            raise ValueError(f"unknown weight(s) {sorted(unknown)}; use potential, history, forecast")
        if any(v < 0 for v in w.values()) or abs(sum(w.values()) - 1) > 1e-6:
            raise ValueError(f"weights must be ≥ 0 and sum to 1, got {w} (sum {sum(w.values()):g})")
        return w

    @model_validator(mode="after")
    def _ramp(self) -> QuotaRules:
        if any(not 0 <= share <= 1 for _, share in self.ramp):
            raise ValueError("ramp shares must be within 0..1")
        return self


def parse_rules(params: dict) -> QuotaRules:
    """Quota rules from parameters, with one clear message for every problem."""
    return parse(QuotaRules, params, "quota rules")


def ramp_share(tenure_months: pd.Series, ramp: list[tuple[float, float]]) -> pd.Series:
    """Share of a full quota for each tenure: the step of the largest threshold reached."""
    out = pd.Series(1.0 if not ramp else 0.0, index=tenure_months.index)
    for at_least, share in sorted(ramp):
        out = out.where(tenure_months < at_least, share)
    return out


def target_for(base: float, rules: QuotaRules) -> float:
    """The period's target: absolute if given, else base × (1 + growth)."""
    return float(rules.target) if rules.target is not None else base * (1 + rules.growth)


def allocate(total: float, weights: pd.Series, lower: pd.Series, upper: pd.Series) -> pd.Series:
    """Split `total` in proportion to `weights`, within per-rep bounds, re-spreading what bounds cut."""
    out = pd.Series(np.nan, index=weights.index)
    free = weights.index.tolist()
    remaining = total
    for _ in range(len(weights) + 1):
        w = weights[free].clip(lower=0)
        share = w / w.sum() if w.sum() > 0 else pd.Series(1 / len(free), index=free)
        trial = remaining * share
        low = trial < lower[free] - 1e-9
        high = trial > upper[free] + 1e-9
        if not (low.any() or high.any()):
            out[free] = trial
            return out
        deficit = (lower[free] - trial)[low].sum()
        excess = (trial - upper[free])[high].sum()
        fixed = trial.index[low] if deficit >= excess else trial.index[high]  # one side a pass: the other may clear
        out[fixed] = np.where(low[fixed], lower[fixed], upper[fixed])
        remaining = total - out.dropna().sum()
        free = [r for r in free if r not in fixed]
        if not free:
            return out
    return out


def evidence(inputs: pd.DataFrame, rules: QuotaRules) -> pd.Series:
    """Each rep's own evidence for the period: their own forecast (before reconciliation) when its backtest error
    is within `trusted_wape`, or their weighted pipeline, whichever is larger; without an own forecast in
    `inputs`, the forecast given."""
    own = inputs.get("own_forecast", inputs["forecast"]).clip(lower=0).fillna(0.0)
    error = inputs.get("forecast_wape", pd.Series(0.0, index=inputs.index))
    return np.maximum(own.where(error <= rules.trusted_wape, 0.0), inputs["pipeline"].clip(lower=0))


def propose(inputs: pd.DataFrame, rules: QuotaRules, base: float, unshown_forecast: float = 0.0) -> pd.DataFrame:
    """Next period's quota per rep, with each step shown.

    `inputs` has one row per active rep: potential, history (recent revenue), forecast (their share of the team's),
    pipeline (weighted, closing in the period), last_quota (NaN if none) and tenure_months; optionally own_forecast
    and forecast_wape (their own model and its backtest error) and underperformer (flagged by the accountability
    rule). `unshown_forecast`: the part of the reps' forecast revenue that is no rep's own forecast (reps too new to
    forecast); it counts in the target.
    """
    growth_target = target_for(base, rules)
    forecast_total = float(inputs["forecast"].clip(lower=0).sum()) + unshown_forecast
    target = {"growth": growth_target, "forecast": forecast_total,
              "larger": max(growth_target, forecast_total)}[rules.target_from if rules.target is None else "growth"]
    total = target * (1 + rules.over_assignment)
    out = inputs.copy()
    share = pd.Series(0.0, index=out.index)
    basis = {"potential": out["potential"], "history": out["history"],
             "forecast": out.get("own_forecast", out["forecast"]).fillna(0.0)}
    for key, weight in rules.weights.items():
        col = basis[key].clip(lower=0)
        out[f"share_{key}"] = col / col.sum() if col.sum() > 0 else 0.0
        if weight and col.sum() > 0:
            share += weight * out[f"share_{key}"]
    out["top_down"] = total * share
    out["bottom_up"] = evidence(out, rules)
    out["evidence"] = [evidence_note(r, rules) for _, r in out.iterrows()]
    out["blend"] = rules.top_down_weight * out["top_down"] + (1 - rules.top_down_weight) * out["bottom_up"]
    out["ramp"] = ramp_share(out["tenure_months"], rules.ramp)
    lower = pd.Series(rules.floor, index=out.index) * out["ramp"]
    upper = pd.Series(np.inf, index=out.index)
    has_last = out["last_quota"].notna() & (out["last_quota"] > 0)
    ramping = out["ramp"] < 1
    lower[has_last] = np.maximum(lower[has_last], out.loc[has_last, "last_quota"] * (1 - rules.max_change))
    full = has_last & ~ramping
    upper[full] = out.loc[full, "last_quota"] * (1 + rules.max_change)
    kept = pd.Series(False, index=out.index)
    if rules.keep_for_achievers and "recent_attainment" in out:
        kept |= has_last & (out["recent_attainment"] >= 1)
    if not rules.cut_underperformers and "underperformer" in out:
        kept |= full & out["underperformer"].fillna(False).astype(bool)
    out["keep_at"] = (np.fmin(out["last_quota"], out["on_file"].where(out["on_file"] > 0)) if "on_file" in out
                      else out["last_quota"])  # the lower of this month's quota and the one on file: kept, not raised
    kept |= full & (out["forecast"] >= out["keep_at"])  # never cut under what the statistical forecast expects
    lower[kept] = np.maximum(lower[kept], out.loc[kept, "keep_at"])
    upper[kept] = np.maximum(upper[kept], lower[kept])
    if rules.forecast_floor:
        lower = np.maximum(lower, out["forecast"].clip(lower=0))
        upper = np.maximum(upper, lower)
    out["full_quota"] = full_quota(out, ramping).where(ramping)
    lower[ramping] = np.maximum(
        lower[ramping],
        np.maximum(out.loc[ramping, "full_quota"] * out.loc[ramping, "ramp"], out.loc[ramping, "bottom_up"]),
    )
    lower[ramping] = np.fmax(lower[ramping], out.loc[ramping, "last_quota"])  # a ramp only rises with tenure
    if "on_file" in out:  # the ramp already on file for the month holds
        promised = ramping & (out["on_file"] > 0)
        lower[promised] = out.loc[promised, "on_file"]
    upper[ramping] = lower[ramping]
    weights = out["blend"].clip(lower=0)
    out["unconstrained"] = total * weights / weights.sum() if weights.sum() > 0 else total / len(out)
    out["quota"] = (allocate(total, out["blend"], lower, upper) if rules.spread
                    else out["unconstrained"].clip(lower, upper))
    out["change_vs_last"] = out["quota"] / out["last_quota"] - 1
    if "on_file" in out:
        out["change_vs_on_file"] = out["quota"] / out["on_file"].where(out["on_file"] > 0) - 1
    out["set_by"] = _set_by(out, rules, lower, upper, ramping)
    out["reason"] = [_reason(r, rules) for _, r in out.iterrows()]
    out.attrs.update({"target": target, "growth_target": growth_target, "forecast_total": forecast_total,
                      "planned": total, "total": float(out["quota"].sum()), "base": base,
                      "from_forecast": bool(target == forecast_total and target > growth_target)})
    return out


def full_quota(inputs: pd.DataFrame, ramping: pd.Series) -> pd.Series:
    """The quota a ramping rep's ramp share applies to: the median quota this month of the team's fully ramped
    reps (of the organisation's when the team has none), else the median of their blends."""
    full = inputs[~ramping]
    held = full["last_quota"].where(full["last_quota"] > 0)
    basis = held if held.notna().any() else full["blend"]
    by_team = basis.groupby(full["team"]).median()
    org = basis.median() if basis.notna().any() else np.nan
    out = inputs["team"].map(by_team).fillna(org)
    return out.fillna(inputs["blend"])


def _set_by(out: pd.DataFrame, rules: QuotaRules, lower: pd.Series, upper: pd.Series,
            ramping: pd.Series) -> pd.Series:
    """Which rule decided each rep's quota: a floor or cap it sits on, else the share of the target."""
    q, last = out["quota"], out["last_quota"]

    def near(a: pd.Series, b: pd.Series) -> pd.Series:
        return (a - b).abs() <= 0.5

    achieved = out["recent_attainment"] >= 1 if "recent_attainment" in out else pd.Series(False, index=out.index)
    flagged = out["underperformer"].fillna(False).astype(bool) if "underperformer" in out else achieved & False
    at_low, at_high = near(q, lower), near(q, upper) & np.isfinite(upper)
    reasons = [
        (at_low & rules.forecast_floor & near(q, out["forecast"].clip(lower=0)) & (q > 0), "rep's forecast"),
        (ramping & near(q, out["bottom_up"]) & (q > 0), "rep's own evidence"),
        (at_low & rules.keep_for_achievers & achieved & near(q, out["keep_at"]), "kept: reached quota"),
        (at_low & ~rules.cut_underperformers & flagged & near(q, out["keep_at"]), "kept: not cut while flagged"),
        (at_low & (out["forecast"] >= out["keep_at"]) & near(q, out["keep_at"]), "kept: forecast reaches it"),
        (at_low & near(q, last * (1 - rules.max_change)), "largest cut"),
        (ramping & near(q, out["on_file"] if "on_file" in out else np.nan), "ramp on file"),
        (ramping & near(q, out["full_quota"] * out["ramp"]), "ramp"),
        (ramping & near(q, last), "kept: the ramp only rises"),
        (at_high & near(q, last * (1 + rules.max_change)), "largest rise"),
    ]
    return pd.Series(np.select([c.fillna(False).to_numpy(dtype=bool) for c, _ in reasons], [r for _, r in reasons],
                               "share of the target"), index=out.index)


RULE_STEPS = {"largest cut": "floor: the largest cut allowed",
              "kept: reached quota": "floor: achievers keep their quota",
              "kept: not cut while flagged": "floor: reps flagged for underperformance are not cut",
              "kept: forecast reaches it": "floor: kept where the statistical forecast reaches the quota",
              "kept: the ramp only rises": "floor: a new hire's quota does not fall as tenure grows",
              "rep's forecast": "floor: no quota under the rep's forecast",
              "rep's own evidence": "floor: a new hire's own evidence",
              "ramp on file": "new hires: the ramp already on file holds",
              "ramp": "ramp of new hires (no quota on file yet)",
              "largest rise": "cap: the largest rise allowed",
              "share of the target": "taken from or given to the other reps (spread)"}


def bridge(proposal: pd.DataFrame, rules: QuotaRules, team: str | None = None) -> pd.DataFrame:
    """From the same month last year to the proposal and the quotas on file, step by step, each with its amount
    and the rule that made it; the steps add up to each subtotal (`kind`: start, step or total). For a `team`
    (`proposal` holding its reps only), from its reps' share of what the organisation shares out."""
    a = proposal.attrs
    if team is None:
        rows = [("same month last year", a["base"], "start", "revenue invoiced a year before the month")]
        if rules.target is not None:
            rows.append(("absolute target", rules.target - a["base"], "step", "target set in the parameters"))
        else:
            rows.append(("growth", a["growth_target"] - a["base"], "step", f"growth {rules.growth:+.1%}"))
            rows.append(("growth target", a["growth_target"], "total", ""))
            if a["target"] != a["growth_target"]:
                rows.append(("forecast above growth" if a["target"] > a["growth_target"] else "forecast below growth",
                             a["target"] - a["growth_target"], "step",
                             f"target from {rules.target_from}: the statistical forecast of the reps' revenue, "
                             f"{money.fmt(a['forecast_total'])}"))
        rows.append(("target", a["target"], "total", f"target from {rules.target_from}"))
        rows.append(("over-assignment", a["planned"] - a["target"], "step", f"{rules.over_assignment:+.1%}"))
        rows.append(("to share out", a["planned"], "total",
                     f"split {rules.top_down_weight:.0%} top-down ("
                     + ", ".join(f"{k} {v:.0%}" for k, v in rules.weights.items())
                     + f") and {1 - rules.top_down_weight:.0%} bottom-up (each rep's own evidence)"))
    else:
        rows = [(f"team {team}'s share", proposal["unconstrained"].sum(), "start",
                 f"its {len(proposal)} reps' share of the {money.fmt(a['planned'])} the organisation shares out")]
    moved = (proposal["quota"] - proposal["unconstrained"]).groupby(proposal["set_by"]).sum()
    for rule, label in RULE_STEPS.items():
        if rule in moved.index and abs(moved[rule]) >= 0.005:
            shared = rule == "share of the target" and not rules.spread
            rows.append(("rounding to whole units" if shared else rule, moved[rule], "step",
                         "quotas in whole units" if shared else label))
    total = float(proposal["quota"].sum())
    rows.append(("proposal", total, "total", f"{len(proposal)} reps"))
    on_file = proposal["on_file"].sum(min_count=1) if "on_file" in proposal else np.nan
    if on_file == on_file:
        gap = on_file - total
        rows.append((f"quotas on file {'lower' if gap < 0 else 'higher'} by", gap, "step",
                     f"approving the proposal {'raises' if gap < 0 else 'lowers'} them by {money.fmt(abs(gap))}"))
        rows.append(("quotas on file", on_file, "total", "quotas already on file for the month"))
    return pd.DataFrame(rows, columns=["step", "amount", "kind", "rule"]).set_index("step")


def evidence_note(r: pd.Series, rules: QuotaRules) -> str:
    """What a rep's own evidence is made of, in words."""
    own = r["own_forecast"] if "own_forecast" in r else r.get("forecast", np.nan)
    error, pipeline = r.get("forecast_wape", np.nan), r.get("pipeline", 0.0)
    if own == own and error == error and error > rules.trusted_wape:
        shown = f"{error:.3%}" if error - rules.trusted_wape < 0.001 else f"{error:.1%}"
        return (f"pipeline {money.fmt(pipeline)} used: own forecast {money.fmt(own)} not trusted (backtest error "
                f"{shown}, over {rules.trusted_wape:.0%})")
    if own != own:
        return f"pipeline {money.fmt(pipeline)}: no own forecast"
    if "forecast_wape" in r and error != error:
        return f"pipeline {money.fmt(pipeline)} used: own forecast {money.fmt(own)} has no backtest yet"
    return (f"own forecast {money.fmt(own)}" + (f" (backtest error {error:.1%})" if error == error else "")
            if own >= pipeline else f"pipeline {money.fmt(pipeline)}, above the own forecast")


def _reason(r: pd.Series, rules: QuotaRules) -> str:
    """Why a rep's quota is what it is, in words (its change is in the columns beside it)."""
    kept_at = ("this month's quota" if r.get("keep_at") == r["last_quota"] else "the quota on file, lower than this "
               "month's")
    by = r["set_by"]
    if by == "kept: reached quota":
        return f"kept at {kept_at}: reached quota recently ({r['recent_attainment']:.0%})"
    if by == "kept: not cut while flagged":
        return f"kept at {kept_at}: flagged for sustained underperformance, not cut (cut_underperformers off)"
    if by == "kept: forecast reaches it":
        return f"kept at {kept_at}: the statistical forecast ({money.fmt(r['forecast'])}) reaches it"
    if by == "kept: the ramp only rises":
        return (f"new hire ({r['tenure_months']:.0f} months in post): kept at this month's quota, above "
                f"{r['ramp']:.0%} of a full quota ({money.fmt(r['full_quota'] * r['ramp'])}): a ramp only rises")
    if by == "ramp on file":
        return (f"new hire ({r['tenure_months']:.0f} months in post): the ramp already on file holds "
                f"({money.fmt(r['on_file'])}; the parameters' ramp would give {r['ramp']:.0%} of a full quota, "
                f"{money.fmt(r['full_quota'] * r['ramp'])})")
    if by == "ramp":
        return f"new hire ({r['tenure_months']:.0f} months in post): {r['ramp']:.0%} of a full quota"
    evidence = evidence_note(r, rules)
    if by == "largest cut":
        return f"the largest cut allowed ({rules.max_change:.0%}): its share of the target is lower ({evidence})"
    if by == "largest rise":
        return f"the largest rise allowed ({rules.max_change:.0%}): its share of the target is higher ({evidence})"
    if by in ("rep's forecast", "rep's own evidence"):
        what = "forecast" if by == "rep's forecast" else "own evidence"
        return f"set at the rep's {what} ({money.fmt(r['quota'])}; {evidence})"
    drivers = [f"{r[f'share_{k}']:.1%} of the {label}" for k, label in
               (("potential", "potential"), ("history", "last 12 months' revenue")) if rules.weights.get(k)
               and f"share_{k}" in r]
    return f"its share of the target ({', '.join([*drivers, evidence])})"


def _against(proposal: pd.DataFrame) -> tuple[str, str]:
    """The change column a sentence counts with, and its words: against the quotas on file for the month when there
    are any, else against this month's quota (one base in every sentence, so a rep's change is one number)."""
    if "change_vs_on_file" in proposal and proposal["change_vs_on_file"].notna().any():
        return "change_vs_on_file", "the quotas on file"
    return "change_vs_last", "the quota of this month"


def changes_sentence(proposal: pd.DataFrame) -> str:
    """How many reps the proposal raises, keeps and cuts against the quotas on file for the month (this month's
    quota when none is on file), and which rule set how many."""
    column, against = _against(proposal)
    change = proposal[column].dropna()
    up, down = (change > 0.005).sum(), (change < -0.005).sum()
    kept = len(change) - up - down
    text = (f"Against {against}, the proposal raises {up} "
            f"rep{'s' if up != 1 else ''}" + (f", cuts {down} and keeps {kept} within ±0.5%" if kept else
                                               f" and cuts {down}"))
    full = change[(change < -0.005) & ~(proposal["ramp"].reindex(change.index) < 1)]
    cut = proposal.loc[full.sort_values().index].head(3)
    if len(cut):
        more = f" and {len(full) - len(cut)} more" if len(full) > len(cut) else ""
        text += "; the largest cuts of fully ramped reps: " + ", ".join(
            f"{n} ({c:+.0%})" for n, c in zip(cut["name"], cut[column], strict=True)) + more
    counts = proposal["set_by"].value_counts()
    return text + ". Set by: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + "."


def ramp_sentence(proposal: pd.DataFrame) -> str:
    """Every new hire still on the ramp: the share of a full quota they get, and the rule that set their quota when
    it is not the ramp ('' when none)."""
    ramped = proposal[proposal["ramp"] < 1].sort_values("tenure_months")
    if ramped.empty:
        return ""
    parts = []
    for _, r in ramped.iterrows():
        share = r["full_quota"] * r["ramp"]
        text = (f"{r['name']} ({r['tenure_months']:.0f} months in post) is due {r['ramp']:.0%} of team {r['team']}'s "
                f"median full quota ({money.fmt(r['full_quota'])}), {money.fmt(share)}")
        if r["quota"] > share + 0.5:
            text += f"; {RAISED_BY.get(r['set_by'], 'the share of the target')} raises it to {money.fmt(r['quota'])}"
        if r.get("on_file", 0) > 0 and abs(r["quota"] / r["on_file"] - 1) > 0.005:
            text += f", against {money.fmt(r['on_file'])} on file"
        parts.append(text)
    return ("New hires follow the ramp already on file where there is one, else the ramp in the parameters (either "
            "way past the largest change): " + "; ".join(parts) + ".")


RAISED_BY = {"rep's forecast": "their forecast", "rep's own evidence": "their own forecast or pipeline",
             "kept: reached quota": "having reached their quota", "ramp on file": "the ramp already on file",
             "kept: the ramp only rises": "this month's quota (a ramp only rises)",
             "largest cut": "the largest cut from this month's quota"}


def flagged_sentence(proposal: pd.DataFrame, flagged: list[str], rules: QuotaRules) -> str:
    """What the proposal does to the quotas of the reps the accountability rule flags ('' when none is flagged)."""
    mine = proposal[proposal.index.isin(flagged)]
    if mine.empty:
        return ""
    column, against = _against(proposal)
    kept = mine[mine["set_by"].eq("kept: not cut while flagged")]
    lower = mine[mine[column] < -0.005]
    n = len(mine)
    text = f"The performance report flags {counted(n, 'rep')} for sustained underperformance"
    if len(kept):
        who = ("it keeps" if n == 1 else "all keep") if len(kept) == n else f"{listing(kept['name'].tolist())} keep"
        text += (f": {who} the lower of this month's quota and the one on file, as the policy cuts no rep while "
                 "flagged (cut_underperformers is off)")
    elif rules.cut_underperformers:
        text += ": cut_underperformers is on, so the rules may cut them within the largest change"
    if lower.empty:
        return text + f". None is lowered against {against}."
    return text + f". Against {against}: " + ", ".join(
        f"{name} {c:+.0%}" for name, c in zip(lower["name"], lower[column], strict=True)) + "."


def floors_sentence(table: pd.DataFrame) -> str:
    """What the floors add to what was shared out, from a `bridge` ('' when they add nothing)."""
    steps = table[(table["kind"] == "step") & table["rule"].str.startswith("floor")]
    added = steps["amount"].sum()
    if added < 0.5:
        return ""
    parts = ", ".join(f"{money.fmt(v)} {RULE_STEPS[k].removeprefix('floor: ')}" for k, v in steps["amount"].items()
                      if v >= 0.5 and k in RULE_STEPS)
    return f"The floors add {money.fmt(added)} to what was shared out: {parts}."


def movers_sentence(proposal: pd.DataFrame, n: int = 3) -> str:
    """Who gains and who loses most against the base the other sentences use (`_against`), and why ('' when nobody
    moves); new hires on the ramp are left to the ramp sentence."""
    column, against = _against(proposal)
    change = proposal[column].dropna()
    change = change[~(proposal["ramp"].reindex(change.index) < 1)]
    up, down = change[change > 0.005].nlargest(n), change[change < -0.005].nsmallest(n)
    parts = [f"{label} against {against}: " + "; ".join(
        f"{proposal.at[r, 'name']} {change[r]:+.1%} ({proposal.at[r, 'reason']})" for r in moved.index)
             for label, moved in (("Most raised", up), ("Most cut", down)) if len(moved)]
    return ". ".join(parts) + "." if parts else ""


def forecast_set_sentence(proposal: pd.DataFrame) -> str:
    """How many quotas are a rep's statistical forecast, a point inside a wide interval ('' when none)."""
    own = int((proposal["set_by"] == "rep's forecast").sum())
    if not own:
        return ""
    return (f"{own} of the {len(proposal)} quotas are the rep's statistical forecast for the month, because the rules "
            "never set a quota under it. That forecast is the rep's share of their team's (reconciled so that reps "
            "add up to their team, as the forecast report says), and it is uncertain (see the width of the reps' "
            "intervals there): discuss these quotas with each rep rather than take them as exact.")


def decision_sentence(proposal: pd.DataFrame) -> str:
    """What approving the proposal changes: the forecast of the reps' revenue (with `forecast_share`, the parts of
    reps too new for a forecast of their own too) against the quotas on file and it."""
    forecast = proposal.get("forecast_share", proposal["forecast"]).clip(lower=0).sum()
    proposed = proposal["quota"].sum()
    on_file = proposal["on_file"].sum() if "on_file" in proposal else 0.0
    if not forecast or not proposed:
        return ""
    text = (f"The quotas on file stand until the proposal is approved. The statistical forecast of the reps' "
            f"revenue, {money.fmt(forecast)}, is {forecast / proposed:.1%} of the proposal")
    return text + (f" and {forecast / on_file:.1%} of the quotas on file." if on_file else ".")


def ahead_sentence(quotas: pd.DataFrame, revenue: pd.Series, month: object) -> str:
    """Quotas on file beyond next month against the revenue of the same month a year before ('' when none)."""
    q = quotas.assign(month=pd.to_datetime(quotas["month"])).groupby("month")["quota"].sum()
    later = q[q.index > month_start(month, 1)]
    parts = []
    for start, quota in later.items():
        before = revenue.get(start - pd.DateOffset(years=1), np.nan)
        if before > 0:
            parts.append(f"{start:%B %Y}: {money.fmt(quota)}, {quota / before - 1:+.1%} on the same month a year "
                         f"before ({money.fmt(before)})")
    return ("Quotas already on file for the months after: " + "; ".join(parts) + ".") if parts else ""


SHOWN = ["name", "team", "last_quota", "quota", "change_vs_last", "on_file", "change_vs_on_file", "bottom_up",
         "evidence", "reason"]
EXPORTED = {"name": "name", "team": "team", "potential": "potential", "history": "revenue_last_12_months",
            "own_forecast": "own_forecast_before_reconciliation", "forecast": "forecast",
            "pipeline": "weighted_pipeline", "forecast_wape": "own_forecast_backtest_error", "evidence": "evidence",
            "top_down": "top_down_quota",
            "bottom_up": "bottom_up_quota", "blend": "blend", "unconstrained": "quota_before_the_rules",
            "ramp": "ramp", "full_quota": "full_quota_of_the_ramp",
            "last_quota": "quota_this_month",
            "on_file": "quota_on_file", "quota": "proposed_quota", "change_vs_last": "change_vs_this_month",
            "change_vs_on_file": "change_vs_on_file", "set_by": "set_by", "reason": "reason"}


def by_team(proposal: pd.DataFrame) -> pd.DataFrame:
    """Per team and in total: reps, this month's quotas, the proposal, the quotas on file, and the statistical
    forecast of the reps' revenue against the proposal."""
    forecast = proposal.get("forecast_share", proposal["forecast"])
    g = proposal.assign(forecast=forecast).groupby("team").agg(
        reps=("name", "size"), quota_this_month=("last_quota", "sum"), proposed=("quota", "sum"),
        on_file=("on_file", "sum"), forecast=("forecast", "sum"))
    g = pd.concat([g, g.sum().rename("total").to_frame().T])
    g["forecast_vs_proposed"] = g["forecast"] / g["proposed"]
    return g


def shown(proposal: pd.DataFrame) -> pd.DataFrame:
    """The proposal as the page shows it, by team and name: who, this month's quota, the proposal and its change (the
    rules work from this month's quota), the rep's own evidence the rules used, the quota on file and the change
    against it, and the reason; the team column only when there are several teams."""
    cols = [c for c in SHOWN if c in proposal and (c != "team" or proposal["team"].nunique() > 1)]
    ordered = proposal.sort_values(["team", "name"], key=lambda c: c.map(reading_order))
    return ordered[cols].rename(columns={"quota": "proposed_quota", "last_quota": "quota_this_month",
                                         "change_vs_last": "change_vs_this_month", "bottom_up": "evidence_used"})


def exported(proposal: pd.DataFrame) -> pd.DataFrame:
    """Every figure of the proposal, by rep id, with plain column names, for Excel."""
    out = proposal[[c for c in EXPORTED if c in proposal]].rename(columns=EXPORTED)
    return out.rename_axis("rep_id").reset_index()


def proposal_sentence(proposal: pd.DataFrame, rules: QuotaRules, team_page: bool = False) -> str:
    """Target, total of quotas and over-assignment in one sentence (the organisation's, said so on a team's page)."""
    target, total = proposal.attrs["target"], proposal.attrs["total"]
    if proposal.attrs.get("from_forecast"):
        planned = target_for(proposal.attrs["base"], rules)
        how = (f"{money.fmt(target)}, the statistical forecast of the reps' revenue (the forecasts report's), "
               f"because {rules.growth:+.1%} on the same month last year ({money.fmt(proposal.attrs['base'])}) "
               f"gives only {money.fmt(planned)}, and a quota under the forecast pays for what is expected anyway")
    elif rules.target is not None:
        how = f"set at {money.fmt(target)}"
    else:
        how = (f"{money.fmt(proposal.attrs['base'])} (same month last year) × (1 {rules.growth:+.1%}) = "
               f"{money.fmt(target)}")
    text = (f"{'For the whole organisation, the target' if team_page else 'Target'}: {how}. "
            f"Quotas add up to {money.fmt(total)}, {total / target - 1:+.1%} on the target "
            f"(over-assignment planned: {rules.over_assignment:+.1%}, {money.fmt(proposal.attrs['planned'])} to share "
            "out before the floors and caps)")
    planned_total = target * (1 + rules.over_assignment)
    if total > planned_total + 1:
        floors = ["the largest cut", "quotas kept for reps who reached theirs, are flagged or whose forecast reaches "
                  "it", *(["each rep's forecast"] if rules.forecast_floor else []), "the ramp of new hires"]
        used = set(proposal["set_by"]) if "set_by" in proposal else set()
        floors = [f for f in floors if f != "the largest cut" or "largest cut" in used]
        return text + f": more than planned, because the floors ({', '.join(floors)}) add up to more; the bridge " \
                      "gives each."
    if total < planned_total - 1:
        return text + (": less than planned, because the caps (the largest rise, the ramp of new hires) hold it "
                       "under; the bridge gives each.")
    return text + "."


def whole_units(values: pd.Series) -> pd.Series:
    """Values rounded to whole currency units whose sum is the rounded sum (largest remainder: the units lost to
    rounding go to the largest fractions, ties to the first rows)."""
    floor = np.floor(values)
    short = int(round(values.sum() - floor.sum()))
    order = (values - floor).sort_values(ascending=False, kind="stable").index[:max(short, 0)]
    return (floor + floor.index.isin(order)).astype(int)


def in_whole_units(proposal: pd.DataFrame) -> pd.DataFrame:
    """The proposal with quotas in whole currency units that still add up to its total (`whole_units`)."""
    out = proposal.assign(quota=whole_units(proposal["quota"]).astype(float))
    out["change_vs_last"] = out["quota"] / out["last_quota"] - 1
    if "on_file" in out:
        out["change_vs_on_file"] = out["quota"] / out["on_file"].where(out["on_file"] > 0) - 1
    out.attrs = proposal.attrs | {"total": float(out["quota"].sum())}
    return out


APPROVAL = {"name": "name", "team": "team", "last_quota": "quota_this_month", "on_file": "quota_on_file",
            "quota": "proposed_quota", "change_vs_on_file": "change_vs_on_file", "reason": "reason"}


def approval_table(proposal: pd.DataFrame) -> pd.DataFrame:
    """One row per rep to approve: the proposal beside this month's quota and the quota on file, the reason, and
    empty *approved quota* and *comment* columns for the manager (an empty approved quota keeps the proposal)."""
    out = proposal[[c for c in APPROVAL if c in proposal]].rename(columns=APPROVAL)
    out = out.assign(approved_quota=np.nan, comment="")
    return out.rename_axis("rep_id").reset_index()


def attainment(actual: pd.DataFrame, quotas: pd.DataFrame) -> pd.DataFrame:
    """Revenue, quota and attainment per rep and month (months with a quota)."""
    q = quotas.assign(month=pd.to_datetime(quotas["month"]))
    df = q.merge(actual, on=["rep_id", "month"], how="left").fillna({"actual": 0.0})
    df["attainment"] = df["actual"] / df["quota"].where(df["quota"] > 0)
    return df


def gini(values: pd.Series) -> float:
    """Gini coefficient (0 = all equal, 1 = one holds everything) of non-negative values."""
    v = np.sort(values.dropna().clip(lower=0).to_numpy())
    if len(v) == 0 or v.sum() == 0:
        return float("nan")
    n = len(v)
    return float((2 * np.arange(1, n + 1) - n - 1).dot(v) / (n * v.sum()))


def fairness(month_att: pd.DataFrame, potential: pd.Series, ramping: list[str] = ()) -> pd.DataFrame:
    """Per team: share at or above quota, spread and Gini of attainment, quota vs potential correlation, over the
    reps not ramping (a new hire's quota is a ramp share, not a judgement)."""
    df = month_att[~month_att["rep_id"].isin(list(ramping))].join(potential.rename("potential"), on="rep_id")
    rows = {}
    for team, g in df.groupby("team"):
        a = g["attainment"].dropna()
        rows[team] = {
            "reps": len(g), "at_or_above_quota": float((a >= 1).mean()) if len(a) else np.nan,
            "median_attainment": float(a.median()) if len(a) else np.nan,
            "spread_p90_p10": float(a.quantile(0.9) - a.quantile(0.1)) if len(a) else np.nan,
            "gini_attainment": gini(a),
            "quota_potential_correlation": float(g["quota"].corr(g["potential"]))
            if g["potential"].notna().sum() > 2 else np.nan,
        }
    return pd.DataFrame(rows).T


def pacing(sales: Lines, month: str) -> pd.DataFrame:
    """Cumulative share of the month's revenue by day, against a linear month."""
    m = between(lazy(sales), "order_date", *month_window(month))
    days = as_month(month).days_in_month
    by_day = total(m.mutate(day=m.order_date.day()), "day")
    by_day = by_day.set_axis(by_day.index.astype(int)).reindex(range(1, days + 1), fill_value=0.0)
    whole = by_day.sum()
    return pd.DataFrame({"cumulative_share": by_day.cumsum() / whole if whole else np.nan,
                         "linear": np.arange(1, days + 1) / days}).rename_axis("day")


def rules_from(params: dict) -> QuotaRules:
    """Quota rules from a notebook's parameters (target 0 means: use growth)."""
    keys = ("growth", "over_assignment", "weights", "top_down_weight", "max_change", "ramp", "floor", "target_from",
            "forecast_floor", "trusted_wape", "cut_underperformers", "spread")
    fields = {k: params[k] for k in keys if k in params}
    if params.get("target"):
        fields["target"] = params["target"]
    return parse_rules(fields)


def rep_inputs(reps: pd.DataFrame, accounts: pd.DataFrame | None, sales: Lines,
               quotas: pd.DataFrame, forecast: pd.Series, pipeline: pd.Series, month: str) -> pd.DataFrame:
    """One row per rep active next period: the figures a quota proposal is built from."""
    start, end = month_window(month, 1)
    active = reps[(pd.to_datetime(reps["hire_date"]).fillna(start) < end)
                  & ~(pd.to_datetime(reps["end_date"]) < start)].set_index("rep_id")
    out = active[["name", "team"]].copy()
    if accounts is not None and accounts["potential"].notna().any():
        out["potential"] = accounts.groupby("owner_rep_id")["potential"].sum().reindex(out.index).fillna(0)
    else:
        out["potential"] = 0.0
    t = lazy(sales)
    year = t.filter(t.month.cast("date") >= month_start(month, -11).date())
    out["history"] = total(year, "rep_id").reindex(out.index).fillna(0.0)
    out["forecast"] = forecast.reindex(out.index).fillna(0.0)
    out["pipeline"] = pipeline.reindex(out.index).fillna(0.0)
    current = quotas[pd.to_datetime(quotas["month"]) == month_start(month)]
    out["last_quota"] = current.set_index("rep_id")["quota"].reindex(out.index)
    planned = quotas[pd.to_datetime(quotas["month"]) == start]
    out["on_file"] = planned.set_index("rep_id")["quota"].reindex(out.index)
    out["recent_attainment"] = np.fmax(recent_attainment(sales, quotas, month, 3),
                                       recent_attainment(sales, quotas, month, 1)).reindex(out.index)
    hire = pd.to_datetime(active["hire_date"])
    out["tenure_months"] = ((start - hire).dt.days / 30.44).fillna(120.0)
    return out


def recent_attainment(sales: Lines, quotas: pd.DataFrame, month: str, months: int = 3) -> pd.Series:
    """Per rep: revenue over quota across the last `months` months to `month` (months with a quota only)."""
    df = attainment(accuracy.actuals_by_rep(sales), quotas)
    df = df[(df["month"] >= month_start(month, 1 - months)) & (df["month"] <= month_start(month))]
    g = df.groupby("rep_id")[["actual", "quota"]].sum()
    return g["actual"] / g["quota"].where(g["quota"] > 0)


def base_revenue(sales: Lines, month: str) -> float:
    """Revenue of the month a year before the next period: what the growth target applies to."""
    return float(month_revenue(sales).get(month_start(month, 1 - 12), 0.0))


def rules_sentence(rules: QuotaRules) -> str:
    """The policy a batch report used, in words."""
    weights = ", ".join(f"{k} {v:.0%}" for k, v in rules.weights.items())
    text = (f"Policy used: target from {rules.target_from} (growth {rules.growth:+.0%}), over-assignment "
            f"{rules.over_assignment:+.0%}; split {rules.top_down_weight:.0%} top-down ({weights}) and the rest "
            f"bottom-up (a rep's own forecast counts within a backtest error of {rules.trusted_wape:.0%}); largest "
            f"change {rules.max_change:.0%}; ramp " + ", ".join(f"{s:.0%} from {m:g} months" for m, s in rules.ramp)
            + (f"; floor {money.fmt(rules.floor)}" if rules.floor else "") + ".")
    if rules.keep_for_achievers:
        text += (" A rep who reached quota last month or over the last 3 months keeps at least the lower of this "
                 "month's quota and the one on file.")
    text += (" Reps flagged for sustained underperformance may be cut." if rules.cut_underperformers
             else " Reps flagged for sustained underperformance are not cut.")
    text += (" A rep whose statistical forecast reaches the lower of this month's quota and the one on file keeps "
             "at least that; a new hire's quota does not fall as their tenure grows, and a new hire's ramp already on "
             "file holds, past the largest change.")
    return text + (" No quota is set under the rep's forecast." if rules.forecast_floor else "")


def pacing_sentence(pace: pd.DataFrame, day: int = 15) -> str:
    """How much of the month's revenue was in by a given day, against a linear month."""
    return (f"By day {day}, {pace.loc[day, 'cumulative_share']:.0%} of the month's revenue was in "
            f"(linear: {pace.loc[day, 'linear']:.0%}).")


def team_part_sentence(proposal: pd.DataFrame, team: str) -> str:
    """A team's part of the organisation's proposal."""
    mine = proposal[proposal["team"] == team]
    return (f"The proposal is made for the whole organisation; team {team}'s {len(mine)} reps carry "
            f"{money.fmt(mine['quota'].sum())} of it ({mine['quota'].sum() / proposal['quota'].sum():.1%}).")


def on_file_sentence(proposal: pd.DataFrame, quotas: pd.DataFrame, month: pd.Timestamp) -> str:
    """The proposal's total beside the quotas already on file for that month (coverage is measured on those)."""
    on_file = quotas.loc[pd.to_datetime(quotas["month"]) == month, "quota"].sum()
    total = proposal["quota"].sum()
    n = len(proposal)
    text = f"For {month:%B %Y} this proposal sets {money.fmt(total)} for {n} rep{'s' if n != 1 else ''}"
    if not on_file:
        return text + "; no quota is on file yet for that month: it would be the first."
    change = total / on_file - 1
    return (text + f", {abs(change):.1%} {'under' if change < 0 else 'over'} the {money.fmt(on_file)} already on "
            "file. Pipeline coverage in the forecast and pipeline reports is measured against the quotas on file.")
