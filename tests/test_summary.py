import numpy as np
import pandas as pd
import pytest

from salesnb.domains import forecast as F
from salesnb.domains import reporting, summary


def _sales(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"month": pd.to_datetime(list(values)), "revenue": list(values.values())})


def test_quarter_and_year_to_date_against_last_year_and_quota():
    sales = _sales({"2025-01-01": 10, "2025-07-01": 20, "2025-08-01": 30, "2026-01-01": 15, "2026-07-01": 25,
                    "2026-08-01": 35, "2026-09-01": 99})
    quotas = pd.DataFrame({"month": ["2026-07-01", "2026-08-01"], "quota": [50.0, 50.0]})
    t = summary.to_date(sales, quotas, "2026-08")
    assert t.loc["quarter to date", ["revenue", "same_months_last_year", "quota"]].tolist() == [60, 50, 100]
    assert t.loc["quarter to date", "vs_same_months_last_year"] == pytest.approx(0.2)
    assert t.loc["quarter to date", "attainment"] == pytest.approx(0.6)
    # September 2026 is after the month: not counted
    assert t.loc["year to date", ["revenue", "same_months_last_year"]].tolist() == [75, 60]
    assert t["from"].tolist() == ["July 2026", "January 2026"]


def test_no_comparison_with_a_year_the_data_do_not_cover():
    t = summary.to_date(_sales({"2026-07-01": 25}), None, "2026-08")
    assert np.isnan(t.loc["year to date", "vs_same_months_last_year"]) and np.isnan(t.loc["year to date", "attainment"])


def test_the_groups_that_moved_revenue_most():
    by = pd.DataFrame({"revenue": [100, 50, 80], "revenue_previous_month": [90, 90, 79]}, index=["a", "b", "c"])
    assert reporting.movers(by)["change"].to_dict() == {"b": -40, "a": 10}


def test_rates_that_moved_five_points_or_more_are_said():
    kpis = pd.DataFrame({"unit": ["money", "percent", "percent", "percent"],
                         "value": [100.0, 0.335, 0.409, 0.80], "change": [50.0, -0.116, 0.01, -0.2],
                         "against": ["last month", "the 3 months to September", "last month", "last month"]},
                        index=["revenue", "win_rate", "margin_pct", "attainment"])
    assert summary.shifts(kpis) == [
        ("win_rate", "Win rate, last 3 months fell 11.6 points to 33.5%, against the 3 months to September.")]
    assert summary.shifts(kpis.drop(index="win_rate")) == []
    noted = summary.shifts(kpis, notes={"win_rate": "Beyond chance."})
    assert noted[0][1].endswith("against the 3 months to September. Beyond chance.")


def test_look_at_names_the_worst_red_group_and_ignores_a_colour_shared_by_all():
    values = pd.DataFrame({"attainment": [0.5, 0.8, 1.1], "win_rate": [0.1, 0.1, 0.1]}, index=["a", "b", "c"])
    status = pd.DataFrame({"attainment": ["red", "red", "green"], "win_rate": ["red"] * 3}, index=values.index)
    assert summary.look_at(values, status) == [("attainment", [("a", "50.0%"), ("b", "80.0%")], 3)]
    status["margin_pct"], values["margin_pct"] = ["green", "green", "red"], [0.4, 0.4, 0.1]
    assert [m for m, _, _ in summary.look_at(values, status)] == ["attainment", "margin_pct"]  # 2 of 3 red first
    rest = summary.look_at(values, status)[1:]
    assert summary.more_sentence(rest, "rep") == "Also red for some reps: “margin rate” for c (10.0%)."
    assert summary.more_sentence(summary.look_at(values, status), "rep") == (
        "Also red for some reps: “quota attainment” for a (50.0%) and b (80.0%); “margin rate” for c (10.0%).")
    many = [("attainment", [(g, "1%") for g in "abcde"], 9)]
    assert summary.more_sentence(many, "rep") == (
        "Also red for some reps: “quota attainment” for a (1%), b (1%), c (1%) and 2 more.")
    assert summary.everywhere_sentence(values, status, "team") == (
        "Red for every team: “win rate, last 3 months” (10.0%).")
    assert summary.everywhere_sentence(values.iloc[:1], status.iloc[:1], "team") == ""
    assert summary.everywhere_sentence(values.assign(win_rate=[0.1, 0.12, 0.16]), status, "team").endswith(
        "(10.0% to 16.0%).")
    assert summary.not_judged_sentence(["Olivier Legrand"]) == (
        "Olivier Legrand, hired in the last 6 months and still on the ramp, is in the table below but not coloured "
        "or named above.")
    assert summary.not_judged_sentence(["A", "B"]).startswith("A and B, hired in the last 6 months and still on")


