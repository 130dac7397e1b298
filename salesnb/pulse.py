"""Team climate: eNPS from pulse surveys, never shown for groups too small to stay anonymous."""

from __future__ import annotations

import numpy as np
import pandas as pd

ENPS_QUESTION = "enps"


def enps(scores: pd.Series) -> float:
    """eNPS: % promoters (9–10) − % detractors (0–6), on a 0–10 scale; between −100 and 100."""
    s = scores.dropna()
    if s.empty:
        return float("nan")
    return float(100 * ((s >= 9).mean() - (s <= 6).mean()))


def team_enps(answers: pd.DataFrame, min_respondents: int = 5) -> pd.DataFrame:
    """eNPS per team and survey date, hidden (NaN) where fewer than `min_respondents` answered."""
    e = answers[answers["question_id"] == ENPS_QUESTION]
    g = e.groupby(["team", "survey_date"])
    out = pd.DataFrame({"respondents": g["response_id"].nunique(), "enps": g["score"].apply(enps)})
    out.loc[out["respondents"] < min_respondents, "enps"] = np.nan
    return out
