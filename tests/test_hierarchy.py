import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from salesnb.domains import forecast as F
from salesnb.domains import hierarchy as H

TREE = {"a": "all", "b": "all"}


def test_the_summing_matrix_counts_each_bottom_series_under_every_series_above_it():
    s = H.summing(["all", "a", "b", "r1", "r2"], {"a": "all", "b": "all", "r1": "a", "r2": "a"})
    assert list(s.columns) == ["b", "r1", "r2"]
    assert s.loc["all"].tolist() == [1, 1, 1] and s.loc["a"].tolist() == [0, 1, 1] and s.loc["r2"].tolist() == [0, 0, 1]


def test_bottom_up_adds_the_children_and_the_part_none_of_them_holds():
    base = pd.DataFrame({"all": [100.0], "a": [40.0], "b": [50.0]})
    out = H.coherent("bottom_up", base, TREE, {"all": 0.1}, "all")
    assert out.iloc[0].to_dict() == pytest.approx({"all": 40 + 50 + 10, "a": 40, "b": 50})


def test_structural_weights_move_each_series_by_its_share_of_the_gap():
    # minimise (110 - (x + y + z))^2 / 3 + (50 - x)^2 + (50 - y)^2 + (11 - z)^2: x = y = 50 - 1/6, z = 11 - 1/6
    base = pd.DataFrame({"all": [110.0], "a": [50.0], "b": [50.0]})
    out = H.coherent("wls_structural", base, TREE, {"all": 0.1}, "all")
    assert out.iloc[0].to_dict() == pytest.approx({"all": 110.5, "a": 50 - 1 / 6, "b": 50 - 1 / 6})


def test_variance_weights_trust_the_series_that_erred_less():
    # mean squared errors 4 (all), 1 (a), 1 (b): minimise (10 - 2d)^2 / 4 + 2 d^2 -> d = 10/6
    base = pd.DataFrame({"all": [100.0], "a": [40.0], "b": [50.0]})
    errors = pd.DataFrame({"all": [2.0, -2.0], "a": [1.0, -1.0], "b": [1.0, -1.0]})
    out = H.coherent("wls_variance", base, TREE, {}, "all", errors)
    assert out.iloc[0].to_dict() == pytest.approx({"all": 90 + 20 / 6, "a": 40 + 10 / 6, "b": 50 + 10 / 6})


def test_the_least_squares_projection_is_the_constrained_minimum_found_by_an_optimiser():
    rng = np.random.default_rng(7)
    tree = {"a": "all", "b": "all", "r1": "a", "r2": "a"}
    base = pd.DataFrame({"all": [120.0], "a": [70.0], "b": [45.0], "r1": [30.0], "r2": [35.0]})
    e = rng.normal(size=(40, 5)) @ rng.normal(size=(5, 5))
    cov = np.cov(e, rowvar=False)
    s = H.summing(list(base.columns), tree)
    out = H.combine(base, s, cov).iloc[0]
    y, sm, inv = base.iloc[0].to_numpy(), s.to_numpy(), np.linalg.inv(cov)
    found = minimize(lambda b: (y - sm @ b) @ inv @ (y - sm @ b), x0=np.ones(3) * 40, method="BFGS").x
    assert out.to_numpy() == pytest.approx(sm @ found, rel=1e-4)


def test_shrinkage_keeps_the_covariance_invertible_with_fewer_points_than_series():
    rng = np.random.default_rng(3)
    errors = rng.normal(size=(4, 10))
    cov = H._shrunk_covariance(errors)
    assert np.linalg.matrix_rank(np.cov(errors, rowvar=False)) < 10 and np.linalg.matrix_rank(cov) == 10
    assert np.diag(cov) == pytest.approx(np.var(errors, axis=0, ddof=1))


def test_the_level_error_pools_the_series_of_a_level():
    actual = pd.DataFrame({"all": [100.0, 100.0], "a": [50.0, 60.0], "b": [50.0, 40.0]})
    forecast = pd.DataFrame({"all": [90.0, 100.0], "a": [40.0, 60.0], "b": [50.0, 30.0]})
    levels = H.level_wape(actual, forecast, TREE, "all")
    assert levels.to_dict() == pytest.approx({0: 10 / 200, 1: 20 / 200})


def test_the_method_that_erred_least_on_the_backtest_is_chosen():
    actual = pd.DataFrame({"all": [100.0, 120.0, 90.0], "a": [60.0, 70.0, 50.0], "b": [40.0, 50.0, 40.0]})
    children_right = actual.assign(all=[80.0, 150.0, 70.0])
    table = H.scores(children_right, actual, TREE, {}, "all")
    assert H.choose(table) == "bottom_up" and table.loc["bottom_up", "mean"] == 0
    root_right = actual.assign(a=[30.0, 35.0, 25.0], b=[20.0, 25.0, 20.0])  # children right in proportion only
    assert H.choose(H.scores(root_right, actual, TREE, {}, "all")) == "top_down"
    assert H.choose(pd.DataFrame()) == H.FALLBACK