def _series(fc: pd.DataFrame, backtest: pd.DataFrame | None = None) -> F.SeriesForecast:
    history = pd.Series([10.0, 20.0], index=pd.to_datetime(["2026-09-01", "2026-10-01"]))
    return F.SeriesForecast("t", history, pd.DataFrame(), "naive", "", fc,
                            pd.DataFrame() if backtest is None else backtest)


def test_outlook_adds_invoiced_months_to_the_forecast_of_the_rest_of_the_quarter():
    fc = pd.DataFrame({"yhat": [30.0, 40.0, 50.0], "lower": [25.0, 35.0, 45.0], "upper": [35.0, 45.0, 55.0]},
                      index=pd.to_datetime(["2026-11-01", "2026-12-01", "2027-01-01"]))
    # two-month sums at 5 origins: forecast 100 each, actual 80, 90, 100, 110, 130 -> relative errors -0.2 ... +0.3;
    # with n = 5 the 80% bounds are the floor(6 * 0.1) = 0 -> 1st and ceil(6 * 0.9) = 6 -> 5th smallest
    sums = [80.0, 90.0, 100.0, 110.0, 130.0]
    bt = pd.DataFrame({"origin": np.repeat(range(5), 2), "step": [1, 2] * 5, "model": "naive", "forecast": 50.0,
                       "actual": [a / 2 for a in sums for _ in (1, 2)]})
    o = summary.outlook(_series(fc, bt), "2026-10")
    assert o.loc["November 2026"].tolist() == [30, 25, 35]
    assert o.loc["Q4 2026"].tolist() == pytest.approx([20 + 70, 20 + 70 * 0.8, 20 + 70 * 1.3])
    quotas = pd.DataFrame({"rep_id": ["a", "b", "a", "a"], "month": ["2026-10-01", "2026-11-01", "2026-11-01",
                                                                     "2026-12-01"], "quota": [30.0, 20.0, 40.0, 50.0]})
    q = summary.outlook(_series(fc, bt), "2026-10", quotas)
    assert q["quota"].tolist() == [60, 30 + 60 + 50]
    assert q["forecast_vs_quota"].tolist() == pytest.approx([30 / 60, 90 / 140])
    partial = summary.outlook(_series(fc, bt), "2026-10", quotas[quotas["month"] != "2026-12-01"])
    assert partial.loc["November 2026", "quota"] == 60 and np.isnan(partial.loc["Q4 2026", "quota"])
    bare = summary.outlook(_series(fc.assign(lower=np.nan, upper=np.nan)), "2026-10")  # no backtest, no interval
    assert bare.loc["Q4 2026", "forecast"] == 90 and bare.loc["Q4 2026", ["lower", "upper"]].isna().all()
    few = summary.outlook(_series(fc, bt[bt["origin"] < 3]), "2026-10")  # 3 origins: too few for an interval
    assert few.loc["Q4 2026", ["lower", "upper"]].isna().all()


def test_an_interval_always_holds_its_forecast_and_is_never_a_point():
    fc = pd.DataFrame({"yhat": [100.0, 0.0]})
    above = F.with_interval(fc, 0.1, 0.3)  # every backtest error positive: widened down to the forecast
    assert above["lower"].tolist()[0] == 100 and above["upper"].tolist()[0] == pytest.approx(130)
    assert above[["lower", "upper"]].iloc[1].isna().all()  # a zero forecast has no relative interval
    assert F.with_interval(fc, 0.0, 0.0)[["lower", "upper"]].isna().all().all()
    assert F.with_interval(fc, -1.5, 0.2)["lower"].iloc[0] == 0  # never below zero



