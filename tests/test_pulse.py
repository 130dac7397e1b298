import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from salesnb.core.scope import ALL
from salesnb.domains import pulse
from salesnb.report.registry import OverviewParams, TeamPulseParams


def _answers(sizes: dict[str, int], seed: int = 0, date: str = "2026-10-15") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [{"response_id": f"{date}-{team}-{i}", "survey_date": pd.Timestamp(date), "team": team,
             "question_id": "enps", "score": int(rng.integers(0, 11))}
            for team, n in sizes.items() for i in range(n)]
    return pd.DataFrame(rows)


def _hidden(sizes: dict[str, int], min_respondents: int = 5) -> tuple[set, bool]:
    v = pulse.visibility(_answers(sizes), min_respondents).droplevel(["survey_date", "question_id"])["shown"]
    return {t for t, shown in v.items() if not shown and t != "all"}, bool(v["all"])


def test_one_small_team_is_hidden_with_the_next_smallest():
    assert _hidden({"a": 3, "b": 8, "c": 9}) == ({"a", "b"}, True)
    assert _hidden({"a": 3, "b": 8}) == ({"a", "b"}, True)  # the total is then a+b: nothing per team
    assert _hidden({"a": 2, "b": 2, "c": 9}) == ({"a", "b", "c"}, True)  # a+b = 4 < 5: c goes too
    assert _hidden({"a": 3}) == ({"a"}, False)
    assert _hidden({"a": 6, "b": 7}) == (set(), True)


@pytest.mark.parametrize("seed", range(40))
def test_no_hidden_figure_follows_from_the_published_ones(seed):
    """Play the reader who subtracts: from the total and the teams shown, what is left must be a group of
    two or more teams holding at least the threshold, never one team."""
    rng = np.random.default_rng(seed)
    sizes = {f"t{i}": int(rng.integers(1, 12)) for i in range(int(rng.integers(1, 6)))}
    answers = _answers(sizes, seed)
    visible = pulse.visibility(answers, 5)
    table = pulse.survey_table(pd.concat([answers, answers.assign(team="all")]), pd.DataFrame(
        {"rep_id": [], "team": [], "hire_date": [], "end_date": []}), visible).set_index("team")
    published = table[table["shown"]]
    if "all" not in published.index:
        return
    teams = published.drop(index="all")
    left_n = published.at["all", "respondents"] - teams["respondents"].sum()
    left = [t for t in sizes if t not in teams.index]
    assert left_n == sum(sizes[t] for t in left)
    assert not left or (len(left) >= 2 and left_n >= 5), (sizes, left)


def test_the_threshold_has_a_floor_no_parameter_lowers():
    common = {"workspace": "w.duckdb", "team": "all", "month": "2026-10"}
    for model in (TeamPulseParams, OverviewParams):
        with pytest.raises(ValidationError, match="greater than or equal to 5"):
            model(**common, min_respondents=3)
        assert model(**common, min_respondents=8).min_respondents == 8


def test_question_means_are_per_survey_never_pooled():
    small = _answers({"a": 3}, date="2026-10-15")
    big = _answers({"a": 9}, seed=1, date="2026-07-15")
    answers = pd.concat([big, small]).assign(team="a")
    means = pulse.question_means(answers, pulse.visibility(answers))
    # the latest survey (3 respondents) is hidden; the July one does not stand in for it
    assert means.loc["a", "survey_date"] == "2026-10-15" and np.isnan(means.loc["a", "Recommend (eNPS)"])
    assert [pulse.question_label(q) for q in ("q1_workload", "q12 team spirit", "enps", "tools")] == [
        "Workload", "Team spirit", "Recommend (eNPS)", "Tools"]


