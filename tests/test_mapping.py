"""Shipped CRM mappings import samples written in each CRM's export format."""

from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from salesnb.core.errors import ParameterError
from salesnb.data.mapping import load_mapping
from salesnb.run.cli import main

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
    plan = yaml.safe_load((root / "params" / "plans" / "demo.yaml").read_text()) | {"teams": ["all"]}
    code = main(["run", "--params", str(tmp_path / "params"), "--quiet", "--plan",
                 str(_write_yaml(tmp_path / "plan.yaml", plan))])
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
    assert out.count("  source columns not used: none\n") == 3  # Qty and Note are read by expressions
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


PAYLOADS = [
    "@pd.io.common.os.system('touch {marker}')",
    "__import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "glob.os.system('touch {marker}')",
    "Qty.__class__",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "f\"{{__import__('os').system('touch {marker}')}}\"",
]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("where", ["derived", "where"])
@pytest.mark.parametrize("dry", [False, True])
def test_expressions_cannot_run_code(tmp_path, capsys, payload, where, dry):
    marker = tmp_path / "owned"
    text = payload.format(marker=marker)
    mapping = _shop(tmp_path / "shop")
    data = yaml.safe_load(mapping.read_text())
    if where == "derived":
        data["tables"]["order_lines"]["derived"]["quantity"] = text
    else:
        data["tables"]["order_lines"]["where"] = text
    _write_yaml(mapping, data)
    code = main(["import", "--mapping", str(mapping), "--out", str(tmp_path / "out"), str(tmp_path / "shop"),
                 *(["--dry-run"] if dry else [])])
    err = capsys.readouterr().err
    what = "the expression for 'quantity'" if where == "derived" else "the row filter (where)"
    assert code == 2 and f"{mapping}: order_lines: {what} " in err and "is not allowed" in err
    assert not marker.exists() and not (tmp_path / "out").exists()


def test_an_expression_error_names_mapping_table_column_and_part(tmp_path, capsys):
    mapping = _shop(tmp_path / "shop")
    data = yaml.safe_load(mapping.read_text())
    data["tables"]["order_lines"]["derived"]["quantity"] = "Qty * `Unit Cost`.real"
    _write_yaml(mapping, data)
    assert main(["import", "--mapping", str(mapping), str(tmp_path / "shop")]) == 2
    assert (f"{mapping}: order_lines: the expression for 'quantity' 'Qty * `Unit Cost`.real' is not allowed: "
            "attribute access (a.b) is not allowed in '`Unit Cost`.real'.") in capsys.readouterr().err


