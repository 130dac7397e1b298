import csv
import io
import re
from urllib.parse import unquote

import numpy as np
import openpyxl
import pandas as pd
import pytest

from salesnb.core import money
from salesnb.report import exports

DF = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["François", "Zoë"], "amount_lost": [1984.2359999999999, 10.0],
                   "discount": [0.123456, 0.5], "lines": [3, 40], "units": [105.0, 4.0],
                   "order_date": pd.to_datetime(["2026-10-02", "2026-10-31"])})


def test_csv_opens_in_excel_with_accents_and_rounded_numbers(tmp_path):
    path = tmp_path / "x.csv"
    exports.write_csv(DF, path, percent_cols=("discount",))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs to read UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == {"rep_id": "R1", "name": "François", "amount_lost": "1984.24", "discount": "0.1235",
                       "lines": "3", "units": "105", "order_date": "2026-10-02"}


def test_workbook_has_a_named_sheet_labels_formats_a_frozen_header_and_a_filter(tmp_path):
    path = tmp_path / "x.xlsx"
    labels = {"rep_id": "rep id", "name": "name", "amount_lost": "amount lost", "discount": "discount",
              "lines": "lines", "units": "units", "order_date": "order date"}
    exports.write_xlsx(DF, path, "Pricing breaches north", labels, money_cols=("amount_lost",),
                       percent_cols=("discount",))
    ws = openpyxl.load_workbook(path)["Pricing breaches north"]
    assert [c.value for c in ws[1]] == ["rep id", "name", "amount lost", "discount", "lines", "units", "order date"]
    assert ws["C2"].value == 1984.24 and ws["C2"].number_format == exports.MONEY_FORMAT
    assert ws["D2"].value == 0.1235 and ws["D2"].number_format == exports.PERCENT_FORMAT
    assert ws["E3"].number_format == exports.COUNT_FORMAT and ws["B2"].value == "François"
    assert ws["F2"].value == 105 and ws["F2"].number_format == exports.COUNT_FORMAT  # whole floats: no .00
    assert ws["G2"].number_format == exports.DATE_FORMAT  # a date, not 2026-10-02 00:00:00
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:G3" and ws["A1"].font.bold
    assert exports.money_format(money.currency("EUR")) == '"€"#,##0.00'
    assert exports.money_format(money.currency("EUR", "fr_FR")) == '#,##0.00" €"'
    assert exports.money_format(money.currency("CHF")) == '"CHF "#,##0.00'
    assert exports.money_format(money.currency(None)) == exports.MONEY_FORMAT


def test_no_minus_zero_in_shown_changes():
    from salesnb.report import display

    assert display.change(-0.00004) == "+0.0%" and display.percent(-0.00001) == "0.0%"
    assert display.change(-0.0123) == "-1.2%"
    assert display.count(-0.4) == "0" and display.count(-1234.6) == "-1,235"


