"""Turn executed notebooks into shared HTML reports, publish them atomically, and index them."""

from __future__ import annotations

import html
import io
import json
import os
import re
import tempfile
import zipfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from salesnb.core.scope import is_org
from salesnb.core.text import href, redacted
from salesnb.report.glossary import glossary_html
from salesnb.report.marker import COMPLETE_MARKER, COMPLETE_TAG, FIGURES_MIME

RUNS_FILE = "runs.json"
GLOSSARY_FILE = "glossary.html"
READABLE = 0o644  # published files are read by a web server or colleagues, like the reports
TEMPLATES = Path(__file__).parent / "templates"
MEMORY_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")


class DropStderr(Preprocessor):
    """Leave warnings, logs and recorded figures out of the shared report (the executed notebook keeps them)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if not (o.output_type == "stream" and o.get("name") == "stderr")
                            and FIGURES_MIME not in o.get("data", {})]
        return cell, resources


@cache
def _exporter() -> HTMLExporter:
    exporter = HTMLExporter(template_name="salesnb", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={COMPLETE_TAG}, enabled=True), enabled=True
    )
    exporter.register_preprocessor(DropStderr(enabled=True), enabled=True)
    return exporter


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """Self-contained HTML of an executed notebook, without code or the completion cell."""
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def is_complete(nb: nbformat.NotebookNode) -> bool:
    """True when the notebook's completion cell ran and printed the marker."""
    for cell in nb.cells:
        if COMPLETE_TAG in cell.get("metadata", {}).get("tags", []):
            return any(COMPLETE_MARKER in o.get("text", "") for o in cell.get("outputs", []))
    return False


def exports_of(notebook: Path) -> set[str]:
    """The export files a published report wrote beside it (recorded in its notebook's metadata): plain file
    names only."""
    if not notebook.exists():
        return set()
    try:
        meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
        names = meta.get("salesnb", {}).get("exports", [])
    except (OSError, ValueError):
        return set()
    return {n for n in names if isinstance(n, str) and n == Path(n).name and not n.startswith(".")}


def headline(nb: nbformat.NotebookNode) -> list:
    """The KPI tiles an executed report recorded ([label, value as shown, status] each), for the index."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            figure = out.get("data", {}).get(FIGURES_MIME)
            if figure and figure.get("kind") == "headline":
                return figure["value"]
    return []


def published(nb: nbformat.NotebookNode, paths: dict[str, str]) -> nbformat.NotebookNode:
    """The executed notebook as it is shared: cell ids by position and no run times (a rerun on the same data
    gives the same file), and every absolute path of `paths` replaced by its stand-in (longest first)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        for key in ("papermill", "execution"):
            cell.get("metadata", {}).pop(key, None)
    if "papermill" in nb.metadata:
        nb.metadata["papermill"] = {"parameters": nb.metadata["papermill"].get("parameters", {})}
    text = json.dumps(nb, ensure_ascii=False)
    if paths:
        from papermill.translators import PythonTranslator

        def written(path: str) -> list[str]:  # as JSON holds it: plain, and as papermill's parameter cell writes it
            return [json.dumps(path, ensure_ascii=False)[1:-1],
                    json.dumps(PythonTranslator.translate_escaped_str(path)[1:-1], ensure_ascii=False)[1:-1]]

        stand_in = {form: stand for old, new in paths.items()
                    for form, stand in zip(written(old), written(new), strict=True)}
        pattern = re.compile("|".join(re.escape(old) for old in sorted(stand_in, key=len, reverse=True)))
        text = pattern.sub(lambda m: stand_in[m.group()], text)
    text = redacted(MEMORY_ADDRESS.sub(">", text))  # "<Styler at 0x7fa7…>" differs on every run
    return nbformat.from_dict(json.loads(text))


def without_paths(text: str, paths: dict[str, str]) -> str:
    """A message with every absolute path of `paths` replaced by its stand-in (longest first)."""
    for old in sorted(paths, key=len, reverse=True):
        text = text.replace(old, paths[old])
    return redacted(text)


