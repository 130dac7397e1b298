"""Team climate: pulse surveys and eNPS, never shown for groups too small to stay anonymous."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from salesnb.core.scope import ALL, is_org
from salesnb.core.vocabulary import ANONYMITY_FLOOR

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
    return (f"Answers are on a {scale} scale, 10 the most favourable on every question. eNPS = % promoters "
            f"(9–10) − % detractors ({'1' if answers['score'].min() >= 1 else '0'}–6); passives (7–8) count in the "
            "total only.")


def _hidden(n: pd.Series, total: int, min_respondents: int) -> tuple[list, bool]:
    """The groups of one question in one survey to hide, and whether the total may be shown."""
    hidden = list(n.index[n < min_respondents])
    total_shown = total >= min_respondents
    others = n.drop(hidden).sort_values(kind="stable")
    while hidden and total_shown and (len(hidden) < 2 or n[hidden].sum() < min_respondents):
        if others.empty:
            total_shown = False
        else:
            hidden.append(others.index[0])
            others = others.iloc[1:]
    return hidden, total_shown


def visibility(answers: pd.DataFrame, min_respondents: int = ANONYMITY_FLOOR) -> pd.DataFrame:
    """Per team, survey and question, and for the organisation (team `ALL`): respondents to that question and
    whether the group's answers to it may be shown. A group under the threshold is hidden, and so are the smallest
    others beside it until the hidden groups hold at least `min_respondents` together, so that no hidden figure
    follows from the organisation's total by difference (the total is hidden when no such set exists). Decided per
    question, as a person may skip one; computed on the whole organisation's answers, so every report and scope
    hides the same groups."""
    rows = []
    for (date, question), g in answers.groupby(["survey_date", "question_id"]):
        n = g.groupby("team")["response_id"].nunique()
        total = g["response_id"].nunique()
        hidden, total_shown = _hidden(n, total, min_respondents)
        when = pd.Timestamp(date)
        rows += [{"team": t, "survey_date": when, "question_id": question, "respondents": int(k),
                  "shown": t not in hidden} for t, k in n.items()]
        rows.append({"team": ALL, "survey_date": when, "question_id": question, "respondents": total,
                     "shown": total_shown})
    out = pd.DataFrame(rows, columns=["team", "survey_date", "question_id", "respondents", "shown"])
    return out.set_index(["team", "survey_date", "question_id"])


def _shown(visible: pd.DataFrame, team: str, date: object, question: str = ENPS_QUESTION) -> bool:
    key = (ALL if is_org(team) else team, pd.Timestamp(date), question)
    return bool(visible["shown"].get(key, False))


def survey_table(answers: pd.DataFrame, reps: pd.DataFrame, visible: pd.DataFrame) -> pd.DataFrame:
    """Per team and survey: respondents, response rate, eNPS and its interval; blank for hidden groups."""
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
        shown = _shown(visible, team, when)
        rows.append({"team": team, "survey_date": when, "respondents": n,
                     "response_rate": n / headcount if headcount else np.nan,
                     "enps": enps(g["score"]) if shown else np.nan,
                     "enps_low": low if shown else np.nan, "enps_high": high if shown else np.nan,
                     "shown": shown})
    return pd.DataFrame(rows)


def question_label(question_id: str) -> str:
    """A question as a reader names it: q1_workload → Workload; the eNPS question → Recommend (eNPS)."""
    if question_id == ENPS_QUESTION:
        return "Recommend (eNPS)"
    words = re.sub(r"^q\d+[_ ]*", "", str(question_id)).replace("_", " ").strip() or str(question_id)
    return words[0].upper() + words[1:]


def question_means(answers: pd.DataFrame, visible: pd.DataFrame) -> pd.DataFrame:
    """Mean answer per question in each team's latest survey (never pooled across surveys); blank for hidden
    groups, with a note."""
    if answers.empty:
        return pd.DataFrame()
    latest = answers.groupby("team")["survey_date"].transform("max")
    last = answers[answers["survey_date"] == latest]
    means = last.groupby(["team", "question_id"])["score"].mean().unstack("question_id").rename_axis(columns=None)
    dates = last.groupby("team")["survey_date"].first()
    shown = pd.DataFrame({q: [_shown(visible, t, dates[t], q) for t in means.index] for q in means.columns},
                         index=means.index)
    means = means.where(shown)
    means.insert(0, "survey_date", pd.to_datetime(dates).dt.strftime("%Y-%m-%d"))
    whole = shown.all(axis=1)
    if not whole.all():
        means["note"] = np.where(whole, "", np.where(shown.any(axis=1), "some questions hidden: too few answered them",
                                                     "hidden: too few respondents"))
    return means.rename(columns={q: question_label(q) for q in means.columns if q not in ("survey_date", "note")})


def team_enps(answers: pd.DataFrame, visible: pd.DataFrame) -> pd.DataFrame:
    """eNPS per team and survey date, hidden (NaN) for groups that may not be shown."""
    e = answers[answers["question_id"] == ENPS_QUESTION]
    g = e.groupby(["team", "survey_date"])
    out = pd.DataFrame({"respondents": g["response_id"].nunique(), "enps": g["score"].apply(enps)})
    hidden = [not _shown(visible, t, d) for t, d in out.index]
    out.loc[hidden, "enps"] = np.nan
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
                     f"left_within_{horizon_months}_months": left.sum() / active.sum() if active.sum() and (
                         data_end is None or s.survey_date + pd.DateOffset(months=horizon_months) <= data_end)
                     else np.nan})
    return pd.DataFrame(rows)


def shown_table(surveys: pd.DataFrame) -> pd.DataFrame:
    """The survey table as displayed: hidden groups keep only a note, never a figure."""
    out = surveys.copy()
    out["survey_date"] = out["survey_date"].dt.strftime("%Y-%m-%d")
    hidden = ~out["shown"]
    out.loc[hidden, ["respondents", "response_rate"]] = np.nan
    if hidden.any():
        out["note"] = np.where(hidden, "hidden: too few respondents", "")
    return out.drop(columns="shown").set_index(["team", "survey_date"])


def enps_by_survey(surveys: pd.DataFrame) -> pd.DataFrame:
    """eNPS with one row per team and one column per survey month (hidden groups blank)."""
    out = surveys.assign(month=surveys["survey_date"].dt.strftime("%Y-%m"))
    return out.pivot(index="team", columns="month", values="enps").rename_axis(index=None, columns=None)


def climate_summary(climate: pd.DataFrame, horizon_months: int = 6) -> pd.DataFrame:
    """Per team, over its shown surveys: mean eNPS, mean attainment of the survey months, and the mean share of
    reps who left within the horizon (surveys whose following months the data cover only)."""
    left = f"left_within_{horizon_months}_months"
    g = climate.groupby("team")
    out = pd.DataFrame({"surveys": g.size(), "mean_enps": g["enps"].mean(), "attainment": g["attainment"].mean(),
                        left: g[left].mean(), "surveys_followed": g[left].count()})
    return out.rename_axis(None)


def climate_sentence(summary: pd.DataFrame, horizon_months: int = 6) -> str:
    """The team with the lowest mean eNPS set beside the others' results and departures ('' under two teams)."""
    left = f"left_within_{horizon_months}_months"
    teams = summary.drop(index=ALL, errors="ignore").dropna(subset=["mean_enps"])
    if len(teams) < 2:
        return ""
    low = teams["mean_enps"].idxmin()
    rest = teams.drop(index=low)
    text = (f"{low} has the lowest mean eNPS ({teams.loc[low, 'mean_enps']:+.0f} over {teams.loc[low, 'surveys']} "
            f"surveys; the other teams {rest['mean_enps'].min():+.0f} to {rest['mean_enps'].max():+.0f})")
    if pd.notna(teams.loc[low, left]) and rest[left].notna().any():
        text += (f"; {teams.loc[low, left]:.0%} of its reps left within {horizon_months} months of a survey, "
                 f"against {rest[left].mean():.0%} on average in the others")
    if pd.notna(teams.loc[low, "attainment"]) and rest["attainment"].notna().any():
        text += (f"; its attainment in the survey months was {teams.loc[low, 'attainment']:.0%} (others "
                 f"{rest['attainment'].mean():.0%})")
    return text[0].upper() + text[1:] + ". Set side by side, not a proof that one causes the other."


