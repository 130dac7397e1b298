"""The shared plot theme and the charts the reports draw."""

from __future__ import annotations

import matplotlib.patheffects as patheffects
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from cycler import cycler

from salesnb.core import money
from salesnb.core.scope import is_org

PALETTE = ["#1f4e79", "#e07b39", "#3a9d7a", "#b23a48", "#7b6fa8", "#8c8c8c"]
AMBER = "#e0a100"  # 90-100% of quota, as the overview's default thresholds


def apply_theme() -> None:
    """One look for every report: seaborn's white grid (the style sheet matplotlib ships, so a report does not pay
    seaborn's second of imports), readable fonts, the salesnb palette."""
    plt.style.use(["seaborn-v0_8-whitegrid", "seaborn-v0_8-notebook"])
    plt.rcParams.update({
        "axes.prop_cycle": cycler(color=PALETTE),
        "figure.figsize": (9, 4), "figure.dpi": 90, "axes.titlesize": 13,
        "axes.titleweight": "bold", "axes.spines.top": False, "axes.spines.right": False,
        "text.parse_math": False,  # a CRM name with two dollar signs is a name, not a formula
    })


def _amounts(ax: plt.Axes, axis: str = "y") -> None:
    """Amount ticks with as many digits as the step between them needs (250k, 1.5M) and the currency as label."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(mticker.EngFormatter(sep=""))
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(money.current().label)


def _legend(ax: plt.Axes) -> None:
    """The legend beside the plot, never over the lines."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)


def revenue_trend(trend: pd.DataFrame, title: str) -> plt.Figure:
    """Monthly revenue and margin as grouped bars."""
    fig, ax = plt.subplots()
    x = np.arange(len(trend))
    ax.bar(x - 0.2, trend["revenue"].to_numpy(), 0.4, label="revenue", color=PALETTE[0])
    ax.bar(x + 0.2, trend["margin"].to_numpy(), 0.4, label="margin", color=PALETTE[1])
    ax.set_xticks(x, [m.strftime("%Y-%m") for m in trend.index], rotation=90)
    ax.set(title=title, xlabel="")
    _amounts(ax)
    _legend(ax)
    fig.tight_layout()
    return fig


def ranked_bars(table: pd.DataFrame, value: str, title: str, top: int = 15) -> plt.Figure:
    """Horizontal bars of the `top` largest values, labelled by the table's index (the title says when it is the
    top of a longer table)."""
    data = table[value].head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, max(2.5, 0.35 * len(data) + 1)))
    ax.barh([str(i) for i in data.index], data.to_numpy(), color=PALETTE[0])
    cut = f" (top {top} of {len(table)})" if len(table) > top else ""
    ax.set(title=title + cut, ylabel="")
    _amounts(ax, "x")
    fig.tight_layout()
    return fig


def forecast_chart(history: pd.Series, forecast: pd.DataFrame, title: str) -> plt.Figure:
    """History, the headlined forecast and its interval."""
    fig, ax = plt.subplots()
    ax.plot(history.index, history.to_numpy(), color=PALETTE[0], marker="o", ms=3, label="actual")
    joined = pd.concat([history.iloc[-1:].rename("yhat").to_frame(), forecast[["yhat"]]])
    ax.plot(joined.index, joined["yhat"], color=PALETTE[1], marker="o", ms=3, ls="--",
            label="forecast")
    if forecast["lower"].notna().all():
        ax.fill_between(forecast.index, forecast["lower"], forecast["upper"], color=PALETTE[1],
                        alpha=0.2, label="interval")
    ax.set(title=title, xlabel="")
    _amounts(ax)
    _legend(ax)
    fig.tight_layout()
    return fig


