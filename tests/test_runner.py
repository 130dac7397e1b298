"""End-to-end runs of the batch runner on the tiny data (these start Jupyter kernels)."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from salesnb.core import cores
from salesnb.report.registry import REPORTS, Report, ReportParams
from salesnb.run.cli import main

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.notebook


def _register(monkeypatch, name: str) -> None:
    monkeypatch.setitem(REPORTS, name, Report(name, name, "reporting", ReportParams))


def _notebook(path, code: str) -> None:
    """A report notebook with the scope parameters and one cell of `code`."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('workspace = ""\nteam = "all"\nmonth = "2026-10"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, path)


def _failing_notebook(path, message="planted failure"):
    _notebook(path, f"raise ValueError({message!r})")


def _text(html: str) -> str:
    body = re.sub(r"<(style|script).*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def _run(project, *args):
    return main(["run", "--params", str(project / "params"), "--quiet", *args])


def test_batch_writes_every_report_and_marks_the_failure(project, capsys, monkeypatch):
    _register(monkeypatch, "99_fail")
    _failing_notebook(project / "notebooks" / "99_fail.ipynb")
    plan = project / "plan.yaml"
    plan.write_text('notebooks: [02_reporting, 99_fail]\nteams: ["*", all]\nmonths: [latest]\n')
    assert _run(project, "--plan", str(plan)) == 1
    month = project / "outputs" / "2026-10"
    for team in ("a", "b", "all"):
        assert (month / team / "02_reporting.html").exists()
        assert (month / team / "02_reporting.ipynb").exists()
        assert (month / team / "99_fail.error.ipynb").exists()
        assert not (month / team / "99_fail.html").exists()
        assert not [p for p in (month / team).iterdir() if p.name.startswith(".")]
    html_a = (month / "a" / "02_reporting.html").read_text()
    assert "team a invoiced €240 net, at a 25.0% margin: +166.7% vs the previous month" in html_a
    assert "sales_for(" not in html_a and "show.complete" not in html_a
    assert "salesnb: report complete" not in html_a
    html_all = (month / "all" / "02_reporting.html").read_text()
    assert "€390" in html_all and "Bo &lt;b&gt;Beta&lt;/b&gt;" in html_all
    assert "<b>Beta</b>" not in html_all
    index = (month / "index.html").read_text()
    assert index.count('class="ok"') == 3 and index.count('class="failed"') == 3
    assert "ValueError: planted failure" in index
    runs = json.loads((month / "runs.json").read_text())
    assert runs["a/02_reporting"]["status"] == "ok" and runs["b/99_fail"]["status"] == "failed"
    err = capsys.readouterr().err
    assert "FAILED 2026-10 a 99_fail: ValueError: planted failure" in err
    for published in (month / "index.html", month / "runs.json", month / "a" / "02_reporting.html",
                      month / "glossary.html"):
        assert published.stat().st_mode & 0o777 == 0o644, published  # readable by a web server, like reports
    assert 'href="glossary.html"' in index and 'href="../glossary.html?team=a"' in html_a
    assert 'href="../index.html"' in html_a
    glossary = (month / "glossary.html").read_text()  # each month keeps its own: the next one leaves it as it is
    assert '<a href="all/02_reporting.html" data-report="02_reporting">Sales reporting</a>' in glossary  # the org's
    assert '<a href="index.html">' in glossary


def test_failed_rerun_never_overwrites_a_good_report(project):
    assert _run(project, "--notebook", "02_reporting", "--team", "a") == 0
    report = project / "outputs" / "2026-10" / "a" / "02_reporting.html"
    good_html, good_nb = report.read_bytes(), report.with_suffix(".ipynb").read_bytes()
    nb_path = project / "notebooks" / "02_reporting.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("raise RuntimeError('bug introduced')"))
    nbformat.write(nb, nb_path)
    assert _run(project, "--notebook", "02_reporting", "--team", "a") == 1
    assert report.read_bytes() == good_html
    assert report.with_suffix(".ipynb").read_bytes() == good_nb
    assert report.with_suffix(".error.ipynb").exists()
    index = (report.parent.parent / "index.html").read_text()
    assert "RuntimeError: bug introduced" in index and 'href="a/02_reporting.html">earlier report</a>' in index


def _break(project, fn):
    path = project / "data" / "order_lines.csv"
    fn(pd.read_csv(path, dtype=str)).to_csv(path, index=False)


@pytest.mark.parametrize("breakage, expected", [
    (lambda df: df.assign(list_price=df["list_price"].where(df.index != 0, "douze")),
     "order_lines.csv: column 'list_price' has 1 value that cannot be read as a number (row 2)"),
    (lambda df: df.drop(columns="quantity"),
     "order_lines.csv: required column 'quantity' is missing"),
])
def test_broken_data_stops_before_any_kernel_and_keeps_reports(project, capsys, breakage,
                                                                 expected):
    assert _run(project, "--notebook", "02_reporting", "--team", "b") == 0
    report = project / "outputs" / "2026-10" / "b" / "02_reporting.html"
    good = report.read_bytes()
    capsys.readouterr()
    _break(project, breakage)
    assert _run(project, "--notebook", "02_reporting", "--team", "b") == 2
    err = capsys.readouterr().err
    assert err.startswith("salesnb: error: Cannot load data folder") and expected in err
    assert report.read_bytes() == good


def test_unknown_team_is_refused_with_the_known_teams(project, capsys):
    assert _run(project, "--notebook", "02_reporting", "--team", "nord") == 2
    assert "Unknown team 'nord'" in capsys.readouterr().err
    assert not (project / "outputs").exists()


def test_forecast_report_on_short_history_without_pipeline_tables(project):
    assert _run(project, "--notebook", "03_forecast", "--team", "a") == 0
    html = (project / "outputs" / "2026-10" / "a" / "03_forecast.html").read_text()
    assert "Only 13 months of sales history: a backtest needs at least 21. No accuracy is claimed" in html
    assert "No opportunities table: the pipeline-weighted forecast is skipped." in html
    assert "No forecast_submissions table: rep forecast accuracy is skipped." in html
    assert "Traceback" not in html


def test_forecast_report_with_opportunities_but_no_snapshots(project):
    pd.DataFrame({
        "opportunity_id": ["W1", "L1", "O1"], "account_id": ["A1", "A2", "A1"],
        "rep_id": ["R1", "R2", "R1"], "stage": ["won", "lost", "negotiation"],
        "amount": [100.0, 50.0, 80.0], "created_date": ["2026-01-01"] * 3,
        "close_date": ["2026-03-01", "2026-04-01", "2026-11-15"],
        "forecast_category": ["closed", "omitted", "commit"],
    }).to_csv(project / "data" / "opportunities.csv", index=False)
    assert _run(project, "--notebook", "03_forecast", "--team", "all") == 0
    html = (project / "outputs" / "2026-10" / "all" / "03_forecast.html").read_text()
    assert "No opportunity snapshots around this month: what moved in the pipeline cannot be said." in html
    # closed deals: W1 won (reached every stage), L1 lost with no snapshot (reached prospecting only)
    text = _text(html)
    assert "prospecting 2 1 50.0% qualification 1 1 100.0%" in text
    assert "commit 1 €80 €80 €80" in text  # weighted by negotiation's measured 100%


PAYLOAD = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


def _chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None and not os.environ.get("CI"):
        pytest.skip("chromium is not installed (CI installs it)")
    assert path, "chromium is required in CI"
    return path


def _browser(url: str, profile, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
         "--enable-logging=stderr", "--v=0", *extra, url],
        capture_output=True, text=True, timeout=120)


