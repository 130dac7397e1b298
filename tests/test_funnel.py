import pandas as pd
import pytest

from salesnb.domains import activity, funnel

OPPS = pd.DataFrame({
    "opportunity_id": ["W1", "W2", "L1", "L2", "O1"],
    "rep_id": ["R1"] * 5, "account_id": ["A"] * 5,
    "stage": ["won", "won", "lost", "lost", "proposal"],
    "amount": [100.0, 300.0, 50.0, 80.0, 1000.0],
    "created_date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01", "2026-01-15", "2026-03-01"]),
    "close_date": pd.to_datetime(["2026-03-02", "2026-03-23", "2026-03-10", "2026-03-20", "2026-06-01"]),
})
HISTORY = pd.DataFrame({
    "snapshot_date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01",
                                     "2026-02-01", "2026-03-01", "2026-02-01"]),
    "opportunity_id": ["W1", "W1", "W1", "L1", "L1", "L2"],
    "stage": ["prospecting", "proposal", "negotiation", "qualification", "proposal", "prospecting"],
})


def test_conversion_hand_worked():
    closed = funnel.closed_between(OPPS, pd.Timestamp("2026-03-01"), pd.Timestamp("2026-04-01"))
    assert set(closed["opportunity_id"]) == {"W1", "W2", "L1", "L2"}
    c = funnel.conversion(closed, HISTORY)
    # reached: W1, W2 all stages; L1 proposal; L2 prospecting
    assert c["reached"].tolist() == [4, 3, 3, 2]
    assert c["passed"].tolist() == [3, 3, 2, 2]
    assert c["conversion"].tolist() == pytest.approx([0.75, 1.0, 2 / 3, 1.0])


def test_process_kpis_and_velocity_hand_worked():
    closed = funnel.closed_between(OPPS, pd.Timestamp("2026-03-01"), pd.Timestamp("2026-04-01"))
    k = funnel.process_kpis(OPPS, closed)
    # won: W1 60 days, W2 50 days -> cycle 55; win rate 2/4; average won deal 200; 1 open deal
    assert (k["win_rate"], k["mean_won_deal"], k["median_cycle_days"], k["open_opportunities"]) == (
        0.5, 200.0, 55.0, 1)
    assert k["mean_cycle_days"] == 55.0
    assert k["velocity_per_day"] == pytest.approx(1 * 0.5 * 200 / 55)
    assert k["velocity_per_month"] == pytest.approx(30 * 100 / 55)


def test_time_in_stage_from_snapshots():
    t = funnel.time_in_stage(HISTORY)
    # W1: prospecting 31 days, proposal 28 days; L1: qualification 28 days
    assert t["prospecting"] == 31 and t["proposal"] == 28 and t["qualification"] == 28
    assert pd.isna(t["negotiation"])


def test_bottleneck_sentence():
    now = pd.DataFrame({"reached": [100, 90, 45], "passed": [90, 45, 27]}, index=["a → b", "b → c", "c → d"])
    before = pd.DataFrame({"reached": [100, 100, 55], "passed": [90, 55, 50]}, index=now.index)
    now["conversion"], before["conversion"] = now["passed"] / now["reached"], before["passed"] / before["reached"]
    # c → d: 27 of 45 against 50 of 55: z ≈ 3.5, beyond chance
    assert funnel.bottleneck(now, before) == ("The bottleneck is c → d: 60% of deals pass now (27 of 45) against 91% "
                                              "before (50 of 55), the largest drop of any step, beyond what chance "
                                              "gives.")
    few = now.assign(reached=[10, 9, 4], passed=[9, 5, 3]).assign(conversion=lambda d: d["passed"] / d["reached"])
    # 3 of 4 against 50 of 55: z ≈ 1.0, within chance
    assert funnel.bottleneck(few, before).startswith("No step converts clearly worse than before: the largest drop is "
                                                     "at c → d, where 75% of deals pass now (3 of 4)")
    assert funnel.bottleneck(now, None).startswith("The bottleneck is b → c: only 50%")
    named = funnel.bottleneck(few, before, funnel.baseline(pd.Timestamp("2026-08-01"), 12))
    assert named.startswith("No step converts clearly worse than in the 12 months before August 2026: the largest "
                            "drop is at c → d, where 75% of deals pass now (3 of 4) against 91% in the 12 months "
                            "before August 2026 (50 of 55)")


