"""The forecast call on a hand-made pipeline: one deal per risk flag, worked out by hand."""

import pandas as pd
import pytest

from salesnb.domains import call, pipeline

AUG, SEP, OCT, NOV = (pd.Timestamp(d) for d in ("2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"))
DEC, FEB = pd.Timestamp("2026-12-01"), pd.Timestamp("2027-02-01")


def _snap(date, rows):
    return pd.DataFrame([(date, *r) for r in rows], columns=["snapshot_date", "opportunity_id", "stage", "amount",
                                                             "close_date", "forecast_category"])


def _fixture():
    """LATE: due in November at the snapshot, moved into October in the CRM since; TYPO: moved to a date before
    it was created. PUSH: close date moved three times. STALE: in negotiation since August, last activity then.
    CUT: 100 → 70 this month; TRIM: 100 → 90 (not a cut). MISS: no account. OK and BEST: clean (BEST due in
    December). PIPE: neither commit nor best case."""
    hist = pd.concat([
        _snap(AUG, [("PUSH", "proposal", 40, "2026-09-01", "commit"),
                    ("STALE", "negotiation", 30, "2026-11-10", "commit")]),
        _snap(SEP, [("PUSH", "proposal", 40, "2026-10-01", "commit"),
                    ("STALE", "negotiation", 30, "2026-11-10", "commit")]),
        _snap(OCT, [("PUSH", "negotiation", 40, "2026-11-01", "commit"),
                    ("STALE", "negotiation", 30, "2026-11-10", "commit"),
                    ("CUT", "proposal", 100, "2026-11-10", "commit"),
                    ("TRIM", "proposal", 100, "2026-11-10", "commit"),
                    ("OK", "proposal", 50, "2026-11-10", "pipeline")]),
        _snap(NOV, [("LATE", "negotiation", 100, "2026-11-20", "commit"),
                    ("TYPO", "negotiation", 5, "2026-11-20", "commit"),
                    ("PUSH", "negotiation", 40, "2026-11-15", "commit"),
                    ("STALE", "negotiation", 30, "2026-11-10", "commit"),
                    ("CUT", "negotiation", 70, "2026-11-10", "commit"),
                    ("TRIM", "negotiation", 90, "2026-11-10", "commit"),
                    ("MISS", "negotiation", 20, "2026-11-12", "commit"),
                    ("OK", "negotiation", 60, "2026-11-10", "commit"),
                    ("BEST", "proposal", 80, "2026-12-05", "best_case"),
                    ("PIPE", "qualification", 500, "2026-11-05", "pipeline")]),
    ])
    crm = hist[hist["snapshot_date"] == NOV].drop(columns="snapshot_date").assign(
        rep_id=["r1", "r2", "r1", "r2", "r2", "r2", "r1", "r2", "r1", "r1"],
        account_id=["a", "a", "a", "a", "a", "a", None, "a", "a", "a"], product_id="p",
        created_date=pd.Timestamp("2026-07-01"))
    crm.loc[crm["opportunity_id"] == "LATE", "close_date"] = "2026-10-25"
    crm.loc[crm["opportunity_id"] == "TYPO", "close_date"] = "2026-06-20"  # before it was created: a typing slip
    crm["close_date"] = pd.to_datetime(crm["close_date"])
    recent = ["LATE", "TYPO", "PUSH", "CUT", "TRIM", "MISS", "BEST"]
    acts = pd.DataFrame({"opportunity_id": ["OK", "STALE", *recent],
                         "activity_date": pd.to_datetime(["2026-10-20", "2026-08-02"] + ["2026-10-25"] * 7)})
    accounts = pd.DataFrame({"account_id": ["a"], "name": ["Acme"]})
    state = pipeline.state_at(crm, hist, NOV)
    return hist, crm, acts, accounts, state


