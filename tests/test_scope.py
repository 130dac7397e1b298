"""Scope: partial months, the first month the data cover, `latest`, the header; and what claims need."""

import pandas as pd
import pytest

from salesnb.core.scope import first_full_month, is_partial, latest_month
from salesnb.data.workspace import Workspace, load_folder
from salesnb.report import claims
from salesnb.report.opening import make_scope


@pytest.mark.parametrize(("month", "end", "partial"), [
    ("2026-12", "2026-12-09", True),    # an export taken on the 9th
    ("2026-10", "2026-10-30", False),   # Friday 30th: the 31st is a Saturday
    ("2026-10", "2026-10-29", True),
    ("2026-05", "2026-05-29", False),   # Friday 29th before a weekend
    ("2026-11", "2026-12-09", False),   # the data go on after the month
])
def test_a_month_is_partial_when_the_data_stop_before_its_last_business_day(month, end, partial):
    assert is_partial(pd.Period(month, freq="M"), pd.Timestamp(end)) is partial


def test_latest_is_the_last_complete_month():
    assert latest_month(pd.Timestamp("2026-12-09")) == "2026-11"
    assert latest_month(pd.Timestamp("2026-10-31")) == "2026-10"


def test_first_full_month_starts_on_the_first_business_day():
    assert str(first_full_month(pd.Timestamp("2025-12-01"))) == "2025-12"
    assert str(first_full_month(pd.Timestamp("2025-11-03"))) == "2025-11"  # Monday 3rd: 1-2 are a weekend
    assert str(first_full_month(pd.Timestamp("2025-11-04"))) == "2025-12"


def test_scope_takes_currency_from_dataset_yaml_and_parameters_first(tiny_ws):
    scope = make_scope(tiny_ws, "a", "2026-10")
    assert scope.currency.code == "EUR" and scope.country is None
    assert scope.header() == "Team a · October 2026 · amounts in EUR."
    assert scope.header(money=False) == "Team a · October 2026."  # a report without amounts
    assert make_scope(tiny_ws, "all", "2026-10", currency="GBP").currency.symbol == "£"
    assert (scope.data_start, scope.data_end) == (pd.Timestamp("2025-10-15"), pd.Timestamp("2026-10-31"))
    assert str(scope.first_full_month) == "2025-11"


def test_lines_without_rep_belong_to_their_team(tiny_dir):
    lines = pd.read_csv(tiny_dir / "order_lines.csv")
    lines["team"] = None
    lines.loc[[0, 4], "rep_id"] = None
    lines.loc[[0, 4], "team"] = ["c", "a"]
    lines.to_csv(tiny_dir / "order_lines.csv", index=False)
    load_folder(tiny_dir, tiny_dir / "workspace.duckdb")
    ws = Workspace(tiny_dir / "workspace.duckdb")
    assert ws.teams() == ["a", "b", "c"]
    assert sorted(ws.read("order_lines", "a")["line_id"]) == ["L2", "L4", "L5"]
    assert ws.count("order_lines", "c") == 1 and ws.months_with_rows("order_lines", "c") == {"2025-10"}
    sales = ws.sales("a", "2026-10")
    assert sales.set_index("line_id")["rep"].isna().to_dict() == {"L4": False, "L5": True}
    ws.close()


def test_each_claim_names_what_it_lacks_and_is_silent_when_the_input_is_there():
    accounts = pd.DataFrame({"owner_rep_id": [None, None], "lat": [1.0, None], "lon": [2.0, None]})
    reps = pd.DataFrame({"base_lat": [None], "base_lon": [None]})
    assert "No account has an owner" in claims.owners(accounts)
    assert claims.owners(accounts.assign(owner_rep_id=["R1", None])) == ""
    assert "No coordinates in reps.base_lat/base_lon," in claims.coordinates(accounts, reps)
    assert claims.coordinates(accounts, reps.assign(base_lat=[1.0], base_lon=[2.0])) == ""
    products = pd.DataFrame({"max_discount": [None]})
    assert "No product carries a price guideline" in claims.guidelines(products)
    assert claims.guidelines(products, {"F1": {"*": 0.2}}) == ""
    assert "No stage history" in claims.stage_history(None) and claims.stage_history(pd.DataFrame({"a": [1]})) == ""
    opps = pd.DataFrame({"stage": ["won", "qualification"], "amount": [100.0, None],
                         "close_date": pd.to_datetime(["2026-10-01", "2026-12-01"])})
    assert "No open deal has both an amount and an expected close date" in claims.open_amounts(opps)
    assert claims.open_amounts(opps.assign(amount=[100.0, 50.0])) == ""
    assert "name no rep" in claims.team_column(pd.DataFrame({"rep": [None]}))
    assert "class C" in claims.revenue(pd.DataFrame({"account_id": [None]}))


