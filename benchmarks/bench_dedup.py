"""Duplicate detection on 100,000 accounts: time, candidate pairs vs all pairs, precision and recall.

Not part of the tests. Usage: python benchmarks/bench_dedup.py [N_ACCOUNTS]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from salesnb.data.demo import END_MONTH, MONTHS, _accounts, _months, _reps
from salesnb.domains import dedup


def main(n: int) -> None:
    rng = np.random.default_rng(7)
    months = _months(END_MONTH, MONTHS)
    reps, _ = _reps(rng, months)
    accounts, truth = _accounts(rng, reps, months, n * 6 // 10, n - n * 6 // 10)
    start = time.perf_counter()
    found = dedup.duplicate_accounts(accounts)
    elapsed = time.perf_counter() - start
    precision, recall = dedup.precision_recall(found, truth["duplicate_accounts"])
    total = len(accounts)
    all_pairs = total * (total - 1) // 2
    pairs = found.attrs["candidate_pairs"]
    print(f"{total:,} accounts ({len(truth['duplicate_accounts'])} planted duplicates): {elapsed:.1f} s")
    print(f"candidate pairs compared: {pairs:,} of {all_pairs:,} ({pairs / all_pairs:.5%})")
    print(f"pairs flagged: {len(found):,}; precision {precision:.2f}, recall {recall:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
