import pandas as pd
import pytest

from salesnb.core.errors import ParameterError
from salesnb.domains import scoring


def test_abc_classes_hand_worked():
    # total 100: cumulative before each account: a 0, b 50, c 75, d 90, e 97, f 100
    revenue = pd.Series({"c": 15, "a": 50, "b": 25, "d": 7, "e": 3, "f": 0}, dtype=float)
    abc = scoring.abc_classes(revenue, 0.8, 0.95)
    assert abc["class"].to_dict() == {"a": "A", "b": "A", "c": "A", "d": "B", "e": "C", "f": "C"}
    summary = scoring.class_summary(abc)
    assert summary.loc["A", "revenue"] == 90 and summary.loc["A", "accounts"] == 3
    assert summary.loc["C", "share_of_revenue"] == pytest.approx(0.03)
    with pytest.raises(ParameterError):
        scoring.abc_classes(revenue, 0.9, 0.8)


def test_points_scale_scores_and_reasons():
    feats = pd.DataFrame({"name": ["x", "y", "z"], "status": ["prospect"] * 3,
                          "employees": [10, 60, 300], "segment": ["smb", "enterprise", None],
                          "potential": [1.0, 2.0, 3.0]}, index=["X", "Y", "Z"])
    scale = scoring.parse_scale([
        {"feature": "employees", "thresholds": [[250, 20], [50, 10]], "weight": 2},
        {"feature": "segment", "values": {"enterprise": 15, "smb": 5}},
    ])
    s = scoring.score(feats, scale)
    assert s["score"].to_dict() == {"X": 5.0, "Y": 35.0, "Z": 40.0}
    assert s.loc["Y", "reasons"] == "employees 60 (+20); segment enterprise (+15)"
    top = scoring.top_prospects(feats, s, 2)
    assert top["name"].tolist() == ["z", "y"] and top["rank"].tolist() == [1, 2]


def test_amounts_in_the_scale_and_reasons_carry_the_currency():
    from salesnb.core import money

    before = money.current()
    money.use(money.currency("EUR"))
    feats = pd.DataFrame({"potential": [240.0, 60000.0], "employees": [60, 70]}, index=["X", "Y"])
    scale = scoring.parse_scale([{"feature": "potential", "thresholds": [[1, 10], [50000, 20]]},
                                 {"feature": "employees", "thresholds": [[50, 5]]}])
    reasons = scoring.score(feats, scale)["reasons"]
    table = scoring.scale_table(scale)
    money.use(before)
    assert reasons["X"] == "potential €240 (+10); employees 60 (+5)"
    assert table.loc["potential", "points"] == "any: 10, ≥ €50,000: 20"  # not "≥ €1"
    assert table.loc["employees", "points"] == "≥ 50: 5"


def test_top_list_breaks_ties_by_potential_and_skips_customers():
    feats = pd.DataFrame({"name": ["a", "b", "c"], "status": ["prospect", "prospect", "customer"],
                          "potential": [10.0, 20.0, 99.0], "city": None, "owner_rep_id": None},
                         index=["A", "B", "C"])
    s = pd.DataFrame({"score": [5.0, 5.0, 50.0], "reasons": ""}, index=["A", "B", "C"])
    assert scoring.top_prospects(feats, s, 5)["name"].tolist() == ["b", "a"]


@pytest.mark.parametrize("bad, message", [
    ([{"feature": "x"}], "needs either thresholds or values"),
    ([{"feature": "x", "values": {"a": 1}, "weight": -1}], "weight"),
    ([{"feature": "x", "values": {"a": 1}, "colour": "red"}], "colour"),
])
def test_bad_scale_is_a_clear_error(bad, message):
    with pytest.raises(ParameterError, match=message):
        scoring.parse_scale(bad)


def test_scale_on_unknown_feature():
    feats = pd.DataFrame({"name": ["x"]}, index=["X"])
    with pytest.raises(ParameterError, match="feature\\(s\\) revenue_12m that the data does not provide"):
        scoring.score(feats, scoring.parse_scale([{"feature": "revenue_12m", "thresholds": [[1, 1]]}]))


def test_criteria_on_missing_tables_are_skipped_with_a_note_but_typos_are_errors():
    feats = pd.DataFrame({"name": ["x"], "employees": [10]}, index=["X"])
    scale = scoring.parse_scale([{"feature": "employees", "thresholds": [[1, 1]]},
                                 {"feature": "activities_90d", "thresholds": [[1, 5]]}])
    kept, note = scoring.usable(scale, feats)
    assert [c.feature for c in kept] == ["employees"]
    assert note == "Criteria skipped for lack of data: activities_90d (needs activities)."
    with pytest.raises(ParameterError, match="unknown feature\\(s\\) employes"):
        scoring.usable(scoring.parse_scale([{"feature": "employes", "thresholds": [[1, 1]]}]), feats)


