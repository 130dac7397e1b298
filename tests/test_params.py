import pytest

from salesnb.core.errors import InputError, ParameterError
from salesnb.run.params import Plan, check_month, load_plan, load_settings, merge
from salesnb.run.plan import plan_jobs


def test_merge_is_deep_and_override_wins():
    base = {"a": 1, "nb": {"x": {"top_n": 10, "k": 1}}}
    assert merge(base, {"nb": {"x": {"top_n": 5}}}) == {"a": 1, "nb": {"x": {"top_n": 5, "k": 1}}}
    assert base["nb"]["x"]["top_n"] == 10


@pytest.mark.parametrize("month", ["2026-13", "26-10", "2026/10", "october", "2026-1"])
def test_malformed_month(month):
    with pytest.raises(ParameterError, match="malformed"):
        check_month(month)


def test_team_file_overrides_defaults(project):
    (project / "params" / "teams").mkdir()
    (project / "params" / "teams" / "a.yaml").write_text("notebooks:\n  02_reporting:\n    top_n: 3\n")
    assert load_settings(project / "params", team="a").notebooks["02_reporting"]["top_n"] == 3
    assert load_settings(project / "params", team="b").notebooks["02_reporting"]["top_n"] == 5
    assert load_settings(project / "params").data_dir == project / "data"


def test_unknown_setting_is_refused(project):
    (project / "params" / "defaults.yaml").write_text("data_dir: data\nworkerz: 2\n")
    with pytest.raises(ParameterError, match="workerz: Extra inputs are not permitted"):
        load_settings(project / "params")


def test_bad_plan_file(tmp_path):
    (tmp_path / "p.yaml").write_text("notebooks: []\n")
    with pytest.raises(ParameterError, match="notebooks"):
        load_plan(tmp_path / "p.yaml")
    with pytest.raises(ParameterError, match="does not exist"):
        load_plan(tmp_path / "missing.yaml")


def _jobs(project, **plan):
    return plan_jobs(Plan(**{"notebooks": ["02_reporting"], **plan}), project / "params")[1]


def test_plan_expands_each_team_and_latest_month(project):
    jobs = _jobs(project, teams=["*", "all"], months=["latest", "2026-09"])
    assert [(j.team, j.month) for j in jobs] == [
        ("a", "2026-10"), ("a", "2026-09"), ("b", "2026-10"), ("b", "2026-09"),
        ("all", "2026-10"), ("all", "2026-09")]
    assert jobs[0].parameters == {"workspace": str(project / "data" / "workspace.duckdb"),
                                  "team": "a", "month": "2026-10", "top_n": 5, "output_dir": ""}


def test_unknown_team_lists_known_ones(project):
    with pytest.raises(ParameterError, match="Unknown team 'c'.*teams a, b"):
        _jobs(project, teams=["c"])


def test_month_outside_data(project):
    with pytest.raises(ParameterError, match="Month 2027-01 has no data: the data cover "
                                             "2025-10-15 to 2026-10-31"):
        _jobs(project, months=["2027-01"])


def test_missing_data_path(project):
    (project / "params" / "defaults.yaml").write_text("data_dir: nowhere\n")
    with pytest.raises(ParameterError, match="Data folder '.*nowhere' does not exist"):
        _jobs(project)


def test_unknown_or_mistyped_notebook_parameter(project):
    with pytest.raises(ParameterError, match="has no parameter\\(s\\) top_m"):
        plan_jobs(Plan(notebooks=["02_reporting"]), project / "params", extra={"top_m": 3})
    with pytest.raises(ParameterError, match="Notebook 02_reporting: invalid parameters: top_n: Input should be "
                                             "a valid integer"):
        plan_jobs(Plan(notebooks=["02_reporting"]), project / "params", extra={"top_n": "ten"})


@pytest.mark.parametrize("name", ["team", "month", "workspace"])
def test_scope_cannot_be_overridden_as_a_report_parameter(project, name):
    with pytest.raises(ParameterError, match=f"{name} cannot be set as a report parameter: use --team"):
        plan_jobs(Plan(notebooks=["02_reporting"], teams=["a"]), project / "params", extra={name: "b"})


