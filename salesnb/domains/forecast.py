"""Monthly forecasts: Prophet and simple baselines, judged by rolling-origin backtests."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd
from ibis import _
from threadpoolctl import threadpool_limits

from salesnb.core import cores, money
from salesnb.core.days import country_name, public_holidays
from salesnb.core.lazy import lazy, run, value
from salesnb.core.scope import is_org, month_start
from salesnb.core.text import listing
from salesnb.domains import hierarchy

MODELS = ("prophet", "ets", "theta", "arima", "seasonal_naive", "naive", "moving_average")
SEASON = 12
COMBINATION = "combination"  # the headline: the mean of the HEADLINE models
HEADLINE = ("ets", "theta", "seasonal_naive")  # the most accurate rule on the panel of real series (bench_panel.py)
PANEL = ("on a panel of 80 held-out windows of 40 real monthly series it was the most accurate of nine rules (mean "
         "WAPE 5.4%, against 6.0% for taking each backtest's best model and 6.3% for the median of its best three), "
         "because the model that leads a backtest is often not the best in the months after")
MIN_MONTHS = 3  # a rep with fewer months of sales gets no forecast of their own
LARGE_SCALING = 0.05  # reconciliation moving a team's reps by more than this is said to be large

SPARE_CORES = "SALESNB_SPARE_CORES"  # set by a batch run: cores per running report


@dataclass(frozen=True)
class ForecastSettings:
    """How far to forecast, how to backtest, and how wide the interval is."""

    horizon: int = 3
    backtest_months: int = 12
    interval: float = 0.8
    min_train: int = 18
    ma_window: int = 3
    models: tuple[str, ...] = MODELS  # backtested and scored; the HEADLINE models among them

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.backtest_months < 0 or not 0 < self.interval < 1:
            raise ValueError("horizon must be ≥ 1, backtest_months ≥ 0 and interval in (0, 1).")
        if not set(HEADLINE) <= set(self.models) <= set(MODELS):
            raise ValueError(f"models must include {', '.join(HEADLINE)} and be among {', '.join(MODELS)}.")


@dataclass
class SeriesForecast:
    """Everything the report shows for one series."""

    name: str
    history: pd.Series
    scores: pd.DataFrame
    chosen: str
    reason: str
    forecast: pd.DataFrame
    backtest: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibrated_coverage: float = float("nan")


def monthly_totals(sales: pd.DataFrame | ibis.Table, by: str | None, last_month: str) -> pd.DataFrame:
    """Revenue and order count per month (every month to `last_month`, zeros filled) per series."""
    t = lazy(sales)
    t = t.mutate(month=t.month.cast("date"))
    if by is not None:
        t = t.filter(t[by].notnull())
    end = month_start(last_month)
    first = value(t.month.min())
    months = pd.date_range(pd.NaT if first is None else pd.Timestamp(first), end, freq="MS")
    keys = ["month"] if by is None else [by, "month"]
    kept = t.filter(t.month <= end.date())
    exact = _.revenue.cast("decimal(38, 6)").sum().cast("float64")  # a parallel float sum varies in its last bits
    agg = run(kept.group_by(keys).aggregate(revenue=exact, orders=_.order_id.nunique()))
    agg = agg.astype({"revenue": float, "orders": "int64"}).set_index(keys).sort_index()
    if by is None:
        return agg.reindex(months, fill_value=0).rename_axis("month")
    names = sorted(run(t.select(by).distinct())[by])
    full = pd.MultiIndex.from_product([names, months], names=[by, "month"])
    return agg.reindex(full, fill_value=0)


def working_days(months: pd.DatetimeIndex, country: str) -> np.ndarray:
    """Monday-to-Friday days that are not public holidays, per month."""
    off = public_holidays(country, (m.year for m in months))
    out = []
    for m in months:
        days = pd.bdate_range(m, m + pd.offsets.MonthEnd(0))
        out.append(sum(d.date() not in off for d in days))
    return np.array(out, dtype=float)


def working_days_sentence(month: pd.Timestamp, country: str) -> str:
    """Working days of the month forecast against the same month a year before: context the models do not use
    (on monthly data a working-days regressor did not improve the backtests)."""
    now, before = working_days(pd.DatetimeIndex([month, month - pd.DateOffset(years=1)]), country)
    calendar = (f"less the public holidays of {country_name(country)}" if country
                else "only, no holiday country being stated (set `country` in dataset.yaml or the parameters)")
    return (f"{month:%B %Y} has {now:.0f} working days against {before:.0f} a year before (Monday to Friday "
            f"{calendar}); the forecasts do not adjust for it.")


def step_sentence(history: pd.Series, forecast: pd.DataFrame) -> str:
    """Next month's forecast against the last month and, a year before, the same step (why it rises or falls)."""
    if history.empty or forecast.empty or not history.iloc[-1] > 0:
        return ""
    last, nxt = history.index[-1], forecast.index[0]
    change = forecast["yhat"].iloc[0] / history.iloc[-1] - 1
    text = (f"{last:%B %Y} closed at {money.fmt(history.iloc[-1])}; the {nxt:%B} forecast is "
            f"{abs(change):.1%} {'under' if change < 0 else 'over'} it.")
    before = history.reindex([last - pd.DateOffset(years=1), nxt - pd.DateOffset(years=1)])
    if before.isna().any() or not before.iloc[0] > 0:
        return text + " There is no year before to tell a seasonal step from a trend."
    seasonal = before.iloc[1] / before.iloc[0] - 1
    growth = forecast["yhat"].iloc[0] / before.iloc[1] - 1
    on = "level with" if abs(growth) < 0.0005 else f"{growth:+.1%} on"
    return (text + f" A year before, {nxt:%B} came in {abs(seasonal):.1%} {'under' if seasonal < 0 else 'over'} "
            f"{last:%B} ({money.fmt(before.iloc[1])}); the forecast is {on} that {nxt:%B}.")


