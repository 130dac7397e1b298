import json

import numpy as np
import pandas as pd
import pytest

from salesnb.core import cores
from salesnb.domains import forecast as F
from salesnb.domains import hierarchy as H


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
    bt = pd.DataFrame({"origin": [1] * 4 + [2] * 4, "step": 1, "month": [5] * 4 + [6] * 4,
                       "actual": [100.0] * 4 + [200.0] * 4, "model": ["a", "b", "c", "d"] * 2,
                       "forecast": [90.0, 120.0, 999.0, 1.0, 210.0, 180.0, 0.0, 5.0], "lower": np.nan,
                       "upper": np.nan})
    combo = F.combination_rows(bt, ["a", "b", "c"])
    assert combo["forecast"].tolist() == [403.0, 130.0] and set(combo["model"]) == {F.COMBINATION}
    assert F.wape(combo["actual"].to_numpy(), combo["forecast"].to_numpy()) == pytest.approx(373 / 300)


def test_arima_continues_a_trend_on_yearly_or_first_differences():
    months = np.arange(36, dtype=float)
    seasonal = 1000 + 5 * months + 300 * np.sin(2 * np.pi * months / 12)  # every yearly difference is 60
    np.testing.assert_allclose(F.arima_forecast(seasonal, 3), seasonal[24:27] + 60)
    line = 100 + 10 * months[:20]  # under two years: first differences, all 10
    np.testing.assert_allclose(F.arima_forecast(line, 3), [300.0, 310.0, 320.0])
    assert np.isnan(F.arima_forecast(line[:3], 2)).all()


def test_ets_and_theta_follow_a_seasonal_series():
    months = np.arange(48)
    y = 1000 + 5 * months + 300 * np.sin(2 * np.pi * months / 12)
    for model in (F.ets_forecast, F.theta_forecast, F.arima_forecast):
        got = model(y[:36], 12)
        assert F.wape(y[36:], got) < 0.5 * F.wape(y[36:], np.repeat(y[35], 12)), model.__name__  # beats naive


def test_short_history_falls_back_and_says_so():
    r = F.forecast_series("tiny", _series([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]), F.ForecastSettings())
    assert r.chosen == "moving_average" and r.scores.empty
    assert r.reason.startswith("Only 10 months of sales history: a backtest needs at least 21.")
    assert r.forecast["yhat"].tolist() == [13.0, 13.0, 13.0]
    assert "No backtest was possible" in F.coverage_sentence(r, 0.8)


def test_a_series_with_no_sale_in_any_backtest_month_is_forecast_without_a_claim():
    """A line that stopped selling: 24 months of sales, then 14 of nothing; no method can be scored."""
    r = F.forecast_series("stopped", _series([100.0] * 24 + [0.0] * 14), F.ForecastSettings())
    assert r.chosen == "moving_average" and r.scores.empty and r.backtest.empty
    assert r.reason.startswith("No sale in the 12 backtest months, so no method can be scored")
    assert r.forecast["yhat"].tolist() == [0.0, 0.0, 0.0] and r.forecast[["lower", "upper"]].isna().all().all()


def test_calibrated_interval_from_backtest_errors():
    bt = pd.DataFrame({"model": "naive", "origin": [1, 1, 2, 2, 3, 3, 4, 4],
                       "actual": [110, 90, 105, 95, 120, 80, 100, 100.0], "forecast": 100.0})
    (lo, hi), coverage = F.calibrated(bt, "naive", 0.5)
    # sorted relative errors -0.2 -0.1 -0.05 0 0 0.05 0.1 0.2: with n = 8 the 50% bounds are the
    # floor(9 * 0.25) = 2nd and ceil(9 * 0.75) = 7th smallest
    assert (lo, hi) == pytest.approx((-0.1, 0.1))
    assert 0 <= coverage <= 1


