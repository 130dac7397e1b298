"""Shipped CRM mappings import samples written in each CRM's export format."""

from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from salesnb.cli import main
from salesnb.errors import ParameterError
from salesnb.mapping import load_mapping

MAPPINGS = Path(__file__).resolve().parents[1] / "params" / "mappings"


def _rows(workspace: Path, sql: str) -> list:
    with duckdb.connect(str(workspace), read_only=True) as con:
        return con.execute(sql).fetchall()


def _import(src: Path, mapping: str, out: Path, *extra: str) -> int:
    return main(["import", "--mapping", str(MAPPINGS / mapping), "--out", str(out), str(src), *extra])


def test_salesforce_reports(tmp_path):
    src = tmp_path / "sf"
    src.mkdir()
    pd.DataFrame({"Full Name": ["Ana Lopez", "Bo Chen"], "Role": ["East AE", "West AE"],
                  "Manager": ["Cy", "Cy"], "Active": ["1", "1"]}).to_csv(src / "Users.csv", index=False)
    pd.DataFrame({"Account ID": ["001A", "001B"], "Account Name": ["Acme Corp", "Zeta SA"],
                  "Account Owner": ["Ana Lopez", "Bo Chen"], "Type": ["Customer - Direct", "Prospect"],
                  "Industry": ["Retail", ""], "Billing City": ["Lyon", "Paris"],
                  "Billing Zip/Postal Code": ["69001", "75001"], "Phone": ["(04) 72 00 00 00", ""],
                  "Website": ["acme.example", ""], "Employees": ["120", ""],
                  "Created Date": ["1/15/2024", "3/2/2025"], "Last Modified Date": ["10/1/2026", "10/2/2026"]
                  }).to_csv(src / "Accounts.csv", index=False)
    pd.DataFrame({"Opportunity ID": ["006X", "006Y", "006Z"], "Opportunity Name": ["a", "b", "c"],
                  "Account ID": ["001A", "001A", "001B"], "Opportunity Owner": ["Ana Lopez", "Ana Lopez", "Bo Chen"],
                  "Stage": ["Closed Won", "Negotiation/Review", "Needs Analysis"],
                  "Amount": ["12000", "8,500.50", "3000"], "Probability (%)": ["100", "90", "20"],
                  "Created Date": ["9/1/2026", "9/15/2026", "10/3/2026"],
                  "Close Date": ["10/20/2026", "11/30/2026", "12/15/2026"],
                  "Forecast Category": ["Closed", "Commit", "Pipeline"]}).to_csv(src / "Opportunities.csv", index=False)
    assert _import(src, "salesforce.yaml", tmp_path / "out") == 0
    ws = tmp_path / "out" / "workspace.duckdb"
    assert _rows(ws, "SELECT opportunity_id, stage, amount, probability, close_date::VARCHAR, forecast_category "
                     "FROM opportunities ORDER BY 1") == [
        ("006X", "won", 12000.0, 1.0, "2026-10-20", "closed"),
        ("006Y", "negotiation", 8500.5, 0.9, "2026-11-30", "commit"),
        ("006Z", "qualification", 3000.0, 0.2, "2026-12-15", "pipeline")]
    assert _rows(ws, "SELECT account_id, status, employees FROM accounts ORDER BY 1") == [
        ("001A", "customer", 120), ("001B", "prospect", None)]


def test_hubspot_exports_with_derived_owner_names(tmp_path):
    src = tmp_path / "hs"
    src.mkdir()
    pd.DataFrame({"First Name": ["Ana", "Bo"], "Last Name": ["Lopez", "Chen"],
                  "Email": ["ana@x.io", "bo@x.io"]}).to_csv(src / "users.csv", index=False)
    pd.DataFrame({"Record ID": ["11", "12"], "Company name": ["Acme", "Zeta"], "Company owner": ["Ana Lopez", ""],
                  "Lifecycle Stage": ["customer", "lead"], "Industry": ["", ""], "City": ["Lyon", ""],
                  "Postal Code": ["", ""], "Phone Number": ["", ""], "Company Domain Name": ["acme.io", ""],
                  "Number of Employees": ["50", ""], "Create Date": ["2025-01-05 10:00", "2026-02-01 09:30"],
                  "Last Modified Date": ["2026-10-01 08:00", "2026-10-01 08:00"]}).to_csv(
        src / "all-companies.csv", index=False)
    pd.DataFrame({"Record ID": ["901", "902"], "Deal Name": ["x", "y"], "Associated Company IDs": ["11", "12"],
                  "Deal owner": ["Ana Lopez", "Bo Chen"], "Deal Stage": ["Contract Sent", "Closed Lost"],
                  "Amount": ["5000", "700"], "Create Date": ["2026-09-01 10:00", "2026-08-01 11:00"],
                  "Close Date": ["2026-11-15 00:00", "2026-09-30 00:00"]}).to_csv(src / "all-deals.csv", index=False)
    assert _import(src, "hubspot.yaml", tmp_path / "out") == 0
    ws = tmp_path / "out" / "workspace.duckdb"
    assert _rows(ws, "SELECT rep_id, team FROM reps ORDER BY 1") == [("Ana Lopez", "sales"), ("Bo Chen", "sales")]
    assert _rows(ws, "SELECT opportunity_id, stage, created_date::VARCHAR FROM opportunities ORDER BY 1") == [
        ("901", "negotiation", "2026-09-01"), ("902", "lost", "2026-08-01")]


