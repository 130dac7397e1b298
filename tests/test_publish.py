"""The run record under concurrent batches, and published files that do not change when nothing changed."""

import json
import multiprocessing
from pathlib import Path

from salesnb.report.glossary import glossary_html
from salesnb.report.publish import glossary_links, published, without_paths, write_if_changed
from salesnb.run.execute import publish_index


def _record(outputs: str, who: str, n: int) -> None:
    for i in range(n):
        publish_index([{"outputs": outputs, "month": "2026-10", "team": f"{who}{i}", "notebook": "02_reporting",
                        "title": "Sales reporting", "status": "ok", "message": "", "seconds": 1.0,
                        "without": ""}])


def test_two_batches_recording_at_once_keep_every_entry(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    batches = [ctx.Process(target=_record, args=(str(tmp_path), who, 150)) for who in ("x", "y")]
    for b in batches:
        b.start()
    for b in batches:
        b.join(120)
    assert [b.exitcode for b in batches] == [0, 0]
    runs = json.loads((tmp_path / "2026-10" / "runs.json").read_text())
    assert len(runs) == 300
    index = (tmp_path / "2026-10" / "index.html").read_text()
    assert all(f">Team {who}{i}<" in index for who in "xy" for i in range(150))
    names = sorted(p.name for p in (tmp_path / "2026-10").iterdir())
    assert names == ["glossary.html", "index.html", "runs.json"]  # no lock file


def test_a_shared_notebook_has_stable_ids_no_run_times_and_no_absolute_path():
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('workspace = "/srv/crm/data/workspace.duckdb"')
    cell.metadata["papermill"] = {"start_time": "2026-12-01T10:00:00", "duration": 1.2}
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=(
        "/opt/venv/lib/python3.11/site-packages/pandas/x.py:1: Warning\n"))]
    nb.cells = [cell]
    nb.metadata["papermill"] = {"input_path": "/srv/crm/notebooks/02.ipynb", "output_path": "/srv/out/.02.1.x/02.ipynb",
                                "parameters": {"workspace": "/srv/crm/data/workspace.duckdb"}, "start_time": "now"}
    shared = published(nb, {"/srv/crm/data/workspace.duckdb": "../../data/workspace.duckdb", "/opt/venv": "<python>",
                            "/srv/crm": "../..", "/srv/crm/data": "../../data"})
    text = nbformat.writes(shared)
    assert "/srv" not in text.replace("/srv/out", "") and "/opt/venv" not in text
    assert '"../../data/workspace.duckdb"' in text and "<python>/lib/python3.11/site-packages" in text
    assert shared.cells[0].id == "cell-0" and "papermill" not in shared.cells[0].metadata
    assert shared.metadata["papermill"] == {"parameters": {"workspace": "../../data/workspace.duckdb"}}


def test_a_team_name_with_quotes_or_accents_leaves_no_staging_path_in_what_is_shared():
    import nbformat
    from papermill.translators import PythonTranslator

    staging = "/srv/out/2026-10/Nord \"é\" 'q'/.03.1.x/exports"
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(f"output_dir = {PythonTranslator.translate(staging)}")  # as papermill writes it
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"wrote {staging}/call.csv\n")]
    nb.cells = [cell]
    text = nbformat.writes(published(nb, {staging: "."}))
    assert "/srv" not in text and 'output_dir = \\".\\"' in text and "wrote ./call.csv" in text
    assert without_paths(f"OSError: {staging}/x.csv is locked", {staging: "."}) == "OSError: ./x.csv is locked"


def test_an_unchanged_file_is_not_rewritten(tmp_path):
    path = tmp_path / "report.html"
    write_if_changed(path, b"<p>same</p>")
    before = path.stat().st_mtime_ns
    write_if_changed(path, b"<p>same</p>")
    assert path.stat().st_mtime_ns == before
    write_if_changed(path, b"<p>new</p>")
    assert path.read_bytes() == b"<p>new</p>" and path.stat().st_mode & 0o777 == 0o644
    assert not [p for p in Path(tmp_path).iterdir() if p.name.startswith(".")]