def _console(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


def test_console_check_sees_script_errors(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>missing_function();</script></body></html>")
    lines = _console(_browser(page.as_uri(), tmp_path / "chrome", "--dump-dom"))
    assert any("Uncaught ReferenceError" in line for line in lines)


def test_overview_is_first_and_opens_cleanly_in_a_browser(project, tmp_path):
    plan = project / "plan.yaml"
    plan.write_text("notebooks: [02_reporting, 00_overview]\nteams: [all]\nmonths: [latest]\n")
    assert _run(project, "--plan", str(plan)) == 0
    month = project / "outputs" / "2026-10"
    index = (month / "index.html").read_text()
    assert index.index("all/00_overview.html") < index.index("all/02_reporting.html")
    assert '<a class="start" href="all/00_overview.html">start here</a>' in index
    report = month / "all" / "00_overview.html"
    html = report.read_text()
    assert 'href="02_reporting.html">Sales reporting</a>' in html
    assert not re.findall(r'src="https?://', html)  # opens offline: no script from the web
    text = _text(html)
    assert "Revenue €390 +34.5% vs last month" in text
    assert "Not available from this data: Quota attainment" in text
    shot = ROOT / "outputs" / "test-artifacts" / "overview.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    result = _browser(report.as_uri(), tmp_path / "chrome", f"--screenshot={shot}",
                      "--window-size=1280,1000")
    assert _console(result) == []
    assert shot.stat().st_size > 10_000


def test_names_from_the_crm_stay_text_in_a_real_browser(project, tmp_path):
    accounts = project / "data" / "accounts.csv"
    df = pd.read_csv(accounts, dtype=str)
    df.loc[1, "name"] = PAYLOAD
    df.loc[1, "owner_rep_id"] = None  # "no owner": the account is listed with its name
    df.to_csv(accounts, index=False)
    assert _run(project, "--notebook", "01_data_quality", "--team", "all") == 0
    report = project / "outputs" / "2026-10" / "all" / "01_data_quality.html"
    html = report.read_text()
    assert "&lt;script&gt;document.title=" in html and "<script>document.title=" not in html
    fixes = pd.read_csv(report.parent / "data_quality_fix_list_all.csv")
    assert (report.parent / "data_quality_fix_list_all.xlsx").exists()
    assert fixes.loc[fixes["id"] == "A2", "name"].tolist() == [PAYLOAD]
    dom = _browser(report.as_uri(), tmp_path / "chrome", "--dump-dom").stdout
    assert "Customer and prospect data quality" in dom
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert "&lt;script&gt;document.title=" in dom


def test_scoring_report_on_partial_data_skips_what_it_cannot_score(project):
    assert _run(project, "--notebook", "07_scoring", "--team", "all") == 0
    folder = project / "outputs" / "2026-10" / "all"
    text = _text((folder / "07_scoring.html").read_text())
    assert ("Criteria skipped for lack of data: open_pipeline (needs opportunities), "
            "activities_90d (needs activities).") in text
    # 12 months to 2026-10: Zeta 200 + 50 + 100 = 350 (first, A), Acme 90 + 240 = 330 (A: crosses 80%)
    assert "2 accounts (100% of customers) make 100% of revenue" in text
    book = pd.read_csv(folder / "account_scores_all.csv")
    assert book[["account_id", "revenue_12m", "class"]].values.tolist() == [["A2", 350.0, "A"],
                                                                           ["A1", 330.0, "A"]]


def test_pricing_report_exports_breaches_and_skips_what_is_missing(project):
    assert _run(project, "--notebook", "04_pricing", "--team", "all") == 0
    folder = project / "outputs" / "2026-10" / "all"
    text = _text((folder / "04_pricing.html").read_text())
    # tiny data: only L5 (50% off a product allowed 50%) is at the limit, nothing beyond it
    assert "100% of 2 reps respect the price guidelines" in text
    assert "No opportunities table: discount vs win rate is skipped." in text
    assert pd.read_csv(folder / "pricing_breaches_all.csv").empty


def test_activity_pipeline_report_without_activities(project):
    pd.DataFrame({
        "opportunity_id": ["W1", "L1", "O1"], "account_id": ["A1", "A2", "A1"],
        "rep_id": ["R1", "R2", "R1"], "stage": ["won", "lost", "negotiation"],
        "amount": [100.0, 50.0, 80.0], "created_date": ["2026-08-01", "2026-08-15", "2026-09-01"],
        "close_date": ["2026-09-30", "2026-10-10", "2026-11-15"],
    }).to_csv(project / "data" / "opportunities.csv", index=False)
    assert _run(project, "--notebook", "10_activity_pipeline", "--team", "all") == 0
    text = _text((project / "outputs" / "2026-10" / "all" / "10_activity_pipeline.html").read_text())
    assert "No activities table: activity KPIs and the activity-to-result chain are skipped." in text
    # won W1: 60 days, 100; 1 open deal; win rate 1/2 -> velocity 1 x 0.5 x 100 / 60 per day
    assert "recent window 1 2 50.0% €100 60 60 €1 €25" in text
    assert "No stage history (opportunity_history), so stage-to-stage conversion, the bottleneck" in text
    assert "The bottleneck is" not in text  # current stages alone would make every later step 100%


@pytest.fixture
def demo_project(tmp_path, demo_dir):
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "defaults.yaml").write_text(
        f"data_dir: {demo_dir}\noutputs: outputs\nnotebooks_dir: {ROOT / 'notebooks'}\nworkers: 2\n")
    return tmp_path