def _scored(name: str, forecasts: list[float], actuals: list[float], next_month: float) -> F.SeriesForecast:
    months = pd.date_range("2026-01-01", periods=len(actuals), freq="MS")
    bt = pd.DataFrame({"origin": months, "step": 1, "month": months, "model": "naive", "actual": actuals,
                       "forecast": forecasts})
    fc = pd.DataFrame({"yhat": next_month, "lower": 0.8 * next_month, "upper": 1.2 * next_month},
                      index=pd.date_range("2026-11-01", periods=3, freq="MS"))
    return F.SeriesForecast(name, pd.Series(dtype=float), pd.DataFrame({"wape": [0.1]}, index=["naive"]), "naive",
                            "Own.", fc, bt)


def test_a_series_that_cannot_be_scored_is_reconciled_with_the_others():
    b_history = pd.Series([5.0] + [0.0] * 35, index=pd.date_range("2023-11-01", periods=36, freq="MS"))
    results = {"all": _scored("all", [90.0, 130.0, 80.0], [100.0, 120.0, 90.0], 110.0),
               "a": _scored("a", [60.0, 70.0, 50.0], [60.0, 70.0, 50.0], 70.0),
               "b": F.forecast_series("b", b_history, F.ForecastSettings()),  # stopped selling long before
               "c": F.forecast_series("c", b_history.shift(35, fill_value=0.0), F.ForecastSettings())}  # one sale
    assert results["b"].backtest.empty and results["b"].forecast["yhat"].iloc[0] == 0
    assert results["c"].reason.startswith("Only 1 month of sales history") and results["c"].backtest.empty
    tree = TREE | {"c": "all"}
    made = F.reconcile(results, tree, {}, "all")
    assert made.method in H.METHODS and not made.scores.empty
    total = sum(made.series[n].forecast["yhat"] for n in tree)
    assert made.series["all"].forecast["yhat"].to_numpy() == pytest.approx(total.to_numpy())
    assert made.accuracy.loc["a", "backtest_wape"] == 0


def test_without_a_backtest_of_the_whole_the_fallback_is_used_and_said():
    results = {"all": F.SeriesForecast("all", pd.Series(dtype=float), pd.DataFrame(), "naive", "Own.",
                                       pd.DataFrame({"yhat": 100.0, "lower": np.nan, "upper": np.nan},
                                                    index=pd.date_range("2026-11-01", periods=3, freq="MS"))),
               "a": _scored("a", [60.0], [60.0], 70.0), "b": _scored("b", [30.0], [40.0], 20.0)}
    made = F.reconcile(results, TREE, {}, "all")
    # structural weights 2, 1, 1: minimise (100 - (x + y))^2 / 2 + (70 - x)^2 + (20 - y)^2 -> x = 72.5, y = 22.5
    assert made.method == H.FALLBACK == "wls_structural"
    assert made.series["all"].forecast["yhat"].iloc[0] == pytest.approx(95)
    assert made.series["a"].forecast["yhat"].iloc[0] == pytest.approx(72.5)
    assert "without a backtest of the whole, no method can be compared" in F.reconciliation_sentence(made)
    alone = F.reconcile({"all": results["all"]}, {}, {}, "all")
    assert F.reconciliation_sentence(alone) == "" and alone.series["all"].forecast.equals(results["all"].forecast)


def test_the_reconciliation_sentence_gives_the_chosen_method_and_the_others_on_the_whole():
    actual = pd.DataFrame({"all": [100.0, 120.0, 90.0], "a": [60.0, 70.0, 50.0], "b": [40.0, 50.0, 40.0]})
    base = actual.assign(all=[80.0, 150.0, 70.0])  # the children right, the whole 70 off in 310
    results = {n: _scored(n, base[n].tolist(), actual[n].tolist(), base[n].iloc[-1]) for n in actual}
    made = F.reconcile(results, TREE, {}, "all")
    assert made.method == "bottom_up" and made.scores.loc["top_down", "level_0"] == pytest.approx(70 / 310)
    text = F.reconciliation_sentence(made)
    assert text.startswith("Forecasts are reconciled bottom-up (each series is the sum of the series below it)")
    assert "erred least on this hierarchy's backtest (WAPE 0.0%; " in text and "top-down 22.6%" in text