def test_a_question_few_answered_is_hidden_though_the_survey_is_shown():
    """Nine answered the eNPS question in team a, one of them the manager question: that mean is one person's
    answer. Team b's manager answers are hidden with it, else a's would follow from the organisation's mean."""
    enps_rows = _answers({"a": 9, "b": 9, "c": 9})
    manager = pd.DataFrame({"response_id": ["2026-10-15-a-0"] + [f"2026-10-15-{t}-{i}" for t in "bc" for i in range(6)],
                            "survey_date": pd.Timestamp("2026-10-15"), "team": ["a"] + ["b"] * 6 + ["c"] * 6,
                            "question_id": "q2_manager", "score": [9] + [5] * 6 + [7] * 6})
    answers = pd.concat([enps_rows, manager], ignore_index=True)
    means = pulse.question_means(answers, pulse.visibility(answers))
    assert means["Recommend (eNPS)"].notna().all()
    assert means["Manager"].isna().tolist() == [True, True, False]  # a (1 answer) and b, the next smallest
    assert means.loc["c", "Manager"] == 7
    assert means["note"].tolist() == ["some questions hidden: too few answered them"] * 2 + [""]
    org = pulse.question_means(answers.assign(team="all"), pulse.visibility(answers))
    assert org.loc["all", "Manager"] == pytest.approx((9 + 5 * 6 + 7 * 6) / 13)


def test_a_team_below_zero_survey_after_survey_is_named_and_the_table_pivots():
    surveys = pd.DataFrame({
        "team": ["east"] * 3 + ["west"] * 3, "shown": True,
        "survey_date": pd.to_datetime(["2026-08-15", "2026-09-15", "2026-10-15"] * 2),
        "enps": [-25.0, -71.0, -71.0, -10.0, -20.0, -5.0], "enps_low": [-70.0, -100, -100, -60, -70, -50],
        "enps_high": [20.0, -38, -38, 40, 30, 40]})
    text = pulse.persistent_sentence(surveys)
    assert text.startswith("A lasting climate problem, not chance: east, below zero in 3 of its 3 surveys (the last "
                           "3: -25, -71, -71; latest 95% interval -100 to -38).")
    assert "west" not in text  # below zero too, but its latest interval reaches above zero: could be noise
    assert pulse.persistent_sentence(surveys[surveys["team"] == "west"]) == ""
    wide = pulse.enps_by_survey(surveys)
    assert list(wide.columns) == ["2026-08", "2026-09", "2026-10"] and wide.loc["east", "2026-09"] == -71


def test_climate_summary_means_over_surveys_and_counts_only_followed_ones():
    climate = pd.DataFrame({"team": ["a", "a", "a", "b", "b"],
                            "enps": [-40.0, -60.0, -20.0, 30.0, 10.0],
                            "attainment": [0.8, 0.9, 1.0, 1.1, 0.9],
                            "left_within_6_months": [0.25, 0.15, np.nan, 0.0, np.nan]})
    s = pulse.climate_summary(climate, 6)
    assert s.loc["a", "mean_enps"] == pytest.approx(-40) and s.loc["a", "surveys"] == 3
    assert s.loc["a", "left_within_6_months"] == pytest.approx(0.2) and s.loc["a", "surveys_followed"] == 2
    assert s.loc["b", "attainment"] == pytest.approx(1.0) and s.loc["b", "surveys_followed"] == 1
    text = pulse.climate_sentence(s, 6)
    assert text.startswith("A has the lowest mean eNPS (-40 over 3 surveys; the other teams +20 to +20)")
    assert "20% of its reps left within 6 months of a survey, against 0%" in text and "90% (others 100%)" in text
    assert pulse.climate_sentence(s.loc[["a"]], 6) == ""


def test_question_gaps_name_questions_a_point_under_the_organisation():
    means = pd.DataFrame({"survey_date": "2026-10-15", "Tools": [5.0, 7.5], "Recommend (eNPS)": [7.0, 7.2]},
                         index=["east", "north"])
    org = pd.DataFrame({"survey_date": "2026-10-15", "Tools": [6.2], "Recommend (eNPS)": [7.1]}, index=[ALL])
    assert pulse.question_gaps(means, org) == ("At least 1 point under the organisation in the latest survey: east "
                                               "on tools (5.0, organisation 6.2).")
    assert pulse.question_gaps(means.loc[["north"]], org).startswith("Every mean answer of north")
    assert pulse.question_gaps(means, org.assign(Tools=np.nan, **{"Recommend (eNPS)": np.nan})) == ""
