"""Demo data at scale: generate ~10 million order lines and load them into a workspace.

Prints rows, time and peak memory of each step, and rows per second. Not part of the tests.
Usage: python benchmarks/bench_scale.py [SCALE]   (default 110, about 10.5 million order lines)
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from salesnb.data.demo import generate
from salesnb.data.workspace import load_folder


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main(scale: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        start = time.perf_counter()
        manifest = generate(out, scale=scale, order_format="parquet")
        t_gen = time.perf_counter() - start
        rows = manifest["rows"]["order_lines"]
        print(f"generate: {rows:,} order lines in {t_gen:.1f} s ({rows / t_gen:,.0f} lines/s), "
              f"peak memory {peak_gib():.2f} GiB")
        start = time.perf_counter()
        counts = load_folder(out, out / "workspace.duckdb")
        t_load = time.perf_counter() - start
        print(f"validate + load: {counts['order_lines']:,} order lines in {t_load:.1f} s "
              f"({counts['order_lines'] / t_load:,.0f} lines/s), peak memory {peak_gib():.2f} GiB")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 110.0)
