import json

import numpy as np
import pandas as pd
import pytest

from salesnb.core.errors import ParameterError
from salesnb.domains import accuracy, performance, pulse, quotas

REPS = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ana", "Bo"], "team": ["t", "t"],
                     "annual_cost": [120000.0, 60000.0], "hire_date": pd.to_datetime(["2020-01-01"] * 2),
                     "end_date": pd.NaT})


def test_scorecard_hand_worked():
    sales = pd.DataFrame({
        "rep_id": ["R1", "R1", "R2", "R1"], "account_id": ["A", "B", "B", "A"],
        "order_date": pd.to_datetime(["2026-09-10", "2026-10-05", "2026-10-20", "2025-09-15"]),
        "revenue": [1000.0, 2000.0, 500.0, 1500.0], "order_id": ["1", "2", "3", "4"]})
    acts = pd.DataFrame({"rep_id": ["R1", "R1", "R1", "R2"], "account_id": ["A", "A", "B", "B"],
                         "activity_date": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-10-02",
                                                          "2026-10-03"]),
                         "duration_min": [60.0, 60.0, 60.0, 30.0], "type": "call"})
    visits = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "account_id": ["A", "B", "B"],
                           "visit_date": pd.to_datetime(["2026-09-02", "2026-10-02", "2026-10-03"])})
    q = pd.DataFrame({"rep_id": ["R1", "R1", "R2", "R2"], "month": pd.to_datetime(["2026-09-01", "2026-10-01"] * 2),
                      "quota": [1500.0, 1500.0, 500.0, 500.0]})
    opps = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "stage": ["won", "lost", "won"],
                         "close_date": pd.to_datetime(["2026-09-05", "2026-10-06", "2026-10-07"])})
    classes = pd.Series({"A": "A", "B": "C"})
    card = performance.scorecard(REPS, sales, "2026-10", 2, classes, acts, visits, q, opps)
    r1 = card.loc["R1"]
    # R1 over Sep-Oct 2026: revenue 3000, 2 visits, 3 hours, cost 120000 x 2/12 = 20000
    assert r1["revenue"] == 3000 and r1["revenue_per_visit_made"] == 1500
    assert r1["activity_on_a_accounts"] == pytest.approx(2 / 3) and r1["visits_on_a_accounts"] == 0.5
    assert r1["revenue_per_activity_hour"] == 1000
    assert "revenue_per_unit_of_cost" not in r1 and r1["cost_of_sales"] == pytest.approx(20 / 3)  # one of the two
    assert r1["attainment"] == 1.0 and r1["win_rate"] == 0.5 and r1["revenue_growth"] == 1.0
    assert np.isnan(card.loc["R2", "revenue_growth"])
    pos = performance.positions(card).set_index(["rep_id", "indicator"])
    # cost of sales: lower is better; Bo's 10000 / 500 = 20 ranks below Ana's 20000 / 3000
    assert pos.loc[("R2", "cost_of_sales"), "value"] == pytest.approx(20.0)
    assert (pos.loc[("R1", "cost_of_sales"), "rank"], pos.loc[("R2", "cost_of_sales"), "rank"]) == (1, 2)
    assert pos.loc[("R1", "cost_of_sales"), "team_median"] == pytest.approx((20 / 3 + 20) / 2)
    hired = REPS.assign(hire_date=pd.to_datetime(["2020-01-01", "2026-10-01"]))  # Bo in post for October only
    late = performance.scorecard(hired, sales, "2026-10", 2, classes, acts, visits, q, opps)
    assert late.loc["R2", "cost_of_sales"] == pytest.approx(60000 * 2 / 12 * 31 / 61 / 500)  # 31 of the 61 days
    accounts = pd.DataFrame({"account_id": ["A", "B"], "owner_rep_id": ["R1", "R2"]})
    owned = performance.scorecard(REPS, sales, "2026-10", 2, classes, acts, visits, q, opps, accounts)
    assert owned.loc["R1", "activity_on_a_accounts"] == pytest.approx(2 / 3)  # Bo owns no A account: n/a, not 0%
    assert np.isnan(owned.loc["R2", "activity_on_a_accounts"]) and np.isnan(owned.loc["R2", "visits_on_a_accounts"])