def test_quota_proposals_match_two_growth_targets(demo_project, demo_dir):
    import duckdb
    with duckdb.connect(str(demo_dir / "workspace.duckdb"), read_only=True) as con:
        base = con.execute(
            "SELECT sum(o.quantity * o.list_price * (1 - o.discount)) FROM order_lines o "
            "WHERE o.order_date >= DATE '2025-11-01' AND o.order_date < DATE '2025-12-01'").fetchone()[0]
    months = demo_project / "outputs" / "2026-10"
    totals = {}
    for growth in (0.02, 0.15, 0.12):  # a change of quota this large leaves the floors (own forecast, achievers) under
        assert _run(demo_project, "--notebook", "05_quotas", "--team", "all", "--month", "2026-10",  # the plan
                    "-p", f"growth={growth}", "-p", "over_assignment=0.05", "-p", "max_change=10",
                    "-p", "spread=true") == 0  # floors taken from the other reps: quotas add up to the plan
        totals[growth] = pd.read_csv(months / "all" / "quota_proposal_2026-11_all.csv")["proposed_quota"].sum()
        if growth == 0.02:  # the rule gives less than the reps' forecast: the forecast is the target
            text = _text((months / "all" / "05_quotas.html").read_text())
            expected = float(re.search(r"Target: €([\d,]+), the statistical forecast", text)[1].replace(",", ""))
            assert expected > base * 1.02 and totals[growth] == pytest.approx(expected * 1.05, abs=0.5)
            continue
        assert totals[growth] == pytest.approx(base * (1 + growth) * 1.05, rel=1e-9, abs=0.5)  # cents
    text = _text((months / "all" / "05_quotas.html").read_text())
    assert f"Target: €{base:,.0f} (same month last year) × (1 +12.0%)" in text and "+5.0% on the target" in text
    assert "Policy used: target from larger (growth +12%)" in text  # static, not sliders
    # a team shows its part of the organisation's proposal: the same quota for the same rep
    assert _run(demo_project, "--notebook", "05_quotas", "--team", "north", "--month", "2026-10",
                "-p", "growth=0.12", "-p", "over_assignment=0.05", "-p", "max_change=10", "-p", "spread=true") == 0
    org = pd.read_csv(months / "all" / "quota_proposal_2026-11_all.csv").set_index("rep_id")["proposed_quota"]
    north = pd.read_csv(months / "north" / "quota_proposal_2026-11_north.csv").set_index("rep_id")["proposed_quota"]
    assert len(north) == 10 and (north - org.loc[north.index]).abs().max() < 1e-6
    folder = months / "north"
    assert "widget-view" not in (folder / "05_quotas.ipynb").read_text()


