import math

import numpy as np
import pandas as pd
import pytest

from salesnb.domains import pipeline as P

D0, D1, END = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01")


def _opps(rows):
    return pd.DataFrame(rows, columns=["opportunity_id", "rep_id", "account_id", "stage", "amount",
                                       "close_date", "forecast_category", "product_id"])


def test_win_rates_from_closed_deals_and_the_stages_they_reached():
    opps = _opps([
        ("W1", "r", "a", "won", 10, "2026-01-01", "closed", "p"),
        ("W2", "r", "a", "won", 10, "2026-01-01", "closed", "p"),
        ("L1", "r", "a", "lost", 10, "2026-01-01", "omitted", "p"),    # reached proposal
        ("L2", "r", "a", "lost", 10, "2026-01-01", "omitted", "p"),    # no snapshot: prospecting
        ("O1", "r", "a", "proposal", 10, "2026-11-15", "best_case", "p"),  # open: ignored
    ])
    hist = pd.DataFrame({"snapshot_date": [D0], "opportunity_id": ["L1"], "stage": ["proposal"],
                         "amount": [10.0], "close_date": ["2026-01-01"]})
    wr = P.stage_win_rates(opps, hist)
    assert wr["closed_deals_that_reached_it"].tolist() == [4, 3, 3, 2] and wr["of_which_won"].tolist() == [2] * 4
    assert P.win_rates_sentence(wr).startswith("All 2 won deals in the CRM went through every stage")
    assert "upper bounds" in P.win_rates_sentence(wr, history=False) and "upper" not in P.win_rates_sentence(wr)
    assert wr["win_rate"].tolist() == pytest.approx([0.5, 2 / 3, 2 / 3, 1.0])
    wp = P.weighted_pipeline(opps, wr, D1, END)
    assert wp["weighted"].tolist() == pytest.approx([10 * 2 / 3])
    roll = P.rollup(wp, quota=20.0)
    assert roll.loc["total", "amount"] == 10 and roll.loc["total", "coverage_of_quota"] == 0.5


def _snap(date, rows):
    return pd.DataFrame([(date, *r) for r in rows], columns=["snapshot_date", "opportunity_id",
                                                             "stage", "amount", "close_date",
                                                             "forecast_category"])


def test_waterfall_steps_add_up_and_are_classified():
    hist = pd.concat([
        _snap(D0, [("A", "proposal", 100, "2026-11-10", "best_case"),   # amount up
                   ("B", "negotiation", 50, "2026-11-20", "commit"),    # won
                   ("C", "proposal", 40, "2026-11-05", "pipeline"),     # slips to January
                   ("D", "qualification", 30, "2026-10-20", "pipeline"),  # lost
                   ("E", "proposal", 70, "2027-02-01", "pipeline")]),   # pulled in
        _snap(D1, [("A", "proposal", 130, "2026-11-10", "best_case"),
                   ("B", "won", 50, "2026-10-25", "closed"),
                   ("C", "proposal", 40, "2027-01-10", "pipeline"),
                   ("E", "negotiation", 70, "2026-11-25", "commit"),
                   ("F", "prospecting", 25, "2026-11-30", "pipeline")]),  # new
    ])
    opps = _opps([("D", "r", "a", "lost", 30, "2026-10-20", "omitted", "p")])
    changes = P.pipeline_changes(hist, opps, D0, D1, END).set_index("opportunity_id")
    assert changes["step"].to_dict() == {"A": "amount_up", "B": "won", "C": "slipped", "D": "lost",
                                         "E": "pulled_in", "F": "new"}
    w = P.waterfall(changes.reset_index())
    assert w["start"] == 220 and w["end"] == 225
    assert (w["new"], w["pulled_in"], w["amount_up"], w["slipped"], w["won"], w["lost"]) == (
        25, 70, 30, -40, -50, -30)
    assert w["start"] + w.drop(["start", "end"]).sum() == w["end"]
    assert P.waterfall_sentence(w, D0, D1) == (
        f"From {D0:%-d %B} to {D1:%-d %B %Y} this pipeline went from 220 to 225: 50 won and 30 lost; 25 new deals, "
        "70 pulled in, 30 added by raised amounts, 40 slipped to later.")  # 220 − 50 − 30 + 25 + 70 + 30 − 40 = 225
    cut = w.copy()
    cut[["pulled_in", "amount_up", "amount_down"]] = [0.0, 0.0, -20.0]
    assert P.waterfall_sentence(cut, D0, D1).endswith(
        "; 25 new deals, 20 cut by lowered amounts, 40 slipped to later (no deal was pulled in or raised).")
    w["lost"] = -150.0
    assert ": 50 won and 150 lost (3.0× what was won);" in P.waterfall_sentence(w, D0, D1)


def test_pipeline_as_the_month_left_it():
    hist = pd.concat([_snap(pd.Timestamp("2026-10-01"), [("A", "proposal", 10, "2026-11-10", "pipeline")]),
                      _snap(pd.Timestamp("2026-11-01"), [("A", "negotiation", 12, "2026-11-20", "commit")]),
                      _snap(pd.Timestamp("2026-12-01"), [("A", "won", 12, "2026-11-25", "closed")])])
    opps = _opps([("A", "r1", "acc", "won", 12, "2026-11-25", "closed", "p"),
                  ("B", "r2", "acc", "proposal", 5, "2026-11-30", "pipeline", "p")])
    as_of = P.reference_snapshot(hist, "2026-10")
    assert as_of == pd.Timestamp("2026-11-01") and P.reference_snapshot(hist, "2026-12") is None
    state = P.state_at(opps, hist, as_of).set_index("opportunity_id")
    assert list(state.index) == ["A"]  # B was not in the snapshot
    assert state.loc["A", ["rep_id", "stage", "amount", "forecast_category"]].tolist() == ["r1", "negotiation", 12,
                                                                                          "commit"]
    assert pd.Timestamp(state.loc["A", "close_date"]) == pd.Timestamp("2026-11-20")


