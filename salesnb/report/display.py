"""What a report notebook shows: escaped text, formatted tables, notes on missing data."""

from __future__ import annotations

import base64
import html
import itertools
import re
from collections.abc import Iterable
from urllib.parse import quote

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display
from pandas.io.formats.style import Styler

from salesnb.core.money import fmt as fmt_money
from salesnb.core.scope import ALL, Scope
from salesnb.core.text import href, reading_order
from salesnb.domains.summary import format_value
from salesnb.report.charts import AMBER, PALETTE
from salesnb.report.marker import COMPLETE_MARKER, FIGURES_MIME

LABELS = {ALL: "whole organisation", "margin_pct": "margin rate", "vs_previous_month": "vs previous month",
          "vs_last_year": "vs same month last year", "last_year": "same month last year",
          "revenue_last_year": "revenue same month last year", "yhat": "forecast", "wape": "WAPE", "mase": "MASE",
          "forecast_vs_actual": "forecast vs actual", "forecast_minus_actual": "forecast − actual",
          "bias": "bias (forecast vs actual)", "median_bias": "median bias (call vs actual)",
          "costed_share": "share of revenue with a known cost", "spread_p90_p10": "spread (90th − 10th percentile)",
          "gini_attainment": "Gini of attainment", "quota_potential_correlation": "quota vs potential (correlation)",
          "enps": "eNPS", "mean_enps": "mean eNPS", "enps_low": "eNPS low (95%)", "enps_high": "eNPS high (95%)",
          "owner_rep_id": "owner (rep id)", "lat": "latitude", "lon": "longitude",
          "last_quota": "quota this month", "on_file": "quota on file (next month)",
          "backtest_wape": "backtest WAPE", "reconciled_wape": "reconciled WAPE",
          "history": "revenue, last 12 months", "top_down": "top-down share", "bottom_up": "bottom-up (forecast or "
          "pipeline)", "ramp": "ramp (share of a full quota)", "change_vs_last": "change vs this month's quota",
          "activity_on_a_accounts": "share of activity on A accounts", "visits_on_a_accounts": "share of visits to "
          "A accounts", "cost_of_sales": "cost of sales (rep cost ÷ revenue)", "pay_to_revenue": "total pay ÷ revenue",
          "forecast_vs_quota": "forecast ÷ quota", "reps_call": "reps' call", "call_minus_actual": "call − actual",
          "call_vs_actual": "call vs actual", "call_bias": "bias (call vs actual)",
          "hygiene_score": "data hygiene (0–100)", "activities_90d": "activities, last 90 days",
          "revenue_12m": "revenue, last 12 months"}
CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")  # a snake_case code of the contract, e.g. mid_market


def label(name: object) -> str:
    """A column or row name as a reader would write it (a team median's column: "median rep: …")."""
    text = str(name)
    if text.startswith("median_rep_"):
        return "median rep: " + label(text[len("median_rep_"):])
    return LABELS.get(text, text.replace("_", " "))


def label_value(value: object) -> str:
    """A label or cell from the data: a known column's label or words for snake_case codes (mid_market), as is
    otherwise (names, emails)."""
    text = str(value)
    return label(text) if CODE.match(text) else text


def money(x: float) -> str:
    """An amount in the report's currency, with thousands separators."""
    return "n/a" if pd.isna(x) else fmt_money(x)


def percent(x: float) -> str:
    """Percentage with one decimal."""
    return format_value("percent", x)


def change(x: float) -> str:
    """Signed percentage change."""
    return format_value("change", x)


def ratio(x: float) -> str:
    """A multiple, such as pipeline ÷ quota (1.00× = covered once)."""
    return format_value("ratio", x)


def count(x: float) -> str:
    """Whole number with thousands separators."""
    return "n/a" if pd.isna(x) else f"{int(round(x)):,}"  # an int has no -0


def record(kind: str, value: object) -> None:
    """Keep a figure in the executed notebook (not in its HTML), for the golden and consistency tests."""
    display({FIGURES_MIME: {"kind": kind, "value": value}}, raw=True)


def facts(name: str, values: dict | pd.Series) -> None:
    """Record figures that other reports also show, by key (rep, team), for the consistency test."""
    record("facts", {"name": name, "values": {str(k): None if pd.isna(v) else float(v)
                                              for k, v in dict(values).items()}})


def digest(df: pd.DataFrame) -> dict:
    """A table's shape, columns and the sum of each numeric column."""
    numeric = df.select_dtypes("number")
    return {"rows": len(df), "columns": [str(c) for c in df.columns],
            "sums": {str(c): float(numeric[c].sum()) for c in numeric.columns}}