def waterfall_chart(steps: pd.Series, title: str, totals: tuple[str, ...] | None = None,
                    good: tuple[str, ...] = ("won",)) -> plt.Figure:
    """A waterfall: total bars (first and last unless named) and the steps between them, each labelled with its
    amount; a step named in `good` (deals won) is never drawn as a loss, whatever its sign."""
    totals = totals or (steps.index[0], steps.index[-1])
    fig, ax = plt.subplots(figsize=(max(6.4, 0.75 * len(steps)), 4.8))  # room for every step's label
    bottoms, heights, colors, level = [], [], [], 0.0
    for name, value in steps.items():
        if name in totals:
            level = value
            bottoms.append(0.0)
            heights.append(value)
            colors.append(PALETTE[0])
        else:
            bottoms.append(level if value >= 0 else level + value)
            heights.append(abs(value))
            colors.append(PALETTE[2] if value >= 0 or name in good else PALETTE[3])
            level += value
    bars = ax.bar([str(s).replace("_", " ") for s in steps.index], heights, bottom=bottoms, color=colors)
    ax.bar_label(bars, labels=[money.short(v, signed=name not in totals) for name, v in steps.items()], fontsize=7)
    ax.set(title=title, xlabel="")
    _amounts(ax)
    top = max(b + h for b, h in zip(bottoms, heights, strict=True))
    ax.set_ylim(0, top * 1.12)  # from 0, so that a bar's height is its amount; room for the labels
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig


def plan_vs_actual_chart(gap: pd.DataFrame, title: str) -> plt.Figure:
    """Reps' call, actual and quota per month."""
    fig, ax = plt.subplots()
    for col, name, color, style in (("actual", "actual", PALETTE[0], "-"), ("forecast", "reps' call", PALETTE[1], "--"),
                                    ("quota", "quota", PALETTE[5], ":")):
        if gap[col].notna().any():
            ax.plot(gap.index, gap[col], color=color, ls=style, marker="o", ms=3, label=name)
    ax.set(title=title, xlabel="")
    _amounts(ax)
    _legend(ax)
    fig.tight_layout()
    return fig


def pareto_chart(abc: pd.DataFrame, a_share: float, b_share: float, title: str) -> plt.Figure:
    """Cumulative share of revenue against share of accounts, with the A and B lines."""
    fig, ax = plt.subplots()
    x = np.arange(1, len(abc) + 1) / max(len(abc), 1)
    ax.plot(x, abc["cumulative_share"].to_numpy(), color=PALETTE[0])
    for share, name, color in ((a_share, "A", PALETTE[1]), (b_share, "B", PALETTE[2])):
        ax.axhline(share, color=color, ls="--", lw=1)
        ax.text(0.01, share, f"{name}: up to {share:.0%} of revenue", va="bottom", color=color)  # left: under the curve
    ax.set(title=title, xlabel="share of accounts (largest first)", ylabel="share of revenue")
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1))
    fig.tight_layout()
    return fig


def score_histogram(scores: pd.Series, groups: pd.Series, title: str) -> plt.Figure:
    """Distribution of scores, one colour per group."""
    import seaborn as sns

    fig, ax = plt.subplots()
    sns.histplot(x=scores.to_numpy(), hue=groups.to_numpy(), multiple="dodge", shrink=0.8, ax=ax,
                 bins=20)
    ax.set(title=title, xlabel="score", ylabel="accounts")
    fig.tight_layout()
    return fig


def weekly_activity(weekly: pd.DataFrame, title: str) -> plt.Figure:
    """Activities per week, one line per type."""
    fig, ax = plt.subplots()
    for i, col in enumerate(c for c in weekly.columns if c != "total"):
        ax.plot(weekly.index, weekly[col], label=col, color=PALETTE[i % len(PALETTE)], marker="o", ms=3)
    ax.set(title=title, xlabel="week starting", ylabel="activities")
    _legend(ax)
    fig.tight_layout()
    return fig


def attainment_chart(att: pd.DataFrame, title: str, ramping: list[str] = ()) -> plt.Figure:
    """Attainment per rep, grouped by team, with the 100% line; reps still ramping in grey (not judged), the team in
    brackets only when there are several."""
    data = att.sort_values(["team", "attainment"])
    fig, ax = plt.subplots(figsize=(9, max(3, 0.28 * len(data) + 1)))
    colors = [PALETTE[5] if r in ramping else PALETTE[2] if a >= 1 else AMBER if a >= 0.9 else PALETTE[3]
              for r, a in zip(data["rep_id"], data["attainment"].fillna(0), strict=True)]
    several = data["team"].nunique() > 1
    ax.barh([f"{n} ({t})" if several else str(n) for n, t in zip(data["name"], data["team"], strict=True)],
            data["attainment"].fillna(0), color=colors)
    ax.axvline(1.0, color="#333", lw=1)
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1))
    ax.set(title=title, xlabel="attainment", ylabel="")
    fig.tight_layout()
    return fig