def test_each_flag_on_its_deal():
    hist, crm, acts, accounts, state = _fixture()
    deals = call.deal_list(state, crm, hist, acts, accounts, NOV, NOV, FEB, previous=OCT).set_index(
        "opportunity_id")
    assert list(deals.index) == ["LATE", "TYPO", "CUT", "PUSH", "STALE", "MISS", "TRIM", "OK", "BEST"]  # no PIPE;
    # past due first (the largest first), then month by month, risky money first
    flagged = {oid: deals.loc[oid, "risk"] for oid in deals.index}
    assert flagged == {"LATE": "past due", "TYPO": "past due; close date before creation",
                       "PUSH": "pushed twice or more", "STALE": "no stage change in 60 days; no activity in 60 days",
                       "CUT": "amount cut", "MISS": "missing fields", "TRIM": "", "OK": "", "BEST": ""}
    assert deals.loc["PUSH", "pushes"] == 3 and deals.loc["STALE", "days_since_activity"] == 91
    assert deals.loc["OK", "days_since_activity"] == 12 and deals.loc["OK", "age_days"] == 123
    assert deals.loc["CUT", "amount_change"] == -30 and deals.loc["TRIM", "amount_change"] == -10
    assert deals.loc["OK", "amount_change"] == 10 and pd.isna(deals.loc["MISS", "amount_change"])  # new this month
    assert deals.loc["LATE", "close_date"] == pd.Timestamp("2026-10-25")  # the CRM's date, not the snapshot's
    assert deals.loc["OK", "account"] == "Acme" and deals.loc["MISS", "rep_id"] == "r1"
    assert deals["manager_call"].eq("").all()


def test_past_due_deals_leave_every_total():
    hist, crm, acts, accounts, state = _fixture()
    assert set(call.can_close(state, crm, NOV)["opportunity_id"]) == set(state["opportunity_id"]) - {"LATE", "TYPO"}
    deals = call.deal_list(state, crm, hist, acts, accounts, NOV, NOV, FEB, previous=OCT)
    month = call.due_by(deals, DEC)
    # commit due in November without LATE: PUSH 40 + STALE 30 + CUT 70 + TRIM 90 + MISS 20 + OK 60 = 310
    assert call.figures(month) == {"commit": 310.0, "best_case": 0.0, "past_due": 105.0, "risky_commit": 160.0}
    assert call.flag_amounts(month[~month["past_due"]]).to_dict() == {
        "past_due": 0.0, "closes_before_created": 0.0, "pushed_twice": 40.0, "no_stage_change": 30.0,
        "no_recent_activity": 30.0, "missing_fields": 20.0, "amount_cut": 70.0}
    assert call.risk_sentence(month, NOV) == (
        "First risk: 2 deals called commit or best case (105, 105 of it commit) have a close date before "
        "1 November 2026 in the CRM: they are past due and count in no commit, best case or coverage until their "
        "date is fixed (1 deal with a close date before its creation: a typing slip to check). Of the 310 commit "
        "(6 deals), 52% (160, 4 deals) sits on risky deals: 40 pushed twice or more, 30 no stage change in 60 days, "
        "30 no activity in 60 days, 20 missing fields, 70 amount cut (a deal can carry several flags).")
    assert call.quarter_sentence(deals) == "Month by month: November 310 commit and 0 best case; December 0 commit " \
                                           "and 80 best case."


def test_rollup_by_rep_adds_up_against_quota_and_forecast():
    hist, crm, acts, accounts, state = _fixture()
    deals = call.due_by(call.deal_list(state, crm, hist, acts, accounts, NOV, NOV, FEB, previous=OCT), DEC)
    groups = pd.Series({"r1": "Ana", "r2": "Bo"})
    t = call.rollup(deals, groups, pd.Series({"Ana": 1000.0, "Bo": 500.0}), pd.Series({"Ana": 900.0}),
                    pd.Series({"Ana": 0.5, "Bo": 0.5}), whole_share=0.5, whole_forecast=1500.0,
                    calls=pd.Series(dtype=float))
    # Ana: PUSH 40 + MISS 20 commit (LATE is past due); Bo: STALE 30 + CUT 70 + TRIM 90 + OK 60 (TYPO past due)
    assert t.loc["Ana", ["commit", "past_due", "quota_from_deals"]].tolist() == [60, 100, 500]
    assert t.loc["Bo", "commit"] == 250 and t.loc["Bo", "coverage"] == pytest.approx(1.0)
    assert t.loc["total", ["quota", "statistical_forecast", "commit_and_best_case", "past_due"]].tolist() == [
        1500, 1500, 310, 105]  # the whole's forecast, whatever its parts show (Bo has none of his own)
    assert t.loc["total", "forecast_vs_quota"] == pytest.approx(1.0) and t["reps_call"].isna().all()
    assert call.rollup_sentence(t, NOV, 0.5) == (
        "For November 2026: 310 commit and 0 best case, 310 together, against 750 of quota that deals must bring "
        "(50% of the 1,500 quota): 440 is still to be found in the rest of the pipeline. The statistical forecast "
        "of all revenue (deals and the rest) is 1,500, 0 over quota (100.0%). No rep has submitted a forecast for "
        "November yet.")