def test_coverage_is_measured_against_the_part_of_quota_that_deals_bring():
    opps = _opps([
        ("W1", "r", "a", "won", 100, "2026-03-10", "closed", "p"),
        ("W2", "r", "a", "won", 50, "2026-10-20", "closed", "p"),
        ("W0", "r", "a", "won", 999, "2025-10-31", "closed", "p"),  # before the 12 months to October 2026
        ("L1", "r", "a", "lost", 70, "2026-05-01", "omitted", "p"),
        ("O1", "r", "a", "proposal", 400, "2026-11-15", "best_case", "p"),
        ("O2", "r", "a", "negotiation", 200, "2026-11-30", "commit", "p"),
        ("O3", "r", "a", "proposal", 80, "2026-12-02", "pipeline", "p"),  # closes the month after
    ])
    share = P.deal_share(opps, revenue=1000.0, month="2026-10")
    assert share == pytest.approx(0.15)  # (100 + 50) / 1000
    quotas = pd.DataFrame({"rep_id": ["r", "r"], "month": ["2026-11-01", "2026-12-01"], "quota": [2000.0, 1000.0]})
    rates = P.stage_win_rates(opps, None)
    cover = P.coverage(opps, rates, quotas, "2026-10", share=share)
    assert cover["quota_from_deals"].tolist() == pytest.approx([300.0, 150.0])
    assert cover["pipeline_coverage"].tolist() == pytest.approx([600 / 300, 80 / 150])
    assert cover.loc["2026-11", "commit"] == 200
    assert math.isnan(P.deal_share(opps, revenue=0.0, month="2026-10"))
    assert math.isnan(P.deal_share(opps.iloc[3:], revenue=1000.0, month="2026-10"))  # nothing won: not 0
    assert "not given" in P.share_sentence(float("nan")) and "15%" in P.share_sentence(share)
    assert "whole quota" in P.share_sentence(1.0, invoiced=False)
    assert P.share_sentence(share, quotas=False).startswith("No quotas in this export")
    outlook = P.outlook(cover, pd.Series([900.0, 1000.0, 1100.0]), pd.DataFrame(
        {"yhat": [1500.0, 900.0]}, index=pd.to_datetime(["2026-11-01", "2026-12-01"])))
    weighted = cover.loc["2026-11", "weighted_pipeline"]
    assert P.gap_sentence(outlook) == (
        "For November 2026 the statistical forecast of all revenue, 1,500, is 75.0% of the 2,000 quota (500 short). "
        f"Deals due that month: {cover.loc['2026-11', 'open_pipeline']:,.0f} open, 200 of it called commit; at their "
        f"stages' measured win rates they weigh {weighted:,.0f}.")
    assert P.gap_sentence(outlook.assign(quota=np.nan)) == ""
    december = outlook.index[1]
    assert P.later_sentence(outlook) == (
        "Then December 2026: 900, "
        f"{900 / outlook.loc[december, 'quota']:.1%} of the "
        f"{outlook.loc[december, 'quota']:,.0f} quota.")
    assert P.later_sentence(outlook.assign(quota=np.nan)) == ""
    fc = pd.DataFrame({"yhat": [1500.0], "lower": [1200.0], "upper": [1800.0]}, index=pd.to_datetime(["2026-11-01"]))
    assert P.forecast_sentence(fc, 0.8) == (
        "For November 2026 the statistical forecast of all revenue is 1,500 (80% interval 1,200 to 1,800).")


def test_open_deals_past_their_close_date_are_said(in_euros):
    opps = pd.DataFrame({"opportunity_id": ["L", "B", "W", "N"],
                         "stage": ["negotiation", "proposal", "won", "proposal"], "amount": [10.0, 5.0, 99.0, 7.0],
                         "close_date": ["2026-10-20", "2026-09-01", "2026-10-01", "2026-11-20"],
                         "forecast_category": ["commit", "pipeline", "commit", "commit"]})
    late = P.overdue(opps, D1)  # L and B are open with a close date before 1 November; W is closed, N is due later
    assert late["opportunity_id"].tolist() == ["L", "B"]
    assert P.overdue_sentence(late, D1) == (
        "In all, 2 open deals in the CRM (€15, €10 of it called commit) have a close date before 1 November 2026: "
        "they count in no month until their date is fixed (the data-quality fix list has them).")
    assert P.overdue_sentence(late.iloc[:0], D1) == ""


def test_quota_from_deals_of_the_groups_against_the_whole(in_euros):
    assert P.quota_from_deals_note(pd.Series({"east": 100.0, "west": 50.0}), 151.0, "team") == (
        "Each team's quota from deals uses its own share of revenue from deals: they add up to €150, against €151 for "
        "the whole, which uses its own share.")
    assert P.quota_from_deals_note(pd.Series({"east": 100.0, "west": 50.2}), 150.0, "team") == ""
