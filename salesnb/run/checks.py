"""Checks of a notebook's own parameters, run by the batch runner before any kernel starts."""

from __future__ import annotations

from collections.abc import Callable

from salesnb.domains import compensation, quotas, scoring


def _quotas(params: dict) -> None:
    quotas.rules_from(params)
    compensation.parse_plan(params.get("plan", {}))


def _scoring(params: dict) -> None:
    scoring.parse_scale(params.get("scale", []))


CHECKS: dict[str, Callable[[dict], None]] = {"05_quotas": _quotas, "07_scoring": _scoring}