def _meaning(path: Path, content: bytes) -> object:
    """What a file says: its bytes, or for a workbook its parts without the save time it carries."""
    if path.suffix != ".xlsx":
        return content
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def write_if_changed(path: Path, content: bytes) -> None:
    """Publish a file only when what it says changed, so a rerun that changes nothing changes no file."""
    if path.exists() and _meaning(path, path.read_bytes()) == _meaning(path, content):
        return
    atomic_write(path, content)


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write a file so readers see the old content or the new, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.chmod(tmp, READABLE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record_runs(month_dir: Path, results: list[dict]) -> dict:
    """Merge this batch's results into the month's run record and return it."""
    path = month_dir / RUNS_FILE
    runs = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for r in results:
        runs[f"{r['team']}/{r['notebook']}"] = {
            k: r[k] for k in ("team", "notebook", "title", "status", "message", "seconds", "without")
        } | {"peak_mib": r.get("peak_mib", 0), "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
             "headline": r.get("headline", []), "data_end": r.get("data_end", ""), "rejects": r.get("rejects", "")}
    atomic_write(path, json.dumps(runs, indent=1, sort_keys=True))
    return runs


def _sort_key(team: str) -> tuple[int, str]:
    return (0 if is_org(team) else 1, team)


def _cell(month_dir: Path, run: dict) -> str:
    """One report of one team in the index: a link when it was written, and its status."""
    esc = html.escape
    base = href(run["team"], run["notebook"])
    written = (month_dir / f"{base}.html").exists()
    if run["status"] == "ok":
        without = run.get("without")
        note = f'<div class="note">without {esc(without)}</div>' if without else ""
        return f'<a class="ok" href="{esc(base)}.html" title="{esc(run["finished"])}">open</a>{note}'
    if run["status"] == "skipped":
        return f'<span class="note">{esc(run["message"])}</span>'
    if run["status"] == "interrupted":
        kept = f' <a href="{esc(base)}.html">earlier report</a>' if written else ""
        return f'<span class="failed">interrupted</span>{kept}<div class="note">{esc(run["message"])}</div>'
    kept = f' <a href="{esc(base)}.html">earlier report</a>' if written else ""
    return (f'<span class="failed">failed</span>{kept} <a href="{esc(base)}.error.ipynb">error notebook</a>'
            f'<div class="note">{esc(run["message"])}</div>')


INDEX_KPIS = ("Revenue", "Quota attainment", "Forecast ÷ quota, next month", "eNPS")
KPI_COLORS = {"green": "#2e7d32", "amber": "#c77700", "red": "#b23a48", "none": "#999"}


def _headline(overview: dict) -> str:
    """A scope's headline KPIs under its name in the index, from its overview's tiles."""
    esc = html.escape
    if overview.get("status") != "ok":
        return ""
    shown = [(label, value, status) for label, value, status in overview.get("headline", []) if label in INDEX_KPIS]
    return "".join(f'<span class="kpi">{esc(label)} <b style="border-color:{KPI_COLORS.get(status, "#999")}">'
                   f'{esc(value)}</b></span>' for label, value, status in shown)


def glossary_links(runs: dict) -> dict[str, dict[str, str]]:
    """Report name → team → the path from the month's glossary to that team's written copy, the organisation's
    first."""
    links: dict[str, dict[str, str]] = {}
    for r in sorted(runs.values(), key=lambda r: _sort_key(r["team"])):
        if r["status"] == "ok":
            links.setdefault(r["notebook"], {})[r["team"]] = href(r["team"], f"{r['notebook']}.html")
    return links


def write_index(month_dir: Path, month: str, runs: dict) -> Path:
    """The month's index page: a team × report matrix, a 'start here' link to each team's overview, and
    every failure with its reason."""
    esc = html.escape
    teams = sorted({r["team"] for r in runs.values()}, key=_sort_key)
    reports = sorted({(r["notebook"], r.get("title", r["notebook"])) for r in runs.values()})
    head = "".join(f"<th>{esc(title)}</th>" for _, title in reports)
    rows = []
    for team in teams:
        label = "Whole organisation" if is_org(team) else f"Team {team}"
        start = (f' <a class="start" href="{esc(href(team, "00_overview.html"))}">start here</a>'
                 if runs.get(f"{team}/00_overview", {}).get("status") == "ok" else "")
        cells = "".join(f"<td>{_cell(month_dir, runs[f'{team}/{nb}']) if f'{team}/{nb}' in runs else ''}</td>"
                        for nb, _ in reports)
        rows.append(f"<tr><th>{esc(label)}{start}{_headline(runs.get(f'{team}/00_overview', {}))}</th>{cells}</tr>")
    failed = sum(r["status"] == "failed" for r in runs.values())
    data_end = max((r.get("data_end", "") for r in runs.values()), default="")
    cutoff = f" Data up to {datetime.strptime(data_end, '%Y-%m-%d'):%-d %B %Y}." if data_end else ""
    rejects = next((r["rejects"] for r in runs.values() if r.get("rejects")), "")
    when = datetime.strptime(month, "%Y-%m").strftime("%B %Y")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sales reports — {esc(when)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }}
table {{ border-collapse: collapse; }}
td, th {{ border-bottom: 1px solid #ddd; padding: .35rem .4rem; text-align: left; vertical-align: top; }}
thead th {{ font-size: .8rem; max-width: 6.5rem; }}
.ok {{ color: #1a5fb4; }} .failed {{ color: #b23a48; font-weight: bold; }}
.note {{ color: #666; font-size: .8rem; max-width: 14rem; }}
.kpi {{ display: block; font-weight: normal; font-size: .8rem; color: #444; white-space: nowrap; }}
.kpi b {{ padding-left: .3rem; border-left: 4px solid #999; }}
.start {{ display: inline-block; margin-left: .4rem; font-size: .8rem; padding: .1rem .4rem;
          background: #1f4e79; color: #fff; border-radius: 3px; text-decoration: none; }}
</style></head><body>
<h1>Sales reports — {esc(when)}</h1>
<p>{len(runs)} reports, {failed} failed.{esc(cutoff)} Start with a team's overview; every figure is defined in
the <a href="{GLOSSARY_FILE}">glossary</a>.</p>
{f'<p class="failed">{esc(rejects)}</p>' if rejects else ""}
<table><thead><tr><th>team</th>{head}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    path = month_dir / "index.html"
    atomic_write(path, page)
    write_if_changed(month_dir / GLOSSARY_FILE, glossary_html(month, glossary_links(runs)).encode("utf-8"))
    return path
