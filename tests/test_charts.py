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