def test_enps_change_within_its_interval_is_called_noise():
    from salesnb.domains import pulse

    def survey(date, scores):
        return pd.DataFrame({"response_id": [f"{date}-{i}" for i in range(len(scores))], "survey_date": date,
                             "question_id": "enps", "score": scores, "team": "t"})

    answers = pd.concat([survey("2026-09-15", [10, 9, 7, 3, 8, 10]), survey("2026-10-15", [10, 9, 7, 3, 8, 9])])
    low, high = pulse.enps_interval(pd.Series([10, 9, 7, 3, 8, 9]))
    assert pulse.enps_sentence(answers, pulse.visibility(answers), "t") == (
        f"eNPS +33 in the survey of 15 October 2026 (6 respondents; 95% interval {low:+.0f} to {high:+.0f}): "
        "unchanged since the survey before.")
    later = pd.concat([answers, survey("2026-11-15", [10, 9, 7, 3, 8, 7])])  # +17: one promoter fewer
    assert pulse.enps_sentence(later, pulse.visibility(later), "t").endswith(
        ": the change of -17 since the survey before is within that noise.")
    assert pulse.enps_sentence(answers, pulse.visibility(answers, 7), "t") == ""


@pytest.fixture
def no_currency():
    from salesnb.core import money

    before = money.current()
    money.use(money.currency(None))
    yield
    money.use(before)


def test_moved_and_look_sentences(no_currency):
    summary_table = pd.DataFrame({"month": [120.0], "previous_month": [100.0]}, index=["revenue"])
    by = pd.DataFrame({"revenue": [70.0, 50.0], "revenue_previous_month": [40.0, 60.0]}, index=["east", "west"])
    assert summary.moved_sentence(summary_table, by, "the whole organisation", "2026-10") == (
        "Revenue 120 in October 2026, +20.0% on the previous month (+20); the largest moves: east +30; west −10.")
    assert summary.look_sentence("enps", [("east", "-71")], 4, "team") == (
        "Look at eNPS: red for 1 of 4 teams — east (-71).")
    assert summary.look_sentence("attainment", [("Ana", "53.9%"), ("Bo", "82.2%")], 10, "rep") == (
        "Look at quota attainment: red for 2 of 10 reps — Ana (53.9%), Bo (82.2%).")


def test_a_net_score_carries_its_sign_and_a_score_does_not():
    assert [summary.format_value("net", x) for x in (4.0, -71.0, 0.2)] == ["+4", "-71", "0"]
    assert [summary.format_value("score", x) for x in (97.0, 97.34)] == ["97.0", "97.3"]


def test_headline_says_the_month_from_the_tiles(no_currency):
    kpis = pd.DataFrame({"value": [120.0, 0.96, 0.886], "previous": [100.0, 0.95, np.nan]},
                        index=["revenue", "attainment", "forecast_vs_quota"])
    assert summary.headline(kpis, "team north", "2026-10") == (
        "Team north invoiced 120 in October 2026 (+20.0% on September), 96.0% of quota; the forecast for November "
        "is 88.6% of its quota.")
    assert summary.headline(kpis.loc[["revenue"]].assign(previous=np.nan), "team north", "2026-10") == (
        "Team north invoiced 120 in October 2026.")
    assert summary.headline(kpis.iloc[:0], "team north", "2026-10") == ""


def test_the_organisations_hygiene_under_every_teams_is_explained():
    org = pd.DataFrame({"value": [97.1]}, index=["hygiene"])
    teams = pd.DataFrame({"hygiene": [97.34, 97.41]}, index=["east", "north"])
    assert summary.hygiene_note(org, teams) == (
        "The organisation's data hygiene (97.1) is below every team's (97.3 to 97.4): records with a problem and no "
        "owner count in the organisation's score and in no team's.")
    assert summary.hygiene_note(org.assign(value=97.35), teams) == ""
    assert summary.hygiene_note(org.drop(index="hygiene"), teams) == ""


def test_colours_on_default_thresholds_are_said_to_be_defaults():
    defaults = {"margin_pct": {"good": 0.4, "warn": 0.35}, "win_rate": {"good": 0.35, "warn": 0.25}}
    mine = {"margin_pct": {"good": 0.15, "warn": 0.1}, "win_rate": {"good": 0.35, "warn": 0.25}}
    assert summary.defaults_sentence(mine, defaults, ["margin_pct", "win_rate"]).startswith(
        "The colours of “win rate, last 3 months” are judged against salesnb's default thresholds, not targets set")
    assert summary.defaults_sentence(defaults, defaults, ["margin_pct", "win_rate"]).startswith(
        "The colours of every KPI are judged against salesnb's default thresholds")
    assert summary.defaults_sentence(mine, defaults, ["margin_pct"]) == ""
    table = summary.thresholds_table(mine, None, defaults)
    assert table["set_by"].to_dict() == {"Margin rate": "you", "Win rate, last 3 months": "salesnb's default"}
    assert table.loc["Margin rate", "green"].startswith("15") and table.loc["Margin rate", "red"].startswith("under 10")
