"""Forecast candidates on real monthly series shipped in a package (pmdarima's wineind and airpassengers) and on
the demo's organisation and teams: backtest WAPE of every candidate, the one chosen, 80% interval coverage.

Protocol as in issue 17: origins after months n-12, n-9, n-6, n-3 of each series, horizon 3; at each origin the
product's own procedure (inner backtest on the months before, choice, calibrated interval) makes the headline.
The real series are taken over their last 60 months and over their last 48 (the issue's held-out protocol:
origins after months 36, 39, 42, 45). "picked" is the single model with the lowest inner backtest WAPE.
Needs `pip install pmdarima` (for its bundled data only). Not part of the tests.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from bench_forecast import demo_sales

from salesnb.data.demo import END_MONTH
from salesnb.domains import forecast as F


def real_series() -> dict[str, pd.Series]:
    from pmdarima import datasets

    out = {}
    for name, load, start in (("wineind", datasets.load_wineind, "1980-01"),
                              ("airpassengers", datasets.load_airpassengers, "1949-01")):
        y = np.asarray(load(as_series=True), dtype=float)
        for months in (60, 48):  # five and four years, like a CRM export
            out[f"{name} {months}"] = pd.Series(y[-months:], index=pd.date_range(start, periods=months, freq="MS"))
    return out


def demo_series() -> dict[str, pd.Series]:
    sales = demo_sales()
    return {f"demo {k}": v for k, v in F.histories(sales, "all", END_MONTH, "revenue").items()}


def prophet_previous(history: pd.Series) -> np.ndarray:
    """The configuration salesnb used before: multiplicative, 4 Fourier terms, a working-days regressor."""
    from prophet import Prophet

    months = pd.date_range(history.index[0], periods=len(history) + 3, freq="MS")
    workdays = np.array([len(pd.bdate_range(m, m + pd.offsets.MonthEnd(0))) for m in months], dtype=float)
    model = Prophet(yearly_seasonality=4 if len(history) >= 24 else False, weekly_seasonality=False,
                    daily_seasonality=False, seasonality_mode="multiplicative", uncertainty_samples=0)
    model.add_regressor("workdays", mode="multiplicative")
    model.fit(pd.DataFrame({"ds": history.index, "y": history.to_numpy(), "workdays": workdays[:len(history)]}),
              algorithm="LBFGS")
    future = pd.DataFrame({"ds": months[len(history):], "workdays": workdays[len(history):]})
    return model.predict(future)["yhat"].clip(lower=0).to_numpy()


def evaluate(name: str, history: pd.Series, settings: F.ForecastSettings) -> dict:
    n = len(history)
    rows, picks, hits = [], [], []
    for origin in (n - 12, n - 9, n - 6, n - 3):
        train, actual = history.iloc[:origin], history.iloc[origin:origin + 3].to_numpy()
        r = F.forecast_series(name, train, settings)
        picks.append(r.chosen)
        row = {"origin": origin, "headline": r.forecast["yhat"].to_numpy()}
        for model in F.MODELS:
            row[model] = F.predict(train, 3, model, settings)["yhat"].to_numpy()
        row["picked"] = row[r.scores.drop(F.COMBINATION)["wape"].idxmin()]
        row["median"] = np.median([row[m] for m in F.MODELS], axis=0)
        row["prophet_previous"] = prophet_previous(train)
        rows.append(row)
        hits += list((actual >= r.forecast["lower"].to_numpy()) & (actual <= r.forecast["upper"].to_numpy()))
    actual = np.concatenate([history.iloc[o["origin"]:o["origin"] + 3].to_numpy() for o in rows])
    out = {"series": name, "chosen": "/".join(dict.fromkeys(picks))}
    for model in ("headline", "picked", "median", *F.MODELS, "prophet_previous"):
        out[model] = F.wape(actual, np.concatenate([o[model] for o in rows]))
    out["coverage_80"] = float(np.mean(hits))
    return out


def main() -> None:
    settings = F.ForecastSettings()
    series = real_series() | demo_series()
    start = time.perf_counter()
    table = pd.DataFrame([evaluate(name, h, settings) for name, h in series.items()]).set_index("series")
    best = table[list(F.MODELS)].min(axis=1)
    table["headline - best"] = table["headline"] - best
    table["picked - best"] = table["picked"] - best
    pd.set_option("display.width", 200)
    print(table.round(3).to_string())
    print(f"80% interval coverage over all {4 * 3 * len(series)} points: {table['coverage_80'].mean():.0%}; "
          f"headline within 0.01 of the best single model on {(table['headline - best'] <= 0.01).sum()} of "
          f"{len(table)} series, within 0.03 on {(table['headline - best'] <= 0.03).sum()}; mean gap: headline "
          f"{table['headline - best'].mean():.3f}, single model picked by backtest {table['picked - best'].mean():.3f}")
    print(f"{len(series)} series, 4 origins each, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