@pytest.mark.parametrize("pattern, message", [
    ("/etc/passwd", "file pattern '/etc/passwd' must be a name inside the export folder, not an absolute path"),
    ("../secret.csv", "file pattern '../secret.csv' must stay inside the export folder (no '..')"),
    ("sub/../../secret.csv", "file pattern 'sub/../../secret.csv' must stay inside the export folder"),
    ("C:\\data\\reps.csv", "file pattern 'C:\\data\\reps.csv' must be a name inside the export folder"),
    ("link.csv", "reps: file pattern 'link.csv' matches link.csv, a link to a file outside the export folder"),
])
def test_file_patterns_stay_inside_the_export_folder(tmp_path, capsys, pattern, message):
    mapping = _shop(tmp_path / "shop")
    (tmp_path / "secret.csv").write_text("Rep,Team,Region\nX,Y,Z\n")
    (tmp_path / "shop" / "link.csv").symlink_to(tmp_path / "secret.csv")
    data = yaml.safe_load(mapping.read_text())
    data["tables"]["reps"]["file"] = pattern
    _write_yaml(mapping, data)
    for extra in ([], ["--dry-run"]):
        code = main(["import", "--mapping", str(mapping), "--out", str(tmp_path / "out"), str(tmp_path / "shop"),
                     *extra])
        assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_where_defaults_and_catch_all_values(tmp_path):
    src = tmp_path / "crm"
    src.mkdir()
    (src / "users.csv").write_text("Owner\nAna\n")
    (src / "deals.csv").write_text(
        "Id,Owner,Stage,Amount,Created,Close,Kind,Account\n"
        "D1,Ana,Won,100,2026-01-02,2026-02-01,deal,\n"
        "D2,Ana,Signed,200,2026-01-03,,deal,\n"        # "*" → prospecting; close date empty (allowed)
        "D3,Ana,Lost,,2026-01-04,2026-02-03,deal,\n"    # amount from the default
        "D4,Ana,Won,50,2026-01-05,2026-02-04,test,\n"   # filtered out
        "D5,Ana,,70,2026-01-06,2026-02-05,deal,\n")     # empty stage: the default, not "*"
    mapping = _write_yaml(tmp_path / "m.yaml", {"tables": {
        "reps": {"file": "users.csv", "columns": {"rep_id": "Owner", "name": "Owner"},
                 "constants": {"team": "sales", "region": "all"}},
        "opportunities": {
            "file": "deals.csv", "where": "Kind != 'test'",
            "columns": {"opportunity_id": "Id", "rep_id": "Owner", "stage": "Stage", "amount": "Amount",
                        "created_date": "Created", "close_date": "Close", "account_id": "Account"},
            "values": {"stage": {"Won": "won", "Lost": "lost", "*": "prospecting"}},
            "defaults": {"amount": 0, "stage": "qualification"}}}})
    assert main(["import", "--mapping", str(mapping), "--out", str(tmp_path / "out"), str(src)]) == 0
    assert _rows(tmp_path / "out" / "workspace.duckdb",
                 "SELECT opportunity_id, stage, amount, close_date::VARCHAR FROM opportunities ORDER BY 1") == [
        ("D1", "won", 100.0, "2026-02-01"), ("D2", "prospecting", 200.0, None), ("D3", "lost", 0.0, "2026-02-03"),
        ("D5", "qualification", 70.0, "2026-02-05")]


def test_a_values_map_of_exceptions_keeps_every_other_value_without_a_warning(tmp_path, capsys):
    src = tmp_path / "crm"
    src.mkdir()
    (src / "items.csv").write_text("SKU,Name,Family,Price\nP1,a,Pens,1\nP2,b,Ink & toner,2\nP3,c,Paper,3\n")
    columns = {"product_id": "SKU", "name": "Name", "family": "Family", "list_price": "Price"}
    for catch_all, families in (({"*": "*"}, ["Pens", "ink", "Paper"]), ({}, ["Pens", "ink", "Paper"]),
                                ({"*": "other"}, ["other", "ink", "other"])):
        mapping = _write_yaml(tmp_path / "m.yaml", {"tables": {"products": {
            "file": "items.csv", "columns": columns, "values": {"family": {"Ink & toner": "ink", **catch_all}}}}})
        out = tmp_path / f"out{len(catch_all)}{catch_all.get('*', '')}"
        capsys.readouterr()
        assert main(["import", "--mapping", str(mapping), "--out", str(out), str(src)]) == 0
        assert _rows(out / "workspace.duckdb", "SELECT family FROM products ORDER BY product_id") == [
            (f,) for f in families]
        capsys.readouterr()
        assert main(["import", "--mapping", str(mapping), "--dry-run", str(src)]) == 0
        said = capsys.readouterr().out
        assert ("values without a mapping: family: Paper, Pens" in said) == (not catch_all), said


