"""Monthly forecasts: Prophet and simple baselines, judged by rolling-origin backtests."""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesnb.core import money
from salesnb.core.scope import is_org, month_start

MODELS = ("prophet", "seasonal_naive", "naive", "moving_average")
SEASON = 12


@dataclass(frozen=True)
class ForecastSettings:
    """How far to forecast, how to backtest, and the holiday calendar for working days."""

    horizon: int = 3
    backtest_months: int = 12
    country: str = ""
    interval: float = 0.8
    min_train: int = 18
    ma_window: int = 3
    uncertainty_samples: int = 200

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.backtest_months < 0 or not 0 < self.interval < 1:
            raise ValueError("horizon must be ≥ 1, backtest_months ≥ 0 and interval in (0, 1).")


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


def monthly_totals(sales: pd.DataFrame, by: str | None, last_month: str) -> pd.DataFrame:
    """Revenue and order count per month (every month to `last_month`, zeros filled) per series."""
    end = month_start(last_month)
    months = pd.date_range(sales["month"].min(), end, freq="MS")
    keys = ["month"] if by is None else [by, "month"]
    agg = sales[sales["month"] <= end].groupby(keys).agg(
        revenue=("revenue", "sum"), orders=("order_id", "nunique"))
    if by is None:
        return agg.reindex(months, fill_value=0).rename_axis("month")
    full = pd.MultiIndex.from_product([sorted(sales[by].unique()), months], names=[by, "month"])
    return agg.reindex(full, fill_value=0)


def holidays_sentence(country: str) -> str:
    """Which public holidays the working-days count uses."""
    if not country:
        return ("Working days count Monday to Friday only: no holiday country is stated (set `country` "
                "in dataset.yaml or the parameters).")
    return f"Working days count Monday to Friday less the public holidays of {country} (python-holidays)."


def working_days(months: pd.DatetimeIndex, country: str) -> np.ndarray:
    """Monday-to-Friday days that are not public holidays, per month."""
    import holidays

    years = sorted({m.year for m in months})
    off = holidays.country_holidays(country, years=years) if country else {}
    out = []
    for m in months:
        days = pd.bdate_range(m, m + pd.offsets.MonthEnd(0))
        out.append(sum(d.date() not in off for d in days))
    return np.array(out, dtype=float)


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


def prophet_forecast(history: pd.Series, horizon: int, settings: ForecastSettings) -> pd.DataFrame:
    """Prophet with yearly seasonality and a working-days regressor; yhat, lower, upper."""
    logging.getLogger("prophet.plot").disabled = True  # "plotly failed": we draw with matplotlib
    from prophet import Prophet

    for name in ("cmdstanpy", "prophet"):
        logger = logging.getLogger(name)
        if not logger.handlers:  # cmdstanpy adds an INFO handler to a logger that has none
            logger.addHandler(logging.NullHandler())
        logger.setLevel(logging.ERROR)
    months = pd.date_range(history.index[0], periods=len(history) + horizon, freq="MS")
    workdays = working_days(months, settings.country)
    df = pd.DataFrame({"ds": history.index, "y": history.to_numpy(dtype=float),
                       "workdays": workdays[: len(history)]})
    model = Prophet(yearly_seasonality=4 if len(history) >= 2 * SEASON else False,
                    weekly_seasonality=False, daily_seasonality=False,
                    seasonality_mode="multiplicative", interval_width=settings.interval,
                    uncertainty_samples=settings.uncertainty_samples)
    model.add_regressor("workdays", mode="multiplicative")
    model.fit(df, algorithm="LBFGS")
    future = pd.DataFrame({"ds": months[len(history):], "workdays": workdays[len(history):]})
    np.random.seed(0)
    pred = model.predict(future)
    return pd.DataFrame({"yhat": pred["yhat"].clip(lower=0).to_numpy(),
                         "lower": pred["yhat_lower"].clip(lower=0).to_numpy(),
                         "upper": pred["yhat_upper"].clip(lower=0).to_numpy()},
                        index=future["ds"].rename("month"))


