import numpy as np
import pandas as pd
import pytest

from salesnb.core.errors import ParameterError
from salesnb.domains import compensation, quotas


def _inputs():
    return pd.DataFrame({
        "name": ["a", "b", "c", "new"], "team": "t",
        "potential": [100.0, 100.0, 200.0, 100.0], "history": [100.0, 100.0, 200.0, 0.0],
        "forecast": [10.0, 10.0, 20.0, 5.0], "pipeline": [0.0, 30.0, 0.0, 0.0],
        "last_quota": [100.0, 100.0, 200.0, np.nan], "tenure_months": [40, 40, 40, 1.0],
    }, index=["A", "B", "C", "N"])


def test_ramp_share_by_tenure():
    t = pd.Series([0.5, 3.0, 5.9, 6.0, 40.0])
    assert quotas.ramp_share(t, [(0, 0.25), (3, 0.5), (6, 1.0)]).tolist() == [0.25, 0.5, 0.5, 1.0, 1.0]


def test_allocate_respects_bounds_and_keeps_the_total():
    w = pd.Series([1.0, 1.0, 2.0], index=list("xyz"))
    upper = pd.Series([80.0, np.inf, np.inf], index=w.index)
    out = quotas.allocate(400.0, w, pd.Series(0.0, index=w.index), upper)
    # x capped at 80; 320 left split 1:2 between y and z
    assert out.tolist() == pytest.approx([80, 320 / 3, 640 / 3])
    assert out.sum() == pytest.approx(400)


def test_proposal_meets_target_plus_over_assignment_under_the_rules():
    rules = quotas.QuotaRules(spread=True, growth=0.1, over_assignment=0.05, top_down_weight=1.0, max_change=0.5,
                              weights={"potential": 0.5, "history": 0.5, "forecast": 0.0})
    p = quotas.propose(_inputs(), rules, base=400.0)
    assert p.attrs["target"] == pytest.approx(440)
    assert p["quota"].sum() == pytest.approx(440 * 1.05)
    # shares: potential 100/500 and history 100/400 -> A: (0.2 + 0.25) / 2 = 0.225 of 462
    assert p.loc["A", "top_down"] == pytest.approx(0.225 * 462)
    # the new hire gets 25% of the team's median full quota (100); the rest is spread over the others
    assert p.loc["N", "quota"] == pytest.approx(25) and p.loc["N", "set_by"] == "ramp"
    assert ((p["quota"] <= p["last_quota"] * 1.5 + 1e-6) | p["last_quota"].isna()).all()


def test_max_change_caps_and_the_shortfall_is_said():
    rules = quotas.QuotaRules(spread=True, growth=1.0, over_assignment=0.0, max_change=0.1, top_down_weight=1.0)
    p = quotas.propose(_inputs().drop(index="N"), rules, base=400.0)
    assert p["quota"].tolist() == pytest.approx([110, 110, 220])  # every rep capped at +10%
    assert quotas.proposal_sentence(p, rules).endswith(
        "-45.0% on the target (over-assignment planned: +0.0%, 800 to share out before the floors and caps): less "
        "than planned, because the caps (the largest "
        "rise, the ramp of new hires) hold it under; the bridge gives each.")  # 440 against 800


def test_the_target_is_never_below_the_forecast(in_euros):
    rules = quotas.QuotaRules(spread=True, growth=0.05, over_assignment=0.0, top_down_weight=1.0, max_change=10)
    inputs = _inputs().drop(index="N").assign(forecast=[200.0, 200.0, 400.0])  # the reps expect 800
    p = quotas.propose(inputs, rules, base=400.0)  # the rule alone would give 420
    assert p.attrs["target"] == 800 and p["quota"].sum() == pytest.approx(800)
    assert quotas.proposal_sentence(p, rules) == (
        "Target: €800, the statistical forecast of the reps' revenue (the forecasts report's), because +5.0% on the "
        "same month last year (€400) gives only €420, and a quota under the forecast pays for what is expected "
        "anyway. Quotas add up to €800, +0.0% on the target (over-assignment planned: +0.0%, €800 to share out before "
        "the floors and caps).")
    off = quotas.propose(inputs, rules.model_copy(update={"target_from": "growth"}), base=400.0)
    assert off.attrs["target"] == pytest.approx(420)
    newcomer = quotas.propose(inputs, rules, base=400.0, unshown_forecast=50.0)  # a rep too new to forecast
    assert newcomer.attrs["target"] == 850 and newcomer.attrs["from_forecast"]
    shares = p.assign(forecast_share=[200.0, 200.0, 400.0], forecast=[200.0, 200.0, float("nan")])
    assert "forecast of the reps' revenue, €800," in quotas.decision_sentence(shares)