def _odoo_sample(folder: Path) -> None:
    folder.mkdir()
    text = ("ID;Opportunity;Customer;Salesperson;Sales Team;Stage;Expected Revenue;Probability;"
            "Created on;Expected Closing\n"
            "__export__.crm_lead_1;Café machines;Brasserie Hélène;Élodie Brun;Équipe Sud;Proposition;"
            "12 500,50;40;03/09/2026;15/11/2026\n"
            "__export__.crm_lead_2;Renouvellement;Société Générale Câble;Élodie Brun;Équipe Sud;Won;"
            "3 000,00;100;01/08/2026;30/09/2026\n"
            "__export__.crm_lead_3;Démo;Brasserie Hélène;Marc Petit;Équipe Nord;Qualified;800;20;"
            "12/10/2026;20/12/2026\n")
    (folder / "crm.lead.csv").write_bytes(text.encode("latin-1"))


def test_odoo_latin1_semicolons_decimal_commas_and_distinct_tables(tmp_path):
    _odoo_sample(tmp_path / "odoo")
    assert _import(tmp_path / "odoo", "odoo.yaml", tmp_path / "out") == 0
    ws = tmp_path / "out" / "workspace.duckdb"
    assert _rows(ws, "SELECT rep_id, team FROM reps ORDER BY 1") == [("Marc Petit", "Équipe Nord"),
                                                                      ("Élodie Brun", "Équipe Sud")]
    assert _rows(ws, "SELECT count(*) FROM accounts") == [(2,)]
    assert _rows(ws, "SELECT stage, amount, probability, close_date::VARCHAR FROM opportunities "
                     "ORDER BY amount DESC") == [
        ("proposal", 12500.5, 0.4, "2026-11-15"), ("won", 3000.0, 1.0, "2026-09-30"),
        ("qualification", 800.0, 0.2, "2026-12-20")]


def test_dry_run_reports_problems_and_unmapped_values_without_writing(tmp_path, capsys):
    _odoo_sample(tmp_path / "odoo")
    path = tmp_path / "odoo" / "crm.lead.csv"
    path.write_bytes(path.read_bytes().replace(b";Won;", b";Signed;"))
    assert _import(tmp_path / "odoo", "odoo.yaml", tmp_path / "out", "--dry-run") == 2
    captured = capsys.readouterr()
    assert "opportunities (crm.lead.csv): 3 read, 0 filtered out, 1 rejected, 2 valid" in captured.out
    assert "reps (crm.lead.csv): 3 read, 0 filtered out, 1 merged (distinct), 0 rejected, 2 valid" in captured.out
    assert "values without a mapping: stage: Signed" in captured.out
    assert "source columns not used: Opportunity" in captured.out
    assert ("Dry run: the import would be refused (1 problem;" in captured.err
            and "column 'stage' has 1 value not among the allowed values (prospecting, qualification, proposal, "
                "negotiation, won, lost) (row 3): e.g. 'Signed'" in captured.err)
    assert not (tmp_path / "out").exists()


def test_template_and_shipped_mappings_are_valid():
    for path in sorted(MAPPINGS.glob("*.yaml")):
        load_mapping(path)


@pytest.mark.parametrize("edit, message", [
    ({"columns": {"opportunity_id": "ID", "account_id": "Customer", "rep_id": "Salesperson",
                  "stage": "Stage", "amount": "Expected Revenue", "created_date": "Created on",
                  "close_date": "Nope"}}, "mapped column(s) 'Nope' not in the file"),
    ({"columns": {"opportunity_id": "ID"}}, "required column 'account_id' is not mapped"),
    ({"derived": {"discount": "1 - `No Such Column` / 2"}}, "expression for 'discount'"),
    ({"columns": {"colour": "Stage"}}, "'colour' is not a column of the contract table"),
])
def test_bad_mapping_gets_a_clear_error(tmp_path, capsys, edit, message):

    _odoo_sample(tmp_path / "odoo")
    mapping = yaml.safe_load((MAPPINGS / "odoo.yaml").read_text())
    mapping["tables"]["opportunities"].update(edit)
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True))
    code = main(["import", "--mapping", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "out"),
                 str(tmp_path / "odoo")])
    assert code == 2 and message in capsys.readouterr().err
    with pytest.raises(ParameterError):
        if "expression" not in message and "not in the file" not in message:
            load_mapping(tmp_path / "bad.yaml")
        else:
            raise ParameterError("checked at conversion")


