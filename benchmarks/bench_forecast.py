"""Forecast throughput: every team and every rep (revenue and orders) on all cores vs a plain loop.

Each series gets the full procedure (rolling-origin backtest of every model, then the forecast).
Prints series per second for both and the ratio. Not part of the tests.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from salesnb.data.demo import END_MONTH, generate
from salesnb.data.workspace import Workspace, load_folder
from salesnb.domains import forecast as F


def demo_sales():
    """Every order line of a freshly generated demo, as the reports read them."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out)
        load_folder(out, out / "workspace.duckdb")
        ws = Workspace(out / "workspace.duckdb")
        sales = ws.sales("all", END_MONTH, 120)
        ws.close()
    return sales


def main() -> None:
    sales = demo_sales()
    series = {}
    for value in ("revenue", "orders"):
        for by in ("team", "rep_id"):
            for name, s in F.histories(sales, "all", END_MONTH, value, by=by).items():
                series[f"{value}/{by}/{name}"] = s
    settings = F.ForecastSettings()
    start = time.perf_counter()
    loop = {name: F.forecast_series(name, s, settings) for name, s in series.items()}
    t_loop = time.perf_counter() - start
    start = time.perf_counter()
    pooled = F.forecast_many(series, settings)
    t_pool = time.perf_counter() - start
    same = all(loop[k].forecast.equals(pooled[k].forecast) for k in series)
    n = len(series)
    print(f"{n} series (revenue and orders for the org, 4 teams and 40 reps), "
          f"{settings.backtest_months} backtest origins x {len(F.MODELS)} models each, {os.cpu_count()} cores")
    print(f"plain loop     : {t_loop:6.1f} s  {n / t_loop:5.2f} series/s")
    print(f"forecast_many  : {t_pool:6.1f} s  {n / t_pool:5.2f} series/s")
    print(f"speed-up: {t_loop / t_pool:.2f}x; identical forecasts: {same}")


if __name__ == "__main__":
    main()