def test_a_ramping_reps_quota_never_falls_as_tenure_grows():
    rules = quotas.QuotaRules(spread=True, growth=0.0, over_assignment=0.0, top_down_weight=1.0, max_change=0.5,
                              target_from="growth")
    inputs = _inputs().assign(last_quota=[100.0, 100.0, 200.0, 196.0])  # a full quota this month for the new hire
    p = quotas.propose(inputs, rules, base=400.0)
    assert p.loc["N", "quota"] == pytest.approx(196)  # the ramp alone would give a quarter of a full quota
    assert p.loc["N", "set_by"] == "kept: the ramp only rises" and p["quota"].sum() == pytest.approx(400)


def test_absolute_target_and_bottom_up():
    rules = quotas.QuotaRules(spread=True, target=1000.0, over_assignment=0.0, top_down_weight=0.0, max_change=10)
    p = quotas.propose(_inputs().drop(index="N"), rules, base=1.0)
    assert p["bottom_up"].tolist() == [10, 30, 20]  # forecast, or weighted pipeline when larger
    assert p["quota"].tolist() == pytest.approx([1000 / 6, 500, 1000 / 3])


@pytest.mark.parametrize("params, message", [
    ({"weights": {"potential": 0.5, "history": 0.4, "forecast": 0.2}}, "sum to 1"),
    ({"target": -5.0}, "target: Input should be greater than or equal to 0"),
    ({"weights": {"potentiel": 1.0}}, "unknown weight"),
    ({"top_down_weight": 1.5}, "top_down_weight"),
    ({"ramp": [[0, 1.5]]}, "ramp shares"),
])
def test_bad_quota_parameters(params, message):
    with pytest.raises(ParameterError, match=message):
        quotas.parse_rules(params)


def test_gini_fairness_and_pacing():
    assert quotas.gini(pd.Series([1.0, 1.0, 1.0])) == 0
    assert quotas.gini(pd.Series([0.0, 0.0, 3.0])) == pytest.approx(2 / 3)
    att = pd.DataFrame({"rep_id": ["A", "B", "C"], "team": "t", "quota": [100.0, 200.0, 300.0],
                        "attainment": [0.8, 1.0, 1.2]})
    f = quotas.fairness(att, pd.Series({"A": 1.0, "B": 2.0, "C": 3.0}))
    assert f.loc["t", "at_or_above_quota"] == pytest.approx(2 / 3)
    assert f.loc["t", "quota_potential_correlation"] == pytest.approx(1.0)
    hired = quotas.fairness(att, pd.Series({"A": 1.0, "B": 2.0, "C": 3.0}), ramping=["A"])
    assert hired.loc["t", "reps"] == 2 and hired.loc["t", "at_or_above_quota"] == 1.0  # the new hire left out
    sales = pd.DataFrame({"month": pd.Timestamp("2026-02-01"), "revenue": [10.0, 30.0],
                          "order_date": pd.to_datetime(["2026-02-07", "2026-02-28"])})
    pace = quotas.pacing(sales, "2026-02")
    assert pace.loc[7, "cumulative_share"] == 0.25 and pace.loc[7, "linear"] == 0.25
    assert pace.loc[27, "cumulative_share"] == 0.25 and pace.loc[28, "cumulative_share"] == 1


PLAN = compensation.CommissionPlan(ote=10000, base_share=0.6, rate=1.0, threshold=0.5, decelerator=0.5,
                                   decelerator_below=0.8, accelerator=2.0, cap=2.0)


@pytest.mark.parametrize("attainment, expected", [
    (0.49, 0.0), (0.5, 0.25), (0.79, 0.395), (0.8, 0.8), (1.0, 1.0), (1.01, 1.02), (1.2, 1.4),
    (1.5, 2.0), (3.0, 2.0)])
def test_payout_multiple_hand_worked(attainment, expected):
    assert compensation.multiple(attainment, PLAN) == pytest.approx(expected)