def test_flags_rule_ramp_and_cause():
    months = pd.date_range("2026-05-01", periods=6, freq="MS")
    rows = []
    for rep, att in (("low", [0.5] * 6), ("ok", [1.0, 0.7, 1.0, 0.7, 1.0, 0.7]), ("new", [0.1] * 6),
                     ("lazy", [0.6] * 4 + [1.0] * 2)):
        rows += [{"rep_id": rep, "month": m, "attainment": a} for m, a in zip(months, att, strict=True)]
    rows[12]["attainment"] = np.nan  # new's first month: no quota yet
    reps = pd.DataFrame({"rep_id": ["low", "ok", "new", "lazy"], "name": list("abcd"), "team": "t",
                         "hire_date": pd.to_datetime(["2020-01-01", "2020-01-01", "2026-03-01", "2020-01-01"])})
    activity = pd.Series({"low": 100.0, "ok": 100.0, "new": 10.0, "lazy": 40.0})
    f = performance.flags(pd.DataFrame(rows), reps, activity, "2026-10", performance.AccountabilityRule())
    assert f.loc["low", "flagged"] and f.loc["low", "cause"] == "low conversion"
    assert f.loc["lazy", "flagged"] and f.loc["lazy", "cause"] == "low activity"
    assert not f.loc["ok", "flagged"] and f.loc["ok", "months_under"] == 3
    assert f.loc["new", "ramping"] and not f.loc["new", "flagged"]
    assert f.loc["low", "trail"] == "50% 50% 50% 50% 50% 50%" and f.loc["new", "trail"] == "– 10% 10% 10% 10% 10%"
    assert f["status"].to_dict() == {"low": "flagged", "lazy": "flagged", "ok": "watch", "new": "ramping"}
    assert performance.flag_sentence(f, performance.AccountabilityRule()) == (
        "2 of 4 reps flagged: a (6 of 6 months under 75%; low conversion), d (4 of 6 months under 75%; low "
        "activity). To watch (2 to 3 months under): b (3); 1 still ramping, not judged.")
    shown = performance.to_show(f.assign(status=["flagged", "", "", ""]), performance.AccountabilityRule(), "2026-10")
    assert list(shown["name"]) == [f["name"].iloc[0]] and "attainment_May_to_Oct" in shown  # May to October 2026
    with pytest.raises(ParameterError, match="k \\(7\\) is larger than n \\(6\\)"):
        performance.parse_rule({"k": 7, "n": 6})


def test_demo_underperformers_recovered_without_ramping_hires(demo_dir):
    from salesnb.data.workspace import Workspace
    m = json.loads((demo_dir / "manifest.json").read_text())
    ws = Workspace(demo_dir / "workspace.duckdb")
    sales = ws.sales("all", m["end_month"], 23)
    monthly = quotas.attainment(accuracy.actuals_by_rep(sales), ws.read("quotas"))
    acts = ws.read("activities")
    reps = ws.read("reps")
    ws.close()
    per_month = performance.activity_per_month(acts, m["end_month"], 6)
    f = performance.flags(monthly, reps, per_month, m["end_month"], performance.AccountabilityRule())
    found = set(f.index[f["flagged"]])
    truth = set(m["underperformers"])
    assert len(found & truth) / len(found) >= 0.8 and len(found & truth) / len(truth) >= 0.8
    assert not found & set(m["new_hires"])
    causes = {r: c.replace(" ", "_") for r, c in f.loc[list(found & truth), "cause"].items()}
    assert causes == {r: m["underperformers"][r] for r in causes}


