"""One name, one unit and one definition per figure, on a page every report links to."""

from __future__ import annotations

import html

# name: (unit, definition, reports that show it)
GLOSSARY: dict[str, tuple[str, str, str]] = {
    "Revenue": ("amount", "Quantity × list price × (1 − discount) of the order lines invoiced in the month; credit "
                "lines (negative quantities) are netted off.", "overview, reporting, forecast, pricing, quotas"),
    "Margin": ("amount", "Revenue − quantity × unit cost.", "overview, reporting"),
    "Margin rate": ("%", "Margin ÷ revenue; its change is in percentage points.", "overview, reporting"),
    "Forecast": ("amount", "Next months' revenue of a series (organisation, team or rep): month by month, the "
                 "median of the three methods with the smallest rolling-origin backtest error, reconciled so that "
                 "reps add up to their team and teams to the organisation. Made once per run, so a rep's forecast "
                 "is the same in every report.", "overview, forecast, quotas"),
    "WAPE": ("%", "Backtest error: total absolute error ÷ total actual revenue (lower is better).", "forecast"),
    "MASE": ("ratio", "Mean absolute error ÷ that of the seasonal naive method in the training months (below 1 "
             "beats it).", "forecast"),
    "Bias": ("% change", "(Total forecast − total actual) ÷ total actual: positive = forecast too high, "
             "negative = too low (every forecast error on every page has this sign).", "forecast"),
    "Interval coverage": ("%", "Share of backtest actuals inside the stated interval (80% by default).",
                          "forecast"),
    "Reps' call vs actual": ("% change", "(What reps called − actual revenue) ÷ actual revenue, the sign of bias: "
                           "positive = they called more than they sold, negative = less.", "overview, forecast"),
    "Commit": ("amount", "Open deals in forecast category commit expected to close next month, as the month left "
               "them (the first pipeline snapshot after it; the export when there is none).",
               "forecast, activity & pipeline"),
    "Open pipeline": ("amount", "Open deals expected to close in a month, as the month left them.",
                      "forecast, activity & pipeline"),
    "Weighted pipeline": ("amount", "Open pipeline × the win rate measured on the organisation's closed deals at "
                          "each stage (not the probability typed in the CRM).", "forecast, quotas, activity"),
    "Pipeline coverage": ("× (multiple)", "Open pipeline closing next month ÷ the part of next month's quota "
                          "that deals must bring (quota × the share of the last 12 months' revenue that won deals "
                          "brought): 3× is the usual comfort, under 2× is short.",
                          "overview, forecast, activity & pipeline"),
    "Win rate": ("%", "Deals won ÷ deals closed (won or lost) in the window.", "overview, performance, activity"),
    "Quota attainment": ("%", "Revenue ÷ quota for the month.", "overview, quotas, performance, team pulse"),
    "Quota proposal": ("amount", "Next month's quota per rep, made once for the whole organisation (top-down, "
                       "bottom-up, blended, then the rules); a team report shows its reps' part of it.", "quotas"),
    "Pay ÷ revenue": ("%", "Base and variable pay under the commission plan ÷ the revenue it paid for.", "quotas"),
    "Cost of sales": ("ratio", "A rep's full yearly cost (salary and charges) for the window ÷ their revenue.",
                      "performance"),
    "Challenge progress": ("%", "The whole organisation's score on the challenge metric ÷ its collective target; "
                           "a team report shows the same figure and the team's part of the score.", "performance"),
    "Guideline compliance": ("%", "Share of order lines whose discount is within the maximum allowed for the "
                             "product (or the override of its family and segment).", "pricing"),
    "Amount lost beyond guideline": ("amount", "List value × the discount given beyond the guideline.",
                                     "pricing"),
    "Pocket price": ("amount", "Invoice price − rebates − freight: what a sale really brings in.", "pricing"),
    "Data hygiene": ("score 0–100", "Share of owned CRM records (accounts, contacts, opportunities) with no "
                     "quality problem, × 100.", "overview, data quality"),
    "eNPS": ("score −100 to +100", "% promoters (9–10) − % detractors (0–6, or 1–6 on a 1–10 scale) in a pulse "
             "survey; never shown for a group with fewer respondents than the anonymity threshold.",
             "overview, team pulse"),
    "Response rate": ("%", "Respondents ÷ reps in the team on the survey date.", "team pulse"),
    "Run-rate": ("amount", "Mean revenue of the last three months.", "forecast"),
    "Sales velocity": ("amount per day", "Open deals × win rate × mean won deal ÷ mean cycle in days.",
                       "activity & pipeline"),
    "Conversion": ("%", "Of the deals closed in the window that reached a stage, the share that reached the next.",
                   "activity & pipeline"),
    "Load": ("%", "Visits the policy requires of a rep ÷ the visits a rep can make in a year.", "field tours"),
    "Spread and Gini of attainment": ("points, 0–1", "90th minus 10th percentile of reps' attainment; Gini: 0 when "
                                      "every rep attains the same, toward 1 when attainment is concentrated.",
                                      "quotas"),
    "Attrition after a survey": ("%", "Reps of the team on the survey date who left in the following months "
                                 "(none shown until those months are over).", "team pulse"),
    "Cost per visit": ("amount", "The rep's yearly cost ÷ visits a year, plus the round trip at the cost per km.",
                       "field tours"),
    "Forecast ÷ quota": ("%", "Next month's revenue forecast ÷ the quotas on file for that month: the attainment "
                         "the forecast points to.", "overview, forecast"),
    "Best case": ("amount", "Open deals in forecast category best case expected to close in the month: upside on "
                  "top of commit.", "forecast"),
    "Quota from deals": ("amount", "Quota × the share of the last 12 months' revenue that won deals brought: the "
                         "part of quota the pipeline must cover (the rest comes from repeat orders and contracts).",
                         "forecast, activity & pipeline"),
    "Over-assignment": ("%", "Sum of the reps' quotas ÷ the target − 1: the cushion against reps who miss.",
                        "quotas"),
    "Ramp": ("%", "Share of a full quota a new hire carries, by months of tenure (from the parameters).",
             "quotas, performance"),
    "Sandbagging / over-optimistic": ("class", "A rep whose monthly forecasts are consistently (70% of months or "
                                      "more) and markedly (median more than 10%) under / over what they then sold.",
                                      "forecast"),
    "ABC class": ("A, B, C", "Customers ranked by revenue over 12 months: A make the first 80% of it, B the next "
                  "15%, C the rest (Pareto).", "scoring, field tours"),
    "Points score": ("points", "The sum of the points an account earns on each criterion of the points scale "
                     "(\"barème\") in the parameters; each score lists its reasons.", "scoring"),
    "Required visits": ("visits a year", "Σ over a rep's accounts of the visits a year their class calls for in "
                        "the visit policy.", "field tours"),
    "Capacity": ("visits a year", "Working days × share of time in the field × visits a day.", "field tours"),
    "Revenue per planned visit": ("amount", "An account's revenue over 12 months ÷ the visits a year its class "
                                  "calls for in the visit policy.", "field tours"),
    "Revenue per visit made": ("amount", "A rep's revenue in the window ÷ the field visits they made in it.",
                               "performance"),
    "Cycle length": ("days", "From a deal's creation to its close, over deals closed in the window.",
                     "activity & pipeline"),
    "Time in stage": ("days", "Days a deal spent in a stage, measured from its stage history (snapshots).",
                      "activity & pipeline"),
    "Hygiene problems per 100 records": ("per 100", "Quality problems found ÷ records owned, × 100.",
                                         "data quality"),
}


def glossary_html(month: str = "") -> str:
    """The glossary page, linking back to the index of the month just published."""
    rows = "".join(f"<tr><th id=\"{html.escape(name.lower().replace(' ', '-'))}\">{html.escape(name)}</th>"
                   f"<td>{html.escape(unit)}</td><td>{html.escape(text)}</td><td>{html.escape(where)}</td></tr>"
                   for name, (unit, text, where) in sorted(GLOSSARY.items()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>salesnb — glossary</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .45rem .6rem; text-align: left; vertical-align: top; }}
th {{ white-space: nowrap; }}
</style></head><body>
{f'<p><a href="{html.escape(month)}/index.html">← reports of {html.escape(month)}</a></p>' if month else ""}
<h1>Glossary</h1>
<p>Every figure the reports show, with its one name, its unit and how it is computed.</p>
<table><thead><tr><th>figure</th><th>unit</th><th>definition</th><th>shown in</th></tr></thead>
<tbody>{rows}</tbody></table>
</body></html>
"""