def test_working_days_know_french_holidays():
    days = F.working_days(pd.DatetimeIndex(["2026-05-01", "2026-02-01"]), "FR")
    # May 2026: 21 weekdays minus 1 May, 8 May, 14 May (Ascension), 25 May (Whit Monday)
    assert days.tolist() == [17, 20]
    text = F.working_days_sentence(pd.Timestamp("2026-05-01"), "FR")
    assert text.startswith("May 2026 has 17 working days against 19 a year before (Monday to Friday less "
                           "the public holidays of France)")


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
    assert org.chosen == F.COMBINATION and list(singles.index[singles["member"].astype(bool)]) == list(F.HEADLINE)
    history = org.history
    mean = sum(F.predict(history, 3, m, settings)["yhat"].to_numpy() for m in F.HEADLINE) / 3
    np.testing.assert_allclose(org.forecast["yhat"].to_numpy(), mean)
    combined = org.backtest[org.backtest["model"] == F.COMBINATION]["forecast"].to_numpy()
    members = org.backtest[org.backtest["model"].isin(F.HEADLINE)].groupby(["origin", "step"], sort=False)
    np.testing.assert_allclose(combined, members["forecast"].mean().to_numpy())
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


def _made(name, yhats, lower=None):
    from salesnb.domains.forecast import SeriesForecast

    idx = pd.date_range("2026-11-01", periods=len(yhats), freq="MS")
    lower = yhats if lower is None else lower
    fc = pd.DataFrame({"yhat": yhats, "lower": lower, "upper": [2 * v for v in yhats]}, index=idx, dtype=float)
    return SeriesForecast(name, pd.Series(dtype=float), pd.DataFrame(), "naive", "Own.", fc)


def test_parts_sentence_says_how_the_parts_make_up_the_whole():
    results = {"north": _made("north", [200.0]), "R1": _made("R1", [90.0]), "R2": _made("R2", [80.0])}
    assert F.parts_sentence(results, "north").startswith(
        "For November 2026 the 2 series below north add up to 170, its forecast.")
    text = F.parts_sentence(results, "north", unassigned=0.15)
    assert "add up to 170 of its 200 forecast; the other 30 (15%) is sales that none of them holds (its share" in text
    text = F.parts_sentence(results, "north", unassigned=0.0001, too_new=["Ann"])
    assert ("add up to 170 of its 200 forecast; the other 30 (15%) is kept for Ann, too new to forecast (the average "
            "of their months of sales, scaled like the others).") in text
    small = {"north": _made("north", [1000.0]), "R1": _made("R1", [997.0])}
    assert "the other 3 (0.3%) is sales that none" in F.parts_sentence(small, "north", unassigned=0.003)
    assert F.parts_sentence({"north": _made("north", [1.0])}, "north") == ""
    assert F.parts_sentence(results, "north", own_total=150.0).endswith(
        "its forecast; their own forecasts added up to 150, so each shown here is its own +13.3%.")


PARENT = {"a": "all", "b": "all", "r1": "a", "r2": "a"}


def test_top_down_keeps_the_top_and_shares_it_by_forecast_proportions():
    base = pd.DataFrame({"all": [100.0, 200.0], "a": [30.0, 0.0], "b": [90.0, 0.0], "r1": [10.0, 5.0],
                         "r2": [30.0, 15.0]})
    out = H.top_down(base, PARENT, {"a": 0.2}, "all")
    # month 1: a = 100 x 30/120 = 25, b = 75; a's reps share 80% of 25 = 20 as 10:30 -> 5, 15
    assert out.iloc[0].to_dict() == pytest.approx({"all": 100, "a": 25, "b": 75, "r1": 5, "r2": 15})
    # month 2: no team forecast anything: an equal split, then a's reps by their own forecasts
    assert out.iloc[1].to_dict() == pytest.approx({"all": 200, "a": 100, "b": 100, "r1": 20, "r2": 60})
    assert out["a"].add(out["b"]).tolist() == out["all"].tolist()


