"""The input data contract: every table, its columns, and which tables each report needs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from salesnb.core.scope import TEAM_NAME_RULE, folder_safe
from salesnb.core.vocabulary import (  # noqa: F401 - part of the contract's vocabulary
    ACCOUNT_STATUSES,
    ACTIVITY_TYPES,
    ANONYMITY_FLOOR,
    FORECAST_CATEGORIES,
    OPEN_STAGES,
    SEGMENTS,
    STAGES,
)

if TYPE_CHECKING:
    import pandera.pandas as pa


KINDS = {
    "str": ("str", "VARCHAR", "text"),
    "float": ("float64", "DOUBLE", "number"),
    "int": ("Int64", "BIGINT", "whole number"),
    "date": ("datetime64[ns]", "DATE", "date (YYYY-MM-DD)"),
}


@dataclass(frozen=True)
class Field:
    """One column of an input table."""

    name: str
    kind: str
    doc: str
    required: bool = True
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    unique: bool = False
    references: str | None = None
    names_folder: bool = False  # a team: it names the team's report folder


@dataclass(frozen=True)
class Table:
    """One input table of the contract."""

    name: str
    doc: str
    fields: tuple[Field, ...]
    date_column: str | None = None
    key: tuple[str, ...] = ()  # columns that together name one row
    order: tuple[tuple[str, str], ...] = ()  # (earlier, later) dates of one row

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _id(name: str, doc: str, **kw) -> Field:
    return Field(name, "str", doc, **kw)


def _ref(name: str, table: str, doc: str, **kw) -> Field:
    return Field(name, "str", doc, references=table, **kw)


def _opt(name: str, kind: str, doc: str, **kw) -> Field:
    return Field(name, kind, doc, required=False, nullable=True, **kw)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "reps",
            "Sales reps: one row per person, with the team they report in.",
            (
                _id("rep_id", "Unique rep identifier.", unique=True),
                Field("name", "str", "Full name."),
                Field("team", "str", "Team the rep belongs to (reports are run per team).", names_folder=True),
                Field("region", "str", "Sales region or territory."),
                _opt("manager", "str", "Manager's name."),
                _opt("hire_date", "date", "First day in the role (for ramp-up of new hires)."),
                _opt("end_date", "date", "Last day, if the rep left (for attrition)."),
                _opt("annual_cost", "float", "Fully loaded yearly cost, in the data's currency.", min=0),
                _opt("base_lat", "float", "Latitude of the rep's home base.", min=-90, max=90),
                _opt("base_lon", "float", "Longitude of the rep's home base.", min=-180, max=180),
            ),
            order=(("hire_date", "end_date"),),
        ),
        Table(
            "accounts",
            "Customers and prospects.",
            (
                _id("account_id", "Unique account identifier.", unique=True),
                Field("name", "str", "Company name."),
                Field("status", "str", "customer or prospect.", allowed=ACCOUNT_STATUSES),
                _opt("owner_rep_id", "str", "Rep who owns the account.", references="reps"),
                _opt("segment", "str", "Customer segment.", allowed=SEGMENTS),
                _opt("industry", "str", "Industry."),
                _opt("city", "str", "City."),
                _opt("postcode", "str", "Postal code."),
                _opt("phone", "str", "Main phone number."),
                _opt("website", "str", "Web site."),
                _opt("lat", "float", "Latitude (for tours and maps).", min=-90, max=90),
                _opt("lon", "float", "Longitude (for tours and maps).", min=-180, max=180),
                _opt("employees", "int", "Number of employees.", min=0),
                _opt("potential", "float", "Estimated yearly revenue potential.", min=0),
                _opt("created_date", "date", "When the record was created."),
                _opt("updated_date", "date", "When the record was last updated."),
            ),
        ),
        Table(
            "contacts",
            "People at accounts.",
            (
                _id("contact_id", "Unique contact identifier.", unique=True),
                _opt("account_id", "str", "Account the contact works at.", references="accounts"),
                _opt("first_name", "str", "First name."),
                Field("last_name", "str", "Last name."),
                _opt("title", "str", "Job title."),
                _opt("email", "str", "Email address."),
                _opt("phone", "str", "Phone number."),
                _opt("updated_date", "date", "When the record was last updated."),
            ),
        ),
        Table(
            "products",
            "Products and services sold, with list price, cost and pricing guideline.",
            (
                _id("product_id", "Unique product identifier.", unique=True),
                Field("name", "str", "Product name."),
                Field("family", "str", "Product family (for reports and price guidelines)."),
                Field("list_price", "float", "Current list price per unit.", min=0),
                _opt("unit_cost", "float", "Cost per unit (for margin).", min=0),
                _opt("max_discount", "float", "Largest discount allowed without approval, 0..1.",
                     min=0, max=1),
            ),
        ),
        Table(
            "opportunities",
            "Deals in the pipeline, open and closed, as they stand today.",
            (
                _id("opportunity_id", "Unique opportunity identifier.", unique=True),
                _ref("account_id", "accounts", "Account the deal is with (empty when unknown).",
                     nullable=True),
                _ref("rep_id", "reps", "Rep who owns the deal."),
                Field("stage", "str", "Sales stage.", allowed=STAGES),
                Field("amount", "float", "Deal amount (empty when not yet estimated).", min=0, nullable=True),
                Field("created_date", "date", "When the deal was opened."),
                Field("close_date", "date", "Expected (open deals) or actual (closed) close date; empty when "
                      "an open deal has none.", nullable=True),
                _opt("probability", "float", "Win probability typed in the CRM, 0..1.",
                     min=0, max=1),
                _opt("forecast_category", "str", "Forecast category.",
                     allowed=FORECAST_CATEGORIES),
                _opt("product_id", "str", "Main product.", references="products"),
                _opt("discount", "float", "Discount offered, 0..1; negative when the deal was priced above list "
                     "(down to -1).", min=-1, max=1),
                _opt("quote_date", "date", "When the first quote was sent."),
                _opt("approval_date", "date", "When the price was approved."),
            ),
            date_column="close_date",
        ),
        Table(
            "opportunity_history",
            "Dated snapshots of each opportunity, to report what changed in the pipeline.",
            (
                Field("snapshot_date", "date", "Date of the snapshot."),
                _ref("opportunity_id", "opportunities", "Opportunity."),
                Field("stage", "str", "Stage on that date.", allowed=STAGES),
                Field("amount", "float", "Amount on that date.", min=0),
                Field("close_date", "date", "Expected close date on that date."),
                _opt("forecast_category", "str", "Forecast category on that date.",
                     allowed=FORECAST_CATEGORIES),
            ),
            date_column="snapshot_date",
        ),
        Table(
            "order_lines",
            "Invoiced order lines: the source of revenue, volume and margin.",
            (
                _id("line_id", "Unique line identifier.", unique=True),
                Field("order_id", "str", "Order (invoice) the line belongs to."),
                Field("order_date", "date", "Order or invoice date."),
                _opt("account_id", "str", "Customer (empty for anonymous sales).", references="accounts"),
                _opt("rep_id", "str", "Rep credited with the sale (empty when the export has no reps).",
                     references="reps"),
                _opt("team", "str", "Team credited when the line has no rep (e.g. a sales region or a "
                     "country); a rep's team comes first.", names_folder=True),
                _ref("product_id", "products", "Product sold."),
                Field("quantity", "float", "Units sold; negative on a credit line (a return or a "
                      "cancellation), which nets off revenue."),
                Field("list_price", "float", "List price per unit at the time of sale.",
                      min=0),
                Field("discount", "float", "Discount off list price, 0..1.", min=0, max=1),
                _opt("unit_cost", "float", "Cost per unit (else the product's unit_cost).",
                     min=0),
                _opt("rebate", "float", "Rebate paid after invoice.", min=0),
                _opt("freight", "float", "Freight cost borne by the seller.", min=0),
            ),
            date_column="order_date",
        ),
        Table(
            "activities",
            "Sales activities logged by reps.",
            (
                _id("activity_id", "Unique activity identifier.", unique=True),
                _ref("rep_id", "reps", "Rep who did it."),
                Field("activity_date", "date", "Date."),
                Field("type", "str", "Kind of activity.", allowed=ACTIVITY_TYPES),
                _opt("account_id", "str", "Account concerned.", references="accounts"),
                _opt("opportunity_id", "str", "Opportunity concerned.",
                     references="opportunities"),
                _opt("duration_min", "float", "Duration in minutes.", min=0),
            ),
            date_column="activity_date",
        ),
        Table(
            "quotas",
            "Revenue quota per rep and month.",
            (
                _ref("rep_id", "reps", "Rep."),
                Field("month", "date", "First day of the month the quota is for."),
                Field("quota", "float", "Revenue quota.", min=0),
            ),
            date_column="month",
            key=("rep_id", "month"),
        ),
        Table(
            "forecast_submissions",
            "What each rep called for a month, and when.",
            (
                _ref("rep_id", "reps", "Rep."),
                Field("month", "date", "First day of the month forecast."),
                Field("submitted_date", "date", "When the forecast was submitted."),
                Field("forecast", "float", "Forecast revenue.", min=0),
                _opt("category", "str", "Forecast category called.",
                     allowed=FORECAST_CATEGORIES),
            ),
            date_column="month",
        ),
        Table(
            "visits",
            "Field visits to accounts.",
            (
                _id("visit_id", "Unique visit identifier.", unique=True),
                _ref("rep_id", "reps", "Rep."),
                _ref("account_id", "accounts", "Account visited."),
                Field("visit_date", "date", "Date."),
                _opt("duration_min", "float", "Meeting length in minutes.", min=0),
                _opt("km", "float", "Distance driven for the visit.", min=0),
            ),
            date_column="visit_date",
        ),
        Table(
            "survey_answers",
            f"Anonymous pulse-survey answers (team climate, eNPS). No group of fewer than {ANONYMITY_FLOOR} "
            "respondents is ever shown (`min_respondents` can raise this floor, never lower it), question by question: "
            "a question that fewer answered is hidden for that group even when its eNPS is shown. When one team of a "
            "survey is hidden, the next smallest is hidden with it, so that no hidden figure follows from the total.",
            (
                Field("response_id", "str", "One id per person per survey (anonymous)."),
                Field("survey_date", "date", "Date of the survey."),
                Field("team", "str", "Team of the respondent.", names_folder=True),
                Field("question_id", "str", "Question; 'enps' holds the recommend score."),
                Field("score", "int", "Answer on a 0..10 scale (1..10 accepted), 10 the most favourable.",
                      min=0, max=10),
            ),
            date_column="survey_date",
            key=("response_id", "question_id"),
        ),
    )
}

DOMAINS: dict[str, dict[str, tuple[str, ...]]] = {
    "reporting": {"required": ("order_lines", "products"), "optional": ("reps", "accounts", "quotas")},
    "data_quality": {"required": ("accounts",), "optional": ("contacts", "opportunities", "reps")},
    "forecast": {
        "required": ("order_lines", "products"),
        "optional": ("reps", "opportunities", "opportunity_history", "forecast_submissions", "quotas", "activities",
                     "accounts"),
    },
    "pricing": {"required": ("order_lines", "products"), "optional": ("reps", "opportunities")},
    "quotas": {"required": ("quotas", "order_lines", "reps"), "optional": ("opportunities",)},
    "performance": {
        "required": ("reps", "order_lines"),
        "optional": ("quotas", "activities", "visits", "opportunities", "accounts"),
    },
    "scoring": {"required": ("accounts",), "optional": ("order_lines", "opportunities")},
    "field_tours": {"required": ("accounts", "reps"), "optional": ("visits", "order_lines")},
    "team_pulse": {"required": ("survey_answers", "reps"), "optional": ("quotas", "order_lines")},
    "activity_pipeline": {"required": ("opportunities", "reps"),
                          "optional": ("activities", "opportunity_history", "quotas")},
    "overview": {"required": ("order_lines", "products"),
                 "optional": ("reps", "quotas", "forecast_submissions", "opportunities", "opportunity_history",
                              "accounts", "contacts", "survey_answers")},
}


FIRST_DATE = pd.Timestamp("1970-01-01")
MAX_NUMBER = 1e15  # no amount, price or quantity is this large; sums of such values stay exact and finite
PLAN_YEARS = 5  # quotas, expected close dates: at most this many years after the day of validation
EVENT_YEARS = 1  # what happened (orders, activities, visits, snapshots, surveys): at most a year ahead


def is_event_date(table: Table, f: Field) -> bool:
    """The table's own date when it records something that happened, not a plan (quota or forecast month)."""
    return f.name == table.date_column and f.name != "month"


