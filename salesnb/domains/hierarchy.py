"""Coherent forecasts of a hierarchy (organisation → teams → reps): bottom-up, top-down or a least-squares
combination, the method chosen by the hierarchy's own backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = ("bottom_up", "top_down", "wls_structural", "wls_variance", "mint_shrink")
FALLBACK = "wls_structural"  # without a backtest of the hierarchy: the best mean rank on the panel (bench_panel.py)
NAMES = {
    "bottom_up": "bottom-up (each series is the sum of the series below it)",
    "top_down": "top-down (the whole keeps its own forecast, shared by the forecasts below it)",
    "wls_structural": "weighted least squares (every series' own forecast counts, the more series it holds the less)",
    "wls_variance": "weighted least squares (every series' own forecast counts, the less the larger its backtest "
                    "error)",
    "mint_shrink": "minimum trace (every series' own forecast counts, weighted by the backtest errors and how they "
                   "move together)",
}
SHORT = {"bottom_up": "bottom-up", "top_down": "top-down", "wls_structural": "weighted least squares (structure)",
         "wls_variance": "weighted least squares (errors)", "mint_shrink": "minimum trace"}
REST = "rest of "  # the part of a series none of its children holds (sales without a rep, without a team)


def with_rest(base: pd.DataFrame, parent: dict[str, str],
              unassigned: dict[str, float]) -> tuple[pd.DataFrame, dict[str, str]]:
    """`base` with, under each series that has children and an unassigned share, one more child holding that share
    of its forecast; and the parent map that includes them."""
    parent = {c: p for c, p in parent.items() if c in base}
    extra = {f"{REST}{node}": base[node] * share for node, share in unassigned.items()
             if share > 0 and node in base and node in parent.values()}
    return base.assign(**extra), parent | {name: name[len(REST):] for name in extra}


def depth(parent: dict[str, str], root: str) -> dict[str, int]:
    """How many steps below the root each series is (the root is 0)."""
    out = {root: 0}

    def find(name: str) -> int:
        if name not in out:
            out[name] = find(parent[name]) + 1 if name in parent else 0
        return out[name]

    for name in parent:
        find(name)
    return out


def summing(columns: list[str], parent: dict[str, str]) -> pd.DataFrame:
    """The summing matrix: one row per series, one column per bottom series, 1 where the bottom one is under it."""
    leaves = [c for c in columns if c not in set(parent.values())]
    s = pd.DataFrame(0.0, index=columns, columns=leaves)
    for leaf in leaves:
        node = leaf
        while node in s.index:
            s.loc[node, leaf] = 1.0
            if node not in parent:
                break
            node = parent[node]
    return s


def top_down(base: pd.DataFrame, parent: dict[str, str], unassigned: dict[str, float], root: str) -> pd.DataFrame:
    """Top-down by forecast proportions: the root keeps its own forecast; each series' children share what its
    children hold of it (1 − unassigned) in proportion to their own forecasts. `base`: one column per series,
    one row per month (or backtest point)."""
    out = pd.DataFrame({root: base[root]}, index=base.index)
    level = [root]
    while level:
        below = []
        for node in level:
            children = [c for c, p in parent.items() if p == node and c in base]
            if not children:
                continue
            weights = base[children].clip(lower=0)
            total = weights.sum(axis=1)
            share = weights.div(total.where(total > 0), axis=0).fillna(1 / len(children))
            out[children] = share.mul(out[node] * (1 - unassigned.get(node, 0.0)), axis=0)
            below += children
        level = below
    return out[list(base.columns)]


def _shrunk_covariance(errors: np.ndarray) -> np.ndarray:
    """The errors' covariance shrunk towards its diagonal (Schäfer and Strimmer, 2005), so that it is invertible
    with fewer backtest points than series."""
    n = len(errors)
    centred = errors - errors.mean(axis=0)
    cov = centred.T @ centred / max(n - 1, 1)
    sd = np.sqrt(np.diag(cov))
    safe = np.where(sd > 0, sd, 1.0)
    scaled = centred / safe
    corr = cov / np.outer(safe, safe)
    w = np.einsum("ti,tj->tij", scaled, scaled)
    var_corr = n / max(n - 1, 1) ** 3 * ((w - w.mean(axis=0)) ** 2).sum(axis=0)
    off = ~np.eye(len(cov), dtype=bool)
    denominator = (corr[off] ** 2).sum()
    shrink = float(np.clip(var_corr[off].sum() / denominator, 0, 1)) if denominator > 0 else 1.0
    return shrink * np.diag(np.diag(cov)) + (1 - shrink) * cov


def combine(base: pd.DataFrame, s: pd.DataFrame, w: np.ndarray) -> pd.DataFrame:
    """Generalised least squares: the coherent forecasts closest to `base` in the metric of the error covariance
    `w` (a vector is a diagonal); bottom series below zero are set to zero and added up again."""
    inv = np.diag(1 / w) if w.ndim == 1 else np.linalg.pinv(w)
    sm = s.to_numpy()
    bottom = np.linalg.solve(sm.T @ inv @ sm, sm.T @ inv @ base[s.index].to_numpy().T).T
    return pd.DataFrame(np.clip(bottom, 0, None) @ sm.T, index=base.index, columns=s.index)


def _weights(method: str, s: pd.DataFrame, errors: pd.DataFrame | None) -> np.ndarray:
    if method == "wls_structural" or errors is None or errors.empty:
        return s.sum(axis=1).to_numpy()
    e = errors.reindex(columns=s.index).fillna(0.0).to_numpy()
    if method == "wls_variance":
        var = (e ** 2).mean(axis=0)
        return np.where(var > 0, var, var[var > 0].min() if (var > 0).any() else 1.0)
    cov = _shrunk_covariance(e)
    floor = np.diag(cov)[np.diag(cov) > 0].min() if (np.diag(cov) > 0).any() else 1.0
    return cov + np.eye(len(cov)) * floor * 1e-6


def coherent(method: str, base: pd.DataFrame, parent: dict[str, str], unassigned: dict[str, float], root: str,
             errors: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every series' forecast made to add up by `method`; `errors` (backtest errors, one column per series, rest
    children included) weigh the least-squares methods."""
    if method == "top_down":
        return top_down(base, parent, unassigned, root)
    full, tree = with_rest(base, parent, unassigned)
    s = summing(list(full.columns), tree)
    if method == "bottom_up":
        out = pd.DataFrame(full[s.columns].clip(lower=0).to_numpy() @ s.T.to_numpy(), index=base.index,
                           columns=s.index)
    else:
        out = combine(full, s, _weights(method, s, errors))
    return out[list(base.columns)]