def test_reconcile_scales_the_interval_and_says_by_how_much():
    results = {"all": _made("all", [100.0]), "a": _made("a", [60.0]), "b": _made("b", [60.0]),
               "r1": _made("r1", [10.0]), "r2": _made("r2", [30.0])}
    out = F.reconcile(results, PARENT, {}, "all", "top_down").series
    assert out["a"].forecast["yhat"].iloc[0] == pytest.approx(50)
    assert out["a"].forecast["upper"].iloc[0] == pytest.approx(120 * 50 / 60)
    assert out["r1"].forecast["yhat"].iloc[0] == pytest.approx(12.5)
    assert out["a"].reason == "Own. Reconciled top-down: -16.7% against its own forecast next month, so that it " \
                              "adds up with the series above and below it."
    assert out["all"].reason == "Own." and results["a"].forecast["yhat"].iloc[0] == 60  # the input is kept


def test_unassigned_share_is_what_no_child_holds_over_the_last_year():
    months = pd.date_range("2025-01-01", periods=14, freq="MS")
    totals = pd.DataFrame({"all": 100.0, "a": 50.0, "b": 40.0, "r1": 25.0, "r2": 25.0}, index=months)
    totals.iloc[:2] = 0.0  # older months do not count
    assert F.unassigned_shares(totals, PARENT) == pytest.approx({"all": 0.1, "a": 0.0})


def test_reconciled_accuracy_on_a_hand_worked_backtest():
    def bt(forecasts, actuals):
        return pd.DataFrame({"origin": pd.Timestamp("2026-01-01"), "step": [1, 2],
                             "month": pd.to_datetime(["2026-01-01", "2026-02-01"]), "model": "naive",
                             "actual": actuals, "forecast": forecasts, "lower": np.nan, "upper": np.nan})

    results = {"all": _made("all", [1.0]), "a": _made("a", [1.0]), "b": _made("b", [1.0])}
    for name, (f, a) in {"all": ([100.0, 100.0], [100.0, 100.0]), "a": ([80.0, 40.0], [50.0, 50.0]),
                         "b": ([20.0, 40.0], [50.0, 50.0])}.items():
        results[name].backtest = bt(f, a)
    acc = F.reconcile(results, {"a": "all", "b": "all"}, {}, "all", "top_down").accuracy
    assert acc.loc["a", "backtest_wape"] == pytest.approx(40 / 100)
    # reconciled: a = 100 x 80/100 = 80, then 100 x 40/80 = 50
    assert acc.loc["a", "reconciled_wape"] == pytest.approx(30 / 100)
    assert acc.loc["all", "reconciled_wape"] == 0


def test_one_spare_core_forecasts_in_process(monkeypatch):
    monkeypatch.setenv(F.SPARE_CORES, "1")

    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started inside a report that has one core")

    monkeypatch.setattr(F, "ProcessPoolExecutor", no_pool)
    months = pd.period_range("2024-01", "2026-06", freq="M").to_timestamp()
    series = {name: pd.Series(100.0 + i + np.arange(len(months)), index=months) for i, name in enumerate("abc")}
    out = F.forecast_many(series, F.ForecastSettings(horizon=2, backtest_months=3))
    assert F.spare_cores() == 1 and set(out) == {"a", "b", "c"}
    monkeypatch.setenv(F.SPARE_CORES, "")
    assert F.spare_cores() == cores.usable()


def test_monthly_totals_sum_exactly_so_every_query_gives_the_same_series():
    lines = pd.DataFrame({"month": pd.to_datetime(["2026-01-01"] * 3), "order_id": ["a", "b", "c"],
                          "revenue": [1e16, 1.0, -1e16]})
    # a float sum in this order loses the 1.0 (1e16 + 1 == 1e16); the exact sum keeps it
    assert F.monthly_totals(lines, None, "2026-01")["revenue"].tolist() == [1.0]


