"""How many cores this process may use."""

from __future__ import annotations

import os


def usable() -> int:
    """The cores this process may run on (its affinity, as `taskset` sets it), at least one."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
