import json

import pandas as pd
import pytest

from salesnb.domains import quality

AS_OF = pd.Timestamp("2026-11-01")


def _accounts():
    return pd.DataFrame({
        "account_id": ["A1", "A2", "A3", "A4"],
        "name": ["Café Éclair", "Zeta", "<script>alert(1)</script>", "Nord"],
        "owner_rep_id": ["R1", "R1", None, "R2"],
        "segment": ["smb", None, "smb", ""],
        "phone": ["01 23 45 67 89", "+33 6 12 34 56 78", "12", None],
        "updated_date": pd.to_datetime(["2026-10-01", "2024-01-01", "2026-09-01", "2026-10-15"]),
    })


def _contacts():
    return pd.DataFrame({
        "contact_id": ["C1", "C2", "C3", "C4"], "account_id": ["A1", "A2", None, "A4"],
        "first_name": ["Hélène", None, "Zoé", "Luc"], "last_name": ["Dupré", "X", "Y", "Z"],
        "email": ["helene.dupre@cafe-eclair.fr", None, "zoe@@mail.fr", "luc@nord.fr"],
        "phone": ["06.12.34.56.78", "", "0590 27 31 45", "+33 1 23"],
        "updated_date": pd.to_datetime(["2026-10-01", "2026-10-01", "2026-10-01", "2023-05-01"]),
    })


def test_completeness_counts_blank_text_as_empty():
    c = quality.completeness(_accounts(), ["segment", "phone", "owner_rep_id"])
    assert c["filled"].to_dict() == {"segment": 0.5, "phone": 0.75, "owner_rep_id": 0.75}
    per_rep = quality.completeness(_accounts(), ["segment"], by="owner_rep_id")
    assert per_rep["segment"].to_dict() == {"(no owner)": 1.0, "R1": 0.5, "R2": 0.0}


@pytest.mark.parametrize("email, expected", [
    ("helene.dupre@cafe-eclair.fr", None), ("jean@sub.domaine.com", None), (None, "missing"),
    ("", "missing"), ("zoe@@mail.fr", "invalid"), ("jean at gmail.com", "invalid"),
    ("jean@domaine", "invalid"), ("jean @orange.fr", "invalid")])
def test_email_problem(email, expected):
    assert quality.email_problem(email) == expected


def test_an_invalid_phone_says_why():
    assert quality.phone_reason("01 23 45") == "too few digits"
    assert quality.phone_reason("01 23 45 67 89 12 34 56") == "too many digits"
    assert quality.phone_reason("05 94 68 08 19", ("FR", "GF")) == "no such number in France or French Guiana"
    assert quality.phone_reason("call me") == "not a phone number"


@pytest.mark.parametrize("phone, expected", [
    ("01 23 45 67 89", None), ("01.23.45.67.89", None), ("+33123456789", None),
    ("0033 1 23 45 67 89", None), ("0590 27 31 45", None), ("+33 1 23", "invalid"), ("12", "invalid"),
    ("", "missing"), (None, "missing")])
def test_phone_problem_reads_common_french_formats(phone, expected):
    assert quality.phone_problem(phone, quality.QualityRules().phone_regions) == expected


def test_issues_and_hygiene_on_a_hand_made_crm(in_euros):
    opps = pd.DataFrame({"opportunity_id": ["O1", "O2"], "rep_id": ["R1", "R2"],
                         "stage": ["proposal", "won"], "close_date": pd.to_datetime(["2026-10-20"] * 2)})
    problems = quality.issues(_accounts(), _contacts(), opps, AS_OF)
    late = problems[problems["record"] == "opportunity"]
    assert late[["name", "fix"]].values.tolist() == [["O1", "close it or move the close date (2026-10-20)"]]
    assert "amount" not in problems  # no amounts in the export: no empty column
    known = opps.assign(account_id="A1", amount=1200.0, forecast_category="best_case")
    late = quality.issues(_accounts(), None, known, AS_OF).query("record == 'opportunity'")
    assert late[["name", "fix", "amount", "forecast_category"]].values.tolist() == [  # which deal, what it weighs
        ["Café Éclair deal", "close it or move the close date (2026-10-20)", 1200.0, "best case"]]
    got = set(zip(problems["id"], problems["problem"], strict=True))
    assert got == {("A2", "stale"), ("A3", "no owner"), ("A3", "invalid phone"),
                   ("C2", "missing email"), ("C3", "no account"), ("C3", "invalid email"),
                   ("C4", "invalid phone"), ("C4", "stale"), ("O1", "open past close date")}
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ana", "Bo"], "team": ["a", "a"]})
    records = quality.owned_records(_accounts(), _contacts(), opps)
    h = quality.hygiene(records, problems, reps)
    # R1 owns A1, A2, C1, C2, O1: problems on A2, C2, O1 -> 40% clean
    assert h.loc["R1", "records"] == 5 and h.loc["R1", "with_problems"] == 3
    assert h.loc["R1", "hygiene_score"] == pytest.approx(40)
    # R2 owns A4 and C4 (O2 is closed: not a record to keep clean): problem on C4 -> 1 of 2 clean
    assert h.loc["R2", "hygiene_score"] == pytest.approx(50)
    assert quality.team_hygiene(records, problems, reps).loc["a", "hygiene_score"] == pytest.approx(100 * 3 / 7)
    assert list(h.columns[:2]) == ["name", "team"]  # who, before the figures
    more = pd.concat([problems, problems[problems["problem"] == "stale"].assign(record="contact", id=["C8", "C9"])])
    counts = quality.summary(more)  # contact stale: C4, C8, C9
    assert counts.index[0] == ("contact", "stale") and counts["count"].tolist()[:2] == [3, 1]
    assert quality.first_sentence(counts) == "Fix first: stale on contact records, 3 of the 11 problems (27%)."
    assert quality.first_sentence(counts.iloc[0:0]) == "No problem found."
    late = pd.DataFrame({"amount": [100.0, 250.0, 75.0], "forecast_category": ["commit", "pipeline", "commit"],
                         "stage": ["proposal", "qualification", "proposal"],
                         "close_date": pd.to_datetime(["2026-01-02", "2026-01-03", "2026-03-01"])})
    assert quality.first_sentence(counts, late, pd.Timestamp("2026-02-01")) == (
        "Fix first: the 2 open deals past their close date (€350, €100 of it called commit): they count in no month "
        "of the forecast or the pipeline coverage until their date is fixed. The most numerous problem: stale on "
        "contact records, 3 of the 11 problems (27%).")


