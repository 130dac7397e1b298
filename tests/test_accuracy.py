import json

import pandas as pd
import pytest

from salesnb.domains import accuracy as A


def _errors(rows):
    sub = pd.DataFrame([(r, f"2026-{m:02d}-01", f"2026-{m:02d}-03", f) for r, m, f, _ in rows],
                       columns=["rep_id", "month", "submitted_date", "forecast"])
    act = pd.DataFrame([(r, pd.Timestamp(f"2026-{m:02d}-01"), a) for r, m, _, a in rows],
                       columns=["rep_id", "month", "actual"])
    return A.rep_errors(sub, act)


def test_classification_rule_on_hand_made_reps():
    rows = []
    for m in range(1, 7):
        rows += [("good", m, 100 + (m % 2) * 10, 100),     # errors 0 or +10%: WAPE 5%
                 ("low", m, 70, 100),                        # always 30% under
                 ("high", m, 140, 100),                      # always 40% over
                 ("wild", m, 160 if m % 2 else 50, 100)]     # ±: erratic
    rows += [("new", 6, 100, 100)]
    c = A.classify(_errors(rows), "2026-06", A.AccuracyRule(months=6, tolerance=0.1))
    assert c["class"].to_dict() == {"good": "accurate", "high": "over_optimistic",
                                    "low": "sandbagging", "new": "too_few_months",
                                    "wild": "erratic"}
    assert c.loc["good", "wape"] == pytest.approx(30 / 600)
    assert c.loc["low", "median_bias"] == pytest.approx(-0.3)
    assert c["last_month_call_vs_actual"].to_dict() == pytest.approx(  # June: 100 vs 100, 70, 140, 50, 100
        {"good": 0.0, "low": -0.3, "high": 0.4, "wild": -0.5, "new": 0.0})
    assert A.share_forecasting_well(c) == pytest.approx(1 / 4)
    assert "25% of the 4 reps judged" in A.share_sentence(c)


def test_latest_submission_counts_and_plan_gap():
    sub = pd.DataFrame({"rep_id": ["a", "a", "b"], "month": ["2026-01-01"] * 3,
                        "submitted_date": ["2025-12-28", "2026-01-03", "2026-01-02"],
                        "forecast": [50.0, 120.0, 80.0]})
    act = pd.DataFrame({"rep_id": ["a", "b"], "month": pd.to_datetime(["2026-01-01"] * 2),
                        "actual": [100.0, 100.0]})
    err = A.rep_errors(sub, act)
    assert err.set_index("rep_id")["forecast"].to_dict() == {"a": 120.0, "b": 80.0}
    quotas = pd.DataFrame({"rep_id": ["a", "b"], "month": ["2026-01-01"] * 2, "quota": [90.0, 110.0]})
    gap = A.plan_gap(err, quotas, "2026-01")
    row = gap.loc["2026-01-01"]
    assert (row["forecast"], row["actual"], row["quota"]) == (200, 200, 200)
    assert row["forecast_minus_actual"] == 0 and row["attainment"] == 1


def test_every_forecast_error_has_the_sign_of_bias():
    err = pd.DataFrame({"rep_id": ["a"], "month": pd.to_datetime(["2026-01-01"]), "forecast": [120.0],
                        "actual": [100.0], "error": [20.0]})
    gap = A.plan_gap(err, None, "2026-01").loc["2026-01-01"]
    assert (gap["forecast_minus_actual"], gap["forecast_vs_actual"]) == (20.0, pytest.approx(0.2))
    assert A.accuracy_trend(err).loc["2026-01-01", "bias"] == pytest.approx(gap["forecast_vs_actual"])


def test_recovers_planted_sandbaggers_and_over_optimists(demo_dir):
    from salesnb.data.workspace import Workspace
    m = json.loads((demo_dir / "manifest.json").read_text())
    ws = Workspace(demo_dir / "workspace.duckdb")
    errors = A.rep_errors(ws.read("forecast_submissions"),
                          A.actuals_by_rep(ws.sales("all", m["end_month"], 35)))
    ws.close()
    c = A.classify(errors, m["end_month"])
    for label, truth in (("sandbagging", set(m["sandbaggers"])),
                         ("over_optimistic", set(m["over_optimistic"]))):
        found = set(c.index[c["class"] == label])
        precision = len(found & truth) / len(found)
        recall = len(found & truth) / len(truth)
        assert precision >= 0.8 and recall >= 0.8, (label, found, truth)


def test_accuracy_trend_per_month():
    err = _errors([("a", 1, 120, 100), ("b", 1, 70, 100), ("a", 2, 100, 100), ("b", 2, 100, 0)])
    t = A.accuracy_trend(err)
    # January: |20| + |-30| over 200 actual; bias (190 - 200) / 200. February: rep b sold nothing, left out
    assert t["wape"].tolist() == pytest.approx([0.25, 0.0])
    assert t["bias"].tolist() == pytest.approx([-0.05, 0.0])


def test_the_reps_submissions_are_named_as_calls():
    table = pd.DataFrame({"forecast": [1.0], "actual": [2.0], "forecast_minus_actual": [-1.0],
                          "forecast_vs_actual": [-0.5]})
    assert list(A.as_calls(table).columns) == ["reps_call", "actual", "call_minus_actual", "call_vs_actual"]