def test_payouts_and_pay_to_revenue():
    att = pd.DataFrame({"actual": [100000.0, 120000.0], "attainment": [1.0, 1.2]}, index=["A", "B"])
    p = compensation.payouts(att, PLAN)
    # variable target 4,000: A 4,000 (exactly 100%: no accelerator), B 1.4 x 4,000 = 5,600
    assert p["variable_pay"].tolist() == pytest.approx([4000, 5600])
    assert p["total_pay"].tolist() == pytest.approx([10000, 11600])
    assert p.loc["B", "pay_to_revenue"] == pytest.approx(11600 / 120000)
    c = compensation.curve(PLAN, up_to=2.0, points=5)
    assert c["variable_multiple"].tolist() == pytest.approx([0, 0.25, 1.0, 2.0, 2.0])


@pytest.mark.parametrize("params, message", [
    ({"rate": 1.5, "cap": 1.2}, "cap \\(1.2\\) is below the rate paid at 100% \\(1.5\\)"),
    ({"base_share": 1.5}, "base_share"), ({"threshold": 0.9, "decelerator_below": 0.8}, "threshold"),
    ({"bonus": 3}, "bonus")])
def test_bad_commission_plan(params, message):
    with pytest.raises(ParameterError, match=message):
        compensation.parse_plan(params)


def test_sentences_of_the_quota_report(in_euros):
    rules = quotas.parse_rules({"growth": 0.12})
    assert quotas.rules_sentence(rules) == (
        "Policy used: target from larger (growth +12%), over-assignment +5%; split 70% top-down (potential 40%, "
        "history 40%, forecast 20%) and the rest bottom-up (a rep's own forecast counts within a backtest error of "
        "25%); largest change 25%; ramp 25% from 0 months, 50% from 3 months, 100% from 6 months. A rep who reached "
        "quota last month or over the last 3 months keeps at least the lower of this month's quota and the one on "
        "file. Reps flagged for sustained underperformance are not cut. A rep whose statistical forecast reaches the "
        "lower of this month's quota and the one on file keeps at least that; a new hire's quota does not fall as "
        "their tenure grows, and a new hire's ramp already on file holds, past the largest change.")
    pace = pd.DataFrame({"cumulative_share": [0.3, 0.55], "linear": [0.25, 0.5]}, index=[10, 15])
    assert quotas.pacing_sentence(pace) == "By day 15, 55% of the month's revenue was in (linear: 50%)."
    paid = pd.DataFrame({"total_pay": [3000.0, 1000.0], "actual": [30000.0, 10000.0]})
    assert compensation.cost_sentence(paid, "2026-10") == (
        "For October 2026: €4,000 paid on €40,000 of revenue, pay of 10.0% of revenue.")
    assert compensation.expected_sentence(paid) == (
        "Expected pay €4,000 on €40,000 of forecast revenue: pay of 10.0% of revenue.")
    paid["quota"] = [30000.0, 12000.0]  # the first rep's quota is their forecast
    assert compensation.expected_sentence(paid).endswith(
        " 1 of the 2 reps with a forecast is at 100%: their proposed quota is their forecast, so they are on target "
        "by construction. Read this as what the plan costs if the forecasts come true, not as a measure of risk (the "
        "forecasts report gives their intervals).")


def test_team_part_of_the_organisation_proposal(in_euros):
    proposal = pd.DataFrame({"team": ["n", "n", "s"], "quota": [100.0, 50.0, 250.0]})
    assert quotas.team_part_sentence(proposal, "n") == (
        "The proposal is made for the whole organisation; team n's 2 reps carry €150 of it (37.5%).")


def test_the_proposal_is_set_beside_the_quotas_on_file(in_euros):
    quotas_on_file = pd.DataFrame({"month": ["2026-11-01", "2026-11-01", "2026-10-01"], "quota": [60.0, 40.0, 99.0]})
    proposal = pd.DataFrame({"quota": [50.0, 40.0]})
    assert quotas.on_file_sentence(proposal, quotas_on_file, pd.Timestamp("2026-11-01")) == (
        "For November 2026 this proposal sets €90 for 2 reps, 10.0% under the €100 already on file. "
        "Pipeline coverage in the forecast and pipeline reports is measured against the quotas on file.")
    assert quotas.on_file_sentence(proposal, quotas_on_file, pd.Timestamp("2026-12-01")).endswith(
        "no quota is on file yet for that month: it would be the first.")


