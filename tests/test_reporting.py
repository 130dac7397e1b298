import math

import pandas as pd
import pytest

from salesnb.domains import reporting


def test_summary_matches_hand_worked_figures(tiny_ws):
    sales = tiny_ws.sales_for("all", "2026-10", months_back=24)
    s = reporting.summary(sales, "2026-10")
    assert s.loc["revenue", "month"] == pytest.approx(390)
    assert s.loc["margin", "month"] == pytest.approx(110)
    assert s.loc["margin_pct", "month"] == pytest.approx(110 / 390)
    assert s.loc["orders", "month"] == 2
    assert s.loc["units", "month"] == 6
    assert s.loc["lines", "month"] == 3
    assert s.loc["revenue", "previous_month"] == pytest.approx(290)
    assert s.loc["margin", "previous_month"] == pytest.approx(150)
    assert s.loc["revenue", "last_year"] == pytest.approx(200)
    assert s.loc["revenue", "vs_previous_month"] == pytest.approx(100 / 290)
    assert s.loc["revenue", "vs_last_year"] == pytest.approx(0.95)
    assert s.loc["margin_pct", "vs_previous_month"] == pytest.approx(110 / 390 - 150 / 290)


def test_team_filter_keeps_only_that_teams_reps(tiny_ws):
    s = reporting.summary(tiny_ws.sales_for("b", "2026-10", 24), "2026-10")
    assert s.loc["revenue", "month"] == pytest.approx(150)
    assert s.loc["revenue", "vs_previous_month"] == pytest.approx(-0.25)
    assert math.isnan(s.loc["revenue", "vs_last_year"])


def test_breakdown_by_team(tiny_ws):
    b = reporting.breakdown(tiny_ws.sales_for("all", "2026-10", 24), "2026-10", "team")
    assert list(b.index) == ["a", "b"]
    assert b.loc["a", "revenue"] == pytest.approx(240)
    assert b.loc["a", "revenue_previous_month"] == pytest.approx(90)
    assert b.loc["a", "vs_last_year"] == pytest.approx(0.2)
    assert b.loc["b", "margin"] == pytest.approx(50)
    assert b.loc["a", "share"] == pytest.approx(240 / 390)
    assert b["share"].sum() == pytest.approx(1)


def test_a_comparison_month_the_data_do_not_cover_is_empty_not_zero(tiny_ws):
    sales = tiny_ws.sales_for("all", "2026-10", 24)
    b = reporting.breakdown(sales, "2026-10", "team", covered_from=pd.Period("2026-01", "M"))
    assert b["revenue_last_year"].isna().all() and b["vs_last_year"].isna().all()  # October 2025: not covered
    assert b.loc["a", "revenue_previous_month"] == pytest.approx(90)  # September 2026 is
    assert reporting.movers(b.assign(revenue_previous_month=float("nan"))).empty  # no move without a before


def test_breakdown_lists_items_sold_only_in_earlier_periods(tiny_ws):
    b = reporting.breakdown(tiny_ws.sales_for("all", "2026-10", 24), "2026-10", "product")
    assert b.loc["Gadget", "revenue"] == pytest.approx(50)
    assert b.loc["Gadget", "revenue_previous_month"] == pytest.approx(200)


def test_trend_one_row_per_month_with_sales(tiny_ws):
    t = reporting.trend(tiny_ws.sales_for("all", "2026-10", 24))
    assert [m.strftime("%Y-%m") for m in t.index] == ["2025-10", "2026-09", "2026-10"]
    assert t["revenue"].tolist() == pytest.approx([200, 290, 390])


def test_change_has_no_base_to_compare_with():
    assert math.isnan(reporting.change(10, 0))
    assert reporting.change(5, 10) == pytest.approx(-0.5)


def test_headline_names_team_and_changes(tiny_ws):
    s = reporting.summary(tiny_ws.sales_for("a", "2026-10", 24), "2026-10")
    text = reporting.headline(s, "team a", "2026-10")
    assert "team a invoiced 240 net" in text
    assert "+166.7% vs the previous month" in text
    assert "+20.0% vs the same month last year" in text


def test_comparisons_before_the_data_start_are_empty_not_growth(tiny_ws):
    sales = tiny_ws.sales_for("a", "2026-10", 24)
    s = reporting.summary(sales, "2026-10", covered_from=pd.Period("2025-11", freq="M"))
    assert s.loc["revenue", "month"] == 240 and s.loc["revenue", "previous_month"] == 90
    assert pd.isna(s.loc["revenue", "last_year"]) and pd.isna(s.loc["revenue", "vs_last_year"])
    text = reporting.headline(s, "team a", "2026-10")
    assert "no comparison with the same month last year (the data do not cover it)" in text
    assert "+166.7% vs the previous month" in text


def test_partial_month_is_said_and_not_compared_like_for_like(tiny_ws):
    s = reporting.summary(tiny_ws.sales_for("a", "2026-10", 24), "2026-10")
    text = reporting.headline(s, "team a", "2026-10", pd.Timestamp("2026-10-09"))
    assert "In October 2026 (a partial month: data up to 9 October)" in text
    assert "+166.7% vs the previous month, a full month, so not like for like" in text