@pytest.mark.parametrize("param, message", [
    ('weights={"potential": 0.5, "history": 0.5, "forecast": 0.5}', "weights must be ≥ 0 and sum to 1"),
    ("target=-100.0", "target: Input should be greater than or equal to 0"),
    ('plan={"rate": 2.0, "cap": 1.5}', "cap (1.5) is below the rate paid at 100% (2)"),
])
def test_bad_quota_parameters_stop_before_any_kernel(demo_project, capsys, param, message):
    assert _run(demo_project, "--notebook", "05_quotas", "--team", "north", "-p", param) == 2
    assert message in capsys.readouterr().err
    assert not (demo_project / "outputs").exists()


def test_team_of_four_respondents_shows_no_enps_anywhere(project):
    # team a: 5 respondents, eNPS +20; team b: 4 respondents, eNPS -50 (must never show)
    pd.DataFrame({"response_id": [f"r{i}" for i in range(9)], "survey_date": "2026-10-15",
                  "team": ["a"] * 5 + ["b"] * 4, "question_id": "enps",
                  "score": [10, 9, 8, 7, 0, 10, 0, 0, 0]}).to_csv(project / "data" / "survey_answers.csv",
                                                                   index=False)
    assert _run(project, "--notebook", "09_team_pulse", "--team", "all") == 0
    assert _run(project, "--notebook", "09_team_pulse", "--team", "b") == 0
    month = project / "outputs" / "2026-10"
    for team in ("all", "b"):
        text = _text((month / team / "09_team_pulse.html").read_text())
        assert "-50" not in text
        assert "hidden: too few respondents" in text
    everyone = _text((month / "all" / "09_team_pulse.html").read_text())
    # a is hidden with b, or the total (9, -11) minus a (5, +20) would give b (4, -50)
    assert "whole organisation 2026-10-15 9" in everyone and "-11 -68 +46" in everyone  # eNPS carries its sign
    assert "+20 -46 +86" not in everyone and "20 -46 86" not in everyone
    assert "a 2026-10-15 n/a n/a n/a n/a n/a hidden" in everyone