def level_wape(actual: pd.DataFrame, forecast: pd.DataFrame, parent: dict[str, str], root: str) -> pd.Series:
    """The error (WAPE, pooled over the series of a level) at each level of the hierarchy: 0 is the root."""
    levels = depth({c: p for c, p in parent.items() if c in actual}, root)
    out = {}
    for level in sorted(set(levels.values())):
        cols = [c for c, d in levels.items() if d == level and c in actual]
        a, f = actual[cols].to_numpy(dtype=float), forecast[cols].to_numpy(dtype=float)
        seen = ~np.isnan(a)
        total = np.abs(a[seen]).sum()
        out[level] = float(np.abs(a[seen] - f[seen]).sum() / total) if total else float("nan")
    return pd.Series(out, dtype=float).rename_axis("level")


def errors(base: pd.DataFrame, actual: pd.DataFrame, parent: dict[str, str],
           unassigned: dict[str, float]) -> pd.DataFrame:
    """Backtest errors (forecast − actual) of every series and rest child: a rest child's actual is its series'
    actual less its children's."""
    extra = {}
    for node, share in unassigned.items():
        if share > 0 and node in actual:
            children = [c for c, p in parent.items() if p == node and c in actual]
            extra[f"{REST}{node}"] = actual[node] - actual[children].fillna(0.0).sum(axis=1)
    full, _ = with_rest(base, parent, unassigned)
    return full - actual.assign(**extra).reindex(columns=full.columns)


def scores(base: pd.DataFrame, actual: pd.DataFrame, parent: dict[str, str], unassigned: dict[str, float],
           root: str) -> pd.DataFrame:
    """Per method, the backtest error of each level and their mean, on backtest points (rows) where every series'
    own forecast is `base` and what happened is `actual`."""
    erred = errors(base, actual, parent, unassigned)
    rows = {}
    for method in METHODS:
        fc = coherent(method, base, parent, unassigned, root, erred)
        levels = level_wape(actual, fc, parent, root)
        rows[method] = {**{f"level_{k}": v for k, v in levels.items()}, "mean": float(levels.mean())}
    return pd.DataFrame(rows).T.rename_axis("method")


def choose(table: pd.DataFrame, by: str = "level_0") -> str:
    """The method with the lowest error `by` (a column of `scores`: the whole's level by default, the figure a
    director commits to, else another level or the mean over the levels; ties: the first in METHODS); FALLBACK
    without one."""
    ranked = table[by].dropna() if len(table) else pd.Series(dtype=float)
    return str(ranked.sort_values(kind="stable").index[0]) if len(ranked) else FALLBACK