def test_whole_batch_runs_on_an_opportunities_only_export(tmp_path):
    _odoo_sample(tmp_path / "odoo")
    assert _import(tmp_path / "odoo", "odoo.yaml", tmp_path / "data") == 0
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "defaults.yaml").write_text(
        f"data_dir: {tmp_path / 'data'}\noutputs: outputs\nnotebooks_dir: {root / 'notebooks'}\nworkers: 2\n")
    code = main(["run", "--params", str(tmp_path / "params"), "--quiet", "--plan",
                 str(root / "params" / "plans" / "demo.yaml")])
    assert code == 0
    month = next((tmp_path / "outputs").glob("*/index.html")).parent  # latest complete month
    index = (month / "index.html").read_text()
    assert "skipped: needs order_lines, not in the data" in index
    assert "skipped: needs survey_answers, not in the data" in index
    for nb in ("01_data_quality", "07_scoring", "08_field_tours", "10_activity_pipeline"):
        assert (month / "all" / f"{nb}.html").exists(), nb
    assert "without contacts" in index
    text = (month / "all" / "10_activity_pipeline.html").read_text()
    assert "No activities table: activity KPIs" in text


def _write_yaml(path: Path, data: dict) -> Path:

    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


SHOP = {
    "name": "Shop", "currency": "gbp", "country": "GB",
    "tables": {
        "reps": {"file": "reps.csv", "columns": {"rep_id": "Rep", "name": "Rep", "team": "Team", "region": "Region"}},
        "products": {"file": "products.csv",
                     "columns": {"product_id": "SKU", "name": "Name", "family": "Family", "list_price": "Price"}},
        "order_lines": {
            "file": "lines.csv", "where": "Note != 'test'",
            "columns": {"line_id": "Line", "order_id": "Invoice", "order_date": "Date", "rep_id": "Rep",
                        "product_id": "SKU", "list_price": "Price", "discount": "Disc"},
            "derived": {"quantity": "if_else(startswith(Invoice, 'C'), -abs(Qty), Qty)"},
            "defaults": {"discount": 0}},
    },
}


def _shop(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "reps.csv").write_text("Rep,Team,Region\nR1,East,E\nR2,,W\n")
    (folder / "products.csv").write_text("SKU,Name,Family,Price\nP1,Pen,Office,10\n")
    (folder / "lines.csv").write_text(
        "Line,Invoice,Date,Rep,SKU,Qty,Price,Disc,Note\n"
        "L1,I1,2026-01-05,R1,P1,2,10,0.1,ok\n"        # row 2: imported
        "L2,C1,2026-01-06,R1,P1,1,10,,\n"            # row 3: credit line, discount from the default
        "L3,I2,2026-01-07,R1,P1,5,10,0,test\n"       # row 4: filtered out
        "L4,I3,2026-01-08,R2,P1,1,10,0,ok\n"         # row 5: its rep (reps row 3) is rejected
        "L5,I4,notadate,R1,P1,1,10,-0.5,ok\n"        # row 6: bad date and discount
        "L6,I5,2026-01-09,R9,P1,1,10,0,ok\n"         # row 7: unknown rep
        "L7,I6,2026-01-10,R1,P1,(3),10,0,ok\n")      # row 8: accounting negative
    return _write_yaml(folder.parent / "shop.yaml", SHOP)


def _shop_import(tmp_path: Path, *extra: str) -> int:
    mapping = _shop(tmp_path / "shop")
    return main(["import", "--mapping", str(mapping), "--out", str(tmp_path / "out"), str(tmp_path / "shop"),
                 *extra])


SHOP_COUNTS = ["reps (reps.csv): 2 read, 0 filtered out, 1 rejected, 1 {}",
               "products (products.csv): 1 read, 0 filtered out, 0 rejected, 1 {}",
               "order_lines (lines.csv): 7 read, 1 filtered out, 3 rejected, 3 {}"]