def test_a_rep_who_reached_quota_keeps_at_least_it():
    rules = quotas.QuotaRules(spread=True, growth=-0.3, over_assignment=0.0, top_down_weight=1.0, max_change=0.5,
                              target_from="growth")
    inputs = _inputs().drop(index="N").assign(recent_attainment=[1.1, 0.8, np.nan])
    p = quotas.propose(inputs, rules, base=400.0)  # target 280: the split alone gives A 70
    assert p.loc["A", "quota"] == pytest.approx(100)  # A sold 110% of quota: not cut
    assert p["quota"].sum() == pytest.approx(280) and p.loc["B", "quota"] < 100
    off = quotas.propose(inputs, rules.model_copy(update={"keep_for_achievers": False}), base=400.0)
    assert off.loc["A", "quota"] == pytest.approx(70)


def test_no_rep_is_given_less_than_their_own_forecast_when_the_floor_is_on():
    rules = quotas.QuotaRules(spread=True, growth=0.0, over_assignment=0.0, top_down_weight=1.0, max_change=0.5,
                              forecast_floor=True)
    inputs = _inputs().drop(index="N").assign(forecast=[150.0, 10.0, 20.0])  # A expects 150
    p = quotas.propose(inputs, rules, base=400.0)  # target 400; A's weighted share: (.4/4 + .4/4 + .2 × 150/180) × 400
    assert p.loc["A", "quota"] == pytest.approx(150) and p["quota"].sum() == pytest.approx(400)
    assert p.loc["B", "quota"] + p.loc["C", "quota"] == pytest.approx(250)  # the others share what is left
    off = quotas.propose(inputs, rules.model_copy(update={"forecast_floor": False}), base=400.0)  # the default
    assert off.loc["A", "quota"] == pytest.approx(400 * (0.1 + 0.1 + 0.2 * 150 / 180))  # 146.7


def test_a_ramping_rep_is_not_given_less_than_their_own_forecast():
    rules = quotas.QuotaRules(spread=True, growth=0.0, over_assignment=0.0, top_down_weight=1.0, max_change=0.5,
                              target_from="growth")
    inputs = _inputs().assign(forecast=[10.0, 10.0, 20.0, 80.0])  # the new hire is expected to sell 80
    p = quotas.propose(inputs, rules, base=400.0)
    ramp_cap = p.loc["N", "blend"] * p.loc["N", "ramp"]  # what the ramp alone allows a one-month hire
    assert ramp_cap < 80 and p.loc["N", "quota"] == pytest.approx(80) and p["quota"].sum() == pytest.approx(400)
    low = quotas.propose(_inputs(), rules, base=400.0)  # expected to sell 5: the ramp sets the quota
    assert low.loc["N", "quota"] == pytest.approx(0.25 * 100)


def test_a_ramping_rep_follows_the_ramp_of_a_full_quota_not_the_largest_cut(in_euros):
    rules = quotas.QuotaRules(spread=True, 
        growth=0.0, over_assignment=0.0, top_down_weight=1.0, max_change=0.25, target_from="growth"
    )
    inputs = _inputs().assign(last_quota=[400.0, 400.0, 500.0, 100.0], tenure_months=[40, 40, 40, 3.5])
    p = quotas.propose(inputs, rules, base=1300.0)  # the new hire's share of the target would be small
    assert p.loc["N", "quota"] == pytest.approx(0.5 * 400)  # half the team's median full quota: a rise from 100
    assert p.loc["N", "set_by"] == "ramp" and p["quota"].sum() == pytest.approx(1300)
    assert quotas.ramp_sentence(p.assign(on_file=[0, 0, 0, 300.0])) == (
        "New hires follow the ramp already on file where there is one, else the ramp in the parameters (either way "
        "past the largest change): new (4 months in post) is due 50% of team t's median full quota "
        "(€400), €200, against €300 on file."
    )
    eager = quotas.propose(inputs.assign(forecast=[10.0, 10.0, 20.0, 260.0]), rules, base=1300.0)
    assert eager.loc["N", "set_by"] == "rep's own evidence"  # a new hire expected to sell more than the ramp gives
    assert quotas.ramp_sentence(eager).endswith("(€400), €200; their own forecast or pipeline raises it to €260.")
    other = inputs.assign(team=["t", "t", "u", "u"])  # C is team u's only fully ramped rep
    assert quotas.propose(other, rules, base=1300.0).loc["N", "full_quota"] == 500