def baseline(history: np.ndarray, horizon: int, model: str, window: int = 3) -> np.ndarray:
    """Naive (last value), seasonal naive (same month a year before) or moving average."""
    if model == "naive":
        return np.repeat(history[-1], horizon).astype(float)
    if model == "moving_average":
        return np.repeat(history[-window:].mean(), horizon)
    if model == "seasonal_naive":
        if len(history) < SEASON:
            raise ValueError("seasonal naive needs 12 months of history")
        return np.array([history[len(history) - SEASON + (h % SEASON)] for h in range(horizon)],
                        dtype=float)
    raise ValueError(f"unknown model {model}")


def prophet_forecast(history: pd.Series, horizon: int) -> np.ndarray:
    """Prophet as it comes (additive trend and yearly seasonality, the latter from two years of history), without
    its own interval (the interval shown is calibrated on the backtest). It beat our earlier configuration
    (multiplicative, 4 Fourier terms, a working-days regressor) on average over the shipped real series and
    the demo (an earlier benchmark)."""
    logging.getLogger("prophet.plot").disabled = True  # "plotly failed": we draw with matplotlib
    from prophet import Prophet

    for name in ("cmdstanpy", "prophet"):
        logger = logging.getLogger(name)
        if not logger.handlers:  # cmdstanpy adds an INFO handler to a logger that has none
            logger.addHandler(logging.NullHandler())
        logger.setLevel(logging.ERROR)
    df = pd.DataFrame({"ds": history.index, "y": history.to_numpy(dtype=float)})
    model = Prophet(yearly_seasonality=len(history) >= 2 * SEASON, weekly_seasonality=False,
                    daily_seasonality=False, uncertainty_samples=0)
    model.fit(df, algorithm="LBFGS")
    return np.clip(prophet_point(model, pd.Series(next_months(history, horizon))), 0, None)


def prophet_point(model, dates: pd.Series) -> np.ndarray:
    """A fitted Prophet's point forecast (`yhat`) for a linear trend with additive seasonalities, from Prophet's
    own trend and Fourier functions: the same as `model.predict` (a test checks it) in 6 ms instead of 15 ms, a
    fifth of a Prophet fit-and-forecast."""
    params = {name: np.nanmean(model.params[name], axis=0) for name in ("k", "m", "delta", "beta")}
    t = ((dates - model.start) / model.t_scale).to_numpy(dtype=float)
    trend = model.piecewise_linear(t, params["delta"], float(params["k"][0]), float(params["m"][0]),
                                   model.changepoints_t) * model.y_scale
    features = [model.fourier_series(dates, s["period"], s["fourier_order"]) for s in model.seasonalities.values()]
    if not features:
        return trend
    return trend + np.hstack(features) @ params["beta"] * model.y_scale