def pacing_chart(pace: pd.DataFrame, title: str) -> plt.Figure:
    """Cumulative share of the month's revenue by day against a linear month."""
    fig, ax = plt.subplots()
    ax.plot(pace.index, pace["cumulative_share"], color=PALETTE[0], label="actual")
    ax.plot(pace.index, pace["linear"], color=PALETTE[5], ls="--", label="linear")
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1))
    ax.set(title=title, xlabel="day of month", ylabel="share of month's revenue")
    _legend(ax)
    fig.tight_layout()
    return fig


def payout_chart(curve: pd.DataFrame, title: str, kinks: pd.DataFrame | None = None) -> plt.Figure:
    """The payout curve: variable multiple by attainment, each of its `kinks` marked and labelled."""
    fig, ax = plt.subplots()
    ax.plot(curve.index, curve["variable_multiple"], color=PALETTE[0])
    ax.axvline(1.0, color="#333", lw=1, ls=":")
    for name, k in (kinks if kinks is not None else pd.DataFrame()).iterrows():
        ax.plot(k["attainment"], k["variable_multiple"], "o", color=PALETTE[3], ms=4)
        ax.annotate(f"{name}\n{k['attainment']:.0%} → ×{k['variable_multiple']:.2f}",
                    (k["attainment"], k["variable_multiple"]), textcoords="offset points", xytext=(-4, 8),
                    ha="right", fontsize=7)
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1))
    ax.set(title=title, xlabel="attainment", ylabel="× variable target")
    fig.tight_layout()
    return fig


def gauge(share: float, title: str) -> plt.Figure:
    """A half-circle gauge of progress toward a target (full at 100%)."""
    fig, ax = plt.subplots(figsize=(5, 3), subplot_kw={"aspect": "equal"})
    done = min(max(share, 0.0), 1.0)
    ax.pie([done, 1 - done, 1.0], colors=[PALETTE[2], "#e5e5e5", "white"], startangle=180,
           counterclock=False, wedgeprops={"width": 0.35})
    ax.text(0, -0.15, f"{share:.0%}", ha="center", va="center", fontsize=22, fontweight="bold")
    ax.set_ylim(-0.4, 1.1)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def enps_chart(surveys: pd.DataFrame, title: str, band: str) -> plt.Figure:
    """eNPS over time per team, only for the groups that may be shown; the `band` group with its 95% interval."""
    fig, ax = plt.subplots()
    shown = surveys[surveys["shown"]]
    for i, (team, g) in enumerate(shown.groupby("team")):
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(g["survey_date"], g["enps"], marker="o", ms=3, color=colour,
                label="whole organisation" if is_org(str(team)) else str(team))
        if team == band:
            ax.fill_between(g["survey_date"], g["enps_low"], g["enps_high"], color=colour, alpha=0.15, lw=0)
    ax.axhline(0, color="#333", lw=0.8)
    ax.set(title=title, xlabel="", ylim=(-100, 100),
           ylabel=f"eNPS (band: {'whole organisation' if is_org(band) else band}, 95% interval)")
    if len(shown):
        _legend(ax)
    fig.tight_layout()
    return fig


def _cities(ax: plt.Axes, cities: pd.DataFrame | None) -> None:
    """Name the cities that fall inside the map drawn so far (landmarks, since there are no map tiles)."""
    if cities is None or cities.empty:
        return
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    inside = cities[cities["lon"].between(x0, x1) & cities["lat"].between(y0, y1)]
    for city, row in inside.iterrows():
        ax.annotate(str(city), (row["lon"], row["lat"]), fontsize=9, fontweight="bold", color="#222", ha="center",
                    va="bottom", xytext=(0, 5), textcoords="offset points", zorder=5,
                    path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])
        ax.plot(row["lon"], row["lat"], marker="+", ms=8, mew=2, color="#222", zorder=5)
    ax.set(xlim=(x0, x1), ylim=(y0, y1))