def nav(team: str = ALL) -> None:
    """Links from a published report to its month's index and to the glossary (which links to the team's copies)."""
    query = "" if team == ALL else f"?team={quote(team, safe='')}"
    display(HTML('<p style="font-size:.85rem"><a href="../index.html">← all reports of this month</a> · '
                 f'<a href="../glossary.html{html.escape(query)}">glossary of figures</a></p>'))


def say(text: str) -> None:
    """Show a sentence built from data, escaped so names from the CRM stay text (nothing when it is empty)."""
    if not text:
        return
    record("sentence", text)
    display(HTML(f"<p>{html.escape(text)}</p>"))


def supported(missing: str) -> bool:
    """True when a claim's inputs are there; else say what is missing (from `claims`) and return False."""
    if missing:
        say(missing)
    return not missing


def markdown(text: str) -> None:
    """Show Markdown written by salesnb itself (never data from the CRM)."""
    display(Markdown(text))


def _whole(values: pd.Series) -> bool:
    """True for floats that hold only whole numbers (counts that passed through a float)."""
    return values.notna().any() and bool((values.dropna() % 1 == 0).all())


def _readable(values: pd.Series) -> pd.Series:
    """Values as a reader writes them: yes/no for booleans, words for snake_case codes."""
    if pd.api.types.is_bool_dtype(values):
        return values.map({True: "yes", False: "no"})
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        return values.map(lambda v: label_value(v) if isinstance(v, str) else v)
    return values


def table(
    df: pd.DataFrame,
    money_cols: Iterable[str] = (),
    percent_cols: Iterable[str] = (),
    change_cols: Iterable[str] = (),
    count_cols: Iterable[str] = (),
    decimal_cols: Iterable[str] = (),
    ratio_cols: Iterable[str] = (),
    coefficient_cols: Iterable[str] = (),
    rows: int | None = None,
    label_rows: bool = False,
    complete_in: str = "",
    title: str = "",
    lights: pd.DataFrame | None = None,
    points_cols: Iterable[str] = (),
    net_cols: Iterable[str] = (),
) -> None:
    """Show a table formatted for a manager, every cell and label HTML-escaped: human labels and values, no row
    numbers, an optional title above it; a long table says how much of it is shown and where the rest is.
    `lights`: "green" / "amber" / "red" / "none" per cell of `df` (same rows and columns) to colour it;
    `points_cols`: differences of two rates, in percentage points; `net_cols`: net scores with their sign (eNPS)."""
    record("table", digest(df))
    _render(df, money_cols, percent_cols, change_cols, count_cols, decimal_cols, ratio_cols, rows, label_rows,
            complete_in, title, coefficient_cols, lights, points_cols, net_cols)


ID_LABELS = {"rep_id": "rep", "owner_rep_id": "owner", "from_rep": "from rep", "to_rep": "to rep",
             "account_id": "account"}
_NAMES: dict[str, dict[str, str]] = {}  # "reps" and "accounts": id → name, set when a report opens


_ABOUT: dict[str, str] = {}  # what an export's About sheet says: report, scope, month, cut-off; set when it opens


def use_scope(title: str, scope: Scope) -> None:
    """The report and scope an export's About sheet names."""
    _ABOUT.clear()
    _ABOUT.update(
        {
            "Report": title,
            "Scope": scope.who_first,
            "Month": scope.month.strftime("%B %Y"),
            "Data up to": f"{scope.data_end:%-d %B %Y}" if scope.data_end is not None else "not known",
            "Amounts in": scope.currency.code or "no currency stated",
        }
    )


def use_names(reps: pd.DataFrame | None, accounts: pd.DataFrame | None) -> None:
    """The names tables show instead of rep and account ids."""
    _NAMES.clear()
    for kind, df, key in (("reps", reps, "rep_id"), ("accounts", accounts, "account_id")):
        if df is not None and "name" in df:
            _NAMES[kind] = dict(zip(df[key], df["name"], strict=True))


def named(df: pd.DataFrame, keep_ids: bool = False) -> pd.DataFrame:
    """Rep and account id columns shown as names, in place (an id without a name stays as it is), or beside the
    ids with `keep_ids` (exports); an id column whose names another column already shows (an account's name) is
    left as it is."""
    out = df
    for column, label_ in ID_LABELS.items():
        names = _NAMES.get("accounts" if column == "account_id" else "reps")
        if column not in out.columns or not names:
            continue
        shown = out[column].map(names).fillna(out[column])
        if any(shown.astype(str).equals(out[c].astype(str)) for c in out.columns if c != column):
            out = out if keep_ids else out.drop(columns=column)
        elif keep_ids:
            out = out.copy()
            out.insert(out.columns.get_loc(column) + 1, label_, shown)
        else:
            out = out.assign(**{column: shown}).rename(columns={column: label_})
    return out


