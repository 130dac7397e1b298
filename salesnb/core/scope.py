"""What a report is about (team, month, currency, holiday country, data coverage) and every date window."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import ibis
import pandas as pd

from salesnb.core import money
from salesnb.core.errors import ParameterError

ALL = "all"
LATEST = "latest"
EACH_TEAM = "*"
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
Month = str | pd.Period
MONTH_FILES = ("index.html", "glossary.html", "runs.json")  # what a month's folder holds beside its team folders
TEAM_NAME_RULE = (f"no '/', '\\', control or direction-override character or leading '.', at most 100 bytes in "
                  f"UTF-8, not '{ALL}' nor {', '.join(repr(f) for f in MONTH_FILES)}")


def folder_safe(team: str) -> bool:
    """True when a team name can name its report folder (see TEAM_NAME_RULE)."""
    return (bool(team.strip()) and len(team.encode("utf-8")) <= 100 and team != ALL and not team.startswith(".")
            and team.lower() not in MONTH_FILES
            and not any(c in "/\\" or unicodedata.category(c) in ("Cc", "Cf") for c in team))


def check_month(month: str) -> str:
    """Return the month if it is YYYY-MM or 'latest', else raise ParameterError."""
    if month != LATEST and not MONTH_RE.match(str(month)):
        raise ParameterError(f"Month '{month}' is malformed: write it as YYYY-MM (e.g. 2026-10) "
                             f"or '{LATEST}'.")
    return month


def as_month(month: Month) -> pd.Period:
    """A month as a monthly period (a period passes through; text must be YYYY-MM)."""
    if isinstance(month, pd.Period):
        return month.asfreq("M")
    if not MONTH_RE.match(str(month)):
        raise ParameterError(f"Month '{month}' is malformed: write it as YYYY-MM (e.g. 2026-10).")
    return pd.Period(str(month), freq="M")


def month_start(month: Month, ahead: int = 0) -> pd.Timestamp:
    """First day of the month `ahead` months after `month`."""
    return (as_month(month) + ahead).start_time


def month_window(month: Month, ahead: int = 0) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start and end (exclusive) of the month `ahead` months after `month`."""
    return month_start(month, ahead), month_start(month, ahead + 1)


def trailing_window(month: Month, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start and end (exclusive) of the `months` months ending with `month`."""
    return month_start(month, 1 - months), month_start(month, 1)


def comparison_starts(month: Month) -> dict[str, pd.Timestamp]:
    """First day of the month, of the month before, and of the same month a year before."""
    return {"month": month_start(month), "previous_month": month_start(month, -1),
            "last_year": month_start(month, -12)}


def next_monday(month: Month) -> pd.Timestamp:
    """The first Monday after the month: the week field tours are planned for."""
    end = month_start(month, 1)
    return end + pd.Timedelta(days=(7 - end.weekday()) % 7)


def between(df: pd.DataFrame | ibis.Table, column: str, start: pd.Timestamp,
            end: pd.Timestamp) -> pd.DataFrame | ibis.Table:
    """Rows whose `column` date falls in [start, end)."""
    if isinstance(df, ibis.Table):
        return df.filter(_in_range(df[column], start, end))
    date = pd.to_datetime(df[column])
    return df[(date >= start) & (date < end)]


def _in_range(col: ibis.Column, start: pd.Timestamp, end: pd.Timestamp) -> ibis.BooleanValue:
    """`col` in [start, end): compared as dates when it is one (the engine can then skip by range)."""
    if col.type().is_date() and start == start.normalize() and end == end.normalize():
        return (col >= start.date()) & (col < end.date())
    col = col.cast("timestamp")
    return (col >= start.to_pydatetime()) & (col < end.to_pydatetime())


def in_months(table: ibis.Table, column: str, starts: list[pd.Timestamp]) -> ibis.BooleanValue:
    """Rows whose `column` date falls in one of the months starting at `starts` (a range per month, so the
    engine can skip the rest of the table)."""
    return ibis.or_(*[_in_range(table[column], s, s + pd.offsets.MonthBegin(1)) for s in starts])


def is_partial(month: Month, data_end: pd.Timestamp) -> bool:
    """True when the data end inside `month`, before its last business day."""
    month = as_month(month)
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


def display_name(team: str) -> str:
    """A team as a title names it ("whole organisation" for the organisation)."""
    return "whole organisation" if is_org(team) else team


def is_org(team: str) -> bool:
    """True for the whole organisation rather than one team."""
    return team == ALL


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
        return is_org(self.team)

    @property
    def name(self) -> str:
        """The scope as a title names it: "whole organisation" or the team."""
        return display_name(self.team)

    @property
    def who(self) -> str:
        """The scope as a sentence names it."""
        return "the whole organisation" if self.is_org else f"team {self.team}"

    @property
    def who_first(self) -> str:
        """The scope as a sentence starting with it names it ("The whole organisation", "Team north")."""
        return self.who[0].upper() + self.who[1:]

    @property
    def partial(self) -> bool:
        """True when the data stop before the month's last business day."""
        return self.data_end is not None and is_partial(self.month, self.data_end)

    @property
    def partial_until(self) -> pd.Timestamp | None:
        """The data's last day when the month is partial, else None."""
        return self.data_end if self.partial else None

    @property
    def first_full_month(self) -> pd.Period | None:
        """The first month the data cover in full: comparisons with earlier months are void."""
        return None if self.data_start is None else first_full_month(self.data_start)

    def header(self, money: bool = True) -> str:
        """The line under a report's title: who, when, in what currency (for a report that shows amounts), and what
        the month covers."""
        parts = [self.who_first, self.month.strftime("%B %Y")]
        if money:
            parts.append(f"amounts in {self.currency.code}" if self.currency.code else
                         "amounts without currency (none stated in dataset.yaml or the parameters)")
        if self.partial:
            parts.append(f"partial month: data up to {self.data_end:%-d %B %Y}")
        return " · ".join(parts) + "."