def ets_forecast(history: np.ndarray, horizon: int) -> np.ndarray:
    """Exponential smoothing (statsmodels' Holt-Winters): damped additive trend, additive yearly seasonality
    from two years of history; NaN when it cannot be fitted."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = len(history) >= 2 * SEASON
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ExponentialSmoothing(history, trend="add", damped_trend=True,
                                       seasonal="add" if seasonal else None,
                                       seasonal_periods=SEASON if seasonal else None,
                                       initialization_method="heuristic" if seasonal else "estimated",
                                       ).fit(use_brute=False)
        return np.clip(fit.forecast(horizon), 0, None)
    except (ValueError, np.linalg.LinAlgError):
        return np.full(horizon, np.nan)


def theta_forecast(history: np.ndarray, horizon: int) -> np.ndarray:
    """The Theta method (statsmodels), deseasonalised from two years of history; NaN when it cannot be fitted."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ThetaModel(history, period=SEASON, deseasonalize=len(history) >= 2 * SEASON).fit()
        return np.clip(np.asarray(fit.forecast(horizon)), 0, None)
    except (ValueError, np.linalg.LinAlgError):
        return np.full(horizon, np.nan)


def arima_forecast(history: np.ndarray, horizon: int, max_lag: int = 2) -> np.ndarray:
    """ARIMA on the yearly differences (first differences under two years of history): an autoregression with
    drift, its order (0 to `max_lag`) chosen by AIC and fitted by least squares (statsmodels' AutoReg), then
    integrated back; NaN when it cannot be fitted."""
    from statsmodels.tsa.ar_model import AutoReg

    lag = SEASON if len(history) >= 2 * SEASON else 1
    diffs = history[lag:] - history[:-lag]
    try:
        fits = [AutoReg(diffs, lags=p, trend="c", hold_back=max_lag).fit() for p in range(max_lag + 1)]
    except (ValueError, np.linalg.LinAlgError):
        return np.full(horizon, np.nan)
    best = min(fits, key=lambda f: f.aic)
    steps = best.predict(start=len(diffs), end=len(diffs) + horizon - 1)
    out = list(history)
    for step in steps:
        out.append(out[-lag] + step)
    return np.clip(out[len(history):], 0, None)


STATISTICAL = {"ets": ets_forecast, "theta": theta_forecast, "arima": arima_forecast}


def point(history: pd.Series, horizon: int, model: str, settings: ForecastSettings) -> np.ndarray:
    """The point forecast of `horizon` months after the history with one model."""
    if model == "prophet":
        return prophet_forecast(history, horizon)
    values = history.to_numpy(dtype=float)
    if model in STATISTICAL:
        return STATISTICAL[model](values, horizon)
    return baseline(values, horizon, model, settings.ma_window)


def next_months(history: pd.Series, horizon: int) -> pd.DatetimeIndex:
    return pd.date_range(history.index[-1], periods=horizon + 1, freq="MS")[1:].rename("month")


def predict(history: pd.Series, horizon: int, model: str, settings: ForecastSettings) -> pd.DataFrame:
    """Forecast `horizon` months after the history with one model (no interval: it is calibrated afterwards)."""
    return pd.DataFrame({"yhat": point(history, horizon, model, settings), "lower": np.nan, "upper": np.nan},
                        index=next_months(history, horizon))


def origins(n: int, settings: ForecastSettings) -> list[int]:
    """Positions of the first forecast month of each backtest origin (training is everything before)."""
    first = max(settings.min_train, n - settings.backtest_months)
    return list(range(first, n))


