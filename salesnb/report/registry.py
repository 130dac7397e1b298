"""Every report in one place: its notebook, title, domain, the tables it needs, and its typed parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from salesnb.core.scope import ALL
from salesnb.core.vocabulary import ANONYMITY_FLOOR
from salesnb.data.schema import DOMAINS
from salesnb.domains import compensation, field, performance, quotas, scoring
from salesnb.domains.overview import METRICS

SHARED = {"shared": True}  # one value for every team: the fact it shapes is made once, for the organisation


class ForecastChoice(BaseModel):
    """How every forecast of a run is made (set once, under `forecasting:` in params/defaults.yaml)."""

    model_config = ConfigDict(extra="forbid")
    horizon: int = Field(3, ge=1, le=24, description="Months forecast ahead.")
    backtest_months: int = Field(12, ge=1, description="Backtest origins (the last N months), never fitted on.")
    interval: float = Field(0.8, gt=0, lt=1, description="Width of the forecast interval.")


def shared(default: object = ..., **kwargs: object) -> object:
    """A parameter a team file may not change: it shapes a fact made once for the organisation."""
    if callable(default):
        return Field(default_factory=default, json_schema_extra=SHARED, **kwargs)
    return Field(default, json_schema_extra=SHARED, **kwargs)


class ReportParams(BaseModel):
    """What every report takes: where the data are, the team, the month, the currency and holiday country."""

    model_config = ConfigDict(extra="forbid")

    workspace: str = Field(description="DuckDB workspace file.")
    team: str = Field(description="A team of the data, or 'all' for the whole organisation.")
    month: str = Field(description="Month reported, YYYY-MM (checked by the plan, parsed by open_report).")
    currency: str = Field("", pattern=r"^([A-Z]{3})?$", description="ISO 4217 code; empty: dataset.yaml's.")
    country: str = Field("", pattern=r"^([A-Z]{2})?$", description="ISO 3166 code; empty: dataset.yaml's.")


class Exports(ReportParams):
    """A report that writes files beside its HTML (the runner gives it a staging folder)."""

    output_dir: str = Field("", description="Where exports go (set by salesnb run).")


DEFAULT_THRESHOLDS = {  # salesnb's own targets, not the data's: the overview says which colours rest on them
    "attainment": {"good": 1.0, "warn": 0.9}, "forecast_gap": {"good": 0.05, "warn": 0.1},
    "forecast_vs_quota": {"good": 1.0, "warn": 0.9}, "pipeline_coverage": {"good": 3.0, "warn": 2.0},
    "win_rate": {"good": 0.35, "warn": 0.25}, "hygiene": {"good": 95, "warn": 90},
    "margin_pct": {"good": 0.4, "warn": 0.35}, "enps": {"good": 20, "warn": 0},
}


class Threshold(BaseModel):
    """A KPI is green from `good`, amber from `warn`, else red (for a gap: by its size)."""

    model_config = ConfigDict(extra="forbid")
    good: float
    warn: float


class OverviewParams(ReportParams):
    forecasting: ForecastChoice = shared(ForecastChoice, description="How forecasts are made (set for the run).")
    min_respondents: int = shared(ANONYMITY_FLOOR, ge=ANONYMITY_FLOOR,
                                  description="eNPS is hidden for groups with fewer respondents (5 at least).")
    thresholds: dict[str, Threshold] = Field(
        default_factory=lambda: {k: Threshold(**v) for k, v in DEFAULT_THRESHOLDS.items()},
        description="Per KPI: green from good, amber from warn, else red.")
    reports: list[list[str]] = Field(default_factory=list,
                                     description="[name, title] of the other reports (set by salesnb run).")

    @model_validator(mode="after")
    def _known_metrics(self) -> OverviewParams:
        unknown = sorted(set(self.thresholds) - set(METRICS))
        if unknown:
            raise ValueError(f"thresholds for unknown KPI(s) {', '.join(unknown)}; known: {', '.join(METRICS)}")
        return self


class DataQualityParams(Exports):
    stale_days: int = Field(365, gt=0, description="A record not updated for this many days is stale.")
    name_threshold: float = Field(90.0, ge=0, le=100, description="Name similarity (0-100) for duplicates.")
    phone_regions: list[str] = Field(default_factory=lambda: ["FR", "GP", "MQ", "GF", "RE", "YT"],
                                     min_length=1, description="Regions national phone numbers may belong to.")


class ReportingParams(Exports):
    top_n: int = Field(10, ge=1, description="Rows in the rep and product rankings.")


class ForecastParams(Exports):
    forecasting: ForecastChoice = shared(ForecastChoice, description="How forecasts are made (set for the run).")
    rep_forecasts: bool = Field(True, description="Also forecast each rep of a team.")
    tolerance: float = Field(0.1, ge=0, description="Rep forecast error (WAPE) counted as accurate.")


class PricingParams(Exports):
    months: int = Field(12, ge=1, description="Months analysed, ending with the report month.")
    respect_share: float = Field(0.98, ge=0, le=1, description="Share of a rep's lines within guideline.")
    approval_levels: list[tuple[float, str]] = Field(
        default_factory=lambda: [(0.05, "sales manager"), (0.15, "sales director")],
        description="[excess discount up to, approver].")
    guideline_overrides: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="{family: {segment or '*': max discount}} replacing the product's.")


def accountability() -> object:
    """The accountability rule's field: set for the run, so 05, 06 and 08 see the same flagged reps."""
    return shared(lambda: {"threshold": 0.75, "k": 4, "n": 6, "ramp_months": 6, "low_activity": 0.75},
                  description="Accountability rule (set for the run).")