@pytest.mark.parametrize("notebook, name", [("04_pricing", "output_dir"), ("00_overview", "reports")])
def test_what_the_run_sets_cannot_be_overridden(project, notebook, name):
    with pytest.raises(ParameterError, match=f"{name} cannot be set as a report parameter: salesnb run sets it"):
        plan_jobs(Plan(notebooks=[notebook], teams=["a"]), project / "params", extra={name: "/etc"})


def test_unknown_notebook(project):
    with pytest.raises(ParameterError, match="Notebook '99_nothing' not found.*02_reporting"):
        _jobs(project, notebooks=["99_nothing"])


def test_team_name_that_would_escape_the_report_folder(project):
    reps = project / "data" / "reps.csv"
    reps.write_text(reps.read_text().replace(",a,", ",../a,"))
    with pytest.raises(InputError, match="column 'team' has 1 value that cannot name a report folder"):
        _jobs(project)  # refused when the data folder is validated, before any report


def test_a_team_file_cannot_change_a_figure_made_for_the_organisation(project):
    (project / "params" / "teams").mkdir()
    (project / "params" / "teams" / "a.yaml").write_text("notebooks:\n  05_quotas:\n    growth: 0.2\n")
    with pytest.raises(ParameterError, match="params/teams/a.yaml sets growth for 05_quotas: it shapes a figure made "
                                             "once for the whole organisation"):
        plan_jobs(Plan(notebooks=["05_quotas"], teams=["a"]), project / "params")
    (project / "params" / "teams" / "a.yaml").write_text("forecasting: {horizon: 6}\n")
    with pytest.raises(ParameterError, match="sets forecasting for 03_forecast"):
        plan_jobs(Plan(notebooks=["03_forecast"], teams=["*"]), project / "params")
    settings, jobs = plan_jobs(Plan(notebooks=["03_forecast"], teams=["b"]), project / "params",
                               extra={"forecasting": {"horizon": 6}})
    assert jobs[0].parameters["forecasting"] == {"horizon": 6, "backtest_months": 12, "interval": 0.8}


def test_the_accountability_rule_is_set_for_the_run_and_reaches_06_and_08(project):
    (project / "params" / "defaults.yaml").write_text(
        (project / "params" / "defaults.yaml").read_text() + "accountability: {threshold: 0.6, k: 3}\n")
    _, jobs = plan_jobs(Plan(notebooks=["06_performance", "08_field_tours"], teams=["a"]), project / "params")
    assert [j.parameters["accountability"]["threshold"] for j in jobs] == [0.6, 0.6]
    (project / "params" / "teams").mkdir()
    (project / "params" / "teams" / "a.yaml").write_text("accountability: {threshold: 0.5}\n")
    with pytest.raises(ParameterError, match="sets accountability for 06_performance"):
        plan_jobs(Plan(notebooks=["06_performance"], teams=["a"]), project / "params")


def test_a_password_in_the_workspace_url_stops_the_run_before_anything_prints_it(project, capsys):
    from salesnb.run.cli import main

    url = "postgresql://analyst@db.example.com/crm?password=s3cret"
    assert main(["run", "--params", str(project / "params"), "--notebook", "02_reporting", "--workspace", url]) == 2
    out = capsys.readouterr()
    assert "PGPASSWORD" in out.err and "s3cret" not in out.out + out.err


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" + "".join(
    f"{chr(99 + i)}: &{chr(99 + i)} [{', '.join([f'*{chr(98 + i)}'] * 9)}]\n" for i in range(8))


def test_a_yaml_bomb_is_refused_at_once_wherever_yaml_is_read(project, tmp_path):
    from salesnb.core.errors import SalesnbError
    from salesnb.data.mapping import load_mapping
    from salesnb.data.workspace import dataset_facts
    from salesnb.run.cli import _extra, main

    (project / "params" / "defaults.yaml").write_text(BOMB)
    with pytest.raises(ParameterError, match="aliases"):
        load_settings(project / "params")
    (tmp_path / "mapping.yaml").write_text(BOMB)
    with pytest.raises(ParameterError, match="aliases"):
        load_mapping(tmp_path / "mapping.yaml")
    (tmp_path / "dataset.yaml").write_text("currency: &c EUR\ncountry: *c\n")
    with pytest.raises(InputError, match="aliases"):
        dataset_facts(tmp_path)
    with pytest.raises(SalesnbError, match="-p top_n: the value is not valid YAML"):
        _extra(["top_n=[1"])
    assert main(["run", "--params", str(project / "params"), "--notebook", "02_reporting"]) == 2