def test_activity_counts_weeks_and_chain():
    acts = pd.DataFrame({
        "activity_id": ["1", "2", "3", "4", "5"], "rep_id": ["R1", "R1", "R2", "R1", "R2"],
        "activity_date": pd.to_datetime(["2026-03-02", "2026-03-04", "2026-03-09", "2026-03-10",
                                         "2026-04-01"]),
        "type": ["call", "meeting", "call", "proposal", "contract"],
        "opportunity_id": [None, "W1", None, "L1", "W2"],
    })
    march = activity.in_period(acts, pd.Timestamp("2026-03-01"), pd.Timestamp("2026-04-01"))
    c = activity.counts(march, "rep_id")
    assert c.loc["R1", ["call", "meeting", "proposal", "total"]].tolist() == [1, 1, 1, 3]
    w = activity.weekly(march)
    assert w["total"].to_dict() == {pd.Timestamp("2026-03-02"): 2, pd.Timestamp("2026-03-09"): 2}
    closed = funnel.closed_between(OPPS, pd.Timestamp("2026-03-01"), pd.Timestamp("2026-04-01"))
    chain = activity.chain(acts, closed)
    assert chain.loc["total", "activities"] == 3  # W1 meeting, L1 proposal, W2 contract
    assert chain.loc["total", "per_closed_deal"] == 0.75 and chain.loc["total", "per_win"] == 1.5


def test_activities_per_rep_per_week():
    acts = pd.DataFrame({"activity_id": ["1", "2", "3"], "rep_id": ["R1", "R1", "R2"],
                         "type": ["call", "call", "meeting"]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ana", "Bo"], "team": ["t", "t"]})
    t = activity.per_rep_week(acts, reps, weeks=2)
    assert t.loc["R1", "call"] == 1.0 and t.loc["R2", "meeting"] == 0.5 and t.loc["R1", "total"] == 1.0


def test_open_deals_by_current_stage_count_deals_without_amount():
    opps = pd.DataFrame({"stage": ["prospecting", "prospecting", "proposal", "won"],
                         "amount": [None, 100.0, 50.0, 900.0]})
    t = funnel.open_by_stage(opps)
    assert t.loc["prospecting"].tolist() == [2, 1, 100.0]
    assert t.loc["proposal"].tolist() == [1, 1, 50.0]
    assert t.loc["qualification", "open_deals"] == 0 and pd.isna(t.loc["qualification", "amount"])


def test_monthly_snapshots_are_said_to_count_time_in_stage_by_the_month():
    monthly = pd.DataFrame({"snapshot_date": pd.to_datetime(["2026-08-01", "2026-09-01", "2026-10-01"])})
    assert funnel.snapshot_step_note(monthly).startswith("Snapshots are about 30 days apart")  # gaps of 31 and 30 days
    daily = pd.DataFrame({"snapshot_date": pd.date_range("2026-10-01", periods=5)})
    assert funnel.snapshot_step_note(daily) == ""
    same = pd.Series([31.0, 30.0, 31.0, None])
    assert funnel.one_step_each(same, monthly) and "no table is shown" in funnel.snapshot_step_note(monthly, same)
    assert not funnel.one_step_each(pd.Series([31.0, 62.0]), monthly)  # a stage that takes two months shows
    assert not funnel.one_step_each(same, daily)


def test_partial_first_and_last_weeks_are_left_out():
    from salesnb.domains import activity

    weekly = pd.DataFrame({"call": [1, 9, 9, 2]}, index=pd.to_datetime(["2026-09-28", "2026-10-05", "2026-10-12",
                                                                          "2026-10-19"]))
    kept = activity.full_weeks(weekly, pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-22"))
    assert list(kept.index.strftime("%m-%d")) == ["10-05", "10-12"]


def test_the_chain_leaves_out_types_that_never_name_a_deal():
    acts = pd.DataFrame({"type": ["call", "email", "meeting", "call"], "opportunity_id": [None, None, "W1", None]})
    closed = funnel.closed_between(OPPS, pd.Timestamp("2026-03-01"), pd.Timestamp("2026-04-01"))
    chain = activity.chain(acts, closed)
    assert list(chain.index) == ["meeting", "total"] and chain.loc["total", "activities"] == 1
    assert activity.untied_sentence(acts).startswith(
        "None of the calls or emails in the activities table is tied to a deal, so")
    assert activity.untied_sentence(acts.assign(opportunity_id="W1")) == ""


def test_window_sentence_in_words():
    assert funnel.window_sentence(pd.Timestamp("2026-08-01"), pd.Timestamp("2026-11-01"), 12) == (
        "Recent window: 1 August 2026 to 31 October 2026; compared with the 12 months before.")