KM_PER_DEGREE = 111.32


def _as_map(ax: plt.Axes, lat: float, title: str) -> None:
    """A map without tiles: to scale at latitude `lat`, no degree ticks, and a scale bar in km."""
    ax.set_aspect(1 / np.cos(np.radians(lat)))
    ax.set(title=title, xlabel="", ylabel="", xticks=[], yticks=[])
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    km_per_degree = KM_PER_DEGREE * np.cos(np.radians(lat))
    span = (x1 - x0) * km_per_degree / 5
    km = next((k for k in (500, 200, 100, 50, 20, 10, 5, 2, 1) if k <= span), 1)
    x, y = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.05
    ax.plot([x, x + km / km_per_degree], [y, y], color="#222", lw=3, solid_capstyle="butt", zorder=6)
    ax.annotate(f"{km} km", (x, y), xytext=(0, 5), textcoords="offset points", fontsize=8, color="#222", zorder=6)


def route_map(week: pd.DataFrame, bases: pd.DataFrame, title: str, names: dict | None = None,
              cities: pd.DataFrame | None = None) -> plt.Figure:
    """Each day's route from the rep's base, one colour per rep, with the cities in view named (no map tiles:
    coordinates to scale)."""
    names = names or {}
    fig, ax = plt.subplots(figsize=(8, 6))
    colours = {rep: PALETTE[i % len(PALETTE)] for i, rep in enumerate(sorted(week["rep_id"].unique()))}
    named = set()
    for (rep, _), day in week.sort_values("stop").groupby(["rep_id", "date"]):
        b = bases.loc[rep]
        lat = [b["base_lat"], *day["lat"], b["base_lat"]]
        lon = [b["base_lon"], *day["lon"], b["base_lon"]]
        label = None if rep in named else str(names.get(rep, rep))
        named.add(rep)
        ax.plot(lon, lat, marker="o", ms=4, lw=1.2, alpha=0.85, color=colours[rep], label=label)
    ax.scatter(bases["base_lon"], bases["base_lat"], marker="s", s=60, color="black", zorder=3, label="base")
    _cities(ax, cities)
    _as_map(ax, week["lat"].mean() if len(week) else 46, title)
    _legend(ax)
    fig.tight_layout()
    return fig


def rep_colours(n: int) -> list:
    """`n` colours told apart on a map: the theme's, then matplotlib's 40 qualitative ones (tab20, tab20b)."""
    palette = PALETTE if n <= len(PALETTE) else [*plt.get_cmap("tab20").colors, *plt.get_cmap("tab20b").colors]
    return [palette[i % len(palette)] for i in range(n)]


def territory_map(plan: pd.DataFrame, bases: pd.DataFrame, title: str, names: dict | None = None,
                  cities: pd.DataFrame | None = None) -> plt.Figure:
    """Accounts coloured by owner, each rep's base a square, the main cities named, and a legend of reps beside
    the map."""
    names = names or {}
    located = plan.dropna(subset=["lat", "lon"])
    groups = list(located.groupby("owner_rep_id"))
    fig, ax = plt.subplots(figsize=(9, 6))
    for (rep, g), colour in zip(groups, rep_colours(len(groups)), strict=True):
        ax.scatter(g["lon"], g["lat"], s=12, color=colour, alpha=0.8, label=str(names.get(rep, rep)))
        if rep in bases.index:
            ax.scatter(bases.at[rep, "base_lon"], bases.at[rep, "base_lat"], marker="s", s=50,
                       color=colour, edgecolor="black", zorder=3)
    _cities(ax, cities)
    _as_map(ax, plan["lat"].mean() if plan["lat"].notna().any() else 46, title)
    if groups:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7, markerscale=2,
                  ncol=2 if len(groups) > 20 else 1, title="owner (square: base)", title_fontsize=7)
    fig.tight_layout()
    return fig