def test_features_measured_from_sales_pipeline_and_activities():
    accounts = pd.DataFrame({"account_id": ["A", "B"], "name": ["a", "b"], "status": ["customer", "prospect"],
                             "owner_rep_id": "R", "segment": None, "industry": None, "city": None,
                             "employees": [10, 20], "potential": [1.0, 2.0]})
    as_of = pd.Timestamp("2026-11-01")
    sales = pd.DataFrame({"account_id": ["A", "A", "A"], "revenue": [100.0, 50.0, 999.0],
                          "order_date": pd.to_datetime(["2026-10-31", "2025-11-01", "2025-10-31"])})
    opps = pd.DataFrame({"account_id": ["B", "B", "A", "A"], "stage": ["proposal", "won", "negotiation", "proposal"],
                         "amount": [300.0, 1000.0, 40.0, 500.0],
                         "close_date": pd.to_datetime(["2026-11-20", "2026-10-01", None, "2026-10-31"])})
    acts = pd.DataFrame({"account_id": ["B", "B", "A"],
                         "activity_date": pd.to_datetime(["2026-10-01", "2026-08-02", "2026-11-01"])})
    f = scoring.features(accounts, sales, opps, acts, as_of)
    assert f["revenue_12m"].to_dict() == {"A": 150.0, "B": 0.0}  # 12 months before 2026-11-01
    assert f["open_pipeline"].to_dict() == {"A": 40.0, "B": 300.0}  # won and past-due deals are not pipeline
    assert f["activities_90d"].to_dict() == {"A": 0, "B": 1}  # 90 days: from 2026-08-03


def test_prospects_that_duplicate_customers_are_found_and_left_out_of_the_lists():
    accounts = pd.DataFrame({"account_id": ["C1", "P1", "P2", "P3"],
                             "status": ["customer", "prospect", "prospect", "prospect"]})
    pairs = pd.DataFrame({"account_id": ["P1", "C1", "P2"], "duplicate_id": ["C1", "P3", "P3"]})
    assert scoring.duplicates_of_customers(pairs, accounts).tolist() == ["P1", "P3"]  # P2~P3: two prospects
    feats = pd.DataFrame({"status": "prospect", "name": ["a", "b", "c"], "potential": 1.0},
                         index=pd.Index(["P1", "P2", "P3"], name="account_id"))
    scored = pd.DataFrame({"score": [30, 20, 10], "reasons": ""}, index=feats.index)
    top = scoring.top_prospects(feats, scored, 5, exclude=pd.Index(["P1"]))
    assert top["name"].tolist() == ["b", "c"] and top["rank"].tolist() == [1, 2]


def test_an_account_keeps_the_organisations_class_in_a_team_report():
    team_abc = scoring.abc_classes(pd.Series({"A1": 50.0, "A2": 30.0, "A3": 20.0}))
    org = pd.Series({"A1": "B", "A2": "A"})
    assert scoring.with_classes(team_abc, org)["class"].to_dict() == {"A1": "B", "A2": "A", "A3": "C"}


def test_the_customer_book_is_by_class_then_score_and_names_quiet_a_accounts(in_euros):
    feats = pd.DataFrame({"name": ["a", "b", "c", "d"], "status": "customer", "owner_rep_id": "R1", "city": "",
                          "revenue_12m": [500.0, 300.0, 900.0, 10.0], "activities_90d": [0, 2, 0, 0]},
                         index=pd.Index(["A", "B", "C", "D"], name="account_id"))
    scored = pd.DataFrame({"score": [10.0, 30.0, 5.0, 50.0], "reasons": ""}, index=feats.index)
    abc = pd.DataFrame({"class": ["A", "A", "A", "C"]}, index=feats.index)
    book = scoring.account_book(feats, scored, abc)
    assert book["account_id"].tolist() == ["B", "A", "C", "D"]  # A by score (30, 10, 5), then C
    assert scoring.neglected_sentence(book, shown=1) == (
        "2 of the 3 class-A customers (€1,400 of revenue over 12 months) had no activity logged in the last 90 days: "
        "c and 1 more. They are the first to call.")
    assert scoring.neglected_sentence(book.drop(columns="activities_90d")) == ""


def test_the_rank_sentence_counts_what_was_listed():
    assert scoring.ranks_sentence(50, 5) == "Ranks 6 to 50 (all 50 are in the export):"
    assert scoring.ranks_sentence(12, 5) == "Ranks 6 to 12 (all 12 are in the export):"
    assert scoring.ranks_sentence(3, 5) == (
        "All 3 prospects that could be ranked are in the list above and in the export.")
    assert scoring.ranks_sentence(0, 5).startswith("No prospect can be ranked")