def test_recent_attainment_over_the_last_three_months():
    months = pd.to_datetime(["2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01"])
    sales = pd.DataFrame({"rep_id": ["A"] * 4 + ["B"], "month": [*months, months[3]],
                          "revenue": [999.0, 100.0, 120.0, 110.0, 50.0]})
    q = pd.DataFrame({"rep_id": ["A", "A", "A", "B", "B"], "month": ["2026-08-01", "2026-09-01", "2026-10-01",
                                                                    "2026-09-01", "2026-10-01"],
                      "quota": [100.0, 100.0, 100.0, 100.0, 100.0]})
    r = quotas.recent_attainment(sales, q, "2026-10")
    assert r["A"] == pytest.approx(330 / 300) and r["B"] == pytest.approx(50 / 200)  # July is out of the window
    assert quotas.recent_attainment(sales, q, "2026-10", 1).to_dict() == pytest.approx({"A": 1.1, "B": 0.5})


def test_each_quota_says_which_rule_set_it():
    inputs = pd.DataFrame({
        "name": ["cut", "kept", "fc", "free", "free2"], "team": "t",
        "potential": [10.0, 10.0, 10.0, 500.0, 500.0], "history": [10.0, 10.0, 10.0, 500.0, 500.0],
        "forecast": [10.0, 10.0, 150.0, 10.0, 10.0], "pipeline": 0.0,
        "last_quota": [100.0, 100.0, 100.0, 100.0, 100.0], "tenure_months": 40.0,
        "recent_attainment": [0.5, 1.2, 0.5, 0.9, 0.9],
    }, index=list("ABCDE"))
    rules = quotas.QuotaRules(spread=True, target=500, over_assignment=0, top_down_weight=1.0, max_change=0.25,
                              forecast_floor=True)
    p = quotas.propose(inputs, rules, base=0.0)
    # A, B and C would get almost nothing from the split; A falls to its largest cut (75), B keeps 100 (it reached
    # quota), C gets its own forecast (150); D and E share the rest: (500 - 325) / 2 = 87.5 each
    assert p["quota"].round(6).tolist() == [75.0, 100.0, 150.0, 87.5, 87.5]
    assert p["set_by"].tolist() == ["largest cut", "kept: reached quota", "rep's forecast", "share of the target",
                                    "share of the target"]
    assert quotas.changes_sentence(p) == (
        "Against the quota of this month, the proposal raises 1 rep, cuts 3 and keeps 1 within ±0.5%; the largest "
        "cuts of fully ramped reps: cut (-25%), free (-12%), free2 (-12%). Set by: share of the target 2, largest cut "
        "1, kept: reached quota 1, rep's forecast 1.")
    filed = quotas.propose(inputs.assign(on_file=[50.0, 100.0, 200.0, 80.0, np.nan]), rules, base=0.0)
    # against the file: A 75/50 up, B 100/100 kept, C 150/200 cut, D 87.5/80 up; E has none on file
    assert quotas.changes_sentence(filed).startswith(
        "Against the quotas on file, the proposal raises 2 reps, cuts 1 and keeps 1 within ±0.5%; the largest "
        "cuts of fully ramped reps: fc (-25%).")
    assert list(quotas.shown(filed).columns) == ["name", "quota_this_month", "proposed_quota", "change_vs_this_month",
                                                 "on_file", "change_vs_on_file", "evidence_used", "evidence",
                                                 "reason"]  # one team
    assert "team" in quotas.shown(filed.assign(team=list("ttuuu"))).columns
    assert quotas.flagged_sentence(p, ["A", "B"], rules) == (
        "The performance report flags 2 reps for sustained underperformance. Against the quota of this month: "
        "cut -25%.")  # flagged after the proposal was made: nothing protected them
    assert quotas.flagged_sentence(p, ["B"], rules).endswith("None is lowered against the quota of this month.")
    assert quotas.flagged_sentence(p, [], rules) == ""
    assert quotas.forecast_set_sentence(p).startswith("1 of the 5 quotas are the rep's statistical forecast for")
    ramping = quotas.propose(inputs.assign(tenure_months=[1.0, 40, 40, 40, 40]), rules, base=0.0)
    assert "cut (" not in quotas.changes_sentence(ramping)  # a new hire's change is the ramp's, not a cut
    out = quotas.exported(filed)
    assert out["rep_id"].tolist() == list("ABCDE") and "weighted_pipeline" in out and "proposed_quota" in out