_TABLE_IDS = itertools.count(1)
LONG_TEXT = 60  # characters: a text column this long wraps (reasons, fixes) instead of running off the page


def _style(df: pd.DataFrame) -> Styler:
    """A Styler whose table id counts the tables of the report (pandas draws a random one), so that a rerun on
    the same data writes the same HTML."""
    return df.style.set_uuid(f"t{next(_TABLE_IDS)}")


def _render(df: pd.DataFrame, money_cols: Iterable[str] = (), percent_cols: Iterable[str] = (),
            change_cols: Iterable[str] = (), count_cols: Iterable[str] = (), decimal_cols: Iterable[str] = (),
            ratio_cols: Iterable[str] = (), rows: int | None = None, label_rows: bool = False,
            complete_in: str = "", title: str = "", coefficient_cols: Iterable[str] = (),
            lights: pd.DataFrame | None = None, points_cols: Iterable[str] = (),
            net_cols: Iterable[str] = ()) -> None:
    cut = bool(rows) and len(df) > rows + rows // 2  # a table barely longer is shown whole
    shown = (df.head(rows) if cut else df).copy()
    colours = None if lights is None else lights.reindex(index=df.index, columns=df.columns).head(len(shown))
    if isinstance(shown.index, pd.DatetimeIndex):
        shown.index = shown.index.strftime("%Y-%m" if (shown.index.day == 1).all() else "%Y-%m-%d")
    if not label_rows and any(n is not None for n in shown.index.names):
        shown = shown.reset_index()
    shown = named(shown)
    if len(shown) > 1 and "team" in shown.columns and shown["team"].nunique(dropna=False) == 1:
        shown = shown.drop(columns="team")  # one team's page: its name on every row says nothing
    if "team" in shown.columns:
        shown["team"] = shown["team"].replace({ALL: "whole organisation"})
    for col in shown.columns[[pd.api.types.is_datetime64_any_dtype(t) for t in shown.dtypes]]:
        shown[col] = shown[col].dt.strftime("%Y-%m-%d")
    for col in shown.columns:
        shown[col] = _readable(shown[col])
    formats = {c: money for c in money_cols} | {c: percent for c in percent_cols}
    formats |= {c: change for c in change_cols} | {c: count for c in count_cols}
    formats |= {c: (lambda x: "n/a" if pd.isna(x) else f"{x:,.1f}") for c in decimal_cols}
    formats |= {c: ratio for c in ratio_cols}
    formats |= {c: (lambda x: "n/a" if pd.isna(x) else f"{x:.2f}") for c in coefficient_cols}
    formats |= {c: (lambda x: "n/a" if pd.isna(x) else f"{x * 100:.1f} pts") for c in points_cols}
    formats |= {c: (lambda x: format_value("net", x)) for c in net_cols}
    floats = [c for c in shown.columns if pd.api.types.is_float_dtype(shown[c]) and c not in formats]
    formats |= {c: count if _whole(shown[c]) else (lambda x: "n/a" if pd.isna(x) else f"{x:,.2f}") for c in floats}
    styler = _style(shown).format({c: f for c, f in formats.items() if c in shown.columns},
                                escape="html", na_rep="n/a")
    styler = styler.format_index(label if label_rows else label_value, escape="html", axis=0)
    styler = styler.format_index(label, escape="html", axis=1).hide(axis="index", names=True)
    if isinstance(shown.index, pd.RangeIndex):
        styler = styler.hide(axis="index")
    text = [c for c in shown.columns if not pd.api.types.is_numeric_dtype(shown[c])]
    styler = styler.set_properties(subset=text, **{"text-align": "left"}).set_table_styles(
        [{"selector": "th", "props": "text-align: left;"}, {"selector": "td", "props": "white-space: nowrap;"}])
    prose = [c for c in text if shown[c].astype(str).str.len().max() > LONG_TEXT]
    styler = styler.set_table_styles({c: [{"selector": "td", "props": "white-space: normal; min-width: 20rem;"}]
                                      for c in prose}, overwrite=False)
    if colours is not None:
        for col in colours.columns[(colours != "none").any()]:
            if col in shown.columns:
                styler = styler.apply(lambda _, c=col: [LIGHTS.get(x, "") for x in colours[c].fillna("none")],
                                      subset=[col])
    if title:
        styler = styler.set_caption(html.escape(title))
    display(styler)
    if cut:
        where = f"; all {len(df):,} are in {complete_in}" if complete_in else ""
        say(f"The first {rows} of {len(df):,} rows{where}.")