def date_limit(event: bool) -> pd.Timestamp:
    """The latest date accepted, counted from today."""
    return pd.Timestamp.today().normalize() + pd.DateOffset(years=EVENT_YEARS if event else PLAN_YEARS)


def _checks(f: Field, event: bool = False) -> list[pa.Check]:
    import pandera.pandas as pa

    checks = []
    if f.allowed is not None:
        checks.append(pa.Check.isin(list(f.allowed)))
    if f.min is not None and f.max is not None:
        checks.append(pa.Check.in_range(f.min, f.max))
    elif f.min is not None:
        checks.append(pa.Check.ge(f.min))
    elif f.max is not None:
        checks.append(pa.Check.le(f.max))
    if f.kind == "float":
        checks.append(pa.Check(lambda s: np.isfinite(s.astype("float64")), name="finite"))
        checks.append(pa.Check(lambda s: ~(s.astype("float64").abs().between(MAX_NUMBER, np.inf, inclusive="left")),
                               name="magnitude"))
    if f.kind == "date":
        last = date_limit(event)
        checks.append(pa.Check(lambda s: (s >= FIRST_DATE) & (s <= last), name="date_horizon"))
    if f.names_folder:
        checks.append(pa.Check(lambda s: s.map(folder_safe), name="folder_name"))
    return checks