def question_gaps(means: pd.DataFrame, org_means: pd.DataFrame, threshold: float = 1.0) -> str:
    """The questions where a team's latest mean answer is at least `threshold` points under the organisation's
    ('' when the organisation's is not shown)."""
    if ALL not in org_means.index or org_means.loc[ALL].drop(["survey_date", "note"], errors="ignore").isna().all():
        return ""
    org = org_means.loc[ALL]
    questions = [q for q in org.index if q in means.columns and q not in ("survey_date", "note")]
    found = []
    for team, row in means.drop(index=ALL, errors="ignore").iterrows():
        gaps = (row[questions].astype(float) - org[questions].astype(float)).dropna()
        low = gaps[gaps <= -threshold].sort_values()
        found += [f"{team} on {q[0].lower()}{q[1:]} ({row[q]:.1f}, organisation {org[q]:.1f})" for q in low.index]
    if not found:
        teams = ", ".join(means.index.drop(ALL, errors="ignore"))
        return (f"Every mean answer of {teams} in the latest survey is within {threshold:g} point of the "
                "organisation's, or above it.")
    return f"At least {threshold:g} point under the organisation in the latest survey: {'; '.join(found)}."


def persistent_sentence(surveys: pd.DataFrame, surveys_in_a_row: int = 3) -> str:
    """Teams whose eNPS was below zero in each of their last surveys, with the latest interval all below zero
    too: a lasting problem, not noise ('' when there is none)."""
    found = []
    for team, g in surveys[surveys["shown"]].sort_values("survey_date").groupby("team"):
        last = g.tail(surveys_in_a_row)
        if len(last) == surveys_in_a_row and (last["enps"] < 0).all() and last["enps_high"].iloc[-1] < 0:
            found.append(f"{team}, below zero in {int((g['enps'] < 0).sum())} of its {len(g)} surveys (the last "
                         f"{surveys_in_a_row}: {', '.join(f'{v:+.0f}' for v in last['enps'])}; latest 95% interval "
                         f"{last['enps_low'].iloc[-1]:+.0f} to {last['enps_high'].iloc[-1]:+.0f})")
    if not found:
        return ""
    return (f"A lasting climate problem, not chance: {'; '.join(found)}. Worth a conversation with the team's "
            "manager.")


