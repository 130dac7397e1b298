"""One name, one unit and one definition per figure, on a page every report links to."""

from __future__ import annotations

import html
import json
from datetime import datetime

from salesnb.report.registry import REPORTS

# name: (unit, definition, reports that show it)
GLOSSARY: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "Revenue": ("amount", "Quantity × list price × (1 − discount) of the order lines invoiced in the month; credit "
                "lines (negative quantities) are netted off.",
                ("00_overview", "02_reporting", "03_forecast", "04_pricing", "05_quotas")),
    "Margin": ("amount", "Revenue − quantity × unit cost.", ("00_overview", "02_reporting")),
    "Margin rate": ("%", "Margin ÷ revenue; its change is in percentage points.", ("00_overview", "02_reporting")),
    "Forecast": ("amount", "Next months' revenue of a series (organisation, team or rep): month by month, the "
                 "mean of ETS, Theta and seasonal naive (the rule that erred least on a panel of real series), "
                 "reconciled so that reps add up to their team and teams to the organisation, by the method that "
                 "erred least on the organisation's own backtest. Made once per run, so a rep's forecast "
                 "is the same in every report; a rep with under 3 months of sales has none (see Too new to "
                 "forecast).", ("00_overview", "03_forecast", "05_quotas")),
    "WAPE": ("%", "Backtest error: total absolute error ÷ total actual revenue (lower is better).", ("03_forecast",)),
    "MASE": ("ratio", "Mean absolute error ÷ that of the seasonal naive method in the training months (below 1 "
             "beats it).", ("03_forecast",)),
    "Bias": ("% change", "(Total forecast − total actual) ÷ total actual: positive = forecast too high, "
             "negative = too low (every forecast error on every page has this sign).", ("03_forecast",)),
    "Interval coverage": ("%", "Share of backtest actuals inside the stated interval (80% by default).",
                          ("03_forecast",)),
    "Reps' call vs actual": ("% change", "(What reps called − actual revenue) ÷ actual revenue, the sign of bias: "
                           "positive = they called more than they sold, negative = less.",
                             ("00_overview", "03_forecast")),
    "Commit": ("amount", "Open deals in forecast category commit expected to close next month, as the month left "
               "them (the first pipeline snapshot after it; the export when there is none).",
               ("03_forecast", "10_activity_pipeline")),
    "Open pipeline": ("amount", "Open deals expected to close in a month, as the month left them.",
                      ("03_forecast", "10_activity_pipeline")),
    "Weighted pipeline": ("amount", "Open pipeline × the win rate measured on the organisation's closed deals at "
                          "each stage (not the probability typed in the CRM).",
                          ("03_forecast", "05_quotas", "10_activity_pipeline")),
    "Pipeline coverage": ("× (multiple)", "Open pipeline closing next month ÷ the part of next month's quota "
                          "that deals must bring (quota × the share of the last 12 months' revenue that won deals "
                          "brought): 3× is the usual comfort, under 2× is short.",
                          ("00_overview", "03_forecast", "10_activity_pipeline")),
    "Win rate": ("%", "Deals won ÷ deals closed (won or lost) in the window.",
                 ("00_overview", "06_performance", "10_activity_pipeline")),
    "Quota attainment": ("%", "Revenue ÷ quota for the month.",
                         ("00_overview", "05_quotas", "06_performance", "09_team_pulse")),
    "Quota proposal": ("amount", "Next month's quota per rep, made once for the whole organisation (top-down, "
                       "bottom-up, blended, then the rules); a team report shows its reps' part of it.",
                       ("05_quotas",)),
    "Pay ÷ revenue": ("%", "Base and variable pay under the commission plan ÷ the revenue it paid for.",
                      ("05_quotas",)),
    "Cost of sales": ("%", "A rep's full cost (salary and charges) over the window ÷ their revenue in it; a rep "
                      "hired during the window costs only the days in post.", ("05_quotas", "06_performance")),
    "Challenge progress": ("%", "The whole organisation's score on the challenge metric ÷ its collective target; "
                           "a team report shows the same figure and the team's part of the score.",
                           ("06_performance",)),
    "Guideline compliance": ("%", "Share of order lines whose discount is within the maximum allowed for the "
                             "product (or the override of its family and segment).", ("04_pricing",)),
    "Amount lost beyond guideline": ("amount", "List value × the discount given beyond the guideline.",
                                     ("04_pricing",)),
    "Pocket price": ("amount", "Invoice price − rebates − freight: what a sale really brings in.", ("04_pricing",)),
    "Data hygiene": ("score 0–100", "Share of CRM records (accounts, contacts, open deals) with no quality "
                     "problem, × 100, an open deal weighing its amount in typical deals (the organisation's median "
                     "open deal, at least one record); a deal's problems include a missing amount, close date or "
                     "account and a close date past. A rep's or a team's is over the records they own, the "
                     "organisation's over every record, owned or not (so it can sit below every team's).",
                     ("00_overview", "01_data_quality")),
    "eNPS": ("score −100 to +100", "% promoters (9–10) − % detractors (0–6, or 1–6 on a 1–10 scale) in a pulse "
             "survey; never shown for a group with fewer respondents than the anonymity threshold.",
             ("00_overview", "09_team_pulse")),
    "Response rate": ("%", "Respondents ÷ reps in the team on the survey date.", ("09_team_pulse",)),
    "Run-rate": ("amount", "Mean revenue of the last three months.", ("03_forecast",)),
    "Sales velocity": ("amount per day", "Open deals × win rate × mean won deal ÷ mean cycle in days.",
                       ("10_activity_pipeline",)),
    "Conversion": ("%", "Of the deals closed in the window that reached a stage, the share that reached the next.",
                   ("10_activity_pipeline",)),
    "Load": ("%", "Visits the policy requires of a rep ÷ the visits a rep can make in a year.", ("08_field_tours",)),
    "Spread and Gini of attainment": ("points, 0–1", "90th minus 10th percentile of reps' attainment; Gini: 0 when "
                                      "every rep attains the same, toward 1 when attainment is concentrated.",
                                      ("05_quotas",)),
    "Left within n months (attrition)": ("%", "Reps of the team on the survey date who left in the following months "
                                 "(none shown until those months are over).", ("09_team_pulse",)),
    "Cost per visit": ("amount", "The rep's yearly cost ÷ visits a year, plus the round trip at the cost per km.",
                       ("08_field_tours",)),
    "Forecast ÷ quota": ("%", "Next month's revenue forecast ÷ the quotas on file for that month: the attainment "
                         "the forecast points to.", ("00_overview", "03_forecast")),
    "Best case": ("amount", "Open deals in forecast category best case expected to close in the month: upside on "
                  "top of commit.", ("03_forecast",)),
    "Quota from deals": ("amount", "Quota × the share of the last 12 months' revenue that won deals brought: the "
                         "part of quota the pipeline must cover (the rest comes from repeat orders and contracts).",
                         ("03_forecast", "10_activity_pipeline")),
    "Over-assignment": ("%", "Sum of the reps' quotas ÷ the target − 1: the cushion against reps who miss.",
                        ("05_quotas",)),
    "Ramp": ("%", "Share of a full quota a new hire carries, by months of tenure (from the parameters).",
             ("05_quotas", "06_performance")),
    "Sandbagging / over-optimistic": ("class", "A rep whose monthly forecasts are consistently (70% of months or "
                                      "more) and markedly (median more than 10%) under / over what they then sold.",
                                      ("03_forecast",)),
    "ABC class": ("A, B, C", "Customers ranked by revenue over 12 months: A make the first 80% of it, B the next "
                  "15%, C the rest (Pareto).", ("07_scoring", "08_field_tours")),
    "Score": ("points", "The sum of the points an account earns on each criterion of the points scale "
                     "(\"barème\") in the parameters; each score lists its reasons.", ("07_scoring",)),
    "Required visits": ("visits a year", "Σ over a rep's accounts of the visits a year their class calls for in "
                        "the visit policy.", ("08_field_tours",)),
    "Capacity": ("visits a year", "Working days × share of time in the field × visits a day.", ("08_field_tours",)),
    "Revenue per planned visit": ("amount", "An account's revenue over 12 months ÷ the visits a year its class "
                                  "calls for in the visit policy.", ("08_field_tours",)),
    "Revenue per visit made": ("amount", "A rep's revenue in the window ÷ the field visits they made in it.",
                               ("06_performance",)),
    "Cycle length": ("days", "From a deal's creation to its close, over deals closed in the window.",
                     ("10_activity_pipeline",)),
    "Time in stage": ("days", "Days a deal spent in a stage, measured from its stage history (snapshots).",
                      ("10_activity_pipeline",)),
    "Risky commit": ("amount", "Commit deals closing next month with a risk flag: close date before their creation, "
                     "pushed out twice or more, in the same stage 60 days or more, no activity in 60 days (or none "
                     "logged on the deal), missing account, product, amount or close date, or an amount cut by 20% "
                     "or more since the month's first snapshot.", ("03_forecast",)),
    "Past due": ("amount", "Open deals whose close date in the CRM is before next month: in no commit, best case, "
                 "pipeline or coverage of any report until the date is fixed.",
                 ("01_data_quality", "03_forecast", "10_activity_pipeline")),
    "Stale": ("days", "A deal is stale after 60 days in the same stage; an account or contact after 365 days "
              "without an update (both set in the parameters).", ("01_data_quality", "03_forecast")),
    "Pulled in / slipped": ("amount", "Steps of the pipeline waterfall: a deal pulled in was open and expected "
                            "later, and now closes in the period; a slipped deal was expected in the period and now "
                            "closes later.", ("03_forecast",)),
    "Top-down / bottom-up quota": ("amount", "Top-down: the target (plus over-assignment) shared between reps by "
                                   "potential, history and forecast; bottom-up: the larger of the rep's forecast and "
                                   "weighted pipeline; the blend weighs them by the top-down weight.",
                                   ("05_quotas",)),
    "Time cost of a visit": ("amount", "The rep's yearly cost ÷ the visits a rep can make in a year (capacity): the "
                             "part of the cost per visit that is the rep's time.", ("08_field_tours",)),
    "Flagged rep": ("flag", "Attainment under the threshold (75% by default) in at least k of the last n months "
                    "(4 of 6); reps still ramping are not judged. The cause given is low activity or low conversion.",
                    ("06_performance", "08_field_tours")),
    "Backtest": ("months", "Forecasts made as if at each of the last months (rolling origins), each with only the "
                 "data before it, and compared with what was then invoiced.",
                 ("00_overview", "03_forecast", "05_quotas")),
    "Quarter / year to date": ("amount", "Revenue from the first day of the quarter (or year) to the end of the "
                               "month reported, against the same months a year before and their quotas.",
                               ("00_overview",)),
    "Potential": ("amount", "An account's estimated yearly purchases, as the CRM export gives it.",
                  ("01_data_quality", "05_quotas", "07_scoring", "08_field_tours")),
    "Overdue visit": ("days", "Time since an account's last visit against the interval its class calls for; the "
                      "most overdue fill next week's routes first.", ("08_field_tours",)),
    "Forecast methods": ("", "Prophet (trend and yearly seasonality), ETS (exponential smoothing, damped trend), "
                         "Theta, ARIMA (autoregression on the differences from a year before), and the baselines "
                         "naive (last month), seasonal naive (same month last year) and moving average (last 3 "
                         "months); the forecast is the mean of ETS, Theta and seasonal naive, the others are scored "
                         "for comparison.", ("03_forecast",)),
    "Reconciled WAPE": ("%", "The backtest WAPE of a series' forecast after reconciliation (made to add up with "
                        "the series above and below it), beside its own backtest WAPE.", ("03_forecast",)),
    "Km saved": ("km", "A day's route in the order the routing solver found against visiting in order of urgency "
                 "(naive km), both from the rep's base and back.", ("08_field_tours",)),
    "Day hours": ("hours", "Driving (road km ÷ speed) plus the meetings of a field day, from the base and back; "
                  "a day over the policy's longest day is named.", ("08_field_tours",)),
    "Excess discount": ("points", "Discount given − the largest discount the guideline allows for the product "
                        "family and segment, in percentage points; the approver is the one the approval levels "
                        "name for that excess.", ("04_pricing",)),
    "Quota vs potential": ("correlation −1 to 1", "Correlation between reps' quotas and their territories' "
                           "potential: near 1, quotas follow potential.", ("05_quotas",)),
    "Pocket share": ("%", "Pocket price ÷ list price: the share of the list value a sale really brings in.",
                     ("04_pricing",)),
    "P90 discount": ("%", "The discount that 90% of the lines stay at or under (the 90th percentile): the deep "
                     "discounts, where the average hides them.", ("04_pricing",)),
    "Breach rate": ("%", "Share of order lines whose discount is beyond the guideline.", ("04_pricing",)),
    "Sales velocity per month": ("amount per month", "Sales velocity × 30 days: the revenue the pipeline turns "
                                 "into in a month at the current pace.", ("10_activity_pipeline",)),
    "Time series forecast": ("amount", "The statistical forecast of revenue (see Forecast), beside run-rate and "
                             "pipeline figures in the outlook table.", ("03_forecast",)),
    "Revenue per activity hour": ("amount per hour", "A rep's revenue in the window ÷ the hours of activity "
                                  "(calls, meetings, visits) logged in it.", ("06_performance",)),
    "Similarity": ("score 0–100", "How alike two records' names are once normalised (an edit-distance "
                   "ratio: 100 = identical); a pair is a probable duplicate above the threshold in the parameters, "
                   "with the phone or email as a second clue.", ("01_data_quality",)),
    "Surveys followed": ("count", "Pulse surveys whose following months the data cover, so that who left within "
                         "them can be counted.", ("09_team_pulse",)),
    "Activity vs team": ("%", "A rep's logged activity per month ÷ that of the team's median rep: well under "
                         "100% gives low activity as the cause of a flag, else low conversion.", ("06_performance",)),
    "Months under": ("months", "Of the last n months (6 by default), those in which the rep's attainment was under "
                     "the accountability threshold.", ("06_performance",)),
    "Median rep": ("", "For each indicator, the median across a team's reps not on their ramp: the yardstick of "
                   "the colours, not the team's total.", ("06_performance",)),
    "Set by": ("rule", "Which rule fixed a proposed quota: the blend of top-down and bottom-up, the rep's forecast "
               "(a quota is never under it), the largest change allowed, the ramp of a new hire, or kept because the "
               "rep reached their quota.", ("05_quotas",)),
    "Quota this month": ("amount", "The rep's quota on file for the month reported: the base the proposal's "
                         "largest change and kept rules work from.", ("05_quotas",)),
    "Accurate / erratic": ("class", "A rep's monthly calls are accurate when their total absolute error is within "
                           "the tolerance (10%) of what they sold; erratic when neither accurate nor consistently "
                           "under or over (see Sandbagging / over-optimistic).", ("03_forecast",)),
    "Own forecast": ("amount", "A series' forecast from its own history, before reconciliation shares the forecast "
                     "above it out; the forecast shown beside it is the reconciled one.", ("03_forecast", "05_quotas")),
    "Too new to forecast": ("", "A rep with fewer than 3 months of sales: no forecast of their own is shown or used "
                            "(their quota follows the ramp; no forecast ÷ quota); their part of the team's forecast is "
                            "the average of their months so far.", ("00_overview", "03_forecast", "05_quotas")),
    "Share of activity / visits on A accounts": ("%", "Of a rep's logged activities (or field visits) in the window, "
                                                 "the share with class-A accounts; n/a for a rep who owns no class-A "
                                                 "account.", ("06_performance",)),
    "Expected pay": ("amount", "What the commission plan would pay on the proposed quotas if each rep sells their "
                     "forecast (forecast attainment = forecast ÷ proposed quota).", ("05_quotas",)),
    "Potential below its sales": ("account", "An account whose revenue of the last 12 months exceeds its stated "
                                  "yearly potential: the potential is out of date (it feeds scores, the quota split "
                                  "and the fairness check).", ("01_data_quality",)),
    "Travel cost": ("amount", "Per visit: twice the km from the rep's base to the account × the cost per km in "
                    "the visit policy.", ("08_field_tours",)),
}


