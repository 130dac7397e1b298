"""The same reports on a PostgreSQL warehouse as on the DuckDB workspace: tables, lazy aggregates, and the
figures the reporting, pricing and pipeline reports show."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import DEMO_MONTH, DEMO_TEAMS, ROOT, figures, same

from salesnb.core.errors import InputError
from salesnb.data.engine import check_url
from salesnb.data.schema import TABLES
from salesnb.data.warehouse import copy_to_postgres
from salesnb.data.workspace import Workspace
from salesnb.domains import pricing, reporting
from salesnb.run.cli import main

ON_WAREHOUSE = ["02_reporting", "04_pricing", "10_activity_pipeline"]


@pytest.fixture(scope="module")
def warehouse(postgres_url, demo_dir) -> str:
    counts = copy_to_postgres(demo_dir / "workspace.duckdb", postgres_url)
    assert counts["order_lines"] > 90_000
    return postgres_url


@pytest.fixture(scope="module")
def both(warehouse, demo_dir):
    duck, pg = Workspace(demo_dir / "workspace.duckdb"), Workspace(warehouse)
    yield duck, pg
    duck.close()
    pg.close()


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns[:2])).reset_index(drop=True)


def test_every_table_reads_the_same_for_a_team(both):
    duck, pg = both
    assert pg.tables() == duck.tables() and pg.teams() == duck.teams() and pg.meta() == duck.meta()
    for table in sorted(duck.tables()):
        key = TABLES[table].columns[:2]
        a = duck.read(table, "north").sort_values(key).reset_index(drop=True)
        b = pg.read(table, "north").sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=table)
    assert pg.last_month() == duck.last_month() and pg.months_with_rows("visits") == duck.months_with_rows("visits")


@pytest.mark.parametrize("team", DEMO_TEAMS)
def test_reporting_and_pricing_aggregates_equal_on_both_engines(both, team):
    results = []
    for ws in both:
        lines = ws.lines(team, DEMO_MONTH, 24)
        guided = pricing.with_guidelines(ws.lines(team, DEMO_MONTH, 2), ws.table("products"))
        results.append([
            reporting.summary(lines, DEMO_MONTH), reporting.trend(lines),
            *(reporting.breakdown(lines, DEMO_MONTH, by) for by in ("team", "rep", "family", "product")),
            pricing.compliance(guided, "rep"), pricing.discount_distribution(guided, "family"),
            pricing.size_distribution(guided), pricing.period_end_discounting(guided),
            pricing.waterfall(guided).to_frame(), pricing.waterfall_table(guided, "family"),
            pricing.leakage_trend(guided), _sorted(pricing.breaches(guided, [(0.05, "manager")])),
        ])
    for i, (a, b) in enumerate(zip(*results, strict=True)):
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, obj=f"result {i}")
    assert len(results[0][-1]) > 0 and results[0][0].at["revenue", "month"] > 0


def test_reports_on_the_warehouse_show_the_figures_of_the_duckdb_run(warehouse, demo_dir, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"notebooks": ON_WAREHOUSE, "teams": ["all"], "months": [DEMO_MONTH]}))
    for name, where in (("pg", ["--workspace", warehouse]), ("duck", ["--data", str(demo_dir)])):
        assert main(["run", "--params", str(ROOT / "params"), *where, "--outputs", str(tmp_path / name),
                     "--plan", str(plan), "--workers", "2", "--quiet"]) == 0
    for nb in ON_WAREHOUSE:  # a team's rows come through the same filters, compared table by table above
        got = figures(tmp_path / "pg" / DEMO_MONTH / "all" / f"{nb}.ipynb")
        assert same(got, figures(tmp_path / "duck" / DEMO_MONTH / "all" / f"{nb}.ipynb")), nb
        assert len(got) >= 3


def test_urls_without_passwords_only():
    with pytest.raises(InputError, match="PGPASSWORD"):
        check_url("postgresql://me:secret@db.example.com/crm")
    for query in ("password=secret", "sslmode=require&PASSWORD=secret", "sslpassword=key"):  # libpq reads these too
        with pytest.raises(InputError, match="PGPASSWORD"):
            check_url(f"postgresql://me@db.example.com/crm?{query}")
    with pytest.raises(InputError, match="not supported"):
        check_url("mysql://me@db/crm")
    assert check_url("postgresql://me@db.example.com:5433/crm")


def test_validate_copies_a_folder_into_the_warehouse(tiny_dir, postgres_url, capsys):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as pg:
        pg.execute("DROP DATABASE IF EXISTS tiny")
        pg.execute("CREATE DATABASE tiny")
    url = postgres_url.rsplit("/", 1)[0] + "/tiny"
    assert main(["validate", str(tiny_dir), "--workspace", url]) == 0
    assert f"Copied into {url}" in capsys.readouterr().out
    ws = Workspace(url)
    assert ws.count("order_lines") == 6 and ws.count("reps") == 2 and ws.teams() == ["a", "b"]
    ws.close()