def test_the_decision_and_the_quotas_ahead_are_said(in_euros):
    proposal = pd.DataFrame({"forecast": [80.0, 20.0], "quota": [100.0, 25.0], "on_file": [90.0, 10.0]})
    assert quotas.decision_sentence(proposal) == (
        "The quotas on file stand until the proposal is approved. The statistical forecast of the reps' revenue, "
        "€100, is 80.0% of the proposal and 100.0% of the quotas on file.")
    on_file = pd.DataFrame({"month": ["2026-11-01", "2026-12-01", "2027-01-01"], "quota": [100.0, 150.0, 90.0]})
    revenue = pd.Series([120.0], index=[pd.Timestamp("2025-12-01")])
    assert quotas.ahead_sentence(on_file, revenue, "2026-10") == (
        "Quotas already on file for the months after: December 2026: €150, +25.0% on the same month a year before "
        "(€120).")  # January has no year before in the data: not said
    assert quotas.ahead_sentence(on_file.head(1), revenue, "2026-10") == ""


def test_a_flagged_underperformer_keeps_their_quota_unless_the_policy_says_so():
    rules = quotas.QuotaRules(spread=True, growth=-0.3, over_assignment=0.0, top_down_weight=1.0, max_change=0.5,
                              target_from="growth")
    inputs = _inputs().drop(index="N").assign(underperformer=[True, False, False])
    p = quotas.propose(inputs, rules, base=400.0)  # target 280: the split alone gives A 70
    assert p.loc["A", "quota"] == pytest.approx(100) and p.loc["A", "set_by"] == "kept: not cut while flagged"
    assert p.loc["A", "reason"].startswith("kept at this month's quota: flagged for sustained underperformance")
    assert p["quota"].sum() == pytest.approx(280)  # B and C carry the rest
    cut = quotas.propose(inputs, rules.model_copy(update={"cut_underperformers": True}), base=400.0)
    assert cut.loc["A", "quota"] == pytest.approx(70)
    assert quotas.flagged_sentence(p, ["A"], rules) == (
        "The performance report flags 1 rep for sustained underperformance: it keeps the lower of this month's quota "
        "and the one on file, as the policy cuts no rep while flagged (cut_underperformers is off). None is lowered "
        "against the quota of this month.")


def test_a_reps_own_forecast_counts_as_evidence_only_when_it_has_been_accurate():
    rules = quotas.QuotaRules(spread=True, trusted_wape=0.2)
    inputs = _inputs().assign(own_forecast=[50.0, 50.0, 50.0, 50.0], forecast_wape=[0.1, 0.3, np.nan, 0.2],
                              pipeline=[0.0, 30.0, 60.0, 0.0])
    # A trusted (10%); B not (30%): its pipeline; C has no backtest: its pipeline; N exactly at the limit
    assert quotas.evidence(inputs, rules).tolist() == [50, 30, 60, 50]


def test_the_bridge_walks_from_last_year_to_the_proposal_and_the_quotas_on_file(in_euros):
    rules = quotas.QuotaRules(spread=True, growth=0.1, over_assignment=0.05, top_down_weight=1.0, max_change=0.1,
                              weights={"potential": 0.5, "history": 0.5, "forecast": 0.0})
    inputs = _inputs().drop(index="N").assign(forecast=[150.0, 150.0, 200.0], on_file=[100.0, 100.0, 210.0])
    p = quotas.propose(inputs, rules, base=400.0)  # growth target 440, forecast 500: target 500, × 1.05 = 525
    b = quotas.bridge(p, rules)
    assert b.loc["same month last year", "amount"] == 400 and b.loc["growth", "amount"] == pytest.approx(40)
    assert b.loc["forecast above growth", "amount"] == pytest.approx(60)
    assert b.loc["to share out", "amount"] == pytest.approx(525)
    # every rep capped at +10% (110, 110, 220 = 440): the cap takes 85 off what was to share out
    assert b.loc["largest rise", "amount"] == pytest.approx(440 - 525)
    assert b.loc["proposal", "amount"] == pytest.approx(440) and b.loc["quotas on file", "amount"] == 410
    assert b.loc["quotas on file lower by", "rule"] == "approving the proposal raises them by €30"
    team = quotas.bridge(p.loc[["A", "B"]], rules, team="t")  # a team's part, from its share of what is shared out
    assert team.index[0] == "team t's share" and team.loc["proposal", "amount"] == pytest.approx(220)
    assert team["amount"].iloc[0] + team.loc["largest rise", "amount"] == pytest.approx(220)
    level = 0.0
    for step, row in b.iterrows():  # each subtotal is the steps before it, to the cent
        if row["kind"] == "step":
            level += row["amount"]
        else:
            assert round(level, 2) == round(row["amount"], 2) or row["kind"] == "start", step
            level = row["amount"]
    assert (p["reason"] == "the largest rise allowed (10%): its share of the target is higher (own forecast "
                           + p["forecast"].map(lambda f: f"€{f:,.0f}") + ")").all()


