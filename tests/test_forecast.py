import json

import numpy as np
import pandas as pd
import pytest

from salesnb.domains import forecast as F


def _series(values, start="2023-01-01"):
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS"), dtype=float)


def test_wape_hand_computed():
    # |100-90| + |200-220| + |50-50| = 30, over 350
    assert F.wape(np.array([100, 200, 50.0]), np.array([90, 220, 50.0])) == pytest.approx(30 / 350)


def test_baselines():
    h = np.arange(1, 25, dtype=float)  # 1..24
    assert F.baseline(h, 2, "naive").tolist() == [24, 24]
    assert F.baseline(h, 2, "moving_average", window=3).tolist() == [23, 23]
    assert F.baseline(h, 14, "seasonal_naive").tolist() == [13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                            23, 24, 13, 14]


def test_backtest_is_hand_checkable_for_the_naive_model():
    s = _series([10, 12, 11, 13, 15, 14])
    settings = F.ForecastSettings(horizon=2, backtest_months=2, min_train=4)
    bt = F.backtest(s, settings, models=("naive",))
    # origins at positions 4 and 5: trained on [10,12,11,13] -> 13, 13; on [...,15] -> 15
    assert bt[["step", "actual", "forecast"]].values.tolist() == [[1, 15, 13], [2, 14, 13],
                                                                  [1, 14, 15]]
    table = F.scores(bt, s)
    assert table.loc["naive", "wape"] == pytest.approx((2 + 1 + 1) / (15 + 14 + 14))
    assert table.loc["naive", "bias"] == pytest.approx((13 + 13 + 15 - 43) / 43)
    # MASE scale: lag-1 MAE on the training months before the first origin: (2+1+2)/3
    assert table.loc["naive", "mase"] == pytest.approx((4 / 3) / (5 / 3))


def test_backtest_never_sees_the_months_it_forecasts():
    rng = np.random.default_rng(1)
    s = _series(1000 + rng.normal(0, 50, 36))
    settings = F.ForecastSettings(horizon=1, backtest_months=3)
    bt = F.backtest(s, settings)
    changed = s.copy()
    changed.iloc[-1] = 10 * s.iloc[-1]  # only the last month changes
    bt2 = F.backtest(changed, settings)
    earlier = bt["month"] < s.index[-1]
    pd.testing.assert_series_equal(bt.loc[earlier, "forecast"], bt2.loc[earlier, "forecast"])
    last = bt2[bt2["month"] == s.index[-1]]
    assert (last["actual"] == changed.iloc[-1]).all()
    assert (last["forecast"] < 2 * s.iloc[-1]).all()


def test_the_combination_backtest_is_the_mean_of_its_members():
    bt = pd.DataFrame({"origin": [1, 1, 1, 2, 2, 2], "step": 1, "month": [5, 5, 5, 6, 6, 6],
                       "actual": [100.0] * 3 + [200.0] * 3, "model": ["a", "b", "c"] * 2,
                       "forecast": [90.0, 120.0, 999.0, 210.0, 180.0, 0.0], "lower": np.nan, "upper": np.nan})
    combo = F.combination_rows(bt, ["a", "b"])
    assert combo["forecast"].tolist() == [105.0, 195.0] and set(combo["model"]) == {F.COMBINATION}
    assert F.wape(combo["actual"].to_numpy(), combo["forecast"].to_numpy()) == pytest.approx(10 / 300)


def test_ets_and_theta_follow_a_seasonal_series():
    months = np.arange(48)
    y = 1000 + 5 * months + 300 * np.sin(2 * np.pi * months / 12)
    for model in (F.ets_forecast, F.theta_forecast):
        got = model(y[:36], 12)
        assert F.wape(y[36:], got) < 0.5 * F.wape(y[36:], np.repeat(y[35], 12)), model.__name__  # beats naive


def test_short_history_falls_back_and_says_so():
    r = F.forecast_series("tiny", _series([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]), F.ForecastSettings())
    assert r.chosen == "moving_average" and r.scores.empty
    assert r.reason.startswith("Only 10 months of sales history: a backtest needs at least 21.")
    assert r.forecast["yhat"].tolist() == [13.0, 13.0, 13.0]
    assert "No backtest was possible" in F.coverage_sentence(r, 0.8)


def test_calibrated_interval_from_backtest_errors():
    bt = pd.DataFrame({"model": "naive", "origin": [1, 1, 2, 2, 3, 3, 4, 4],
                       "actual": [110, 90, 105, 95, 120, 80, 100, 100.0], "forecast": 100.0})
    (lo, hi), coverage = F.calibrated(bt, "naive", 0.5)
    rel = np.array([0.1, -0.1, 0.05, -0.05, 0.2, -0.2, 0, 0])
    assert (lo, hi) == pytest.approx((np.quantile(rel, 0.25), np.quantile(rel, 0.75)))
    assert 0 <= coverage <= 1


def test_on_demo_data_prophet_beats_seasonal_naive_and_parallel_equals_serial(demo_dir):
    from salesnb.data.workspace import Workspace
    ws = Workspace(demo_dir / "workspace.duckdb")
    m = json.loads((demo_dir / "manifest.json").read_text())
    sales = ws.sales("all", m["end_month"], 120)
    ws.close()
    series = F.histories(sales, "all", m["end_month"])
    settings = F.ForecastSettings()
    parallel = F.forecast_many(series, settings, workers=2)
    org = parallel["all"]
    assert org.scores.loc["prophet", "wape"] < org.scores.loc["seasonal_naive", "wape"]
    singles = org.scores.drop(F.COMBINATION)
    members = list(singles["wape"].sort_values().index[:3])
    assert org.chosen == F.COMBINATION and list(singles.index[singles["member"].astype(bool)]) == sorted(
        members, key=list(singles.index).index)
    history = org.history
    mean = np.mean([F.predict(history, 3, m, settings)["yhat"].to_numpy() for m in members], axis=0)
    np.testing.assert_allclose(org.forecast["yhat"].to_numpy(), mean)
    serial = F.forecast_many({"north": series["north"]}, settings, workers=1)
    pd.testing.assert_frame_equal(serial["north"].forecast, parallel["north"].forecast)
    summary = F.summary_table(parallel)
    assert list(summary.index) == ["all", "east", "north", "south", "west"]


def test_months_before_the_first_sale_do_not_count_as_history():
    r = F.forecast_series("new hire", _series([0] * 30 + [10, 20, 30]), F.ForecastSettings())
    assert len(r.history) == 3 and r.reason.startswith("Only 3 months of sales history")
    assert r.forecast["yhat"].tolist() == [20.0, 20.0, 20.0]
    nothing = F.forecast_series("idle", _series([0] * 30), F.ForecastSettings())
    assert nothing.reason == "No sale yet: nothing to forecast from."


def test_parts_sentence_compares_the_parts_with_the_whole():
    from salesnb.domains.forecast import SeriesForecast, parts_sentence

    def made(name, yhat):
        fc = pd.DataFrame({"yhat": [yhat]}, index=pd.DatetimeIndex(["2026-11-01"]))
        return SeriesForecast(name, pd.Series(dtype=float), pd.DataFrame(), "naive", "", fc)

    results = {"north": made("north", 200.0), "R1": made("R1", 90.0), "R2": made("R2", 80.0)}
    text = parts_sentence(results, "north")
    assert text.startswith("For 2026-11 the 2 series below north add up to 170, -15.0% against its own forecast of 200")
    assert "against its own forecast of 0" in parts_sentence(results | {"north": made("north", 0.0)}, "north")
    assert parts_sentence({"north": made("north", 1.0)}, "north") == ""