def test_fix_list_has_owner_names_and_merge_tasks():
    problems = quality.issues(_accounts(), None, None, AS_OF)
    dups = pd.DataFrame({"account_id": ["A1"], "duplicate_id": ["A4"], "name": ["Café Éclair"],
                         "duplicate_name": ["Cafe Eclair"], "similarity": [100.0], "same_phone": [True]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ana", "Bo"], "team": ["a", "a"]})
    fixes = quality.fix_list(problems, dups, _accounts(), reps)
    merge = fixes[fixes["problem"] == "probable duplicate"].iloc[0]
    assert (merge["id"], merge["owner"], merge["fix"]) == ("A4", "Bo", "merge into A1 (Café Éclair)")
    owners = fixes["owner_rep_id"]
    assert owners.isna().any() and owners.isna().iloc[-1] and owners.notna().iloc[0]  # unowned records last
    opps = pd.DataFrame({"opportunity_id": ["O1", "O2"], "rep_id": ["R2", "R1"], "stage": ["proposal"] * 2,
                         "close_date": pd.to_datetime(["2026-10-20"] * 2), "amount": [500.0, 900.0]})
    late_first = quality.fix_list(quality.issues(_accounts(), None, opps, AS_OF), dups, _accounts(), reps)
    assert late_first["id"].tolist()[:2] == ["O2", "O1"]  # open deals past their date first, largest first
    assert late_first["owner_rep_id"].iloc[2:].tolist() == fixes["owner_rep_id"].tolist()
    contacts = pd.DataFrame({"contact_id": ["C1", "C2"], "account_id": ["A1", "A4"]})
    pairs = pd.DataFrame({"contact_id": ["C1"], "duplicate_id": ["C2"], "name": ["Jean Dupré"],
                          "duplicate_name": ["Jean Dupre"], "similarity": [100.0], "same_email": [False]})
    both = quality.fix_list(problems, dups, _accounts(), reps, pairs, contacts)
    task = both[(both["record"] == "contact") & (both["problem"] == "probable duplicate")].iloc[0]
    assert (task["id"], task["owner"], task["fix"]) == ("C2", "Bo", "merge into C1 (Jean Dupré)")  # A4 is Bo's


def test_demo_planted_problems_are_found_exactly(demo_dir):
    from salesnb.data.workspace import Workspace
    m = json.loads((demo_dir / "manifest.json").read_text())
    ws = Workspace(demo_dir / "workspace.duckdb")
    problems = quality.issues(ws.read("accounts"), ws.read("contacts"), ws.read("opportunities"),
                              pd.Timestamp("2026-11-01"))
    ws.close()
    for key, problem in (("contacts_invalid_email", "invalid email"),
                         ("contacts_missing_email", "missing email"), ("stale_contacts", "stale"),
                         ("contacts_without_account", "no account"),
                         ("accounts_without_owner", "no owner"),
                         ("open_opportunities_past_close", "open past close date")):
        found = set(problems.loc[problems["problem"] == problem, "id"])
        assert found == set(m[key]), problem


def test_owners_sentence_names_who_has_most_to_fix():
    problems = pd.DataFrame({"id": ["a", "b", "b", "c", "d"], "owner_rep_id": ["R1", "R2", "R2", "R2", None]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ana", "Bo"]})
    assert quality.owners_sentence(problems, reps) == (
        "Most records to fix: Bo (2), Ana (1). 1 record with a problem has no owner: it counts in the organisation's "
        "data hygiene and in no team's.")
    assert quality.owners_sentence(problems.iloc[:0], reps) == ""


def test_potentials_below_the_last_12_months_sales_are_found_and_listed(in_euros):
    accounts = pd.DataFrame({"account_id": ["A1", "A2", "A3", "A4"], "name": ["Un", "Deux", "Trois", "Quatre"],
                             "owner_rep_id": ["R1", "R1", None, "R2"], "potential": [100.0, 50.0, 10.0, None]})
    revenue = pd.Series({"A1": 90.0, "A2": 150.0, "A3": 20.0, "A4": 500.0})
    below = quality.potential_below_sales(accounts, revenue)
    assert below["account_id"].tolist() == ["A2", "A3"] and below["ratio"].tolist() == [3.0, 2.0]
    assert quality.potential_sentence(below, 3) == (
        "2 of the 3 accounts with a stated potential bought more in the last 12 months than that potential (up to "
        "3.0×: Deux, €150 against €50). The account scores, the quota split and the fairness check use the "
        "potential: update these (they are in the fix list).")
    assert quality.potential_sentence(below.iloc[:0], 3) == ""
    dups = pd.DataFrame(columns=["account_id", "duplicate_id", "name", "duplicate_name"])
    fixes = quality.fix_list(quality.issues(_accounts(), None, None, AS_OF), dups, accounts, None, potentials=below)
    row = fixes[fixes["problem"] == "potential below its sales"].iloc[0]
    assert (row["id"], row["fix"]) == ("A2", "update the potential (€50): it bought €150 in the last 12 months")
    n = len(quality.issues(_accounts(), None, None, AS_OF))
    assert quality.fix_list_sentence(fixes) == (
        f"The fix list has {n + 2} rows: {n} problems and 2 potentials to update.")


def test_a_report_using_potentials_says_how_many_are_below_sales():
    below = pd.DataFrame({"account_id": ["A2", "A3"]})
    assert quality.potential_caveat(below, 40) == (
        "The potentials come from the CRM: 2 of the 40 accounts with one bought more than it in the last 12 months, "
        "so the figures that use it understate them (the data-quality report lists them to update).")
    assert quality.potential_caveat(below.iloc[:0], 40) == ""


def test_open_deals_missing_fields_weigh_their_money_in_hygiene(in_euros):
    accounts = pd.DataFrame({"account_id": ["A1"], "name": ["Acme"], "owner_rep_id": ["R1"], "phone": [None],
                             "updated_date": pd.to_datetime(["2026-10-01"])})
    opps = pd.DataFrame({"opportunity_id": ["BIG", "SMALL", "NOAMT", "OK"], "rep_id": "R1",
                         "account_id": ["A1", None, "A1", "A1"], "stage": "proposal",
                         "amount": [4000.0, 100.0, None, 1000.0],
                         "close_date": pd.to_datetime([None, "2026-12-01", "2026-12-01", "2026-12-01"])})
    problems = quality.issues(accounts, None, opps, AS_OF)
    got = set(zip(problems["id"], problems["problem"], strict=True))
    assert got == {("BIG", "no close date"), ("SMALL", "no account"), ("NOAMT", "no amount")}
    typical = quality.typical_deal(opps)  # median of 4000, 100, 1000
    assert typical == 1000
    records = quality.owned_records(accounts, None, opps, typical)
    assert records.set_index("id")["weight"].to_dict() == {"A1": 1, "BIG": 4, "SMALL": 1, "NOAMT": 1, "OK": 1}
    # weights 1 + 4 + 1 + 1 + 1 = 8, of which BIG 4 + SMALL 1 + NOAMT 1 = 6 have a problem: 25 clean
    assert quality.score(records, problems) == pytest.approx(25)
    reps = pd.DataFrame({"rep_id": ["R1"], "name": ["Ana"], "team": ["a"]})
    h = quality.hygiene(records, problems, reps)
    assert h.loc["R1", ["records", "with_problems", "pipeline_with_problems"]].tolist() == [5, 3, 4100]
    assert h.loc["R1", "hygiene_score"] == pytest.approx(25)


def test_data_that_assign_no_owner_call_no_account_ownerless():
    accounts = pd.DataFrame({"account_id": ["A1", "A2"], "name": ["Acme", "Bolt"], "owner_rep_id": [None, None],
                             "phone": ["+33 1 42 68 53 00", None], "updated_date": pd.to_datetime(["2026-10-01"] * 2)})
    as_of = pd.Timestamp("2026-11-01")
    assert quality.issues(accounts, None, None, as_of)["problem"].tolist() == ["no owner", "no owner"]
    assert quality.issues(accounts, None, None, as_of, owned=False).empty