def test_whole_quotas_add_up_to_the_rounded_total():
    q = pd.Series([100.4, 200.4, 300.4, 50.8], index=list("abcd"))  # 652.0 in all; floors add up to 650
    assert quotas.whole_units(q).to_dict() == {"a": 101, "b": 200, "c": 300, "d": 51}  # .8 first, then the first .4
    assert quotas.whole_units(pd.Series([1 / 3] * 3)).tolist() == [1, 0, 0]
    p = pd.DataFrame({"quota": [10.6, 20.7, 30.7], "last_quota": [10.0, 20.0, 40.0], "on_file": [11.0, 0.0, 30.0]})
    w = quotas.in_whole_units(p)
    assert w["quota"].tolist() == [10, 21, 31] and w.attrs["total"] == 62  # the two .7 take the 2 units
    assert w["change_vs_last"].tolist() == pytest.approx([0.0, 0.05, -0.225])
    assert np.isnan(w.loc[1, "change_vs_on_file"])  # nothing on file


def test_the_approval_table_leaves_the_decision_to_the_manager():
    p = pd.DataFrame({"name": ["Ana"], "team": ["t"], "last_quota": [100.0], "on_file": [90.0], "quota": [105.0],
                      "change_vs_on_file": [105 / 90 - 1], "reason": ["raised +5%"]}, index=["R1"])
    t = quotas.approval_table(p)
    assert list(t.columns) == ["rep_id", "name", "team", "quota_this_month", "quota_on_file", "proposed_quota",
                               "change_vs_on_file", "reason", "approved_quota", "comment"]
    assert t["approved_quota"].isna().all() and t["comment"].eq("").all()


def test_by_default_a_floor_is_not_paid_for_by_cutting_the_other_reps(in_euros):
    rules = quotas.QuotaRules(growth=-0.3, over_assignment=0.0, top_down_weight=1.0, max_change=0.5,
                              target_from="growth")
    inputs = _inputs().drop(index="N").assign(recent_attainment=[1.1, 0.8, np.nan])
    p = quotas.propose(inputs, rules, base=400.0)  # target 280: shares 70, 70, 140; A reached quota and keeps 100
    assert p["quota"].tolist() == pytest.approx([100, 70, 140])  # B and C keep their own share
    assert p.attrs["total"] == pytest.approx(310) and p.attrs["planned"] == pytest.approx(280)
    b = quotas.bridge(p, rules)
    assert b.loc["kept: reached quota", "amount"] == pytest.approx(30) and "share of the target" not in b.index
    assert quotas.proposal_sentence(p, rules).endswith(
        "more than planned, because the floors (quotas kept for reps who reached theirs, are flagged or whose "
        "forecast reaches it, the ramp of new hires) add up to more; the bridge gives each.")  # no rep at the largest
    # cut and no forecast floor: neither named


def test_a_kept_quota_is_the_lower_of_this_months_and_the_one_on_file(in_euros):
    rules = quotas.QuotaRules(growth=-0.3, over_assignment=0.0, top_down_weight=1.0, max_change=0.5,
                              target_from="growth", trusted_wape=0.2)
    inputs = _inputs().drop(index="N").assign(recent_attainment=[1.1, 0.8, np.nan], on_file=[90.0, 100.0, 210.0],
                                              own_forecast=[80.0, 60.0, 120.0], forecast_wape=[0.1, 0.3, 0.1])
    p = quotas.propose(inputs, rules, base=400.0)
    assert p.loc["A", "quota"] == 90 and p.loc["A", "reason"] == (
        "kept at the quota on file, lower than this month's: reached quota recently (110%)")
    assert quotas.evidence_note(p.loc["B"], rules) == (
        "pipeline €30 used: own forecast €60 not trusted (backtest error 30.0%, over 20%)")
    assert quotas.evidence_note(p.loc["C"], rules) == "own forecast €120 (backtest error 10.0%)"