def metric_table(summary: pd.DataFrame) -> None:
    """The headline summary, each row formatted by the kind of metric it holds."""
    record("table", digest(summary))
    kinds = {"revenue": money, "returns": money, "margin": money, "margin_pct": percent, "costed_share": percent}
    rates = ("margin_pct", "costed_share")  # their changes are in points
    cells = summary.copy().astype(object)
    for metric in summary.index:
        fmt = kinds.get(metric, count)
        for col in summary.columns:
            v = summary.loc[metric, col]
            if col.startswith("vs_"):
                cells.loc[metric, col] = (
                    "n/a" if pd.isna(v) else f"{round(v * 100, 1) + 0.0:+.1f} pts" if metric in rates
                    else change(v)
                )
            else:
                cells.loc[metric, col] = fmt(v)
    _render(cells, label_rows=True)


def breakdown_table(df: pd.DataFrame, rows: int | None = None, output_dir: str = "", name: str = "") -> None:
    """A breakdown from `reporting.breakdown`, formatted; with a `name`, also exported whole."""
    money_cols = ("revenue", "quota", "revenue_previous_month", "revenue_last_year", "margin")
    percent_cols = ("attainment", "margin_pct", "share")
    if name:
        export(df, output_dir, name, money_cols, percent_cols + ("vs_previous_month", "vs_last_year"))
    return table(df, rows=rows, money_cols=money_cols, percent_cols=percent_cols,
                 change_cols=("vs_previous_month", "vs_last_year"), count_cols=("units",),
                 complete_in=f"{name}.xlsx" if name and output_dir else "")


def figure(fig: plt.Figure) -> None:
    """Show a chart once, as an image whose alternative text is its title, then free it."""
    from IPython.core.pylabtools import print_figure

    title = next((t for t in (fig._suptitle and fig._suptitle.get_text(), *(ax.get_title() for ax in fig.axes))
                  if t), "")
    record("figure", title)
    png = base64.b64encode(print_figure(fig, "png", bbox_inches="tight")).decode("ascii")
    alt = html.escape(f"Chart: {title}" if title else "Chart")
    display(HTML(f'<img src="data:image/png;base64,{png}" alt="{alt}">'))
    plt.close(fig)


def calendar_files(files: dict[str, bytes], output_dir: str) -> None:
    """Write calendar files beside the report and link to each by its calendar's name."""
    from pathlib import Path

    from icalendar import Calendar

    if not output_dir:
        say("(Run through `salesnb run` to export the calendar files.)")
        return
    for name, content in files.items():
        (Path(output_dir) / name).write_bytes(content)
    links = " · ".join(f'<a href="{html.escape(href(n))}">'
                       f'{html.escape(str(Calendar.from_ical(files[n]).get("x-wr-calname", n)))}</a>'
                       for n in sorted(files, key=reading_order))
    display(HTML(f"<p>Calendars: {links}</p>"))


def export(df: pd.DataFrame, output_dir: str, name: str, money_cols: Iterable[str] = (),
           percent_cols: Iterable[str] = (), more: dict[str, pd.DataFrame] | None = None,
           about: dict[str, str] | None = None) -> None:
    """Write a table as CSV and Excel beside the report and show links to both; a named index (rep, date) becomes
    columns, so every row says what it is. `more`: further sheets of the workbook (not in the CSV); `about`: lines
    added to its About sheet."""
    from pathlib import Path

    from salesnb.report import exports

    if not output_dir:
        say(f"(Run through `salesnb run` to export {name}.csv and {name}.xlsx.)")
        return
    folder = Path(output_dir)
    if any(n is not None for n in df.index.names):
        df = df.reset_index()
    df = named(df, keep_ids=True)
    exports.write_csv(df, folder / f"{name}.csv", percent_cols)
    text = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    about = {**_ABOUT, **(about or {}), "Rows": f"{len(df):,}",
             "Definitions": "glossary.html, in the folder above this file (the glossary of figures)"}
    more = {title: sheet.reset_index() if sheet.index.name else sheet for title, sheet in (more or {}).items()}
    labels = {c: label(c) for frame in (df, *more.values()) for c in frame.columns}
    exports.write_xlsx(df.assign(**{c: _readable(df[c]) for c in text}), folder / f"{name}.xlsx",
                       label(name).capitalize(), labels, money_cols, percent_cols, about, more)
    display(HTML(f'<p>Download: <a href="{html.escape(href(name + ".csv"))}">{html.escape(name)}.csv</a> · '
                 f'<a href="{html.escape(href(name + ".xlsx"))}">{html.escape(name)}.xlsx</a> '
                 f"({len(df):,} rows; the Excel file is labelled as on this page, the CSV keeps the data's column "
                 "names and codes, for scripts and re-import)</p>"))


