"""Amounts in the data's currency: formatting, and no currency written into the code."""

import re
from pathlib import Path

import pytest

from salesnb.core import money

ROOT = Path(__file__).resolve().parents[1]
# The demo and the export shapes generate data: their currency is a fact of that data, written to dataset.yaml.
DATA_GENERATORS = {"demo.py", "shapes.py"}


@pytest.mark.parametrize(("code", "x", "text"), [
    ("USD", 1234567.8, "$1,234,568"), ("GBP", -1506.0, "-£1,506"), ("EUR", 0.4, "€0"),
    ("CHF", 1000.0, "CHF 1,000"), (None, 1234.0, "1,234"), ("JPY", float("nan"), "n/a"),
])
def test_amounts_carry_the_currency_symbol_in_its_place(code, x, text):
    assert money.currency(code).format(x) == text


def test_symbol_follows_the_locale():
    assert money.currency("EUR", "fr_FR").format(1234.0) == "1,234 €"
    assert money.currency("USD").label == "USD" and money.currency(None).label == "amount"


def test_no_currency_is_hard_coded_in_the_package_or_the_notebooks():
    pattern = re.compile(r"\b(EUR|USD|GBP|CHF|JPY)\b|[€£¥]|\beuros?\b", re.I)
    files = [p for p in (ROOT / "salesnb").rglob("*.py") if p.name not in DATA_GENERATORS]
    files += sorted((ROOT / "notebooks").glob("*.ipynb"))
    found = [f"{p.name}:{n}" for p in files
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert found == []