def test_a_deal_closed_above_list_price_is_imported_with_a_negative_discount(tmp_path):
    src = tmp_path / "crm"
    src.mkdir()
    (src / "users.csv").write_text("Owner\nAna\n")
    (src / "deals.csv").write_text("Id,Owner,Stage,Net,List,Created,Close,Account\n"
                                   "D1,Ana,won,110,100,2026-01-02,2026-02-01,\n"
                                   "D2,Ana,won,90,100,2026-01-03,2026-02-01,\n"
                                   "D3,Ana,won,210,100,2026-01-04,2026-02-01,\n")
    mapping = _write_yaml(tmp_path / "m.yaml", {"tables": {
        "reps": {"file": "users.csv", "columns": {"rep_id": "Owner", "name": "Owner"},
                 "constants": {"team": "sales", "region": "all"}},
        "opportunities": {
            "file": "deals.csv", "columns": {"opportunity_id": "Id", "rep_id": "Owner", "stage": "Stage",
                                             "amount": "Net", "created_date": "Created", "close_date": "Close",
                                             "account_id": "Account"},
            "derived": {"discount": "1 - Net / List"}}}})
    out = tmp_path / "out"
    assert main(["import", "--mapping", str(mapping), "--out", str(out), "--keep-going", str(src)]) == 0
    assert _rows(out / "workspace.duckdb", "SELECT opportunity_id, round(discount, 2) FROM opportunities "
                                           "ORDER BY 1") == [("D1", -0.1), ("D2", 0.1)]
    assert "D3" in (out / "rejects" / "opportunities.csv").read_text()  # more than twice list price: a typo


def test_row_numbers_after_where_are_the_users_rows(tmp_path, capsys):
    src = tmp_path / "crm"
    src.mkdir()
    (src / "products.csv").write_text("SKU,Name,Family,Price,Keep\nP1,a,f,1,no\nP2,b,f,2,no\nP3,c,f,x,yes\n")
    mapping = _write_yaml(tmp_path / "m.yaml", {"tables": {"products": {
        "file": "products.csv", "where": "Keep == 'yes'",
        "columns": {"product_id": "SKU", "name": "Name", "family": "Family", "list_price": "Price"}}}})
    assert main(["import", "--mapping", str(mapping), "--dry-run", str(src)]) == 2
    captured = capsys.readouterr()
    assert "products (products.csv): 3 read, 2 filtered out, 1 rejected, 0 valid" in captured.out
    assert "column 'list_price' has 1 value that cannot be read as a number (row 4): e.g. 'x'" in captured.err


def test_lookups_take_a_column_from_another_file(tmp_path):
    src = tmp_path / "crm"
    src.mkdir()
    (src / "items.csv").write_text("SKU,Name,Price\nP1,Pen,1.5\nP2,Ink,3\nP3,Pad,2\n")
    (src / "families.txt").write_bytes("Code;Famille\nP1;Écriture\nP2;Écriture\nP9;Autre\n".encode("latin-1"))
    lookup = {"file": "families.txt", "key": "Code", "on": "SKU", "value": "Famille", "encoding": "latin-1",
              "delimiter": ";"}
    mapping = _write_yaml(tmp_path / "m.yaml", {"tables": {"products": {
        "file": "items.csv", "columns": {"product_id": "SKU", "name": "Name", "list_price": "Price"},
        "lookups": {"family": lookup}, "defaults": {"family": "Other"}}}})
    assert main(["import", "--mapping", str(mapping), "--out", str(tmp_path / "out"), str(src)]) == 0
    assert _rows(tmp_path / "out" / "workspace.duckdb", "SELECT product_id, family, list_price FROM products "
                 "ORDER BY 1") == [("P1", "Écriture", 1.5), ("P2", "Écriture", 3.0), ("P3", "Other", 2.0)]