def test_challenge_leaderboard_and_progress():
    c = performance.parse_challenge({"name": "Calls", "metric": "call", "start": "2026-10-01",
                                     "end": "2026-10-31", "target": 4})
    acts = pd.DataFrame({"rep_id": ["R1", "R1", "R2", "R2", "R2"], "type": ["call", "call", "call", "meeting", "call"],
                         "activity_date": pd.to_datetime(["2026-10-01", "2026-10-31", "2026-10-15", "2026-10-15",
                                                          "2026-11-01"])})
    board = performance.leaderboard(c, REPS, pd.DataFrame(columns=["order_date"]), acts, None)
    assert board["score"].to_dict() == {"R1": 2, "R2": 1} and board["rank"].tolist() == [1, 2]
    assert performance.progress(board, c) == 0.75
    assert "needs the activities table" in performance.challenge_missing(c, {"order_lines"})
    with pytest.raises(ParameterError, match="metric 'likes' is unknown"):
        performance.parse_challenge({"name": "x", "metric": "likes", "start": "2026-01-01",
                                     "end": "2026-01-31", "target": 1})


def test_enps_interval_response_rate_and_hiding():
    low, high = pulse.enps_interval(pd.Series([10, 9, 8, 7, 0]))
    # p = 0.4, d = 0.2: 20 ± 1.96 x sqrt((0.6 - 0.04) / 5) x 100
    assert (low, high) == pytest.approx((20 - 65.59, 20 + 65.59), abs=0.01)
    answers = pd.DataFrame({"response_id": [f"r{i}" for i in range(9)], "survey_date": pd.Timestamp("2026-10-15"),
                            "team": ["a"] * 5 + ["b"] * 4, "question_id": "enps",
                            "score": [10, 9, 8, 7, 0, 10, 0, 0, 0]})
    # a third small team, so that b (4) is hidden with c (3) and a stays visible
    reps = pd.DataFrame({"rep_id": [f"x{i}" for i in range(12)], "team": ["a"] * 8 + ["b"] * 4,
                         "hire_date": pd.Timestamp("2020-01-01"), "end_date": pd.NaT})
    answers = pd.concat([answers, answers.head(3).assign(team="c", response_id=["c1", "c2", "c3"])])
    visible = pulse.visibility(answers)
    s = pulse.survey_table(answers, reps, visible).set_index("team")
    assert s.loc["a", "enps"] == pytest.approx(20) and s.loc["a", "response_rate"] == 5 / 8
    assert np.isnan(s.loc["b", "enps"]) and not s.loc["b", "shown"]
    shown = pulse.shown_table(pulse.survey_table(answers, reps, visible))
    assert shown.loc["b"].isna().drop("note", axis=1).all(axis=None) and shown.loc["a", "note"].iloc[0] == ""
    assert "note" not in pulse.shown_table(pulse.survey_table(answers[answers["team"] == "a"], reps, visible))
    assert "0–10 scale" in pulse.scale_note(answers)
    assert "1–10" in pulse.scale_note(answers.assign(score=answers["score"].clip(lower=1)))


def test_question_means_and_climate_vs_results():
    teams = ["a"] * 5 + ["b"] + ["c"] * 4  # b (1) and c (4) hidden together: 5 respondents, a stays visible
    answers = pd.DataFrame({"response_id": [f"r{i}" for i in range(10)] * 2, "team": teams * 2,
                            "question_id": ["enps"] * 10 + ["q1"] * 10, "survey_date": pd.Timestamp("2026-10-15"),
                            "score": [10, 9, 8, 7, 0, 5, 1, 1, 1, 1, 1, 2, 3, 4, 5, 9, 2, 2, 2, 2]})
    visible = pulse.visibility(answers)
    means = pulse.question_means(answers, visible)
    assert means.loc["a", "Recommend (eNPS)"] == pytest.approx(34 / 5) and means.loc["a", "Q1"] == 3
    assert means.loc["b", ["Recommend (eNPS)", "Q1"]].isna().all() and means.loc["b", "note"].startswith("hidden")
    reps = pd.DataFrame({"rep_id": ["x", "y", "z", "w"], "team": "a", "hire_date": pd.Timestamp("2020-01-01"),
                         "end_date": pd.to_datetime([None, "2026-12-01", "2027-06-01", "2026-01-01"])})
    surveys = pulse.survey_table(answers, reps, visible)
    att = pd.DataFrame({"team": "a", "month": pd.Timestamp("2026-10-01"), "actual": [90.0, 60.0],
                        "quota": [100.0, 100.0]})
    c = pulse.climate_vs_results(surveys, att, reps, horizon_months=6).set_index("team")
    # 3 reps still there on the survey date (w left before); y leaves within 6 months, z after
    assert c.loc["a", "attainment"] == pytest.approx(0.75)
    assert c.loc["a", "left_within_6_months"] == pytest.approx(1 / 3)
    assert c.loc["a", "enps"] == pytest.approx(20) and "b" not in c.index
    early = pulse.climate_vs_results(surveys, att, reps, 6, data_end=pd.Timestamp("2026-12-31")).set_index("team")
    assert np.isnan(early.loc["a", "left_within_6_months"])  # the six months after the survey are not over