@cache
def pandera_schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema that validates one input table."""
    import pandera.pandas as pa

    spec = TABLES[table]
    return pa.DataFrameSchema(
        {
            f.name: pa.Column(
                KINDS[f.kind][0],
                _checks(f, is_event_date(spec, f)),
                nullable=f.nullable,
                required=f.required,
                unique=f.unique,
                coerce=True,
            )
            for f in spec.fields
        },
        name=table,
        strict=False,
    )


def contract_markdown() -> str:
    """The contract as Markdown: one table per input file, then the tables each report needs."""
    out = []
    for t in TABLES.values():
        out += [f"### `{t.name}`", "", t.doc, "", "| column | type | required | rule | meaning |",
                "|---|---|---|---|---|"]
        for f in t.fields:
            rule = []
            if f.allowed:
                rule.append("one of " + ", ".join(f"`{a}`" for a in f.allowed))
            if f.min is not None and f.max is not None:
                rule.append(f"{f.min:g}..{f.max:g}")
            elif f.min is not None:
                rule.append(f"≥ {f.min:g}")
            if f.kind == "float":
                rule.append("finite, under 10^15")
            if f.kind == "date":
                ahead = EVENT_YEARS if is_event_date(t, f) else PLAN_YEARS
                rule.append(f"from {FIRST_DATE:%Y-%m-%d} to {ahead} year{'s' if ahead > 1 else ''} after today")
            if f.names_folder:
                rule.append("a folder name: " + TEAM_NAME_RULE)
            if f.unique:
                rule.append("unique")
            if f.references:
                rule.append(f"must exist in `{f.references}`")
            if not f.nullable:
                rule.append("not empty")
            out.append(f"| `{f.name}` | {KINDS[f.kind][2]} | {'yes' if f.required else 'no'} "
                       f"| {'; '.join(rule)} | {f.doc} |")
        if t.key:
            out += ["", f"One row per {' and '.join(f'`{c}`' for c in t.key)}: the same pair twice is refused."]
        for earlier, later in t.order:
            out += ["", f"`{later}` is never before `{earlier}`."]
        out.append("")
    out += ["### Tables each report needs", "", "| report | required | optional |", "|---|---|---|"]
    for d, need in DOMAINS.items():
        out.append(f"| {d} | {', '.join(need['required'])} | {', '.join(need['optional'])} |")
    return "\n".join(out) + "\n"
