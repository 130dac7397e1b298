"""What a report computes, it shows: every table and chart a demo report made is in its published page."""

from __future__ import annotations

import html
import re

import pytest

pytestmark = pytest.mark.notebook


def test_every_table_and_chart_a_report_made_is_in_its_page(demo_run):
    figures, out = demo_run
    for key, recorded in figures.items():
        page = (out / "2026-10" / f"{key}.html").read_text(encoding="utf-8")
        body = re.sub(r"<(style|script).*?</\1>", " ", page, flags=re.S)
        tables = sum(f["kind"] == "table" for f in recorded)
        charts = sum(f["kind"] == "figure" for f in recorded)
        assert len(re.findall(r"<table\b", body)) == tables, f"{key}: {tables} tables made"
        assert len(re.findall(r"<img\b", body)) == charts, f"{key}: {charts} charts made"
        titles = [f["value"] for f in recorded if f["kind"] == "figure"]
        alts = [html.unescape(a) for a in re.findall(r'<img\b[^>]*\balt="([^"]*)"', body)]
        assert alts == [f"Chart: {t}" if t else "Chart" for t in titles], f"{key}: each chart's title as its alt text"


def test_no_page_shows_row_numbers_index_names_or_python_values(demo_run):
    _, out = demo_run
    for page in sorted((out / "2026-10").glob("*/*.html")):
        text = page.read_text(encoding="utf-8")
        assert "index_name" not in text, page.name
        assert not re.search(r">\s*(True|False|None|nan|NaT)\s*<", text), page.name


def test_every_workbook_says_which_report_scope_month_and_cut_off_it_holds(demo_run):
    import openpyxl

    _, out = demo_run
    books = sorted((out / "2026-10").glob("*/*.xlsx"))
    assert books
    for book in books:
        about = {r[0]: r[1] for r in openpyxl.load_workbook(book)["About"].iter_rows(values_only=True)}
        team = book.parent.name
        assert about["Scope"] == ("The whole organisation" if team == "all" else f"Team {team}"), book.name
        assert about["Month"] == "October 2026" and about["Data up to"] == "31 October 2026", book.name
        assert about["Amounts in"] == "EUR" and int(about["Rows"].replace(",", "")) > 0, book.name


def test_no_report_writes_a_warning_or_error_stream(demo_run):
    import json

    _, out = demo_run
    for path in sorted((out / "2026-10").glob("*/*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        streams = ["".join(o.get("text", "")) for c in cells for o in c.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        assert streams == [], f"{path.parent.name}/{path.name}: {streams[:1]}"