def backtest(history: pd.Series, settings: ForecastSettings, models: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Rolling-origin forecasts: each model is fitted only on months before each origin."""
    parts: dict[str, list] = {k: [] for k in ("origin", "step", "month", "model", "actual", "forecast")}
    for o in origins(len(history), settings):
        train = history.iloc[:o]
        steps = min(settings.horizon, len(history) - o)
        months, actual = next_months(train, steps), history.iloc[o:o + steps].to_numpy(dtype=float)
        for model in models or settings.models:
            parts["origin"].append(np.repeat(history.index[o], steps))
            parts["step"].append(np.arange(1, steps + 1))
            parts["month"].append(months)
            parts["model"].append(np.repeat(model, steps))
            parts["actual"].append(actual)
            parts["forecast"].append(point(train, steps, model, settings))
    if not parts["origin"]:
        return pd.DataFrame()
    out = pd.DataFrame({k: np.concatenate(v) for k, v in parts.items()})
    return out.assign(model=out["model"].astype(str), lower=np.nan, upper=np.nan)


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |actual − forecast| / sum |actual|."""
    total = np.abs(actual).sum()
    return float(np.abs(actual - forecast).sum() / total) if total else float("nan")


def mase_scale(train: np.ndarray) -> float:
    """Mean absolute error of the in-sample seasonal naive (lag 12, else lag 1)."""
    lag = SEASON if len(train) > SEASON else 1
    diffs = np.abs(train[lag:] - train[:-lag])
    return float(diffs.mean()) if len(diffs) and diffs.mean() > 0 else float("nan")


def scores(bt: pd.DataFrame, history: pd.Series) -> pd.DataFrame:
    """WAPE, MASE and bias per model over a backtest."""
    scale = mase_scale(history[history.index < bt["origin"].min()].to_numpy(dtype=float))
    out = {}
    for model, g in bt.groupby("model", sort=False):
        a, f = g["actual"].to_numpy(), g["forecast"].to_numpy()
        out[model] = {
            "wape": wape(a, f),
            "mase": float(np.abs(a - f).mean() / scale) if scale == scale else float("nan"),
            "bias": float((f - a).sum() / a.sum()) if a.sum() else float("nan"),
            "forecasts_tested": len(g),
        }
    return pd.DataFrame(out).T.rename_axis("model")


def _quantiles(errors: np.ndarray, interval: float) -> tuple[float, float]:
    """The split-conformal bounds: the order statistics that hold a new error with probability `interval`
    (the ⌊(n+1)(1−interval)/2⌋-th and ⌈(n+1)(1+interval)/2⌉-th smallest of n), a little wider than the plain
    quantiles, which cover less than they say on a few dozen errors."""
    ordered = np.sort(errors)
    n = len(ordered)
    low = int(np.clip(np.floor((n + 1) * (1 - interval) / 2), 1, n))
    high = int(np.clip(np.ceil((n + 1) * (1 + interval) / 2), 1, n))
    return float(ordered[low - 1]), float(ordered[high - 1])


def calibrated(bt: pd.DataFrame, model: str, interval: float) -> tuple[tuple[float, float], float]:
    """Interval as relative errors from the backtest, and its leave-one-origin-out coverage."""
    g = bt[(bt["model"] == model) & (bt["forecast"] > 0)]
    rel = (g["actual"] / g["forecast"] - 1).to_numpy()
    if len(rel) < 4:
        return (float("nan"), float("nan")), float("nan")
    hits = []
    for origin in g["origin"].unique():
        mine = (g["origin"] == origin).to_numpy()
        lo, hi = _quantiles(rel[~mine], interval)
        hits += list((rel[mine] >= lo) & (rel[mine] <= hi))
    return _quantiles(rel, interval), float(np.mean(hits))


def with_interval(fc: pd.DataFrame, lo: float, hi: float) -> pd.DataFrame:
    """`fc` with the interval of relative bounds (`lo`, `hi`) around each month: widened to hold the forecast itself,
    never below zero, and n/a where the forecast is zero or the bounds meet."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    usable = (fc["yhat"] > 0) & (hi > lo)
    return fc.assign(lower=(fc["yhat"] * (1 + lo)).clip(lower=0).where(usable),
                     upper=(fc["yhat"] * (1 + hi)).where(usable))


def sum_bounds(r: SeriesForecast, months: int, interval: float) -> tuple[float, float]:
    """Relative bounds for the sum of the next `months` forecast months, from the backtest errors of such sums at
    each origin (NaN with fewer than four origins): a quarter's interval, narrower than added monthly bounds."""
    if r.backtest.empty:
        return float("nan"), float("nan")
    g = r.backtest[(r.backtest["model"] == r.chosen) & (r.backtest["step"] <= months)]
    sums = g.groupby("origin").agg(actual=("actual", "sum"), forecast=("forecast", "sum"), n=("step", "size"))
    sums = sums[(sums["n"] == months) & (sums["forecast"] > 0)]
    if len(sums) < 4:
        return float("nan"), float("nan")
    return _quantiles((sums["actual"] / sums["forecast"] - 1).to_numpy(), interval)


def combination_rows(bt: pd.DataFrame, members: list[str]) -> pd.DataFrame:
    """The backtest of the mean of `members`: their forecasts averaged per origin and month."""
    mine = bt[bt["model"].isin(members)]
    keys = ["origin", "step", "month", "actual"]
    return mine.groupby(keys, as_index=False, sort=False)["forecast"].mean().assign(
        model=COMBINATION, lower=np.nan, upper=np.nan)


NAMES = {"prophet": "Prophet", "ets": "ETS", "theta": "Theta", "arima": "ARIMA"}


def _name(model: str) -> str:
    return NAMES.get(model, model.replace("_", " "))


def forecast_series(name: str, history: pd.Series, settings: ForecastSettings) -> SeriesForecast:
    """Backtest every model, headline the mean of the HEADLINE models, and forecast with calibrated intervals."""
    history = history.astype(float)
    active = history[history.ne(0).cummax()]  # from the first month with a sale (new hires)
    if active.empty:
        fc = predict(history, settings.horizon, "naive", settings)
        return SeriesForecast(name, history, pd.DataFrame(), "naive",
                              "No sale yet: nothing to forecast from.", fc)
    history = active
    n_origins = len(origins(len(history), settings))
    if n_origins < 3:
        model = "seasonal_naive" if len(history) >= SEASON else "moving_average"
        fc = predict(history, settings.horizon, model, settings)
        reason = (f"Only {len(history)} month{'s' * (len(history) > 1)} of sales history: a backtest needs at least "
                  f"{settings.min_train + 3}. No accuracy is claimed; the forecast is the "
                  f"{_name(model)}, without an interval.")
        return SeriesForecast(name, history, pd.DataFrame(), model, reason, fc)
    bt = backtest(history, settings)
    singles = scores(bt, history)
    members = [m for m in HEADLINE if singles["wape"].get(m) == singles["wape"].get(m)]
    if not members:  # no sale in any backtest window: no method can be scored
        fc = predict(history, settings.horizon, "moving_average", settings)
        reason = (f"No sale in the {n_origins} backtest months, so no method can be scored and no accuracy is "
                  f"claimed; the forecast is the moving average of the last {settings.ma_window} months, without "
                  "an interval.")
        return SeriesForecast(name, history, pd.DataFrame(), "moving_average", reason, fc)
    bt = pd.concat([bt, combination_rows(bt, members)], ignore_index=True)
    table = scores(bt, history).assign(member=lambda t: t.index.isin(members))
    (lo, hi), coverage = calibrated(bt, COMBINATION, settings.interval)
    preds = [predict(history, settings.horizon, m, settings) for m in members]
    fc = with_interval(pd.DataFrame({"yhat": np.mean([p["yhat"].to_numpy() for p in preds], axis=0)},
                                    index=preds[0].index), lo, hi)
    parts = ", ".join(f"{_name(m)} {singles.loc[m, 'wape']:.1%}" for m in members)
    combined, best = table.loc[COMBINATION, "wape"], singles["wape"].idxmin()
    reason = (f"The forecast shown is, month by month, the mean of {listing([_name(m) for m in members])} (WAPE over "
              f"{n_origins} backtest origins: {parts}); that mean had a WAPE of {combined:.1%} on the same origins")
    reason += (f", against {singles.loc[best, 'wape']:.1%} for the best single model here ({_name(best)}). "
               if combined > singles.loc[best, "wape"] + 0.0005 else ", as good as the best single model. ")
    reason += f"This fixed mix is the headline everywhere: {PANEL}."
    if "prophet" in singles.index:
        reason += f" Prophet ({singles.loc['prophet', 'wape']:.1%}) and the other models are scored for comparison."
    return SeriesForecast(name, history, table, COMBINATION, reason, fc, bt, coverage)


def _one(args: tuple[str, pd.Series, ForecastSettings]) -> SeriesForecast:
    with threadpool_limits(1):  # the same sums in the same order on any core count: one BLAS/OpenMP thread
        return forecast_series(*args)


def spare_cores() -> int:
    """Cores this process may fill: what a batch run left to each report (SPARE_CORES), else all of them."""
    return int(os.environ.get(SPARE_CORES) or 0) or cores.usable()


def forecast_many(histories: dict[str, pd.Series], settings: ForecastSettings,
                  workers: int = 0) -> dict[str, SeriesForecast]:
    """Forecast many series on the spare cores (one process each; one spare core runs them in-process)."""
    workers = min(workers or spare_cores(), len(histories))
    items = [(name, h, settings) for name, h in histories.items()]
    if workers <= 1:
        return {name: _one(item) for name, item in zip(histories, items, strict=True)}
    ctx = multiprocessing.get_context("spawn")
    with one_thread_each():
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=signal.signal,
                                   initargs=(signal.SIGINT, signal.SIG_IGN))  # Ctrl-C is for the caller to handle
        try:
            results = list(pool.map(_one, items, chunksize=max(1, len(items) // (4 * workers))))
        except BaseException:
            for process in list(getattr(pool, "_processes", {}).values()):
                with contextlib.suppress(OSError):
                    process.terminate()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return dict(zip(histories, results, strict=True))


@contextlib.contextmanager
def one_thread_each() -> Iterator[None]:
    """Processes started meanwhile use one BLAS/OpenMP thread each: a pool already fills every core."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    os.environ.update(dict.fromkeys(names, "1"))
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def histories(sales: pd.DataFrame | ibis.Table, team: str, month: str, value: str = "revenue",
              by: str = "team") -> dict[str, pd.Series]:
    """The series a report forecasts: the team itself, or the organisation and each `by` group."""
    own = monthly_totals(sales, None, month)[value]
    out = {team: own}
    if is_org(team) or by != "team":
        per = monthly_totals(sales, by, month)[value]
        out |= {name: per.loc[name] for name in per.index.get_level_values(0).unique()}
    return out


def backtest_wape(r: SeriesForecast) -> float:
    """The backtest error (WAPE) of the forecast a series shows (NaN without a backtest)."""
    return float(r.scores["wape"].get(r.chosen, np.nan)) if len(r.scores) else float("nan")


def summary_table(results: dict[str, SeriesForecast], accuracy: pd.DataFrame | None = None,
                  own: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per series: the models headlined, the backtest WAPE of its own forecast and (with `accuracy`) of
    the reconciled one, next month's own forecast (with `own`, before reconciliation), forecast and interval."""
    rows = []
    for name, r in results.items():
        first = r.forecast.iloc[0]
        reconciled = {} if accuracy is None else {
            "reconciled_wape": accuracy["reconciled_wape"].get(r.name, np.nan) if len(accuracy) else np.nan}
        before = {} if own is None else {"own_forecast": own.get(r.name, np.nan)}
        rows.append({"series": name, "model": methods(r),
                     "backtest_wape": backtest_wape(r),
                     **reconciled, "month": r.forecast.index[0].strftime("%Y-%m"), **before, "forecast": first["yhat"],
                     "lower": first["lower"], "upper": first["upper"]})
    return pd.DataFrame(rows).set_index("series")


def methods(r: SeriesForecast) -> str:
    """The models a series' forecast is made of, by name."""
    if r.chosen == COMBINATION and "member" in r.scores:
        return ", ".join(_name(m) for m in r.scores.index[r.scores["member"].astype(bool)])
    return _name(r.chosen)


def horizon_table(results: dict[str, SeriesForecast], value: str = "revenue", own: dict[str, float] | None = None,
                  method: str = "", under: dict[str, str] | None = None) -> pd.DataFrame:
    """Every month of every series' forecast, one row each, with its interval, how it was made and (with `own`, the
    own forecasts of next month, and the reconciliation `method`) whether reconciliation moved it: the table an
    analyst takes into a spreadsheet. `under`: the series each one adds up into."""
    rows = []
    for name, r in results.items():
        first, mine = r.forecast["yhat"].iloc[0], (own or {}).get(name, np.nan)
        moved = first / mine - 1 if mine > 0 else 0.0
        reconciled = (f"yes, {hierarchy.SHORT[method]} ({moved:+.1%} on its own forecast next month)"
                      if method and abs(moved) > 0.0005 else "no: its own forecast")
        rows += [{"series": name, "under": (under or {}).get(name, ""), "value": value,
                  "month": month.strftime("%Y-%m"), "forecast": row["yhat"], "lower": row["lower"],
                  "upper": row["upper"], "methods": methods(r), "backtest_wape": backtest_wape(r),
                  "reconciled": reconciled}
                 for month, row in r.forecast.iterrows()]
    return pd.DataFrame(rows, columns=["series", "under", "value", "month", "forecast", "lower", "upper", "methods",
                                       "backtest_wape", "reconciled"])


def too_new_sentence(months: dict[str, int], who: str) -> str:
    """Which reps have too few months of sales for a forecast of their own ('' when none); `months` by name."""
    if not months:
        return ""
    listed = listing([f"{name} ({'no sale yet' if n == 0 else f'{n} month' + 's' * (n > 1)})"
                      for name, n in months.items()])
    return (f"Too new to forecast, with fewer than {MIN_MONTHS} months of sales: {listed}. Their sales count in "
            f"{who}'s forecast, not in a forecast of their own, so no quota or colour rests on one.")


def shown_scores(r: SeriesForecast) -> pd.DataFrame:
    """The backtest scores as a report shows them, with the models the forecast averages."""
    out = r.scores.copy()
    if "member" in out:
        out["member"] = np.where(out["member"].astype(bool), "yes", "")
        out = out.rename(columns={"member": "in_the_forecast"})
    return out.rename(index=_name)


def coverage_sentence(r: SeriesForecast, interval: float) -> str:
    """What the intervals are worth, measured on the backtest."""
    if r.scores.empty:
        return "No backtest was possible, so no interval is given."
    return (f"The {interval:.0%} interval is taken from the backtest errors of the "
            f"{'combined forecast' if r.chosen == COMBINATION else _name(r.chosen) + ' model'}; checked on each "
            f"origin left out in turn, it contained the actual value {r.calibrated_coverage:.0%} of the time.")


def parts_sentence(results: dict[str, SeriesForecast], whole: str, unassigned: float = 0.0,
                   own_total: float | None = None, too_new: Iterable[str] = ()) -> str:
    """How next month's forecasts of the parts (reps, teams) make up the forecast of the whole: what the rest is
    (sales no part holds, reps `too_new` to forecast) and, with `own_total` (the parts' own forecasts before
    reconciliation, added up), by how much reconciliation scaled them."""
    parts = [r for name, r in results.items() if name != whole]
    if not parts or whole not in results:
        return ""
    own = float(results[whole].forecast["yhat"].iloc[0])
    total = sum(float(r.forecast["yhat"].iloc[0]) for r in parts)
    month = results[whole].forecast.index[0]
    text = f"For {month:%B %Y} the {len(parts)} series below {whole} add up to {money.fmt(total)}"
    too_new = list(too_new)
    rest = [f"kept for {listing(too_new)}, too new to forecast (the average of their months of sales, scaled like "
            "the others)"] if too_new else []
    rest += ["sales that none of them holds (its share of the last 12 months)"] if unassigned > 0.0005 else []
    if rest and own > total:
        share = (own - total) / own
        pct = f"{share:.1%}" if share < 0.01 else f"{share:.0%}"
        text += f" of its {money.fmt(own)} forecast; the other {money.fmt(own - total)} ({pct}) is {' and '.join(rest)}"
    else:
        text += ", its forecast"
    if own_total and abs(total / own_total - 1) > 0.0005:
        text += (f"; their own forecasts added up to {money.fmt(own_total)}, so each shown here is its own "
                 f"{total / own_total - 1:+.1%}")
    return text + "."


def scaling_sentence(scale: pd.Series) -> str:
    """By how much each team's reconciliation moved its reps' forecasts, which the quotas rest on ('' when none
    moved by more than 0.5%)."""
    moved = scale[scale.abs() > 0.005]
    if moved.empty:
        return ""
    parts = ", ".join(f"team {t} {v:+.1%}" for t, v in moved.sort_values(ascending=False).items())
    text = ("Reconciliation moves reps' forecasts so that they add up to their team: against their own models added "
            f"up, reps' forecasts move by {parts}.")
    large = moved[moved.abs() > LARGE_SCALING]
    if large.empty:
        return text
    who = listing([f"team {t}" for t in large.index])
    return text + (f" For {who} the gap is large: the team's own model and its reps' models disagree by that much, so "
                   "read a rep's forecast as their share of the team's, not as their own outlook (the forecasts "
                   "report shows both).")


def spread_sentence(table: pd.DataFrame, whole: str, who: str) -> str:
    """How wide the parts' intervals are beside the whole's (`who` names it; `table` from `summary_table`)."""
    width = (table["upper"] - table["lower"]) / table["forecast"].where(table["forecast"] > 0) / 2
    parts = width.drop(index=whole, errors="ignore").dropna()
    if parts.empty or whole not in width.index or width[whole] != width[whole]:
        return ""
    return (f"The series below {who} swing more than it does: the median interval spans ±{parts.median():.0%} of "
            f"the forecast (from ±{parts.min():.0%} to ±{parts.max():.0%}), against ±{width[whole]:.0%} for {who}. "
            "Read theirs as a range to discuss; commit to the whole's forecast, and steer each part by its pipeline "
            "and its own call.")


def unassigned_shares(totals: pd.DataFrame, parent: dict[str, str], months: int = SEASON) -> dict[str, float]:
    """Per series with children, the share of its revenue of the last `months` months that none of its children
    holds (sales without a rep in a team, without a team in the organisation). `totals`: one column per series."""
    recent = totals.tail(months).sum()
    out = {}
    for node in set(parent.values()):
        held = sum(recent.get(child, 0.0) for child, p in parent.items() if p == node)
        out[node] = float(np.clip(1 - held / recent[node], 0, 1)) if recent.get(node, 0) > 0 else 0.0
    return out


def backtest_points(results: dict[str, SeriesForecast], root: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each series' own headline forecast and what happened, at the root's backtest points (one row per origin and
    month; a series without a forecast there, such as a rep not hired yet, forecasts 0). Empty without a backtest
    of the root."""
    rows = {name: r.backtest[r.backtest["model"] == r.chosen].set_index(["origin", "month"])
            for name, r in results.items() if len(r.backtest)}
    if root not in rows:
        return pd.DataFrame(), pd.DataFrame()
    points = rows[root].index
    base = pd.DataFrame({n: rows[n]["forecast"].reindex(points) if n in rows else np.nan for n in results},
                        index=points).fillna(0.0)
    actual = pd.DataFrame({n: g["actual"].reindex(points) for n, g in rows.items()})
    return base, actual


@dataclass(frozen=True)
class Reconciled:
    """A hierarchy's forecasts made to add up, the method used and how each method did on its backtest."""

    series: dict[str, SeriesForecast]
    method: str
    scores: pd.DataFrame  # per method: backtest WAPE of each level and their mean (empty without a backtest)
    accuracy: pd.DataFrame  # per series: backtest WAPE of its own forecast and of the reconciled one


def reconcile(results: dict[str, SeriesForecast], parent: dict[str, str], unassigned: dict[str, float],
              root: str, method: str | None = None) -> Reconciled:
    """Every series' forecast made coherent by the method that did best on the hierarchy's own backtest (or
    `method`), its interval scaled with it, and its reason saying so."""
    base_bt, actual_bt = backtest_points(results, root)
    table = hierarchy.scores(base_bt, actual_bt, parent, unassigned, root) if len(base_bt) else pd.DataFrame()
    method = method or hierarchy.choose(table)
    errors = hierarchy.errors(base_bt, actual_bt, parent, unassigned) if len(base_bt) else None
    base = pd.DataFrame({name: r.forecast["yhat"] for name, r in results.items()})
    coherent = hierarchy.coherent(method, base, parent, unassigned, root, errors)
    out = {}
    for name, r in results.items():
        fc = r.forecast.copy()
        ratio = (coherent[name] / fc["yhat"]).where(fc["yhat"] > 0, 1.0).fillna(1.0)
        fc["yhat"] = coherent[name].to_numpy()
        fc[["lower", "upper"]] = fc[["lower", "upper"]].mul(ratio.to_numpy(), axis=0)
        moved = fc["yhat"].iloc[0] / r.forecast["yhat"].iloc[0] - 1 if r.forecast["yhat"].iloc[0] > 0 else 0.0
        note = (f" Reconciled {hierarchy.SHORT[method]}: {moved:+.1%} against its own forecast next month, so that "
                "it adds up with the series above and below it." if abs(moved) > 0.0005 else "")
        out[name] = SeriesForecast(r.name, r.history, r.scores, r.chosen, r.reason + note, fc, r.backtest,
                                   r.calibrated_coverage)
    accuracy = {}
    if len(base_bt):
        fitted = hierarchy.coherent(method, base_bt, parent, unassigned, root, errors)
        for name in actual_bt:
            seen = actual_bt[name].notna()
            a = actual_bt.loc[seen, name].to_numpy()
            accuracy[name] = {"backtest_wape": wape(a, base_bt.loc[seen, name].to_numpy()),
                              "reconciled_wape": wape(a, fitted.loc[seen, name].to_numpy())}
    return Reconciled(out, method, table, pd.DataFrame(accuracy).T.rename_axis("series"))


def reconciliation_sentence(made: Reconciled) -> str:
    """How the forecasts were made to add up, and why that method ('' for a single series: nothing to add up)."""
    if len(made.series) < 2:
        return ""
    text = f"Forecasts are reconciled {hierarchy.NAMES[made.method]}, so that they add up in every report"
    if made.scores.empty:
        return text + (f": without a backtest of the whole, no method can be compared; {hierarchy.SHORT[made.method]} "
                       "ranked best on the benchmark panel of real hierarchies.")
    ranked = made.scores["level_0"].dropna().sort_values(kind="stable")
    others = ", ".join(f"{hierarchy.SHORT[m]} {v:.1%}" for m, v in ranked.drop(made.method).items())
    return text + (f". It is the method whose forecast of the whole erred least on this hierarchy's backtest "
                   f"(WAPE {ranked[made.method]:.1%}; {others}).")