def _shown_in(reports: tuple[str, ...], links: dict[str, dict[str, str]]) -> str:
    """The reports that show a figure, each a link to its first written copy (the organisation's) when the run wrote
    it."""
    esc = html.escape
    return ", ".join(f'<a href="{esc(next(iter(links[r].values())))}" data-report="{esc(r)}">'
                     f"{esc(REPORTS[r].title)}</a>" if links.get(r) else esc(REPORTS[r].title) for r in reports)


# Opened from a team's report (glossary.html?team=north), the links go to that team's copies.
TEAM_LINKS = """const team = new URLSearchParams(location.search).get("team");
const pages = JSON.parse(document.getElementById("pages").textContent);
if (team) {
  for (const a of document.querySelectorAll("a[data-report]")) {
    const page = (pages[a.dataset.report] || {})[team];
    if (page) a.href = page;
  }
}"""


def glossary_html(month: str = "", links: dict[str, dict[str, str]] | None = None) -> str:
    """The month's glossary page (in the month's folder), linking back to its index and to the reports that show
    each figure (`links`: report name → team → path from the glossary); opened from a team's report, the links go
    to that team's copies."""
    links = links or {}
    rows = "".join(f"<tr><th id=\"{html.escape(name.lower().replace(' ', '-'))}\">{html.escape(name)}</th>"
                   f"<td>{html.escape(unit)}</td><td>{html.escape(text)}</td><td>{_shown_in(where, links)}</td></tr>"
                   for name, (unit, text, where) in sorted(GLOSSARY.items(), key=lambda kv: kv[0].lower()))
    pages = json.dumps(links).replace("<", "\\u003c")
    back = f"← all reports of {datetime.strptime(month, '%Y-%m'):%B %Y}" if month else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>salesnb — glossary</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .45rem .6rem; text-align: left; vertical-align: top; }}
th {{ white-space: nowrap; }}
</style></head><body>
{f'<p><a href="index.html">{html.escape(back)}</a></p>' if month else ""}
<h1>Glossary</h1>
<p>Every figure the reports show, with its one name, its unit and how it is computed. "Shown in" opens the
organisation's report, or your team's when you came here from a team's report.</p>
<table><thead><tr><th>figure</th><th>unit</th><th>definition</th><th>shown in</th></tr></thead>
<tbody>{rows}</tbody></table>
<script type="application/json" id="pages">{pages}</script>
<script>{TEAM_LINKS}</script>
</body></html>
"""
