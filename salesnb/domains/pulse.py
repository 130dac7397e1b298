"""Team climate: pulse surveys and eNPS, never shown for groups too small to stay anonymous."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesnb.core.scope import is_org

ENPS_QUESTION = "enps"
MAX_QUESTIONS = 10


def enps(scores: pd.Series) -> float:
    """eNPS: % promoters (9–10) − % detractors (0–6); between −100 and 100."""
    s = scores.dropna()
    if s.empty:
        return float("nan")
    return float(100 * ((s >= 9).mean() - (s <= 6).mean()))


def enps_interval(scores: pd.Series, z: float = 1.96) -> tuple[float, float]:
    """95% confidence interval of eNPS (normal approximation of a difference of proportions)."""
    s = scores.dropna()
    n = len(s)
    if n == 0:
        return float("nan"), float("nan")
    p, d = (s >= 9).mean(), (s <= 6).mean()
    half = z * np.sqrt(max(p + d - (p - d) ** 2, 0) / n) * 100
    value = 100 * (p - d)
    return float(max(-100, value - half)), float(min(100, value + half))


def scale_note(answers: pd.DataFrame) -> str:
    """Which scale the answers use, and the eNPS definition applied."""
    scale = "1–10" if answers["score"].min() >= 1 else "0–10"
    return (f"Answers are on a {scale} scale. eNPS = % promoters (9–10) − % detractors "
            f"({'1' if answers['score'].min() >= 1 else '0'}–6); passives (7–8) count in the total only.")


def survey_table(answers: pd.DataFrame, reps: pd.DataFrame, min_respondents: int = 5) -> pd.DataFrame:
    """Per team and survey: respondents, response rate, eNPS and its interval; hidden under the threshold."""
    e = answers[answers["question_id"] == ENPS_QUESTION]
    rows = []
    for (team, date), g in e.groupby(["team", "survey_date"]):
        when = pd.Timestamp(date)
        hired = pd.to_datetime(reps["hire_date"]).fillna(when) <= when
        left = pd.to_datetime(reps["end_date"]) < when
        headcount = int(((reps["team"] == team) & hired & ~left).sum()) if not is_org(team) else \
            int((hired & ~left).sum())
        n = g["response_id"].nunique()
        low, high = enps_interval(g["score"])
        visible = n >= min_respondents
        rows.append({"team": team, "survey_date": when, "respondents": n,
                     "response_rate": n / headcount if headcount else np.nan,
                     "enps": enps(g["score"]) if visible else np.nan,
                     "enps_low": low if visible else np.nan, "enps_high": high if visible else np.nan,
                     "shown": visible})
    return pd.DataFrame(rows)


def question_means(answers: pd.DataFrame, min_respondents: int = 5) -> pd.DataFrame:
    """Mean answer per question and team over the surveys given, hidden for small groups."""
    g = answers.groupby(["team", "question_id"])
    out = pd.DataFrame({"respondents": g["response_id"].nunique(), "mean": g["score"].mean()})
    out.loc[out["respondents"] < min_respondents, "mean"] = np.nan
    return out["mean"].unstack("question_id")


def team_enps(answers: pd.DataFrame, min_respondents: int = 5) -> pd.DataFrame:
    """eNPS per team and survey date, hidden (NaN) where fewer than `min_respondents` answered."""
    e = answers[answers["question_id"] == ENPS_QUESTION]
    g = e.groupby(["team", "survey_date"])
    out = pd.DataFrame({"respondents": g["response_id"].nunique(), "enps": g["score"].apply(enps)})
    out.loc[out["respondents"] < min_respondents, "enps"] = np.nan
    return out


def climate_vs_results(surveys: pd.DataFrame, attainment: pd.DataFrame, reps: pd.DataFrame,
                       horizon_months: int = 6, data_end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per team and survey: eNPS beside that month's attainment and the attrition that followed (none for a
    survey whose following months the data do not cover yet)."""
    rows = []
    for s in surveys[surveys["shown"]].itertuples():
        month = s.survey_date.to_period("M").start_time
        mine = attainment[(attainment["team"] == s.team) & (attainment["month"] == month)]
        team_reps = reps[reps["team"] == s.team]
        end = pd.to_datetime(team_reps["end_date"])
        active = ~(end < s.survey_date)
        left = (end >= s.survey_date) & (end < s.survey_date + pd.DateOffset(months=horizon_months))
        rows.append({"team": s.team, "survey_date": s.survey_date, "enps": s.enps,
                     "attainment": mine["actual"].sum() / mine["quota"].sum() if len(mine) else np.nan,
                     "attrition_next_months": left.sum() / active.sum() if active.sum() and (
                         data_end is None or s.survey_date + pd.DateOffset(months=horizon_months) <= data_end)
                     else np.nan})
    return pd.DataFrame(rows)


def shown_table(surveys: pd.DataFrame) -> pd.DataFrame:
    """The survey table as displayed: hidden groups keep only a note, never a figure."""
    out = surveys.copy()
    out["survey_date"] = out["survey_date"].dt.strftime("%Y-%m-%d")
    hidden = ~out["shown"]
    out.loc[hidden, ["respondents", "response_rate"]] = np.nan
    out["note"] = np.where(hidden, "hidden: too few respondents", "")
    return out.drop(columns="shown").set_index(["team", "survey_date"])


def question_count_note(answers: pd.DataFrame) -> str:
    """Warn when a survey asks more than the recommended number of questions."""
    per_survey = answers.groupby("survey_date")["question_id"].nunique()
    worst = int(per_survey.max()) if len(per_survey) else 0
    if worst > MAX_QUESTIONS:
        return f"A survey asked {worst} questions: pulse surveys work best with at most {MAX_QUESTIONS}."
    return f"Surveys asked at most {worst} questions (pulse surveys: {MAX_QUESTIONS} at most)."


def latest_enps(surveys: pd.DataFrame, team: str) -> dict[str, float]:
    """The team's eNPS in its latest survey (empty when that survey is hidden or there is none)."""
    mine = surveys[surveys["team"] == team].sort_values("survey_date")
    return {"latest": float(mine["enps"].iloc[-1])} if len(mine) and mine["shown"].iloc[-1] else {}


def enps_sentence(answers: pd.DataFrame, min_respondents: int = 5) -> str:
    """The latest eNPS with its respondents and interval, and whether its change since the survey before is
    larger than that uncertainty ('' when the group is too small to show)."""
    e = answers[answers["question_id"] == ENPS_QUESTION]
    dates = sorted(e["survey_date"].unique())
    if not dates:
        return ""
    last = e[e["survey_date"] == dates[-1]]
    n = last["response_id"].nunique()
    if n < min_respondents:
        return ""
    value, (low, high) = enps(last["score"]), enps_interval(last["score"])
    text = (f"eNPS {value:+.0f} in the survey of {pd.Timestamp(dates[-1]):%d %B %Y} ({n} respondents; "
            f"95% interval {low:+.0f} to {high:+.0f})")
    before = e[e["survey_date"] == dates[-2]] if len(dates) > 1 else None
    if before is None or before["response_id"].nunique() < min_respondents:
        return text + "."
    moved = value - enps(before["score"])
    if abs(moved) <= (high - low) / 2:
        return text + f": the change of {moved:+.0f} since the survey before is within that noise."
    return text + f": it moved {moved:+.0f} since the survey before, more than the noise."