TILE_COLORS = {"green": "#2e7d32", "amber": AMBER, "red": PALETTE[3], "none": PALETTE[5]}


def _tile_change(unit: str, value: float, previous: float, against: str) -> str:
    if pd.isna(value):
        return "not measured this month"
    if pd.isna(previous):
        return "no earlier figure"
    if unit == "money":
        moved = change((value - previous) / abs(previous)) if previous else "n/a"
    elif unit in ("percent", "change"):
        moved = f"{round((value - previous) * 100, 1) + 0.0:+.1f} pts"
    else:
        moved = f"{value - previous:+.2f}" if unit == "ratio" else f"{value - previous:+.0f}"
    return f"{moved} vs {against}"


def tiles(kpis: pd.DataFrame, links: dict[str, str] | None = None) -> None:
    """KPI tiles: value, change, and a traffic-light border; a tile links to the page in `links` (by metric)."""
    record("kpis", {r.label: [None if pd.isna(r.value) else float(r.value), r.status] for r in kpis.itertuples()})
    record("headline", [[r.label, format_value(r.unit, r.value), r.status] for r in kpis.itertuples()])
    cells = []
    for row in kpis.itertuples():
        color = TILE_COLORS[row.status]
        value = html.escape(format_value(row.unit, row.value))
        moved = html.escape(row.note or _tile_change(row.unit, row.value, row.previous, row.against))
        verdict = html.escape(row.status if row.status != "none" else "no threshold")
        tile = (f'<div style="font-size:.85rem;color:#555">{html.escape(row.label)}</div>'
                f'<div style="font-size:1.6rem;font-weight:bold">{value}</div>'
                f'<div style="font-size:.8rem;color:#555">{moved} · '
                f'<span style="color:{color}">{verdict}</span></div>')
        target = (links or {}).get(row.Index)
        if target:
            tile = f'<a href="{html.escape(href(target))}" style="color:inherit;text-decoration:none">{tile}</a>'
        cells.append(f'<div style="border-left:8px solid {color};padding:.6rem .9rem;background:#f7f7f7">{tile}</div>')
    display(HTML('<div style="display:grid;grid-template-columns:repeat(4,1fr);gap:.8rem">'
                 + "".join(cells) + "</div>"))


def report_links(reports: list) -> None:
    """Links to the detailed reports of the same team and month."""
    if not reports:
        say("No other report was run in this batch.")
        return
    items = "".join(f'<li><a href="{html.escape(name)}.html">{html.escape(title)}</a></li>'
                    for name, title in reports)
    display(HTML(f"<ul>{items}</ul>"))


def complete() -> None:
    """Mark the report as complete (the runner checks this, the HTML hides it)."""
    print(COMPLETE_MARKER)


LIGHTS = {"green": "background-color:#e3f1e4", "amber": "background-color:#fff1c2",
          "red": "background-color:#f6d5d9;font-weight:bold", "none": ""}


def kpi_matrix(values: pd.DataFrame, status: pd.DataFrame, group: str) -> None:
    """A group × KPI table, each cell coloured by its traffic light, so the group in trouble stands out."""
    from salesnb.domains.overview import METRICS

    record("table", digest(values))
    cells = pd.DataFrame({m: [format_value(METRICS[m][1], x) for x in values[m]] for m in values.columns},
                         index=values.index)
    styler = _style(cells).apply(lambda col: [LIGHTS[s] for s in status[col.name]], axis=0)
    styler = styler.format_index(lambda m: METRICS[m][0], escape="html", axis=1)
    styler = styler.format_index(escape="html", axis=0).hide(axis="index", names=True)
    styler = styler.set_table_styles([{"selector": "th", "props": "text-align: left;"},
                                      {"selector": "td", "props": "white-space: nowrap; padding: .3rem .6rem;"}])
    styler = styler.set_caption(html.escape(f"By {group}: green, amber and red against the thresholds; "
                                            "no colour: no threshold, or a rep still ramping (not judged)."))
    display(styler)


def say_linked(text: str, report: str, reports: list) -> None:
    """A sentence built from data, with a link to the report that explains it when that report was written."""
    if not text:
        return
    titles = {name: title for name, title in reports}
    link = (f' <a href="{html.escape(report)}.html">→ {html.escape(titles[report])}</a>'
            if report in titles else "")
    record("sentence", text)
    display(HTML(f"<p>{html.escape(text)}{link}</p>"))