@pytest.mark.parametrize("months", [20, 40])
def test_prophets_point_forecast_equals_its_predict(months):
    from prophet import Prophet

    y = 1000 + 7 * np.arange(months) + 200 * np.sin(2 * np.pi * np.arange(months) / 12)
    dates = pd.date_range("2023-01-01", periods=months, freq="MS")
    model = Prophet(yearly_seasonality=months >= 24, weekly_seasonality=False, daily_seasonality=False,
                    uncertainty_samples=0)
    model.fit(pd.DataFrame({"ds": dates, "y": y}), algorithm="LBFGS")
    future = pd.Series(pd.date_range(dates[-1], periods=4, freq="MS")[1:])
    expected = model.predict(pd.DataFrame({"ds": future}))["yhat"].to_numpy()
    np.testing.assert_allclose(F.prophet_point(model, future), expected, rtol=1e-12)


def test_step_sentence_sets_next_month_against_last_month_and_the_same_step_a_year_before():
    history = pd.Series(np.arange(1.0, 15.0), index=pd.date_range("2025-09-01", periods=14, freq="MS"))
    nxt = pd.DataFrame({"yhat": [13.0]}, index=[pd.Timestamp("2026-11-01")])
    text = F.step_sentence(history, nxt)
    assert "the November forecast is 7.1% under it" in text  # 13 / 14 - 1
    assert "November came in 50.0% over October" in text  # Nov 2025 = 3, Oct 2025 = 2
    assert "+333.3% on that November" in text  # 13 / 3 - 1
    assert F.step_sentence(history, nxt.assign(yhat=3.0001)).endswith("the forecast is level with that November.")
    short = F.step_sentence(history.iloc[-5:], nxt)
    assert short.endswith("no year before to tell a seasonal step from a trend.")
    assert F.step_sentence(history.iloc[:0], nxt) == ""


def test_spread_sentence_sets_the_parts_interval_width_beside_the_whole():
    table = pd.DataFrame({"forecast": [100.0, 10.0, 20.0, 40.0], "lower": [90.0, 5.0, 14.0, 30.0],
                          "upper": [110.0, 15.0, 26.0, 50.0]}, index=["north", "a", "b", "c"])
    text = F.spread_sentence(table, "north", "team north")
    # half-widths: north 10/100; a 5/10 = 50%, b 6/20 = 30%, c 10/40 = 25%
    assert "±30% of the forecast (from ±25% to ±50%), against ±10% for team north" in text
    assert F.spread_sentence(table.loc[["north"]], "north", "team north") == ""


def test_a_rep_with_under_three_months_of_sales_gets_no_forecast_of_their_own(tiny_ws):
    from salesnb.report import facts
    from salesnb.report.opening import ReportData, make_scope

    settings = F.ForecastSettings(backtest_months=0)
    made = facts.revenue_forecasts(ReportData(tiny_ws, make_scope(tiny_ws, "all", "2026-10")), settings)
    # R1 sold in 2025-10, 2026-09 and 2026-10: 13 months since the first sale; R2 from 2026-09: 2 months
    assert made.too_new == {"R2": ("b", 2)}
    assert made.parent["R2"] == "b"  # their sales count in team b's reconciliation …
    assert made.children("b") == [] and made.children("a") == ["R1"]  # … but no forecast of theirs is shown
    team_b = ReportData(tiny_ws, make_scope(tiny_ws, "b", "2026-10"))
    assert facts.too_new(team_b, settings) == {"Bo <b>Beta</b>": 2}
    assert facts.too_new(ReportData(tiny_ws, make_scope(tiny_ws, "a", "2026-10")), settings) == {}
    assert facts.rep_forecasts(team_b, settings).index.tolist() == ["R1"]
    quotas = pd.DataFrame({"rep_id": ["R1", "R2"], "month": ["2026-11-01"] * 2, "quota": [100.0, 100.0]})
    assert facts.forecast_vs_quota(team_b, settings, quotas, rep="R2") is None  # no colour rests on it
    assert facts.forecast_vs_quota(team_b, settings, quotas, rep="R1") is not None


