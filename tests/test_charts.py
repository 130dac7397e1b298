import io

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from salesnb.report import charts  # noqa: E402

NAMES = ["Dupont $\\undefinedmacro{x}$ SA", "Shop $5 and $6", "Martin"]


def _draw() -> bytes:
    table = pd.DataFrame({"revenue": [3.0, 2.0, 1.0]}, index=NAMES)
    fig = charts.ranked_bars(table, "revenue", "Top accounts of $x$ team")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sorted(labels) == sorted(NAMES)
    return buffer.getvalue()


def test_names_with_dollar_signs_are_drawn_as_text():
    charts.apply_theme()
    assert _draw().startswith(b"\x89PNG")


def test_without_the_theme_matplotlib_would_parse_them_as_mathtext():
    with matplotlib.rc_context({"text.parse_math": True}), pytest.raises(ValueError):
        _draw()


def test_a_waterfall_starts_at_zero_and_labels_each_bar_as_an_amount(in_euros):
    small = pd.Series({"list": 100_000.0, "discount": -12_000.0, "rebates": 0.0, "net": 88_000.0})
    ax = charts.waterfall_chart(small, "Price").axes[0]
    low, high = ax.get_ylim()
    assert low == 0 and high == pytest.approx(112_000)  # a bar's height is its amount; room above for labels
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["€100.0k", "-€12.0k", "€0", "€88.0k"] and ax.get_title() == "Price"
    big = pd.Series({"start": 100.0, "won": -30.0, "lost": -50.0, "end": 20.0})
    assert [t.get_text() for t in charts.waterfall_chart(big, "Pipeline").axes[0].texts] == [
        "€100", "-€30", "-€50", "€20"]


def test_a_territory_map_tells_38_reps_apart_and_names_them():
    assert len(set(charts.rep_colours(38))) == 38 and charts.rep_colours(3) == charts.PALETTE[:3]
    plan = pd.DataFrame({"owner_rep_id": ["R1", "R2"], "lat": [48.0, 49.0], "lon": [2.0, 3.0]})
    bases = pd.DataFrame({"base_lat": [48.0], "base_lon": [2.0]}, index=["R1"])
    ax = charts.territory_map(plan, bases, "Accounts", {"R1": "Ana Alpha"}).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Ana Alpha", "R2"]
    cities = pd.DataFrame({"lat": [48.5, 60.0], "lon": [2.5, 2.5]}, index=["Paris", "Oslo"])
    ax = charts.territory_map(plan, bases, "Accounts", cities=cities).axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts[:-1] == ["Paris"]  # a landmark outside the accounts' extent is not drawn
    # a scale bar instead of degree ticks: about 1.1 degree of longitude at 48.5° is 81 km wide, a fifth is 16
    assert texts[-1] == "10 km" and not ax.get_xticks().size and not ax.get_yticks().size


def test_attainment_chart_greys_the_reps_still_ramping():
    from matplotlib.colors import to_hex

    att = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["Ana", "Bo", "Cy"], "team": "north",
                        "attainment": [1.1, 0.5, 0.95]})
    ax = charts.attainment_chart(att, "Attainment", ramping=["R2"]).axes[0]
    bars = zip(ax.get_yticklabels(), ax.patches, strict=True)
    colours = {t.get_text(): to_hex(bar.get_facecolor()) for t, bar in bars}
    assert colours == {"Bo": charts.PALETTE[5], "Cy": charts.AMBER, "Ana": charts.PALETTE[2]}  # one team: no bracket


def test_ranked_bars_say_when_they_show_the_top_of_a_longer_table():
    table = pd.DataFrame({"revenue": [5.0, 4.0, 3.0, 2.0]}, index=list("abcd"))
    assert charts.ranked_bars(table, "revenue", "Revenue by rep", top=3).axes[0].get_title() == (
        "Revenue by rep (top 3 of 4)")
    assert charts.ranked_bars(table, "revenue", "Revenue by rep", top=4).axes[0].get_title() == "Revenue by rep"