def test_a_derived_column_may_use_a_looked_up_column(tmp_path, capsys):
    src = tmp_path / "crm"
    src.mkdir()
    (src / "items.csv").write_text("SKU,Name,Family,Margin\nP1,Pen,a,0.5\nP2,Ink,a,1\n")
    (src / "prices.csv").write_text("Code,Price\nP1,1.5\nP2,3\n")
    lookup = {"file": "prices.csv", "key": "Code", "on": "SKU", "value": "Price"}
    mapping = _write_yaml(tmp_path / "m.yaml", {"tables": {"products": {
        "file": "items.csv", "columns": {"product_id": "SKU", "name": "Name", "family": "Family"},
        "lookups": {"list_price": lookup}, "derived": {"unit_cost": "list_price - Margin"}}}})
    assert main(["import", "--mapping", str(mapping), "--out", str(tmp_path / "out"), str(src)]) == 0
    assert _rows(tmp_path / "out" / "workspace.duckdb", "SELECT product_id, list_price, unit_cost FROM products "
                 "ORDER BY 1") == [("P1", 1.5, 1.0), ("P2", 3.0, 2.0)]
    typo = _write_yaml(tmp_path / "typo.yaml", {"tables": {"products": {
        "file": "items.csv", "columns": {"product_id": "SKU", "name": "Name", "family": "Family"},
        "lookups": {"list_price": lookup}, "derived": {"unit_cost": "listprice - Margin"}}}})
    capsys.readouterr()
    assert main(["import", "--mapping", str(typo), "--dry-run", str(src)]) == 2
    assert "uses unknown column(s) 'listprice'" in capsys.readouterr().err


def test_a_lookup_key_twice_is_an_error_naming_file_and_rows(tmp_path, capsys):
    src = tmp_path / "crm"
    src.mkdir()
    (src / "items.csv").write_text("SKU,Name,Price\nP1,Pen,1.5\n")
    (src / "families.csv").write_text("Code,Family\nP1,A\nP2,B\nP1,C\n")
    mapping = _write_yaml(tmp_path / "m.yaml", {"tables": {"products": {
        "file": "items.csv", "columns": {"product_id": "SKU", "name": "Name", "list_price": "Price"},
        "lookups": {"family": {"file": "families.csv", "key": "Code", "on": "SKU", "value": "Family"}}}}})
    assert main(["import", "--mapping", str(mapping), "--dry-run", str(src)]) == 2
    assert ("families.csv: lookup key column 'Code' has values that appear more than once (rows 2, 4): e.g. 'P1'"
            in capsys.readouterr().err)


def _products(tmp_path: Path, file: str, **table) -> tuple[Path, Path]:
    src = tmp_path / "crm"
    src.mkdir(exist_ok=True)
    mapping = _write_yaml(tmp_path / "m.yaml", {"tables": {"products": {
        "file": file, "columns": {"product_id": "SKU", "name": "Name", "family": "Family", "list_price": "Price"},
        **table}}})
    return src, mapping


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx", ".tsv"])
def test_parquet_excel_and_tsv_exports(tmp_path, suffix):
    src, mapping = _products(tmp_path, f"items{suffix}")
    frame = pd.DataFrame({"SKU": [101, 102], "Name": ["Pen", "Ink"], "Family": ["Office", None],
                          "Price": [1.5, 3.0]})
    if suffix == ".parquet":
        frame.to_parquet(src / "items.parquet")
    elif suffix == ".xlsx":
        frame.to_excel(src / "items.xlsx", index=False)
    else:
        frame.to_csv(src / "items.tsv", sep="\t", index=False)
    data = yaml.safe_load(mapping.read_text())
    data["tables"]["products"]["defaults"] = {"family": "Other"}
    _write_yaml(mapping, data)
    assert main(["import", "--mapping", str(mapping), "--out", str(tmp_path / "out"), str(src)]) == 0
    assert _rows(tmp_path / "out" / "workspace.duckdb", "SELECT * EXCLUDE (unit_cost, max_discount) FROM products "
                 "ORDER BY 1") == [("101", "Pen", "Office", 1.5), ("102", "Ink", "Other", 3.0)]


