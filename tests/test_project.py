"""House rules: dependencies in step, notebooks stripped, docs in step with the contract."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from salesnb.data.schema import contract_markdown
from salesnb.report.registry import parameters_markdown

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].lower()


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda_specs = [d for d in env if isinstance(d, str) and _name(d) not in ("python", "pip")]
    assert sorted(s.replace(" ", "") for s in conda_specs) == sorted(
        re.sub(r"\[.*\]", "", s).replace(" ", "") for s in pip_specs)  # conda has no extras


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell["outputs"] and cell["execution_count"] is None
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert "salesnb-complete" in nb["cells"][-1]["metadata"].get("tags", [])


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_define_no_functions(path):
    nb = json.loads(path.read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert not re.search(r"^\s*(def|class) ", code, re.M)


def test_contract_doc_is_generated_from_the_schema():
    doc = (ROOT / "docs" / "data_contract.md").read_text()
    assert contract_markdown() in doc


def test_readme_opens_with_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:sh|bash)?\n(.*?)```", readme, re.S).group(1)
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == [
        "make report", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_parameter_doc_is_generated_from_the_registry():
    assert parameters_markdown() in (ROOT / "docs" / "parameters.md").read_text()


def test_code_passes_ruff():
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([ruff, "check", "salesnb", "tests", "benchmarks", "notebooks"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    result = subprocess.run([ruff, "format", "--check", "notebooks"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_papermill_sees_every_parameter(path):
    import papermill

    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    names = [re.match(r"(\w+)\s*:", line).group(1) for line in "".join(cell["source"]).splitlines()
             if re.match(r"\w+\s*:\s*\w+\s*=", line)]
    assert list(papermill.inspect_notebook(str(path))) == names