SHOP_PROBLEMS = [
    "reps (reps.csv): column 'team' has 1 value empty (row 3)",
    "order_lines (lines.csv): column 'discount' has 1 value outside 0..1 (row 6)",
    "order_lines (lines.csv): column 'order_date' has 1 value that cannot be read as a date (YYYY-MM-DD) (row 6): "
    "e.g. 'notadate'",
    "order_lines (lines.csv): column 'rep_id' has 1 value not found in reps (row 7): e.g. 'R9'",
    "order_lines (lines.csv): column 'rep_id' has 1 value pointing to rejected rows of reps (row 5): e.g. 'R2'"]


def test_without_keep_going_the_import_refuses_every_problem_at_once_and_writes_nothing(tmp_path, capsys):
    assert _shop_import(tmp_path) == 2
    captured = capsys.readouterr()
    for line in SHOP_COUNTS:
        assert line.format("valid") in captured.out
    assert "Import refused, nothing written (5 problems;" in captured.err
    for problem in SHOP_PROBLEMS:
        assert f"- {problem}\n" in captured.err + "\n"
    assert not (tmp_path / "out").exists()


def test_keep_going_imports_valid_rows_and_lists_rejects_with_source_rows(tmp_path, capsys):
    assert _shop_import(tmp_path, "--keep-going") == 0
    out = capsys.readouterr().out
    for line in SHOP_COUNTS:
        assert line.format("imported") in out
    for problem in SHOP_PROBLEMS:
        assert f"  rejected: {problem}" in out
    ws = tmp_path / "out" / "workspace.duckdb"
    assert _rows(ws, "SELECT line_id, quantity, discount, order_date::VARCHAR FROM order_lines ORDER BY 1") == [
        ("L1", 2.0, 0.1, "2026-01-05"), ("L2", -1.0, 0.0, "2026-01-06"), ("L7", -3.0, 0.0, "2026-01-10")]
    assert _rows(ws, "SELECT rep_id, team FROM reps") == [("R1", "East")]
    lines = pd.read_csv(tmp_path / "out" / "rejects" / "order_lines.csv", dtype=str)
    assert lines[["source_file", "source_row", "reason", "Line", "Date", "Disc"]].values.tolist() == [
        ["lines.csv", "5", "rep_id: 'R2' points to a rejected row of reps", "L4", "2026-01-08", "0"],
        ["lines.csv", "6", "order_date: 'notadate' is not a date (YYYY-MM-DD); discount: -0.5 is outside 0..1",
         "L5", "notadate", "-0.5"],
        ["lines.csv", "7", "rep_id: 'R9' not found in reps", "L6", "2026-01-09", "0"]]
    reps = pd.read_csv(tmp_path / "out" / "rejects" / "reps.csv", dtype=str, keep_default_na=False)
    assert reps.values.tolist() == [["reps.csv", "3", "team: empty", "R2", "", "W"]]
    assert not (tmp_path / "out" / "rejects" / "products.csv").exists()
    assert yaml.safe_load((tmp_path / "out" / "dataset.yaml").read_text()) == {"currency": "GBP", "country": "GB"}
    assert sorted(p.name for p in (tmp_path / "out").glob("*.csv")) == ["order_lines.csv", "products.csv",
                                                                         "reps.csv"]


def test_dry_run_agrees_with_the_import(tmp_path, capsys):
    assert _shop_import(tmp_path, "--dry-run") == 2
    captured = capsys.readouterr()
    assert "Dry run: the import would be refused (5 problems;" in captured.err
    for problem in SHOP_PROBLEMS:
        assert problem in captured.err
    for line in SHOP_COUNTS:
        assert line.format("valid") in captured.out
    assert _shop_import(tmp_path, "--dry-run", "--keep-going") == 0
    out = capsys.readouterr().out
    for line in SHOP_COUNTS:
        assert line.format("would be imported") in out
    for problem in SHOP_PROBLEMS:
        assert f"  rejected: {problem}" in out
    assert "Dry run: nothing written." in out
    assert not (tmp_path / "out").exists()


def test_a_clean_dry_run_exits_0_and_the_import_matches_it(tmp_path, capsys):
    _odoo_sample(tmp_path / "odoo")
    assert _import(tmp_path / "odoo", "odoo.yaml", tmp_path / "out", "--dry-run") == 0
    dry = capsys.readouterr().out
    assert "opportunities (crm.lead.csv): 3 read, 0 filtered out, 0 rejected, 3 would be imported" in dry
    assert not (tmp_path / "out").exists()
    assert _import(tmp_path / "odoo", "odoo.yaml", tmp_path / "out") == 0
    assert "opportunities (crm.lead.csv): 3 read, 0 filtered out, 0 rejected, 3 imported" in capsys.readouterr().out
    assert not (tmp_path / "out" / "dataset.yaml").exists()  # the Odoo mapping names no currency or country