def question_count_note(answers: pd.DataFrame) -> str:
    """Warn when a survey asks more than the recommended number of questions."""
    per_survey = answers.groupby("survey_date")["question_id"].nunique()
    worst = int(per_survey.max()) if len(per_survey) else 0
    if worst > MAX_QUESTIONS:
        return (f"A survey asked {worst} questions: the longer a pulse survey, the fewer answer it (a common rule of "
                f"thumb keeps it to {MAX_QUESTIONS}).")
    return ""


def latest_enps(surveys: pd.DataFrame, team: str) -> dict[str, float]:
    """The team's eNPS in its latest survey (empty when that survey is hidden or there is none)."""
    mine = surveys[surveys["team"] == team].sort_values("survey_date")
    return {"latest": float(mine["enps"].iloc[-1])} if len(mine) and mine["shown"].iloc[-1] else {}


def enps_sentence(answers: pd.DataFrame, visible: pd.DataFrame, team: str) -> str:
    """The scope's latest eNPS with its respondents and interval, and whether its change since the survey
    before is larger than that uncertainty ('' when the group may not be shown)."""
    e = answers[answers["question_id"] == ENPS_QUESTION]
    dates = sorted(e["survey_date"].unique())
    if not dates or not _shown(visible, team, dates[-1]):
        return ""
    last = e[e["survey_date"] == dates[-1]]
    n = last["response_id"].nunique()
    value, (low, high) = enps(last["score"]), enps_interval(last["score"])
    text = (f"eNPS {value:+.0f} in the survey of {pd.Timestamp(dates[-1]):%-d %B %Y} ({n} respondents; "
            f"95% interval {low:+.0f} to {high:+.0f})")
    if len(dates) < 2 or not _shown(visible, team, dates[-2]):
        return text + "."
    moved = value - enps(e[e["survey_date"] == dates[-2]]["score"])
    if round(moved) == 0:
        return text + ": unchanged since the survey before."
    if abs(moved) <= (high - low) / 2:
        return text + f": the change of {moved:+.0f} since the survey before is within that noise."
    return text + f": it moved {moved:+.0f} since the survey before, more than the noise."
