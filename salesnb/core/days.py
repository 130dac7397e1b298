"""Working days: the public holidays of a country (python-holidays) and the next day a visit can be held."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def public_holidays(country: str | None, years: Iterable[int]) -> set[dt.date]:
    """The public holidays of `country` (ISO 3166) in `years`; none when no country is stated."""
    import holidays

    return set(holidays.country_holidays(country, years=sorted(set(years)))) if country else set()


def country_name(code: str) -> str:
    """A country's English name from its ISO 3166 code (the code itself when it is not one)."""
    from babel import Locale

    return Locale("en").territories.get(code.upper(), code)


def next_working_day(day: dt.date, off: set[dt.date]) -> dt.date:
    """`day` when it is a weekday and not a holiday, else the first day after it that is."""
    while day.weekday() >= 5 or day in off:
        day += dt.timedelta(days=1)
    return day