@pytest.mark.parametrize("name, content, message", [
    ("items.json", b"{}", "items.json: file type .json is not supported (csv, txt, tsv, xlsx, xls, parquet)."),
    ("items.xlsx", b"not a zip", "items.xlsx: cannot be read as an Excel workbook: ValueError: Excel file format"),
    ("items.xlsx", None, "items.xlsx: cannot be read as an Excel workbook"),
    ("items.parquet", b"PAR1 nope", "items.parquet: cannot be read as a Parquet file"),
    ("items.csv", "SKU,Name\nPé,x\n".encode("latin-1"), "items.csv: cannot be read as utf-8 ("),
    ("items.csv", b"", "items.csv: the file is empty (no header row)."),
])
def test_unreadable_files_get_a_clean_message(tmp_path, capsys, name, content, message):
    import zipfile

    src, mapping = _products(tmp_path, name)
    if content is None:
        with zipfile.ZipFile(src / name, "w") as z:
            z.writestr("hello.txt", "a zip posing as a workbook")
    else:
        (src / name).write_bytes(content)
    assert main(["import", "--mapping", str(mapping), "--dry-run", str(src)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    if name.endswith(".json"):
        assert "encoding" not in err


@pytest.mark.parametrize("edit, message", [
    ({"encoding": "utf-9"}, "products: unknown encoding 'utf-9' (utf-8, latin-1 and cp1252 are common)"),
    ({"lookups": {"family": {"file": "f.csv", "key": "K", "on": "SKU", "value": "V", "encoding": "klingon"}}},
     "products: unknown encoding 'klingon'"),
    ({"lookups": {"family": {"file": "/tmp/f.csv", "key": "K", "on": "SKU", "value": "V"}}},
     "products: 'family' is given in both columns and lookups; keep one; products: file pattern '/tmp/f.csv' must "
     "be a name inside the export folder"),
    ({"defaults": {"colour": "red"}}, "products: 'colour' is not a column of the contract table"),
    ({"where": "Price >"}, "products: the row filter (where) 'Price >' is not allowed: not a valid expression"),
])
def test_mapping_mistakes_are_caught_before_reading(tmp_path, edit, message):
    _, mapping = _products(tmp_path, "items.csv", **edit)
    with pytest.raises(ParameterError) as exc:
        load_mapping(mapping)
    assert message in str(exc.value)


@pytest.mark.parametrize("field, value, message", [
    ("currency", "dollars", "currency must be a 3-letter ISO 4217 code, not 'dollars'"),
    ("country", "GBR", "country must be a 2-letter ISO 3166 code, not 'GBR'"),
])
def test_currency_and_country_must_be_iso_codes(tmp_path, field, value, message):
    _, mapping = _products(tmp_path, "items.csv")
    data = yaml.safe_load(mapping.read_text()) | {field: value}
    _write_yaml(mapping, data)
    with pytest.raises(ParameterError, match=message):
        load_mapping(mapping)


def test_dataset_yaml_holds_only_what_the_mapping_gives(tmp_path):
    src, mapping = _products(tmp_path, "items.csv")
    (src / "items.csv").write_text("SKU,Name,Family,Price\nP1,Pen,Office,1\n")
    _write_yaml(mapping, yaml.safe_load(mapping.read_text()) | {"country": "fr"})
    assert main(["import", "--mapping", str(mapping), "--out", str(tmp_path / "out"), str(src)]) == 0
    assert yaml.safe_load((tmp_path / "out" / "dataset.yaml").read_text()) == {"country": "FR"}


@pytest.mark.parametrize("raw, expected", [
    ("12.50", 12.5), ("-3", -3.0), ("(12.50)", -12.5), ("12.50-", -12.5), ("\u22127", -7.0), ("$1,234.50", 1234.5),
    ("(1,234.50 €)", -1234.5), ("35%", 35.0),
])
def test_numbers_keep_their_sign(raw, expected):
    from salesnb.data.mapping import TableMapping, _number

    text = _number(pd.Series([raw]), TableMapping(file="x.csv", thousands=","))
    assert float(text.iloc[0]) == expected


def test_all_unknown_columns_of_a_table_are_named_at_once(tmp_path, capsys):
    src, mapping = _products(tmp_path, "items.csv", where="Keep == 'y'", derived={"unit_cost": "Cost * 2"})
    (src / "items.csv").write_text("SKU,Name,Price\nP1,Pen,1\n")
    assert main(["import", "--mapping", str(mapping), "--dry-run", str(src)]) == 2
    assert (f"{mapping}: products: mapped column(s) 'Family' not in the file; the row filter (where) \"Keep == 'y'\" "
            "uses unknown column(s) 'Keep'; the expression for 'unit_cost' 'Cost * 2' uses unknown column(s) 'Cost' "
            "(columns of items.csv: SKU, Name, Price).") in capsys.readouterr().err


def test_an_expression_failing_on_the_data_names_where_it_failed(tmp_path, capsys):
    src, mapping = _products(tmp_path, "items.csv", where="Name")
    (src / "items.csv").write_text("SKU,Name,Family,Price\nP1,Pen,Office,1\n")
    assert main(["import", "--mapping", str(mapping), "--dry-run", str(src)]) == 2
    assert (f"{mapping}: products: the row filter (where) 'Name' failed on items.csv: 'Name' is text, not a "
            "condition; compare it, e.g. Name == 'yes'.") in capsys.readouterr().err


def test_the_template_runs_as_documented(tmp_path):
    src = tmp_path / "export"
    src.mkdir()
    (src / "deals.csv").write_text(
        "Deal ID,Company ID,Owner,Stage,Amount,Created,Close date,Pipeline,Net amount,List amount\n"
        "D1,C1,Ana,Won,1000,05/01/2026,20/02/2026,Sales,75,100\n"
        "D2,C1,Ana,Stalled,,06/01/2026,,Sales,80,80\n"
        "D3,C2,Ana,Lost,10,07/01/2026,08/01/2026,Partners,1,1\n")
    (src / "deal_products.csv").write_text("Deal;Product\nD1;P1\n")
    (src / "users.csv").write_text("Owner,Team\nAna,East\n")
    lines = pd.DataFrame({"Line": [1, 2], "InvoiceNo": ["536365", "C536379"],
                          "InvoiceDate": ["2026-01-05", "2026-01-06"], "StockCode": ["P1", "P1"],
                          "UnitPrice": [2.5, 2.5], "Country": ["United Kingdom", "France"], "Quantity": [6, 2]})
    with pd.ExcelWriter(src / "invoices.xlsx") as writer:
        lines.to_excel(writer, sheet_name="Lines", index=False)
    assert _import(src, "template.yaml", tmp_path / "out") == 0
    ws = tmp_path / "out" / "workspace.duckdb"
    assert _rows(ws, "SELECT opportunity_id, stage, amount, discount, product_id, close_date::VARCHAR, "
                     "forecast_category FROM opportunities ORDER BY 1") == [
        ("D1", "won", 1000.0, 0.25, "P1", "2026-02-20", "pipeline"),
        ("D2", "prospecting", 0.0, 0.0, None, None, "pipeline")]
    assert _rows(ws, "SELECT line_id, order_id, quantity, team FROM order_lines ORDER BY 1") == [
        ("1", "536365", 6.0, "United Kingdom"), ("2", "C536379", -2.0, "France")]
    assert yaml.safe_load((tmp_path / "out" / "dataset.yaml").read_text()) == {"currency": "EUR", "country": "FR"}


def test_a_second_import_replaces_the_reject_files(tmp_path, capsys):
    assert _shop_import(tmp_path, "--keep-going") == 0
    (tmp_path / "shop" / "reps.csv").write_text("Rep,Team,Region\nR1,East,E\nR2,West,W\n")
    assert main(["import", "--mapping", str(tmp_path / "shop.yaml"), "--out", str(tmp_path / "out"),
                 "--keep-going", str(tmp_path / "shop")]) == 0
    assert "order_lines (lines.csv): 7 read, 1 filtered out, 2 rejected, 4 imported" in capsys.readouterr().out
    assert not (tmp_path / "out" / "rejects" / "reps.csv").exists()
    rejects = pd.read_csv(tmp_path / "out" / "rejects" / "order_lines.csv", dtype=str)
    assert rejects["source_row"].tolist() == ["6", "7"]
    assert _rows(tmp_path / "out" / "workspace.duckdb", "SELECT count(*) FROM order_lines") == [(4,)]