def test_each_group_uses_its_own_share_and_the_total_the_wholes():
    hist, crm, acts, accounts, state = _fixture()
    deals = call.due_by(call.deal_list(state, crm, hist, acts, accounts, NOV, NOV, FEB, previous=OCT), DEC)
    t = call.rollup(deals, pd.Series({"r1": "east", "r2": "west"}), pd.Series({"east": 1000.0, "west": 500.0}),
                    pd.Series(dtype=float), pd.Series({"east": 0.2, "west": 0.6}), whole_share=0.3,
                    whole_forecast=float("nan"))
    assert t["quota_from_deals"].tolist() == pytest.approx([200, 300, 450])  # 1,500 × 0.3 for the whole
    assert t.loc["west", "coverage"] == pytest.approx(250 / 300) and t["statistical_forecast"].isna().all()
    assert "reps_call" not in t


def test_moves_by_group_add_up_to_the_waterfall_without_the_past_due_deals():
    hist, crm, *_ = _fixture()
    changes = pipeline.pipeline_changes(hist, crm, OCT, NOV, DEC)
    late = pd.Index(["LATE", "TYPO"])
    moved = call.moves(changes, crm.set_index("opportunity_id")["rep_id"], late)
    steps = list(pipeline.WATERFALL_STEPS[:-1])
    assert moved.loc["total", steps].tolist() == pipeline.waterfall(changes)[steps].tolist()
    assert moved.loc["total", "past_due"] == -105  # LATE and TYPO were due in November at the snapshot
    rows = moved.drop(columns=["start", "end"])
    assert ((moved["start"] + rows.sum(axis=1) - moved["end"]).abs() < 1e-9).all()
    # r2 at 1 October: STALE 30 + CUT 100 + TRIM 100 + OK 50; CUT and TRIM cut by 40, OK up 10, TYPO new 5 and
    # past due
    assert moved.loc["r2", ["start", "new", "amount_down", "amount_up", "past_due", "end"]].tolist() == [
        280, 5, -40, 10, -5, 250]


def test_how_last_months_commit_landed():
    hist = pd.concat([_snap(OCT, [("W", "negotiation", 100, "2026-10-10", "commit"),
                                  ("L", "negotiation", 50, "2026-10-20", "commit"),
                                  ("O", "negotiation", 30, "2026-10-30", "commit"),
                                  ("B", "proposal", 70, "2026-10-30", "best_case"),
                                  ("N", "negotiation", 90, "2026-11-05", "commit")]),
                      _snap(NOV, [("W", "won", 110, "2026-10-12", "closed"), ("L", "lost", 50, "2026-10-20", "omitted"),
                                  ("O", "negotiation", 30, "2026-11-30", "commit")])])
    c = call.commit_conversion(hist, OCT, NOV, OCT, NOV)
    assert c.to_dict() == {"commit": 180, "won": 100, "lost": 50, "open": 30}  # amounts as called
    assert call.conversion_sentence(c, OCT, NOV, OCT) == (
        "How commit lands here: of the 180 called commit on 1 October for October, 100 (56%) was won by 1 November, "
        "50 lost and 30 is still open.")


def test_last_month_sets_each_forecast_against_what_was_invoiced():
    t = call.last_month({"reps' call": (110.0, 100.0), "statistical forecast": (95.0, 120.0)})
    assert t["error"].tolist() == pytest.approx([0.1, -25 / 120])
    assert call.last_month({}).empty


def test_an_export_without_forecast_categories_calls_nothing():
    hist, crm, acts, accounts, state = _fixture()
    bare = call.deal_list(state.drop(columns="forecast_category"), crm.drop(columns="forecast_category"), None,
                          None, None, NOV, NOV, FEB)
    assert bare.empty and call.risk_sentence(bare, NOV) == "No deal due from 1 November is called commit."