class QuotasParams(Exports):
    forecasting: ForecastChoice = shared(ForecastChoice, description="How forecasts are made (set for the run).")
    growth: float = shared(0.05, description="Target: same month last year × (1 + growth).")
    target: float = shared(0.0, ge=0, description="An absolute target instead (0: use growth).")
    over_assignment: float = shared(0.05, description="Quotas add up to target × (1 + this).")
    weights: dict[str, float] = shared(lambda: {"potential": 0.4, "history": 0.4, "forecast": 0.2},
                                       description="Top-down split; must sum to 1.")
    top_down_weight: float = shared(0.7, description="Blend: share of top-down, the rest bottom-up.")
    max_change: float = shared(0.25, description="Largest change vs the rep's current quota.")
    ramp: list[tuple[int, float]] = shared(lambda: [(0, 0.25), (3, 0.5), (6, 1.0)],
                                           description="[months of tenure at least, share of a full quota].")
    floor: float = shared(0.0, description="Smallest quota of a fully ramped rep.")
    target_from: Literal["growth", "forecast", "larger"] = shared(
        "larger", description="Target: the growth rule, the statistical forecast, or the larger.")
    forecast_floor: bool = shared(False, description="No quota under the rep's share of the team's forecast.")
    trusted_wape: float = shared(0.25, ge=0, description="A rep's own forecast counts as evidence within this "
                                                          "backtest error (WAPE).")
    cut_underperformers: bool = shared(False, description="Reps flagged for sustained underperformance may be cut "
                                                          "(else they keep this month's quota).")
    spread: bool = shared(False, description="What a floor adds or a cap holds back is taken from or given to the "
                                             "other reps (else the total moves).")
    plan: dict[str, float] = shared(
        lambda: {"ote": 7000, "base_share": 0.6, "rate": 1.0, "threshold": 0.5,
                                 "decelerator": 0.5, "decelerator_below": 0.8, "accelerator": 2.0, "cap": 2.5},
        description="Commission plan (monthly).")
    accountability: dict[str, Any] = accountability()
    interactive: bool = Field(True, description="Sliders to try other rules (off in batch reports).")

    @model_validator(mode="after")
    def _rules(self) -> QuotasParams:
        quotas.rules_from(self.model_dump())
        compensation.parse_plan(self.plan)
        performance.parse_rule(self.accountability)
        return self


class PerformanceParams(ReportParams):
    months: int = Field(3, ge=1, description="Scorecard window, in months ending with the report month.")
    accountability: dict[str, Any] = accountability()
    challenge: dict[str, Any] = shared(
        lambda: {"name": "October meetings", "metric": "meeting", "start": "2026-10-01", "end": "2026-10-31",
                 "target": 900, "reward": "a team dinner"},
        description="The team challenge.")

    @model_validator(mode="after")
    def _rule(self) -> PerformanceParams:
        performance.parse_rule(self.accountability)
        performance.parse_challenge(self.challenge)
        return self


class ScoringParams(Exports):
    a_share: float = shared(0.8, gt=0, lt=1, description="A accounts make this share of the organisation's revenue.")
    b_share: float = shared(0.95, gt=0, le=1, description="A and B accounts together make this share.")
    top_sizes: list[int] = Field(default_factory=lambda: [5, 20, 30, 50], description="Prospect list sizes.")
    scale: list[dict[str, Any]] = Field(
        default_factory=lambda: [
            {"feature": "potential", "label": "potential",
             "thresholds": [[50000, 10], [150000, 20], [400000, 30]]},
            {"feature": "employees", "thresholds": [[50, 10], [250, 20]]},
            {"feature": "segment", "values": {"enterprise": 20, "mid_market": 10, "smb": 5}},
            {"feature": "industry", "values": {"Manufacturing": 15, "Health": 10, "Logistics": 10}},
            {"feature": "open_pipeline", "label": "open pipeline", "thresholds": [[1, 10], [20000, 20]]},
            {"feature": "activities_90d", "label": "activities in 90 days", "thresholds": [[1, 5], [3, 10]]},
        ],
        description="The points scale: feature, thresholds [[at least, points]] or values {value: points}.")

    @model_validator(mode="after")
    def _scale(self) -> ScoringParams:
        scoring.parse_scale(self.scale)
        if self.b_share < self.a_share:
            raise ValueError("b_share must be at least a_share")
        return self


