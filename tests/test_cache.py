import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from salesnb.domains import forecast
from salesnb.report import cache

SETTINGS = forecast.ForecastSettings(horizon=2, backtest_months=3)


def _series(shift: float = 0.0) -> pd.Series:
    months = pd.date_range("2024-01-01", periods=30, freq="MS")
    return pd.Series(100 + 10 * np.sin(np.arange(30)) + shift, index=months, name="revenue")


def test_a_forecast_reads_back_as_it_was_written():
    r = forecast.forecast_series("x", _series(), SETTINGS)
    back = cache.loads(cache.dumps(r))
    assert back.chosen == r.chosen and back.reason == r.reason and back.name == "x"
    pd.testing.assert_series_equal(back.history, r.history, check_freq=False, check_index_type=False)
    for f in cache.FRAMES:
        pd.testing.assert_frame_equal(getattr(back, f), getattr(r, f), check_dtype=False, check_index_type=False,
                                      check_freq=False)


def test_the_same_series_is_forecast_once_whatever_its_name_or_summing_order(tmp_path, monkeypatch):
    calls = []
    real = forecast.forecast_many
    monkeypatch.setattr(forecast, "forecast_many", lambda h, s: calls.append(sorted(h)) or real(h, s, workers=1))
    first = cache.forecasts({"north": _series()}, SETTINGS, tmp_path)
    again = cache.forecasts({"team north": _series(1e-7), "other": _series(5.0)}, SETTINGS, tmp_path)
    assert calls == [["north"], ["other"]]
    assert again["team north"].name == "team north"
    pd.testing.assert_frame_equal(again["team north"].forecast, first["north"].forecast)
    assert len(list(tmp_path.glob("*.json"))) == 2


def test_two_reports_needing_the_same_series_at_once_fit_it_once(tmp_path, monkeypatch):
    calls = []
    real = forecast.forecast_many

    def slow(h, s):
        calls.append(sorted(h))
        time.sleep(0.5)  # the other report asks meanwhile
        return real(h, s, workers=1)

    monkeypatch.setattr(forecast, "forecast_many", slow)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: cache.forecasts({"north": _series()}, SETTINGS, tmp_path), range(2)))
    assert calls == [["north"]]
    pd.testing.assert_frame_equal(results[0]["north"].forecast, results[1]["north"].forecast)


def test_a_forecast_made_by_another_method_is_made_again(tmp_path, monkeypatch):
    calls = []
    real = forecast.forecast_many
    monkeypatch.setattr(forecast, "forecast_many", lambda h, s: calls.append(sorted(h)) or real(h, s, workers=1))
    cache.forecasts({"north": _series()}, SETTINGS, tmp_path)
    monkeypatch.setattr(cache, "method", lambda: "the forecast module after an upgrade")
    cache.forecasts({"north": _series()}, SETTINGS, tmp_path)
    assert calls == [["north"], ["north"]] and len(list(tmp_path.glob("*.json"))) == 2
    assert cache.key(_series(), SETTINGS, "a") != cache.key(_series(), SETTINGS, "b")