def test_scorecards_render_without_survey_visit_or_activity_tables(project):
    assert _run(project, "--notebook", "06_performance", "--team", "all") == 0
    text = _text((project / "outputs" / "2026-10" / "all" / "06_performance.html").read_text())
    assert "Not in this workspace: quotas, activities, visits, opportunities" in text
    assert "No quotas table: attainment, and so the accountability flags, cannot be computed." in text
    assert "The challenge 'October meetings' counts meeting, which needs the activities table" in text
    assert "revenue growth effectiveness revenue vs the same months a year before" in text


def test_field_tours_report_lists_unroutable_accounts_and_exports_calendars(project):
    accounts = project / "data" / "accounts.csv"
    df = pd.read_csv(accounts, dtype=str)
    df["lat"], df["lon"] = ["48.85", None], ["2.35", None]
    df.to_csv(accounts, index=False)
    reps = project / "data" / "reps.csv"
    df = pd.read_csv(reps, dtype=str)
    df["base_lat"], df["base_lon"] = "48.80", "2.30"
    df.to_csv(reps, index=False)
    assert _run(project, "--notebook", "08_field_tours", "--team", "all") == 0
    folder = project / "outputs" / "2026-10" / "all"
    text = _text((folder / "08_field_tours.html").read_text())
    assert "1 accounts cannot be routed (no coordinates): Zeta (A2)." in text
    from icalendar import Calendar
    (ics,) = folder.glob("visits_*.ics")
    events = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Visit Acme"]


def test_a_report_past_its_wall_clock_limit_is_stopped(project, monkeypatch):
    _register(monkeypatch, "98_slow")
    _notebook(project / "notebooks" / "98_slow.ipynb", "import time\ntime.sleep(60)")
    defaults = project / "params" / "defaults.yaml"
    defaults.write_text(defaults.read_text() + "notebook_timeout: 4\n")
    assert _run(project, "--notebook", "98_slow", "--team", "a") == 1
    runs = json.loads((project / "outputs" / "2026-10" / "runs.json").read_text())
    assert runs["a/98_slow"]["message"] == "NotebookTimeout: stopped after 4 s (notebook_timeout)"