class FieldToursParams(Exports):
    policy: dict[str, Any] = Field(
        default_factory=lambda: {"visits_per_year": {"A": 12, "B": 6, "C": 2, "prospect": 1}, "working_days": 220,
                                 "field_share": 0.5, "visits_per_day": 3, "rep_cost": 85000, "cost_per_km": 0.6,
                                 "road_factor": 1.3, "speed_kmh": 60, "meeting_minutes": 90, "day_hours": 9,
                                 "timezone": ""},
        description="Visit policy and costs.")
    tolerance: float = Field(0.15, ge=0, description="Territory balance: required visits within this share.")
    max_extra_km: float = Field(30.0, ge=0, description="Territory balance: a moved account is at most this many km "
                                "(straight line) farther from its new rep's base than from its old one.")
    route_reps: int = Field(4, ge=0, description="Reps whose week of routes is drawn on the map.")
    accountability: dict[str, Any] = accountability()

    @model_validator(mode="after")
    def _policy(self) -> FieldToursParams:
        field.parse_policy(self.policy)
        performance.parse_rule(self.accountability)
        return self


class TeamPulseParams(ReportParams):
    min_respondents: int = shared(ANONYMITY_FLOOR, ge=ANONYMITY_FLOOR,
                                  description="Groups with fewer respondents are never shown (5 at least).")
    horizon_months: int = Field(6, ge=1, description="Departures counted in the months after each survey.")


class ActivityPipelineParams(ReportParams):
    recent_months: int = Field(3, ge=1, description="The recent window (activity, conversion, KPIs).")
    history_months: int = Field(12, ge=1, description="The earlier window the recent one is compared with.")


@dataclass(frozen=True)
class Report:
    """One report: its notebook (notebooks/<name>.ipynb), title, contract domain and parameter model."""

    name: str
    title: str
    domain: str
    params: type[ReportParams]
    money: bool = True  # whether the report shows amounts (its header then names their currency)

    @property
    def needs(self) -> dict[str, tuple[str, ...]]:
        """The tables the report requires and those it uses when present."""
        return {kind: tuple(DOMAINS[self.domain][kind]) for kind in ("required", "optional")}

    @property
    def shared(self) -> set[str]:
        """Parameters with one value for every team (see `shared`)."""
        return {n for n, f in self.params.model_fields.items() if (f.json_schema_extra or {}).get("shared")}

    @property
    def summary(self) -> bool:
        """True for a report that links to the others of its batch (it runs after them)."""
        return "reports" in self.params.model_fields


REPORTS: dict[str, Report] = {r.name: r for r in [
    Report("00_overview", "Overview", "overview", OverviewParams),
    Report("01_data_quality", "Customer and prospect data quality", "data_quality", DataQualityParams),
    Report("02_reporting", "Sales reporting", "reporting", ReportingParams),
    Report("03_forecast", "Forecasts", "forecast", ForecastParams),
    Report("04_pricing", "Pricing discipline", "pricing", PricingParams),
    Report("05_quotas", "Quotas and compensation", "quotas", QuotasParams),
    Report("06_performance", "Performance and accountability", "performance", PerformanceParams),
    Report("07_scoring", "Account scoring", "scoring", ScoringParams),
    Report("08_field_tours", "Field tours", "field_tours", FieldToursParams),
    Report("09_team_pulse", "Team pulse", "team_pulse", TeamPulseParams, money=False),
    Report("10_activity_pipeline", "Activity and pipeline", "activity_pipeline", ActivityPipelineParams),
]}


def parameters_markdown() -> str:
    """Every report's parameters, with type, default and meaning, as Markdown."""
    lines = []
    for report in REPORTS.values():
        defaults = report.params(workspace="", team=ALL, month="2026-10").model_dump(mode="json")
        lines += [f"## {report.name}: {report.title}", "",
                  f"Needs {', '.join(report.needs['required']) or 'no table'}; uses "
                  f"{', '.join(report.needs['optional']) or 'no other table'} when present.", "",
                  "| parameter | type | default | meaning |", "|---|---|---|---|"]
        for name, info in report.params.model_fields.items():
            if name in ("workspace", "team", "month") or name in ReportParams.model_fields:
                continue
            kind = getattr(info.annotation, "__name__", str(info.annotation)).replace("|", "or")
            mark = " *Shared: one value for every team.*" if name in report.shared else ""
            lines.append(f"| `{name}` | {kind} | `{json.dumps(defaults[name], ensure_ascii=False)}` | "
                         f"{info.description or ''}{mark} |")
        lines.append("")
    return "\n".join(lines)