def test_month_windows_hand_worked():
    from salesnb.core import scope as s

    oct26 = pd.Period("2026-10", freq="M")
    assert s.as_month("2026-10") == oct26 and s.as_month(oct26) is not None
    assert s.month_start("2026-10") == pd.Timestamp("2026-10-01")
    assert s.month_start("2026-10", -11) == pd.Timestamp("2025-11-01")
    assert s.month_window("2026-10", 1) == (pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"))
    assert s.trailing_window("2026-10", 3) == (pd.Timestamp("2026-08-01"), pd.Timestamp("2026-11-01"))
    assert s.comparison_starts("2026-03") == {"month": pd.Timestamp("2026-03-01"),
                                              "previous_month": pd.Timestamp("2026-02-01"),
                                              "last_year": pd.Timestamp("2025-03-01")}
    assert s.next_monday("2026-10") == pd.Timestamp("2026-11-02")  # 1 Nov 2026 is a Sunday
    assert s.next_monday("2026-05") == pd.Timestamp("2026-06-01")  # 1 June 2026 is a Monday
    df = pd.DataFrame({"d": ["2026-07-31", "2026-08-01", "2026-10-31", "2026-11-01"]})
    assert list(s.between(df, "d", *s.trailing_window("2026-10", 3))["d"]) == ["2026-08-01", "2026-10-31"]


@pytest.mark.parametrize("month", ["latest", "2026-13", "Oct 2026", ""])
def test_a_report_month_must_be_a_month(month):
    from salesnb.core.errors import ParameterError
    from salesnb.core.scope import as_month

    with pytest.raises(ParameterError, match="malformed: write it as YYYY-MM"):
        as_month(month)


def test_an_unknown_team_is_refused_when_a_report_opens(tiny_ws):
    from salesnb.core.errors import ParameterError

    with pytest.raises(ParameterError, match="Unknown team 'c'.*teams a, b"):
        make_scope(tiny_ws, "c", "2026-10")


def test_in_months_keeps_the_rows_of_the_months_named_on_date_and_timestamp_columns():
    import ibis

    from salesnb.core.lazy import run
    from salesnb.core.scope import in_months

    days = pd.to_datetime(["2026-08-31", "2026-09-01", "2026-09-30", "2026-10-01", "2025-10-15", "2026-11-01"])
    for frame in (pd.DataFrame({"d": days}), pd.DataFrame({"d": days.date})):
        t = ibis.memtable(frame)
        starts = [pd.Timestamp("2026-09-01"), pd.Timestamp("2025-10-01")]
        kept = pd.to_datetime(run(t.filter(in_months(t, "d", starts)))["d"]).sort_values()
        assert [f"{d:%Y-%m-%d}" for d in kept] == ["2025-10-15", "2026-09-01", "2026-09-30"]


@pytest.mark.parametrize("team, ok", [
    ("north", True), ("EMEA: North", True), ("Zoé", True), ("😀" * 25, True),  # 100 bytes
    ("😀" * 26, False),  # 26 characters but 104 bytes: file systems count bytes
    ("index.html", False), ("Glossary.HTML", False), ("runs.json", False),  # the month folder's own files
    ("a\u202eb", False), ("a\x85b", False), ("a\tb", False), ("../a", False), (".hidden", False), ("all", False),
])
def test_a_team_name_must_be_able_to_name_its_report_folder(team, ok):
    from salesnb.core.scope import folder_safe

    assert folder_safe(team) is ok