def test_too_new_sentence_names_each_rep_with_their_months():
    assert F.too_new_sentence({}, "team b") == ""
    assert F.too_new_sentence({"Ann": 1, "Bob": 0}, "team b") == (
        "Too new to forecast, with fewer than 3 months of sales: Ann (1 month) and Bob (no sale yet). Their sales "
        "count in team b's forecast, not in a forecast of their own, so no quota or colour rests on one.")


def test_summary_table_shows_each_series_own_forecast_before_reconciliation():
    results = {"north": _made("north", [200.0]), "R1": _made("R1", [90.0])}
    table = F.summary_table(results, own={"north": 200.0, "R1": 75.0})
    assert table["own_forecast"].to_dict() == {"north": 200.0, "R1": 75.0}
    assert table["forecast"].to_dict() == {"north": 200.0, "R1": 90.0}
    assert "own_forecast" not in F.summary_table(results).columns


def test_the_scaling_of_rep_forecasts_is_said():
    assert F.scaling_sentence(pd.Series({"north": 0.141, "east": 0.019, "south": 0.002})) == (
        "Reconciliation moves reps' forecasts so that they add up to their team: against their own models added up, "
        "reps' forecasts move by team north +14.1%, team east +1.9%. "
        "For team north the gap is large: the team's own model and its reps' models disagree by that much, so read a "
        "rep's forecast as their share of the team's, not as their own outlook (the forecasts report shows both).")
    assert F.scaling_sentence(pd.Series({"east": 0.019})).endswith("move by team east +1.9%.")
    assert F.scaling_sentence(pd.Series({"north": 0.001})) == ""


def test_the_horizon_table_has_every_month_of_every_series():
    settings = F.ForecastSettings()
    results = {"tiny": F.forecast_series("tiny", _series([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]), settings),
               "new": F.forecast_series("new", _series([0] * 30 + [10, 20, 30]), settings)}
    t = F.horizon_table(results)
    assert len(t) == 6 and t["series"].tolist() == ["tiny"] * 3 + ["new"] * 3
    assert t["forecast"].tolist() == [13.0] * 3 + [20.0] * 3 and t["lower"].isna().all()
    assert t["month"].iloc[0] == "2023-11" and t["methods"].iloc[0] == "moving average"
    assert set(t["reconciled"]) == {"no: its own forecast"}
    moved = F.horizon_table(results, own={"tiny": 10.0, "new": 20.0}, method="bottom_up", under={"new": "tiny"})
    assert moved["reconciled"].tolist() == ["yes, bottom-up (+30.0% on its own forecast next month)"] * 3 + [
        "no: its own forecast"] * 3
    assert moved["under"].tolist() == [""] * 3 + ["tiny"] * 3


def test_ctrl_c_during_a_pool_of_forecasts_stops_it_and_leaves_no_worker():
    import contextlib
    import os
    import signal
    import threading
    import time

    import psutil

    idx = pd.date_range("2022-01-01", periods=40, freq="MS")
    series = {f"s{i}": pd.Series(100 + 10 * np.sin(np.arange(40) / 2) + i, index=idx) for i in range(40)}
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    finished = threading.Event()

    def workers() -> list[psutil.Process]:
        return [p for p in me.children(recursive=True) if p.pid not in before
                and "resource_tracker" not in " ".join(p.cmdline())]

    def interrupt() -> None:  # as a terminal's Ctrl-C to the process group, once the workers are forecasting
        busy: list[psutil.Process] = []
        while len(busy) < 2 and not finished.is_set():
            time.sleep(0.05)
            with contextlib.suppress(psutil.Error):
                busy = [p for p in workers() if sum(p.cpu_times()[:2]) > 1.0]
        for p in [*busy, me] if not finished.is_set() else []:
            os.kill(p.pid, signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # a background job's tests ignore it
    try:
        threading.Thread(target=interrupt, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            F.forecast_many(series, F.ForecastSettings(), workers=2)
    finally:
        finished.set()
        signal.signal(signal.SIGINT, previous)
    assert psutil.wait_procs(workers(), timeout=30)[1] == []