def test_the_index_shows_each_scopes_headline_kpis_and_the_data_cut_off(tmp_path):
    tiles = [["Revenue", "€390", "none"], ["Margin rate", "25.0%", "red"], ["eNPS", "<b>+4</b>", "amber"]]
    run = {"outputs": str(tmp_path), "month": "2026-10", "team": "a", "title": "Overview", "status": "ok",
           "message": "", "seconds": 1.0, "without": "", "data_end": "2026-10-31"}
    publish_index([run | {"notebook": "00_overview", "headline": tiles},
                   run | {"notebook": "02_reporting", "title": "Sales reporting", "data_end": "2026-10-30"}])
    index = (tmp_path / "2026-10" / "index.html").read_text()
    assert "Data up to 31 October 2026." in index
    assert "Revenue <b" in index and ">€390</b>" in index and "&lt;b&gt;+4&lt;/b&gt;" in index
    assert "Margin rate" not in index  # only the index's KPIs: revenue, attainment, forecast ÷ quota, eNPS
    assert 'border-color:#c77700">&lt;b&gt;+4' in index  # amber


def test_the_glossary_links_each_report_that_shows_a_figure_to_a_written_copy():
    runs = {f"{t}/{nb}": {"team": t, "notebook": nb, "status": st} for t, nb, st in [
        ("north", "03_forecast", "ok"), ("all", "03_forecast", "ok"), ("north", "09_team_pulse", "ok"),
        ("all", "09_team_pulse", "failed"), ("east", "05_quotas", "failed")]}
    links = glossary_links(runs)
    assert links == {"03_forecast": {"all": "all/03_forecast.html", "north": "north/03_forecast.html"},
                     "09_team_pulse": {"north": "north/09_team_pulse.html"}}
    page = glossary_html("2026-10", links)
    assert '<a href="all/03_forecast.html" data-report="03_forecast">Forecasts</a>' in page
    assert '<a href="index.html">← all reports of October 2026</a>' in page
    assert "<td>Quotas and compensation</td>" in page  # quotas' only figure has no written report: no link


def test_a_team_named_like_a_script_link_gives_only_relative_links(tmp_path):
    import re

    team = "javascript:alert(document.domain)<!--"
    run = {"outputs": str(tmp_path), "month": "2026-10", "team": team, "title": "Overview", "status": "ok",
           "message": "", "seconds": 1.0, "without": ""}
    publish_index([run | {"notebook": "00_overview"}, run | {"notebook": "09_team_pulse", "status": "failed"}])
    month = tmp_path / "2026-10"
    (month / team).mkdir()
    (month / team / "00_overview.html").write_text("")
    publish_index([run | {"notebook": "09_team_pulse", "status": "failed"}])
    pages = [(month / "index.html").read_text(), (month / "glossary.html").read_text()]
    targets = [t for page in pages for t in re.findall(r'href="([^"]*)"', page)]
    assert "javascript%3Aalert%28document.domain%29%3C%21--/00_overview.html" in targets
    assert not [t for t in targets if ":" in t]  # no scheme: every link stays inside the month's folder
    assert '"javascript%3Aalert%28document.domain%29%3C%21--/00_overview.html"' in pages[1]  # the team links too


def test_a_password_never_leaves_the_process():
    from salesnb.core.text import redacted

    assert redacted("postgresql://ana:s3cr%40t@db/crm?sslmode=require") == "postgresql://ana:***@db/crm?sslmode=require"
    assert redacted("postgresql://ana@db/crm?password=hunter2&x=1 and sslpassword='k 2'") == (
        "postgresql://ana@db/crm?password=***&x=1 and sslpassword=***")
    assert redacted("see https://example.com/a:b and a@b.c") == "see https://example.com/a:b and a@b.c"