def predict(history: pd.Series, horizon: int, model: str, settings: ForecastSettings) -> pd.DataFrame:
    """Forecast `horizon` months after the history with one model (intervals only from Prophet)."""
    if model == "prophet":
        return prophet_forecast(history, horizon, settings)
    months = pd.date_range(history.index[-1], periods=horizon + 1, freq="MS")[1:]
    yhat = baseline(history.to_numpy(dtype=float), horizon, model, settings.ma_window)
    return pd.DataFrame({"yhat": yhat, "lower": np.nan, "upper": np.nan},
                        index=months.rename("month"))


def origins(n: int, settings: ForecastSettings) -> list[int]:
    """Positions of the first forecast month of each backtest origin (training is everything before)."""
    first = max(settings.min_train, n - settings.backtest_months)
    return list(range(first, n))


def backtest(history: pd.Series, settings: ForecastSettings, models=MODELS) -> pd.DataFrame:
    """Rolling-origin forecasts: each model is fitted only on months before each origin."""
    rows = []
    for o in origins(len(history), settings):
        train = history.iloc[:o]
        steps = min(settings.horizon, len(history) - o)
        for model in models:
            pred = predict(train, steps, model, settings)
            actual = history.iloc[o:o + steps].to_numpy(dtype=float)
            rows.append(pd.DataFrame({
                "origin": history.index[o], "step": np.arange(1, steps + 1), "month": pred.index,
                "model": model, "actual": actual, "forecast": pred["yhat"].to_numpy(),
                "lower": pred["lower"].to_numpy(), "upper": pred["upper"].to_numpy()}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


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
    """WAPE, MASE, bias and interval coverage per model over a backtest."""
    scale = mase_scale(history[history.index < bt["origin"].min()].to_numpy(dtype=float))
    out = {}
    for model, g in bt.groupby("model", sort=False):
        a, f = g["actual"].to_numpy(), g["forecast"].to_numpy()
        has_interval = g["lower"].notna().all()
        out[model] = {
            "wape": wape(a, f),
            "mase": float(np.abs(a - f).mean() / scale) if scale == scale else float("nan"),
            "bias": float((f - a).sum() / a.sum()) if a.sum() else float("nan"),
            "coverage": float(((a >= g["lower"]) & (a <= g["upper"])).mean())
            if has_interval else float("nan"),
            "points": len(g),
        }
    return pd.DataFrame(out).T.rename_axis("model")


def choose(table: pd.DataFrame) -> str:
    """The model with the lowest backtest WAPE (ties go to the simpler model)."""
    order = {m: i for i, m in enumerate(reversed(MODELS))}
    ranked = table.assign(rank=[order.get(m, 0) for m in table.index])
    return ranked.sort_values(["wape", "rank"]).index[0]


def _quantiles(errors: np.ndarray, interval: float) -> tuple[float, float]:
    return (float(np.quantile(errors, (1 - interval) / 2)),
            float(np.quantile(errors, (1 + interval) / 2)))


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


def forecast_series(name: str, history: pd.Series, settings: ForecastSettings) -> SeriesForecast:
    """Backtest every model, headline the most accurate, and forecast with calibrated intervals."""
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
        reason = (f"Only {len(history)} months of sales history: a backtest needs at least "
                  f"{settings.min_train + 3}. No accuracy is claimed; the forecast is the "
                  f"{model.replace('_', ' ')}, without an interval.")
        return SeriesForecast(name, history, pd.DataFrame(), model, reason, fc)
    bt = backtest(history, settings)
    table = scores(bt, history)
    chosen = choose(table)
    (lo, hi), coverage = calibrated(bt, chosen, settings.interval)
    fc = predict(history, settings.horizon, chosen, settings)
    fc["lower"], fc["upper"] = fc["yhat"] * (1 + lo), fc["yhat"] * (1 + hi)
    best = table.loc[chosen]
    runner_up = table.drop(chosen).sort_values("wape").iloc[0]
    reason = (f"{chosen.replace('_', ' ')} had the lowest error over {n_origins} backtest origins "
              f"(WAPE {best['wape']:.1%} vs {runner_up['wape']:.1%} for "
              f"{runner_up.name.replace('_', ' ')}), so it is the forecast shown.")
    if chosen != "prophet":
        reason += (f" Prophet's WAPE was {table.loc['prophet', 'wape']:.1%}: on this history a "
                   "simple baseline is more accurate, so Prophet is not headlined.")
    return SeriesForecast(name, history, table, chosen, reason, fc, bt, coverage)


def _one(args: tuple[str, pd.Series, ForecastSettings]) -> SeriesForecast:
    return forecast_series(*args)


def forecast_many(histories: dict[str, pd.Series], settings: ForecastSettings,
                  workers: int = 0) -> dict[str, SeriesForecast]:
    """Forecast many series on all cores (one process per core; workers=1 runs in-process)."""
    workers = min(workers or os.cpu_count() or 1, len(histories))
    items = [(name, h, settings) for name, h in histories.items()]
    if workers <= 1:
        return {name: _one(item) for name, item in zip(histories, items, strict=True)}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        results = list(pool.map(_one, items, chunksize=max(1, len(items) // (4 * workers))))
    return dict(zip(histories, results, strict=True))


def histories(sales: pd.DataFrame, team: str, month: str, value: str = "revenue",
              by: str = "team") -> dict[str, pd.Series]:
    """The series a report forecasts: the team itself, or the organisation and each `by` group."""
    own = monthly_totals(sales, None, month)[value]
    out = {team: own}
    if is_org(team) or by != "team":
        per = monthly_totals(sales, by, month)[value]
        out |= {name: per.loc[name] for name in per.index.get_level_values(0).unique()}
    return out


def summary_table(results: dict[str, SeriesForecast]) -> pd.DataFrame:
    """One row per series: the model headlined, its backtest WAPE, next month's forecast and interval."""
    rows = []
    for name, r in results.items():
        first = r.forecast.iloc[0]
        rows.append({"series": name, "model": r.chosen.replace("_", " "),
                     "backtest_wape": r.scores["wape"].get(r.chosen, np.nan) if len(r.scores) else np.nan,
                     "month": r.forecast.index[0].strftime("%Y-%m"), "forecast": first["yhat"],
                     "lower": first["lower"], "upper": first["upper"]})
    return pd.DataFrame(rows).set_index("series")


def coverage_sentence(r: SeriesForecast, interval: float) -> str:
    """What the intervals are worth, measured on the backtest."""
    if r.scores.empty:
        return "No backtest was possible, so no interval is given."
    nominal = r.scores.loc["prophet", "coverage"]
    return (f"Prophet's own {interval:.0%} interval contained the actual value in {nominal:.0%} of "
            f"backtest months. The interval shown is instead taken from the backtest errors of the "
            f"{r.chosen.replace('_', ' ')} model; checked on each origin left out in turn, it "
            f"contained the actual value {r.calibrated_coverage:.0%} of the time.")


def parts_sentence(results: dict[str, SeriesForecast], whole: str) -> str:
    """How next month's forecasts of the parts (reps, teams) compare with the forecast of the whole."""
    parts = [r for name, r in results.items() if name != whole]
    if not parts or whole not in results:
        return ""
    own = float(results[whole].forecast["yhat"].iloc[0])
    total = sum(float(r.forecast["yhat"].iloc[0]) for r in parts)
    month = results[whole].forecast.index[0]
    gap = f"{total / own - 1:+.1%} against" if own else "against"
    return (f"For {month:%Y-%m} the {len(parts)} series below {whole} add up to {money.fmt(total)}, "
            f"{gap} its own forecast of {money.fmt(own)}: each series is forecast on its "
            "own and the forecasts are not reconciled, so read the parts for their ranking and the whole for "
            "its total.")
