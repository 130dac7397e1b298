"""What a report is about: team, month, currency, holiday country, and how much of the month the data covers."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from salesnb.core import money
from salesnb.data.workspace import ALL, Workspace


@dataclass(frozen=True)
class Scope:
    """A team (or the organisation) and a month, with the facts every figure of the report depends on."""

    team: str
    month: pd.Period
    currency: money.Currency
    country: str | None
    data_start: pd.Timestamp | None
    data_end: pd.Timestamp | None

    @property
    def is_org(self) -> bool:
        return self.team == ALL

    @property
    def who(self) -> str:
        """The scope as a sentence names it."""
        return "the whole organisation" if self.is_org else f"team {self.team}"

    @property
    def partial(self) -> bool:
        """True when the data stop before the month's last business day."""
        return self.data_end is not None and is_partial(self.month, self.data_end)

    @property
    def first_full_month(self) -> pd.Period | None:
        """The first month the data cover in full: comparisons with earlier months are void."""
        return None if self.data_start is None else first_full_month(self.data_start)

    def header(self) -> str:
        """The line under a report's title: who, when, in what currency, and what the month covers."""
        parts = [self.who[0].upper() + self.who[1:], self.month.strftime("%B %Y")]
        parts.append(f"amounts in {self.currency.code}" if self.currency.code else
                     "amounts without currency (none stated in dataset.yaml or the parameters)")
        if self.partial:
            parts.append(f"partial month: data up to {self.data_end:%d %B %Y}")
        return " · ".join(parts) + "."


def activity_dates(ws: Workspace) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last date of the data's activity: order lines, else opportunities opened."""
    table, column = ("order_lines", None) if "order_lines" in ws.tables() else ("opportunities", "created_date")
    if table not in ws.tables():
        return None, None
    first = ws.first_date(table, column)
    return first, ws.last_date(table, column)


def is_partial(month: pd.Period, data_end: pd.Timestamp) -> bool:
    """True when the data end inside `month`, before its last business day."""
    last_business_day = pd.offsets.BDay().rollback(pd.Timestamp(month.end_time.date()))
    return data_end.to_period("M") == month and data_end.normalize() < last_business_day


def first_full_month(data_start: pd.Timestamp) -> pd.Period:
    """The first month the data cover from its first business day."""
    month = data_start.to_period("M")
    first_business_day = pd.offsets.BDay().rollforward(month.start_time)
    return month if data_start.normalize() <= first_business_day else month + 1


def latest_month(data_end: pd.Timestamp) -> str:
    """The last complete month of the data."""
    month = data_end.to_period("M")
    return str(month - 1 if is_partial(month, data_end) else month)


def make_scope(ws: Workspace, team: str, month: str, currency: str = "", country: str = "") -> Scope:
    """The scope of a report: parameters first, then what the data folder declared."""
    facts = ws.meta()
    start, end = activity_dates(ws)
    return Scope(team, pd.Period(month, freq="M"), money.currency(currency or facts.get("currency")),
                 (country or facts.get("country") or None), start, end)
