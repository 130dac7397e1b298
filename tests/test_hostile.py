"""Every text of the demo CRM made hostile (markup, scripts, mathtext, quotes), a team name too: every report still
runs, and in a real browser no planted markup becomes an element and no planted script runs."""

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_runner import _browser, _console

from salesnb.data.demo import generate
from salesnb.data.schema import TABLES
from salesnb.report.registry import REPORTS
from salesnb.run.cli import main

ROOT = Path(__file__).resolve().parents[1]
SUFFIX = " <img src=x onerror=\"document.title='pwned'\"><b>bold<b> $x^2$ & 'q' \"dq\""
KEPT = {"question_id"}  # 'enps' marks the recommend question: a code, not a text

pytestmark = pytest.mark.notebook


def _hostile(folder: Path) -> None:
    for table in TABLES.values():
        path = folder / f"{table.name}.csv"
        if not path.exists():
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for f in table.fields:
            if f.kind == "str" and f.allowed is None and f.name in df.columns and f.name not in KEPT:
                df[f.name] = df[f.name].where(df[f.name] == "", df[f.name] + SUFFIX)
        df.to_csv(path, index=False)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("hostile")
    data = project / "data"
    generate(data, scale=0.3)
    _hostile(data)
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    (project / "params").mkdir()
    (project / "params" / "defaults.yaml").write_text(
        "data_dir: data\noutputs: outputs\nnotebooks_dir: notebooks\nworkers: 2\nforecasting: {backtest_months: 3}\n")
    plan = {"notebooks": sorted(REPORTS), "teams": ["all", "north" + SUFFIX], "months": ["2026-10"]}
    (project / "plan.yaml").write_text(yaml.safe_dump(plan))
    assert main(["run", "--params", str(project / "params"), "--plan", str(project / "plan.yaml"), "--quiet"]) == 0
    return project / "outputs" / "2026-10"


def test_every_report_runs_on_hostile_text(hostile_run):
    pages = sorted(hostile_run.glob("*/*.html"))
    assert len(pages) == 2 * len(list((ROOT / "notebooks").glob("*.ipynb")))


def test_no_planted_markup_or_script_comes_alive_in_a_browser(hostile_run, tmp_path):
    pages = [hostile_run / "index.html", *sorted(hostile_run.glob("*/*.html"))]
    shown = 0
    for page in pages:
        result = _browser(page.as_uri(), tmp_path / "chrome", "--dump-dom")
        dom = result.stdout
        assert re.search(r"<title>(.*?)</title>", dom, re.S).group(1).strip() != "pwned", page  # no script ran
        assert not re.search(r"<img src=\"x\"", dom), page  # the planted tag stayed text
        assert "<b>bold" not in dom, page
        assert _console(result) == [], page
        assert "Traceback" not in dom, page
        shown += "&lt;img src=x onerror=" in dom
    assert shown == len(pages)  # every page shows planted text, as text


def test_every_link_of_every_published_page_stays_in_the_month_folder(hostile_run):
    """Names reach URLs only percent-encoded: no href or src of a published page has a scheme (charts are inline
    images) or leaves the month's folder."""
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            self.found += [value for name, value in attrs if name in ("href", "src") and value]

    pages = [hostile_run / "index.html", hostile_run / "glossary.html", *sorted(hostile_run.glob("*/*.html"))]
    checked = 0
    for page in pages:
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.found:
            if link.startswith(("data:image/png;base64,", "#")):
                continue
            depth = len(page.relative_to(hostile_run).parts) - 1
            assert ":" not in link.split("/")[0] and not link.startswith("/"), (page.name, link)
            assert link.count("../") <= depth, (page.name, link)
            checked += 1
    assert checked > 100
