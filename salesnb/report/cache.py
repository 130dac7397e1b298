"""Forecasts made once per series, data and settings, and reused by every report that shows them."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import os
import tempfile
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from salesnb.core.lock import locked
from salesnb.domains import forecast
from salesnb.domains.forecast import ForecastSettings, SeriesForecast

FRAMES = ("scores", "forecast", "backtest")


@functools.cache
def method() -> str:
    """A digest of how forecasts are made: the forecast module's code and the versions of the libraries it fits
    with, so that an upgrade never shows forecasts an older method made."""
    libraries = [f"{name} {version(name)}" for name in ("prophet", "statsmodels", "numpy")]
    return hashlib.sha256(Path(forecast.__file__).read_bytes() + " ".join(libraries).encode()).hexdigest()[:16]


def key(history: pd.Series, settings: ForecastSettings, how: str = "") -> str:
    """A digest of what a forecast depends on: the series' months and values, the settings and the method."""
    payload = json.dumps([[str(t) for t in history.index], history.tolist(), asdict(settings), how or method()])
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def dumps(r: SeriesForecast) -> str:
    """A forecast as JSON text (no pickle: a cache folder must never run code when read)."""
    out = {"name": r.name, "chosen": r.chosen, "reason": r.reason, "calibrated_coverage": r.calibrated_coverage,
           "series": r.history.name,
           "history": r.history.to_frame("value").to_json(orient="table", date_format="iso", double_precision=15)}
    out |= {f: getattr(r, f).to_json(orient="table", date_format="iso", double_precision=15) for f in FRAMES}
    return json.dumps(out)


def loads(text: str) -> SeriesForecast:
    """The forecast written by `dumps`."""
    d = json.loads(text)
    frames = {f: pd.read_json(io.StringIO(d[f]), orient="table") for f in FRAMES}
    frames = {f: df if len(df.columns) else pd.DataFrame() for f, df in frames.items()}
    history = pd.read_json(io.StringIO(d["history"]), orient="table")["value"].rename(d["series"])
    return SeriesForecast(d["name"], history, frames["scores"], d["chosen"], d["reason"], frames["forecast"],
                          frames["backtest"], d["calibrated_coverage"])


def forecasts(histories: dict[str, pd.Series], settings: ForecastSettings,
              folder: Path | None) -> dict[str, SeriesForecast]:
    """Each series' forecast, read from `folder` when a report of this data already made it. Series are rounded
    to cents first, so a series summed two ways (a team's revenue from its lines, or from its reps) gives one
    forecast; `forecast.monthly_totals` sums exactly, so two reports or two runs get the same series."""
    histories = {name: h.round(2) for name, h in histories.items()}
    if folder is None:
        return forecast.forecast_many(histories, settings)
    paths = {name: folder / f"{key(h, settings)}.json" for name, h in histories.items()}
    with locked(folder):  # two reports of a batch needing the same series: one fits, the other reads
        done = {name: dataclasses.replace(loads(p.read_text(encoding="utf-8")), name=name)
                for name, p in paths.items() if p.exists()}
        todo = {name: h for name, h in histories.items() if name not in done}
        for name, result in (forecast.forecast_many(todo, settings) if todo else {}).items():
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(dumps(result))
            os.replace(tmp, paths[name])
            done[name] = dataclasses.replace(loads(paths[name].read_text(encoding="utf-8")), name=name)
    return {name: done[name] for name in histories}