def test_the_pay_plan_on_the_page_kinks_and_jumps(in_euros):
    plan = compensation.CommissionPlan()  # OTE 7,000, 60% base: variable target 2,800
    k = compensation.kinks(plan)
    assert k["attainment"].tolist() == pytest.approx([0.5, 0.8, 1.0, 1.75])  # cap 2.5 = 1 + 0.75 × 2
    assert k["variable_multiple"].tolist() == pytest.approx([0.25, 0.8, 1.0, 2.5])
    assert k["jump_pay"].tolist() == pytest.approx([700, 1120, 0, 0])  # 2,800 × 0.25; 2,800 × (0.8 − 0.4)
    assert "at 80% of quota, from ×0.40 to ×0.80 of the variable target (decelerator ends): €1,120 a month" in (
        compensation.jumps_sentence(k))
    table = compensation.plan_table(plan)
    assert table.loc["cap", "value"] == "2.5 × variable target" and len(table) == 8
    assert "no base salary" in compensation.base_pay_sentence(plan, pd.DataFrame({"annual_cost": [1.0]}))


def test_the_proposal_by_team_adds_up():
    p = pd.DataFrame({"name": ["a", "b", "c"], "team": ["t", "t", "u"], "last_quota": [10.0, 20.0, 30.0],
                      "quota": [11.0, 19.0, 33.0], "on_file": [10.0, 21.0, 30.0], "forecast": [9.0, 18.0, 36.0]})
    t = quotas.by_team(p)
    assert t.loc["t", ["reps", "proposed", "on_file", "forecast"]].tolist() == [2, 30, 31, 27]
    assert t.loc["total", "proposed"] == 63 and t.loc["u", "forecast_vs_proposed"] == pytest.approx(36 / 33)


def test_no_rep_is_cut_under_what_the_statistical_forecast_expects(in_euros):
    rules = quotas.QuotaRules(growth=-0.3, over_assignment=0.0, top_down_weight=1.0, max_change=0.5,
                              target_from="growth", weights={"potential": 0.5, "history": 0.5, "forecast": 0.0})
    inputs = _inputs().drop(index="N").assign(forecast=[10.0, 120.0, 20.0])  # B is expected to sell 120
    p = quotas.propose(inputs, rules, base=400.0)  # target 280: the split alone gives B 70
    assert p.loc["B", "quota"] == 100 and p.loc["B", "set_by"] == "kept: forecast reaches it"
    assert p.loc["B", "reason"] == "kept at this month's quota: the statistical forecast (€120) reaches it"
    assert p.loc["A", "quota"] == pytest.approx(70)  # A's forecast (10) does not reach its quota: cut


def test_a_new_hires_ramp_on_file_holds_and_floors_are_said(in_euros):
    rules = quotas.QuotaRules(growth=0.0, over_assignment=0.0, top_down_weight=1.0, max_change=0.5,
                              target_from="growth")
    inputs = _inputs().assign(on_file=[100.0, 100.0, 200.0, 60.0], recent_attainment=[1.2, 0.5, 0.5, np.nan],
                              own_forecast=[10.0, 10.0, 20.0, 5.0], forecast_wape=[0.1, 0.1, 0.1, np.nan])
    p = quotas.propose(inputs, rules, base=400.0)
    assert p.loc["N", "quota"] == 60 and p.loc["N", "set_by"] == "ramp on file"  # not 25% of the median (25)
    assert p.loc["N", "reason"].startswith("new hire (1 months in post): the ramp already on file holds (€60;")
    assert quotas.evidence_note(p.loc["N"], rules) == "pipeline €0 used: own forecast €5 has no backtest yet"
    b = quotas.bridge(p, rules)
    added = b.loc[b["rule"].str.startswith("floor"), "amount"].sum()
    assert added > 0 and quotas.floors_sentence(b).startswith(f"The floors add €{added:,.0f} to what was shared out")
    assert quotas.ramp_sentence(p).endswith("€25; the ramp already on file raises it to €60.")



def test_reps_left_under_the_pay_threshold_are_named(in_euros):
    plan = compensation.CommissionPlan()  # threshold 50%
    expected = pd.DataFrame({"name": ["Ana", "Bo", "Cy"], "attainment": [0.45, 0.9, 0.3]})
    assert compensation.threshold_sentence(expected, plan) == (
        "On their proposed quota, 2 reps would stay under the 50% threshold if their forecast comes true, and earn no "
        "variable pay: Cy (30.0%), Ana (45.0%). Check these quotas before signing.")
    assert compensation.threshold_sentence(expected.iloc[[1]], plan) == ""