def _alive(pid: int) -> bool:
    """A process that still runs (a zombie waiting for its parent to read its status does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def _descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def test_a_kernel_and_what_it_started_are_stopped_at_the_time_limit(project, monkeypatch, tmp_path):
    _register(monkeypatch, "97_child")
    marker, own_session, orphan = tmp_path / "child.pid", tmp_path / "session.pid", tmp_path / "orphan.pid"
    _notebook(project / "notebooks" / "97_child.ipynb",
              f"import subprocess, time\nchild = subprocess.Popen(['sleep', '600'])\n"
              f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
              f"away = subprocess.Popen(['sleep', '601'], start_new_session=True)\n"  # setsid: not in the group
              f"open({str(own_session)!r}, 'w').write(str(away.pid))\n"
              f"subprocess.run(['sh', '-c', 'setsid sleep 602 & echo $! > {orphan}'])\n"  # its parent gone
              "time.sleep(60)")
    defaults = project / "params" / "defaults.yaml"
    defaults.write_text(defaults.read_text() + "notebook_timeout: 6\n")
    assert _run(project, "--notebook", "97_child", "--team", "a") == 1
    children = [int(p.read_text()) for p in (marker, own_session, orphan)]
    deadline = time.time() + 5
    while any(map(_alive, children)) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(map(_alive, children))


def _batch(project: Path) -> subprocess.Popen:
    plan = project / "plan.yaml"
    plan.write_text("notebooks: [02_reporting, 04_pricing, 06_performance, 01_data_quality]\nteams: [all, a, b]\n"
                    "months: ['2026-10']\n")
    return subprocess.Popen([str(Path(os.sys.executable).parent / "salesnb"), "run", "--params",
                             str(project / "params"), "--plan", str(plan), "--quiet", "--workers", "2"],
                            cwd=project, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_ctrl_c_on)


def _ctrl_c_on() -> None:
    """Ctrl-C as a terminal gives it, even when the tests run as a shell's background job (which ignores it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="ignore")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def _wait_for_kernels(batch: subprocess.Popen, count: int = 2, timeout: float = 120) -> set[int]:
    """The batch's processes once `count` kernels run (forked by its fork server, or started plainly)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        family = _descendants(batch.pid)
        kernels = [p for p in family if "ipykernel" in _cmdline(p)
                   or "forkserver" in _cmdline(p) and "forkserver" in _cmdline(_parent(p))]
        if len(kernels) >= count:
            return family
        time.sleep(0.3)
    raise AssertionError("the batch started no kernel")


def _leftovers(project: Path) -> list[Path]:
    return list((project / "outputs").rglob(".*"))


def test_ctrl_c_stops_the_batch_cleanly_and_records_what_did_not_finish(project):
    batch = _batch(project)
    family = _wait_for_kernels(batch)
    os.killpg(batch.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    out, err = batch.communicate(timeout=120)
    assert batch.returncode == 130, err[-2000:]
    assert "Traceback" not in err and "Interrupted:" in err
    time.sleep(1.5)
    assert not [p for p in family if _alive(p)]  # workers, kernels: all gone
    assert not _leftovers(project)
    runs = json.loads((project / "outputs" / "2026-10" / "runs.json").read_text())
    statuses = [r["status"] for r in runs.values()]
    assert len(runs) == 12 and "interrupted" in statuses and set(statuses) <= {"ok", "interrupted"}
    index = (project / "outputs" / "2026-10" / "index.html").read_text()
    assert index.count(">interrupted<") == statuses.count("interrupted")


def test_a_killed_batch_leaves_no_process_and_the_next_run_cleans_up(project):
    batch = _batch(project)
    family = _wait_for_kernels(batch)
    os.kill(batch.pid, signal.SIGKILL)
    batch.communicate(timeout=30)
    deadline = time.time() + 10
    while [p for p in family if _alive(p)] and time.time() < deadline:
        time.sleep(0.3)
    assert not [p for p in family if _alive(p)]  # workers die with the batch, kernels with their worker
    assert _leftovers(project)  # the killed reports' staging folders, until the next run
    assert _run(project, "--notebook", "02_reporting", "--team", "a") == 0
    assert not _leftovers(project)
    left = [re.match(r"salesnb-(?:kernel|fork)-(\d+)-", d.name) for d in Path(tempfile.gettempdir()).iterdir()]
    assert not [m for m in left if m and int(m[1]) in family | {batch.pid}]


def test_a_rerun_on_the_same_data_changes_no_file_and_shares_no_server_path(project, monkeypatch):
    assert _run(project, "--notebook", "04_pricing", "--team", "a") == 0
    folder = project / "outputs" / "2026-10" / "a"
    files = [*folder.iterdir(), folder.parent / "glossary.html"]
    first = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    assert _run(project, "--notebook", "04_pricing", "--team", "a") == 0
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == first
    _register(monkeypatch, "99_failing")
    _failing_notebook(project / "notebooks" / "99_failing.ipynb")
    assert _run(project, "--notebook", "99_failing", "--team", "a") == 1
    for shared in (folder / "04_pricing.ipynb", folder / "99_failing.error.ipynb"):
        text = shared.read_text()
        for server_path in (str(project), os.sys.prefix, os.sys.base_prefix, tempfile.gettempdir() + "/"):
            assert server_path not in text, (shared.name, server_path)
    assert '"../../../data/workspace.duckdb"' in (folder / "04_pricing.ipynb").read_text()


def test_a_kernel_killed_mid_report_fails_that_report_only(project, monkeypatch):
    _register(monkeypatch, "96_dies")
    _failing_notebook(project / "notebooks" / "96_dies.ipynb")
    nb = nbformat.read(project / "notebooks" / "96_dies.ipynb", as_version=4)
    nb.cells[1].source = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
    nbformat.write(nb, project / "notebooks" / "96_dies.ipynb")
    plan = project / "plan.yaml"
    plan.write_text('notebooks: [96_dies, 02_reporting]\nteams: [a, b]\nmonths: [latest]\n')
    assert _run(project, "--plan", str(plan)) == 1
    runs = json.loads((project / "outputs" / "2026-10" / "runs.json").read_text())
    assert {k: r["status"] for k, r in runs.items()} == {"a/96_dies": "failed", "b/96_dies": "failed",
                                                         "a/02_reporting": "ok", "b/02_reporting": "ok"}
    assert "DeadKernelError" in runs["a/96_dies"]["message"] or "died" in runs["a/96_dies"]["message"]
    assert not _leftovers(project)


def test_reports_running_side_by_side_leave_their_forecasts_one_core_each(project, monkeypatch, tmp_path):
    _register(monkeypatch, "98_cores")
    seen = tmp_path / "cores"
    seen.mkdir()
    _notebook(project / "notebooks" / "98_cores.ipynb",
              "from pathlib import Path\nfrom salesnb.domains.forecast import spare_cores\n"
              f"Path({str(seen)!r}, team).write_text(str(spare_cores()))")
    plan = project / "plan.yaml"
    plan.write_text("notebooks: [98_cores]\nteams: [a, b]\nmonths: ['2026-10']\n")
    _run(project, "--plan", str(plan), "--workers", "2")
    expected = str(max(1, cores.usable() // 2))
    assert {p.name: p.read_text() for p in seen.iterdir()} == {"a": expected, "b": expected}


def test_the_glossary_opened_from_a_team_report_links_to_that_teams_copies(tmp_path):
    from salesnb.report.glossary import glossary_html

    links = {"03_forecast": {"all": "all/03_forecast.html", "north": "north/03_forecast.html",
                             "</script><b>": "x/03_forecast.html"},
             "09_team_pulse": {"all": "all/09_team_pulse.html"}}
    page = tmp_path / "glossary.html"
    page.write_text(glossary_html("2026-10", links), encoding="utf-8")
    team = _browser(page.as_uri() + "?team=north", tmp_path / "chrome", "--dump-dom")
    assert _console(team) == []
    assert '<a href="north/03_forecast.html" data-report="03_forecast">' in team.stdout
    assert '<a href="all/09_team_pulse.html" data-report="09_team_pulse">' in team.stdout  # no copy of north's
    org = _browser(page.as_uri(), tmp_path / "chrome", "--dump-dom").stdout
    assert '<a href="all/03_forecast.html" data-report="03_forecast">' in org
    assert "north/03" not in org.split("<script")[0]


def test_a_rerun_removes_the_exports_its_report_no_longer_writes(project, monkeypatch):
    from salesnb.report.registry import Exports

    monkeypatch.setitem(REPORTS, "98_export", Report("98_export", "98_export", "reporting", Exports))
    path = project / "notebooks" / "98_export.ipynb"

    def writes(*names: str) -> None:
        _notebook(path, "from pathlib import Path\n" + "".join(f"Path(output_dir, {n!r}).write_text('x')\n"
                                                               for n in names))
        nb = nbformat.read(path, as_version=4)
        done = nbformat.v4.new_code_cell("from salesnb.report import display\ndisplay.complete()")
        done.metadata["tags"] = ["salesnb-complete"]
        nb.cells.append(done)
        nbformat.write(nb, path)

    folder = project / "outputs" / "2026-10" / "all"
    writes("old_list.csv", "kept.csv")
    assert _run(project, "--notebook", "98_export") == 0
    (folder / "mine.csv").write_text("a file of the user's")
    assert {p.name for p in folder.glob("*.csv")} == {"old_list.csv", "kept.csv", "mine.csv"}
    writes("new_list.csv", "kept.csv")  # the export was renamed
    assert _run(project, "--notebook", "98_export") == 0
    assert {p.name for p in folder.glob("*.csv")} == {"new_list.csv", "kept.csv", "mine.csv"}