HOSTILE = ["-1+1", '=HYPERLINK("http://evil.example","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1", "\r=1", "Dupont SA"]


def test_csv_export_and_workbook_hold_no_formula(tmp_path):
    df = pd.DataFrame({"account": HOSTILE, "amount": [1.0] * len(HOSTILE)})
    exports.write_csv(df, tmp_path / "x.csv")
    with open(tmp_path / "x.csv", encoding="utf-8-sig", newline="") as f:
        cells = [v for row in csv.reader(f) for v in row]
    assert cells == ["account", "amount"] + [v for h in HOSTILE[:-1] for v in ("'" + h, "1")] + ["Dupont SA", "1"]
    exports.write_xlsx(df, tmp_path / "x.xlsx", "Accounts", {"account": "account", "amount": "amount"})
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["Accounts"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    shown = [ws.cell(i + 2, 1).value for i in range(len(HOSTILE))]
    assert shown == [h.replace("\r", "\n") for h in HOSTILE]  # as in the CRM (XML stores a CR as a line feed)


def test_codes_read_as_words_and_names_stay_as_written():
    from salesnb.report import display

    assert display.label_value("mid_market") == "mid market" and display.label_value("q1_workload") == "q1 workload"
    cells = display._readable(pd.Series(["mid_market", "jean_dupont@example.fr", "Dupont_SA", None]))
    assert cells.tolist()[:3] == ["mid market", "jean_dupont@example.fr", "Dupont_SA"]
    assert display.label("owner_rep_id") == "owner (rep id)" and display.label("lat") == "latitude"
    assert display.label("on_file") == "quota on file (next month)"
    assert display.label_value("activity_on_a_accounts") == "share of activity on A accounts"  # a listed indicator
    assert display.label("median_rep_cost_of_sales") == "median rep: cost of sales (rep cost ÷ revenue)"


def test_the_summary_shows_shares_as_percentages_and_their_changes_in_points(monkeypatch):
    from salesnb.core import money
    from salesnb.report import display

    before = money.current()
    money.use(money.currency("EUR"))

    shown = {}
    monkeypatch.setattr(display, "_render", lambda cells, **kw: shown.update(cells=cells))
    summary = pd.DataFrame({"month": [0.54, 0.4, -100.0], "vs_previous_month": [0.028, -0.015, 0.5]},
                           index=["costed_share", "margin_pct", "returns"])
    display.metric_table(summary)
    cells = shown["cells"]
    assert cells.loc["costed_share"].tolist() == ["54.0%", "+2.8 pts"]
    assert cells.loc["margin_pct"].tolist() == ["40.0%", "-1.5 pts"]
    money.use(before)
    assert cells.loc["returns", "month"] == "-€100"  # an amount, not a count


def test_tables_show_names_for_rep_and_account_ids():
    from salesnb.report import display

    display.use_names(pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ana Alpha", "Bo Beta"]}),
                      pd.DataFrame({"account_id": ["A1", "A2"], "name": ["Acme", "Zeta"]}))
    df = pd.DataFrame({"deal": ["D1", "D2", "D3"], "rep_id": ["R1", "R2", "R9"], "account_id": ["A2", None, "A1"],
                       "amount": [1.0, 2.0, 3.0]})
    shown = display.named(df)
    assert list(shown.columns) == ["deal", "rep", "account", "amount"]
    assert shown["rep"].tolist() == ["Ana Alpha", "Bo Beta", "R9"]  # an id without a name stays as it is
    assert shown["account"].tolist()[::2] == ["Zeta", "Acme"] and pd.isna(shown["account"].iloc[1])
    book = pd.DataFrame({"account_id": ["A1"], "name": ["Acme"], "owner_rep_id": ["R2"]})
    assert display.named(book).to_dict("list") == {"name": ["Acme"], "owner": ["Bo Beta"]}  # no name twice
    assert display.named(book, keep_ids=True).to_dict("list") == {  # an export keeps the ids, names beside
        "account_id": ["A1"], "name": ["Acme"], "owner_rep_id": ["R2"], "owner": ["Bo Beta"]}
    display.use_names(None, None)
    assert display.named(df).equals(df)


def test_long_text_wraps_and_figures_do_not(monkeypatch):
    from salesnb.report import display

    shown = {}
    monkeypatch.setattr(display, "display", lambda styler: shown.update(html=styler.to_html()))
    reasons = "segment mid market (+10); open pipeline 240 (+10); visited in the last 90 days (+5); " * 2
    display._render(pd.DataFrame({"name": ["Acme"], "reasons": [reasons], "score": [25]}))
    html = shown["html"]
    assert "mid market" in html and "white-space: nowrap" in html
    # the reasons column (col1) wraps, by a rule more specific than the table's nowrap
    assert re.search(r"#T_t\d+ td\.col1 \{\s*white-space: normal", html) and html.count("white-space: normal") == 1


def test_coefficients_show_two_decimals(monkeypatch):
    from salesnb.report import display

    shown = {}
    monkeypatch.setattr(display, "display", lambda obj, **kw: kw or shown.update(html=obj.to_html()))
    display.table(pd.DataFrame({"gini_attainment": [0.1234], "km": [12.345]}), coefficient_cols=("gini_attainment",),
                  decimal_cols=("km",))
    assert ">0.12<" in shown["html"] and ">12.3<" in shown["html"] and "Gini of attainment" in shown["html"]


def test_counts_held_as_floats_show_no_decimals_and_other_floats_two(monkeypatch):
    from salesnb.report import display

    shown = {}
    monkeypatch.setattr(display, "display", lambda obj, **kw: kw or shown.update(html=obj.to_html()))
    display.table(pd.DataFrame({"activities_90d": [6.0, np.nan, 1234.0], "share": [0.5, 1.0, 0.25]}))
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", shown["html"])
    assert cells == ["6", "0.50", "n/a", "1.00", "1,234", "0.25"]  # other unformatted floats: two decimals


def test_calendar_links_read_as_the_calendars_names(tmp_path, monkeypatch):
    from salesnb.report import display

    shown = []
    monkeypatch.setattr(display, "display", lambda obj, **kw: shown.append(getattr(obj, "data", obj)))
    named = b"BEGIN:VCALENDAR\r\nX-WR-CALNAME:Ana <Alpha>\r\nEND:VCALENDAR\r\n"
    bare = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    display.calendar_files({"visits_Ana_Alpha.ics": named, "visits_R2.ics": bare}, str(tmp_path))
    assert (tmp_path / "visits_Ana_Alpha.ics").read_bytes() == named
    assert ('<a href="visits_Ana_Alpha.ics">Ana &lt;Alpha&gt;</a> · <a href="visits_R2.ics">visits_R2.ics</a>'
            in shown[-1])
    names = ("visits_Zoé.ics", "visits_Émilie.ics", "visits_Agnès.ics")
    display.calendar_files(dict.fromkeys(names, bare), str(tmp_path))
    links = [unquote(name) for name in re.findall(r'href="visits_([^"]+)\.ics"', shown[-1])]
    assert links == ["Agnès", "Émilie", "Zoé"]  # É with the E's, each link percent-encoded
    assert 'href="visits_Zo%C3%A9.ics"' in shown[-1]


def test_an_export_keeps_what_each_row_is(tmp_path, monkeypatch):
    from salesnb.report import display

    monkeypatch.setattr(display, "display", lambda *a, **kw: None)
    routes = pd.DataFrame({"stops": [3, 2], "km": [111.1, 80.0]},
                          index=pd.MultiIndex.from_tuples([("R1", "Mon 2026-11-02"), ("R2", "Tue 2026-11-03")],
                                                          names=["rep_id", "date"]))
    display.export(routes, str(tmp_path), "routes")
    rows = list(csv.reader(io.StringIO((tmp_path / "routes.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["rep_id", "date", "stops", "km"] and rows[1][:2] == ["R1", "Mon 2026-11-02"]


def test_the_organisation_row_of_a_team_column_is_named(monkeypatch):
    from salesnb.report import display

    shown = {}
    monkeypatch.setattr(display, "display", lambda obj, **kw: kw or shown.update(html=obj.to_html()))
    display.table(pd.DataFrame({"team": ["north", "all"], "enps": [4.0, -3.0]}))
    assert ">whole organisation<" in shown["html"] and ">north<" in shown["html"] and ">all<" not in shown["html"]
    display.table(pd.DataFrame({"north": [4.0], "all": [-3.0]}, index=["2026-10"]))  # teams as columns
    assert ">whole organisation<" in shown["html"] and ">all<" not in shown["html"]


@pytest.mark.parametrize("name, title", [
    ("Quota proposal EMEA: North [x]", "Quota proposal EMEA North x"), ("'quoted'", "quoted"),
    ("x" * 40, "x" * 31), ("???", "Sheet"), ("a/b\\c*d", "a b c d"),
])
def test_sheet_titles_are_ones_excel_accepts(name, title, tmp_path):
    from openpyxl import load_workbook

    assert exports.sheet_title(name) == title
    exports.write_xlsx(pd.DataFrame({"x": [1]}), tmp_path / "t.xlsx", name, {})
    assert load_workbook(tmp_path / "t.xlsx").sheetnames[0] == title