def test_credit_lines_net_off_revenue_and_are_counted_apart():
    sales = pd.DataFrame({"month": pd.to_datetime(["2026-10-01"] * 3), "order_id": ["O1", "O2", "C3"],
                          "order_date": pd.to_datetime(["2026-10-03", "2026-10-20", "2026-10-31"]),
                          "quantity": [2.0, 1.0, -1.0], "revenue": [200.0, 50.0, -100.0],
                          "margin": [80.0, 20.0, -40.0]})
    s = reporting.summary(sales, "2026-10")
    assert s.loc["revenue", "month"] == 150 and s.loc["returns", "month"] == -100
    assert s.loc["lines", "month"] == 2 and s.loc["credit_lines", "month"] == 1
    assert s.loc["orders", "month"] == 2 and s.loc["units", "month"] == 2
    assert "after 100 of returns and cancellations" in reporting.headline(s, "team a", "2026-10")
    assert "returns" not in reporting.summary(sales[sales["quantity"] > 0], "2026-10").index


def test_margin_rate_is_over_the_revenue_whose_cost_is_known():
    sales = pd.DataFrame({"month": pd.to_datetime(["2026-10-01"] * 3), "order_id": ["O1", "O2", "O3"],
                          "order_date": pd.to_datetime(["2026-10-03", "2026-10-05", "2026-10-09"]),
                          "team": ["a", "a", "b"], "quantity": [1.0, 1.0, 1.0],
                          "revenue": [100.0, 300.0, 600.0], "margin": [40.0, None, 150.0]})
    s = reporting.summary(sales, "2026-10")
    # margin 40 + 150 on the 700 of revenue with a cost (line O2 has none), not on all 1000
    assert s.loc["margin_pct", "month"] == pytest.approx(190 / 700)
    assert s.loc["costed_share", "month"] == pytest.approx(0.7)
    assert "at a 27.1% margin on the 70% of revenue whose cost is known" in reporting.headline(s, "all", "2026-10")
    b = reporting.breakdown(sales, "2026-10", "team")
    assert b.loc["a", "margin_pct"] == pytest.approx(40 / 100) and b.loc["b", "margin_pct"] == pytest.approx(0.25)
    assert reporting.trend(sales)["margin_pct"].iloc[0] == pytest.approx(190 / 700)
    assert "costed_share" not in reporting.summary(sales.fillna({"margin": 0.0}), "2026-10").index


def test_the_rep_ranking_carries_each_reps_quota_and_attainment():
    by_rep = pd.DataFrame({"revenue": [300.0, 90.0, 50.0]}, index=pd.Index(["Ana", "Bo", "Cy"], name="rep"))
    quotas = pd.DataFrame({"rep_id": ["R1", "R2", "R1"], "month": ["2026-10-01", "2026-10-01", "2026-09-01"],
                           "quota": [250.0, 100.0, 999.0]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["Ana", "Bo", "Cy"]})
    out = reporting.with_quotas(by_rep, quotas, reps, "2026-10")
    assert list(out.columns[:3]) == ["revenue", "quota", "attainment"]
    assert out["quota"].tolist()[:2] == [250.0, 100.0] and pd.isna(out.loc["Cy", "quota"])  # September is not it
    assert out["attainment"].tolist()[:2] == pytest.approx([1.2, 0.9]) and pd.isna(out.loc["Cy", "attainment"])


def test_drivers_sentence_names_the_largest_moves_of_each_breakdown(in_euros):
    teams = pd.DataFrame({"revenue": [100.0, 50.0, 80.0], "revenue_previous_month": [90.0, 90.0, 80.0]},
                         index=["a", "b", "c"])
    family = pd.DataFrame({"revenue": [10.0], "revenue_previous_month": [10.0]}, index=["f"])
    assert reporting.drivers_sentence({"team": teams, "product family": family}) == (
        "Against the previous month, the largest moves: by team, b −€40 and a +€10.")
    assert reporting.drivers_sentence({"product family": family}) == ""
    reps = pd.DataFrame({"name": ["Ann", "Bob"], "team": ["n", "s"]})
    by_rep = pd.DataFrame({"revenue": [5.0, 7.0]}, index=["Bob", "Ann"])
    assert reporting.with_team(by_rep, reps)["team"].tolist() == ["s", "n"]
    hired = reps.assign(hire_date=["2020-01-01", "2026-10-03"])
    by_rep = by_rep.assign(revenue_previous_month=[0.0, 4.0], revenue_last_year=[0.0, 3.0])
    out = reporting.with_team(by_rep, hired, "2026-10")  # Bob started in October: nothing to compare with
    assert out["revenue_previous_month"].isna().tolist() == [True, False]
    assert out["revenue_last_year"].isna().tolist() == [True, False]
    out = reporting.with_quotas(out, pd.DataFrame({"rep_id": [], "month": [], "quota": []}),
                                hired.assign(rep_id=["R1", "R2"]), "2026-10")
    assert list(out.columns[:4]) == ["team", "revenue", "quota", "attainment"]  # the same order in every scope
