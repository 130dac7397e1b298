"""Amounts in the data's currency: one formatter for sentences, tables, chart axes and exports."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    """An ISO 4217 currency as a reader sees it: code, symbol and where the symbol goes."""

    code: str | None
    symbol: str
    before: bool = True

    def format(self, x: float, digits: int = 0) -> str:
        """An amount with thousands separators and the symbol in its place."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "n/a"
        number = f"{abs(x):,.{digits}f}"
        sign = "-" if x < 0 and float(number.replace(",", "")) != 0 else ""
        return sign + self.place(number)

    def place(self, number: str) -> str:
        """A number written out, with the symbol before or after it."""
        if not self.symbol:
            return number
        return f"{self.symbol}{self.gap}{number}" if self.before else f"{number}{self.gap}{self.symbol}"

    @property
    def gap(self) -> str:
        """The space between symbol and number: after a letter code or before a trailing symbol."""
        return " " if self.symbol and (self.symbol[-1].isalpha() or not self.before) else ""

    @property
    def label(self) -> str:
        """What an axis or a column header says the amounts are in."""
        return self.code or "amount"


def currency(code: str | None, locale: str = "en") -> Currency:
    """The currency for an ISO code (symbol and placement from the locale's CLDR data), or none stated."""
    if not code:
        return Currency(None, "")
    from babel.core import Locale, UnknownLocaleError
    from babel.numbers import get_currency_symbol

    code = code.upper()
    try:
        pattern = Locale.parse(locale).currency_formats["standard"].pattern
    except (UnknownLocaleError, ValueError, TypeError):
        pattern = "¤#,##0.00"
    return Currency(code, get_currency_symbol(code, locale), pattern.lstrip().startswith("¤"))


_current = [Currency(None, "")]


def use(cur: Currency) -> None:
    """Make `cur` the currency every amount of this report is shown in."""
    _current[0] = cur


def current() -> Currency:
    """The currency amounts are shown in."""
    return _current[0]


def fmt(x: float, digits: int = 0) -> str:
    """An amount in the report's currency."""
    return current().format(x, digits)


def short(x: float, signed: bool = False) -> str:
    """An amount in few characters for a chart label: 1.2M, -98.9k, 0 with the symbol (+ on gains with `signed`)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    size, unit = next(((abs(x) / d, u) for d, u in ((1e9, "bn"), (1e6, "M"), (1e3, "k")) if abs(x) >= d),
                      (abs(x), ""))
    number = f"{size:.1f}{unit}" if unit else f"{size:.0f}"
    sign = "-" if x < 0 and number.strip("0.") else ("+" if signed and x > 0 else "")
    return sign + current().place(number)