def test_team_medians_are_labelled_as_the_median_rep_not_the_team_total():
    card = pd.DataFrame({"team": ["a", "a", "a", "b"], "revenue": [10.0, 40.0, 100.0, 7.0]})
    m = performance.team_medians(card)
    assert m.index.name == "team (median rep)"
    assert m["revenue"].to_dict() == {"a": 40.0, "b": 7.0}
    card = card.assign(win_rate=[0.1, 0.2, 0.3, 0.4], attainment=[1.0, 0.9, 0.8, 0.7])
    assert list(performance.team_medians(card).columns) == ["revenue", "win_rate", "attainment"]  # scorecard order


def test_challenge_sentence_states_target_reward_and_progress():
    from salesnb.domains import performance as perf

    challenge = perf.parse_challenge({"name": "Q4 push", "metric": "meeting", "start": "2026-10-01",
                                      "end": "2026-10-31", "target": 200, "reward": "a dinner"})
    board = pd.DataFrame({"score": [60, 40]})
    assert perf.challenge_sentence(challenge, board) == (
        "Q4 push: meetings logged from 1 October 2026 to 31 October 2026, against a collective target of 200 "
        "(reward: a dinner). Progress: 100 (50%).")


def test_a_team_contribution_to_a_collective_challenge():
    from salesnb.domains import performance as perf

    board = pd.DataFrame({"team": ["n", "s", "n"], "score": [50, 30, 20], "rank": [1, 2, 3]})
    assert perf.contribution_sentence(board, "n") == (
        "The challenge is collective: team n brought 70 (70% of it); its best rep ranks 1 of 3.")


def test_the_scorecard_window_is_stated():
    assert performance.window_sentence("2026-10", 3).startswith(
        "Scorecards cover the 3 months from 1 August 2026 to 31 October 2026;")


def test_standing_colours_a_rep_far_from_the_team_median():
    card = pd.DataFrame({"team": "t", "win_rate": [0.10, 0.30, 0.40], "cost_of_sales": [0.01, 0.02, 0.03],
                         "revenue_growth": [-0.20, 0.0, 0.05]}, index=["a", "b", "c"])
    s = performance.standing(card)
    # win rate: median 0.30; 0.10 is 3× worse, 0.40 is 1.33× better
    assert s["win_rate"].tolist() == ["red", "none", "green"]
    # cost of sales: lower is better; 0.01 is half the median, 0.03 is 1.5×
    assert s["cost_of_sales"].tolist() == ["green", "none", "red"]
    # growth in points: -20 is 20 points under the median 0, +5 within 10
    assert s["revenue_growth"].tolist() == ["red", "none", "none"]
    assert (s["team"] == "none").all()
    growing = card.assign(revenue_growth=[0.02, 0.30, 0.25])  # 2% is 23 points under the median, but growth
    assert performance.standing(growing)["revenue_growth"].tolist() == ["none", "none", "none"]
    hired = performance.standing(card, ramping=["a"])  # a new hire: not coloured, not part of the median (0.35)
    assert hired["win_rate"].tolist() == ["none", "none", "none"] and hired.loc["a"].eq("none").all()
    assert performance.team_medians(card, ramping=["a"])["win_rate"].tolist() == [pytest.approx(0.35)]
