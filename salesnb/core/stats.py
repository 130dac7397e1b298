"""Whether a difference between two shares is more than chance gives on the numbers behind them."""

from __future__ import annotations

import numpy as np


def shares_differ(hits: tuple[float, float], totals: tuple[float, float], level: float = 0.05) -> bool:
    """True when two shares (hits ÷ totals) differ beyond chance (statsmodels' two-proportion z-test)."""
    from statsmodels.stats.proportion import proportions_ztest

    if min(totals) <= 0:
        return False
    with np.errstate(divide="ignore", invalid="ignore"):  # both all hits or all misses: no spread, no claim
        _, p = proportions_ztest(np.asarray(hits, dtype=float), np.asarray(totals, dtype=float))
    return bool(p < level)
