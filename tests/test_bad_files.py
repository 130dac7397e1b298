"""Bad input files through `salesnb validate` and `salesnb import`: every one ends in a message naming the file
(and the column and rows where there are some), exit code 2, nothing written, never a traceback."""

import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import write_tiny
from test_mapping import _shop, _write_yaml

from salesnb.run.cli import main

FOLDER_RULE = "cannot name a report folder"


def _csv(table: str, content: str | bytes):
    def write(d: Path) -> None:
        (d / f"{table}.csv").write_bytes(content if isinstance(content, bytes) else content.encode())
    return write


def _cell(table: str, column: str, row: int, value: str):
    def write(d: Path) -> None:
        path = d / f"{table}.csv"
        df = pd.read_csv(path, dtype=str)
        df.loc[row, column] = value
        df.to_csv(path, index=False)
    return write


def _instead(table: str, name: str, content):
    def write(d: Path) -> None:
        (d / f"{table}.csv").unlink()
        if callable(content):
            content(d / name)
        else:
            (d / name).write_bytes(content)
    return write


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.txt", "a zip posing as a workbook")


def _bool_quantity(d: Path) -> None:
    lines = pd.read_csv(d / "order_lines.csv")
    lines.assign(quantity=lines["quantity"] > 1).to_parquet(d / "order_lines.parquet")
    (d / "order_lines.csv").unlink()


def _both(*steps):
    def write(d: Path) -> None:
        for step in steps:
            step(d)
    return write


REPS = "rep_id,name,team,region\n"
SURVEY = "response_id,survey_date,team,question_id,score\n"
RNG = __import__("random").Random(7)
GARBAGE = bytes(RNG.randrange(128, 256) for _ in range(300))

FOLDERS = {
    "empty file": (_csv("reps", ""), ["reps.csv: the file is empty (no header row)"]),
    "latin-1 text": (_csv("reps", (REPS + "R1,Zoé,a,X\nR2,Bo,b,Y\n").encode("latin-1")),
                     ["reps.csv: is not UTF-8", "save it as CSV UTF-8"]),
    "UTF-16 text": (_csv("reps", (REPS + "R1,Ana,a,X\nR2,Bo,b,Y\n").encode("utf-16")),
                    ["reps.csv: row 1 holds a NUL character"]),
    "binary garbage": (_csv("reps", GARBAGE), ["reps.csv: is not UTF-8"]),
    "latin-1 on line 3": (_csv("reps", (REPS + "R1,Ana,a,X\nR2,Zoé,b,Y\n").encode("latin-1")),
                          ["reps.csv: is not UTF-8 (invalid continuation byte on line 3)"]),
    "zip posing as xlsx": (_instead("reps", "reps.xlsx", _zip), ["reps.xlsx: cannot be read as xlsx"]),
    "text posing as xlsx": (_instead("reps", "reps.xlsx", b"hello"), ["reps.xlsx: cannot be read as xlsx"]),
    "garbage parquet": (_instead("reps", "reps.parquet", b"PAR1 nope"), ["reps.parquet: cannot be read as parquet"]),
    "empty workbook": (_instead("reps", "reps.xlsx", lambda p: pd.DataFrame().to_excel(p)),
                       ["reps.xlsx: required columns 'rep_id', 'name', 'team', 'region' are missing"]),
    "repeated header": (_csv("reps", "rep_id,name,team,team,region\nR1,Ana,a,b,X\nR2,Bo,b,b,Y\n"),
                        ["reps.csv: column 'team' appears more than once in the header row"]),
    "missing column": (_csv("reps", "rep_id,name,region\nR1,Ana,X\nR2,Bo,Y\n"),
                       ["reps.csv: required column 'team' is missing (columns found: rep_id, name, region)"]),
    "first row too long": (_csv("reps", REPS + "R1,Ana,a,X,extra,more\nR2,Bo,b,Y\n"),
                           ["reps.csv: row 2 has 6 values where the header row has 4 columns"]),
    "later row too long": (_csv("reps", REPS + "R1,Ana,a,X\nR2,Bo,b,Y,extra\n"),
                           ["reps.csv: row 3 has 5 values where the header row has 4 columns"]),
    "unclosed quote": (_csv("reps", REPS + 'R1,"Ana,a,X\nR2,Bo,b,Y\n'),
                       ["reps.csv: a quote opened on row 2 is never closed"]),
    "NUL in a name": (_csv("reps", (REPS + "R1,An\x00a,a,X\nR2,Bo,b,Y\n").encode()),
                      ["reps.csv: row 2 holds a NUL character"]),
    "semicolons": (_csv("reps", "rep_id;name;team;region\nR1;Ana;a;X\nR2;Bo;b;Y\n"),
                   ["reps.csv: required columns", "seems to be separated by ';'"]),
    "text in a number": (_cell("order_lines", "quantity", 1, "two"),
                         ["order_lines.csv: column 'quantity' has 1 value that cannot be read as a number (row 3)"]),
    "decimal comma": (_cell("order_lines", "quantity", 1, "1,5"),
                      ["order_lines.csv: column 'quantity' has 1 value that cannot be read as a number (row 3)"]),
    "infinite price": (_cell("order_lines", "list_price", 1, "inf"),
                       ["order_lines.csv: column 'list_price' has 1 value that is not a finite number (row 3)"]),
    "overflowing number": (_cell("order_lines", "quantity", 1, "1e400"),
                           ["order_lines.csv: column 'quantity' has 1 value that is not a finite number (row 3)"]),
    "NaN written out": (_cell("order_lines", "list_price", 1, "NaN"),
                        ["order_lines.csv: column 'list_price' has 1 value empty (row 3)"]),
    "negative price": (_cell("order_lines", "list_price", 1, "-5"),
                       ["order_lines.csv: column 'list_price' has 1 value negative (row 3)"]),
    "discount above 1": (_cell("order_lines", "discount", 1, "1.5"),
                         ["order_lines.csv: column 'discount' has 1 value outside 0..1 (row 3)"]),
    "not a date": (_cell("order_lines", "order_date", 1, "yesterday"),
                   ["order_lines.csv: column 'order_date' has 1 value that cannot be read as a date (YYYY-MM-DD) "
                    "(row 3): e.g. 'yesterday'"]),
    "day or month first": (_cell("order_lines", "order_date", 1, "03/08/2026"),
                           ["column 'order_date' has 1 value that cannot be read as a date (YYYY-MM-DD) (row 3): "
                            "e.g. '03/08/2026'"]),
    "order in 2099": (_cell("order_lines", "order_date", 1, "2099-01-01"),
                      ["order_lines.csv: column 'order_date' has 1 value outside 1970-01-01 .."]),
    "order in 1900": (_cell("order_lines", "order_date", 1, "1900-01-01"),
                      ["order_lines.csv: column 'order_date' has 1 value outside 1970-01-01 .."]),
    "text and a negative in one column": (_both(_cell("order_lines", "quantity", 1, "two"),
                                                _cell("order_lines", "list_price", 2, "-5"),
                                                _cell("order_lines", "list_price", 3, "ten")),
                                          ["column 'quantity' has 1 value that cannot be read as a number (row 3)",
                                           "column 'list_price' has 1 value that cannot be read as a number (row 5)",
                                           "column 'list_price' has 1 value negative (row 4)"]),
    "a number with underscores": (_cell("order_lines", "quantity", 1, "1_000"),
                                  ["column 'quantity' has 1 value that cannot be read as a number (row 3)"]),
    "an amount of 10^300": (_cell("order_lines", "list_price", 1, "1e300"),
                            ["column 'list_price' has 1 value of 10^15 or more (row 3)"]),
    "a true/false quantity in Parquet": (_bool_quantity, ["order_lines.parquet: column 'quantity' has 6 values "
                                                          "that cannot be read as a number (rows 2, 3, 4, 5, 6 and "
                                                          "1 more)"]),
    "NA as a number": (_cell("order_lines", "list_price", 1, "NULL"),
                       ["order_lines.csv: column 'list_price' has 1 value empty (row 3)"]),
    "duplicate id": (_cell("reps", "rep_id", 1, "R1"),
                     ["reps.csv: column 'rep_id' has 2 values that appear more than once (rows 2, 3)"]),
    "unknown product": (_cell("order_lines", "product_id", 1, "P9"),
                        ["order_lines.csv: column 'product_id' has 1 value not found in products (row 3)"]),
    "status not allowed": (_cell("accounts", "status", 1, "lead"),
                           ["accounts.csv: column 'status' has 1 value not among the allowed values"]),
    "team ../evil": (_cell("reps", "team", 1, "../evil"), [f"reps.csv: column 'team' has 1 value that {FOLDER_RULE}"]),
    "team 'all'": (_cell("reps", "team", 1, "all"), [f"reps.csv: column 'team' has 1 value that {FOLDER_RULE}"]),
    "team with a tab": (_cell("reps", "team", 1, "a\tb"), [f"column 'team' has 1 value that {FOLDER_RULE}"]),
    "blank name": (_cell("reps", "name", 1, "   "), ["reps.csv: column 'name' has 1 value empty (row 3)"]),
    "score 7.5": (_csv("survey_answers", SURVEY + "r1,2026-10-01,a,enps,7.5\n"),
                  ["survey_answers.csv: column 'score' has 1 value that cannot be read as a whole number (row 2)"]),
    "score 11": (_csv("survey_answers", SURVEY + "r1,2026-10-01,a,enps,11\n"),
                 ["survey_answers.csv: column 'score' has 1 value outside 0..10 (row 2)"]),
    "a quota twice": (_both(_csv("quotas", "rep_id,month,quota\nR1,2026-10-01,100\nR1,2026-10-01,120\n")),
                      ["quotas.csv: columns 'rep_id', 'month' have 2 rows that repeat the same rep_id and month; keep "
                       "one (rows 2, 3)"]),
    "an answer twice": (_csv("survey_answers", SURVEY + "r1,2026-10-01,a,enps,7\nr1,2026-10-01,a,enps,9\n"),
                        ["survey_answers.csv: columns 'response_id', 'question_id' have 2 rows that repeat"]),
    "left before hired": (_both(_cell("reps", "hire_date", 0, "2026-05-01"),
                                _cell("reps", "end_date", 0, "2026-01-31")),
                          ["reps.csv: column 'end_date' has 1 value before its 'hire_date' (row 2)"]),
    "two files, one table": (lambda d: pd.read_csv(d / "reps.csv").to_excel(d / "reps.xlsx", index=False),
                             ["two files hold table 'reps' (reps.csv and reps.xlsx)"]),
    "a folder named reps.csv": (_instead("reps", "reps.csv", lambda p: p.mkdir()), ["reps.csv: is a folder"]),
    "a pipe named reps.csv": (_instead("reps", "reps.csv", os.mkfifo),
                              ["reps.csv: is not a regular file"]),  # reading it would wait forever
    "a pipe named dataset.yaml": (lambda d: (d / "dataset.yaml").unlink() or os.mkfifo(d / "dataset.yaml"),
                                  ["dataset.yaml: not a regular file"]),
    "dataset.yaml of 2 MB": (lambda d: (d / "dataset.yaml").write_text("# " + "x" * 2_000_000 + "\n"),
                             ["dataset.yaml: over 1 MiB"]),
    "50,000 columns, one twice": (_csv("reps", ",".join(["rep_id", "name", "team", "region"] + [
        f"c{i}" for i in range(50_000)] + ["c7"]) + "\n"), ["reps.csv: column 'c7' appears more than once"]),
    "dataset.yaml not YAML": (lambda d: (d / "dataset.yaml").write_text("currency: [EUR\n"),
                              ["dataset.yaml: not valid YAML"]),
    "dataset.yaml currency list": (lambda d: (d / "dataset.yaml").write_text("currency: [EUR, USD]\n"),
                                   ["dataset.yaml: currency", "is not a three-letter ISO 4217 code"]),
    "dataset.yaml unknown key": (lambda d: (d / "dataset.yaml").write_text("- a\n"), ["dataset.yaml: expected"]),
    "two bad files at once": (_both(_cell("reps", "team", 1, "../x"), _csv("products", "")),
                              [f"reps.csv: column 'team' has 1 value that {FOLDER_RULE}",
                               "products.csv: the file is empty"]),
    "unreadable and invalid": (_both(_csv("accounts", GARBAGE), _cell("order_lines", "discount", 1, "2")),
                               ["accounts.csv: is not UTF-8", "order_lines.csv: column 'discount' has 1 value"]),
}


@pytest.mark.parametrize("case", FOLDERS)
def test_a_bad_data_folder_is_refused_with_file_column_and_rows(tmp_path, capsys, case):
    write, expected = FOLDERS[case]
    folder = write_tiny(tmp_path / "data")
    write(folder)
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    for text in expected:
        assert text in err
    assert "Traceback" not in err and not (folder / "workspace.duckdb").exists()


@pytest.mark.parametrize("content", [
    REPS + f"R1,{'A' * 1_000_000},a,X\nR2,Bo,b,Y\n",  # a long text in row 2 (over the csv module's field limit)
    REPS + "R1,Ana,NA,X\nR2,Bo,None,Y\n",  # teams called NA and None are names, not empty
    "\ufeff" + REPS + "R1,Ana,a,X\nR2,Bo,b,Y\n",  # a byte-order mark, as Excel writes CSV UTF-8
    REPS.replace("\n", "\r\n") + "R1,Ana,a,X\r\nR2,Bo,b,Y\r\n",  # Windows line ends
])
def test_what_excel_writes_is_read(tmp_path, content):
    folder = write_tiny(tmp_path / "data")
    (folder / "reps.csv").write_text(content, encoding="utf-8")
    assert main(["validate", str(folder)]) == 0


def _mapping(change):
    def write(src: Path, mapping: Path) -> None:
        data = yaml.safe_load(mapping.read_text())
        change(data)
        _write_yaml(mapping, data)
    return write


def _export(name: str, content: str | bytes):
    def write(src: Path, mapping: Path) -> None:
        (src / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return write


def _products(**change):
    return _mapping(lambda d: d["tables"]["products"].update(change))


LINES = "Line,Invoice,Date,Rep,SKU,Qty,Price,Disc,Note\nL1,I1,2026-01-05,R1,P1,2,10,0.1,ok\n"
PRODUCTS = "SKU,Name,Family,Price\n"
EXPORTS = {
    "a list as a constant": (_products(constants={"unit_cost": [1, 2]}),
                             ["not a valid mapping: tables.products.constants: 'unit_cost': give one value"]),
    "a block as a default": (_products(defaults={"unit_cost": {"a": 1}}), ["'unit_cost': give one value"]),
    "unknown encoding": (_products(encoding="utf-9"), ["products: unknown encoding 'utf-9'"]),
    "two-character delimiter": (_products(delimiter=";;"), ["tables.products.delimiter: String should have at most"]),
    "mapping not YAML": (lambda s, m: m.write_text("tables: [\n"), ["shop.yaml: not a valid YAML text file"]),
    "mapping is a list": (lambda s, m: m.write_text("- a\n"), ["shop.yaml: a mapping is a YAML block with `tables:`"]),
    "mapping is empty": (lambda s, m: m.write_text(""), ["not an empty file"]),
    "mapping is binary": (lambda s, m: m.write_bytes(GARBAGE), ["shop.yaml: not a valid YAML text file"]),
    "mapping missing": (lambda s, m: m.unlink(), ["Mapping file", "does not exist"]),
    "one separator for both": (_products(decimal=",", thousands=","), ["decimal and thousands are both ','"]),
    "no table": (_mapping(lambda d: d.update(tables={})), ["tables: no table is mapped"]),
    "unknown table": (_mapping(lambda d: d["tables"].update(widgets={"file": "x.csv"})), ["unknown table 'widgets'"]),
    "unknown setting": (_products(colour="red"), ["tables.products.colour: Extra inputs are not permitted"]),
    "column not in the export": (_mapping(lambda d: d["tables"]["products"]["columns"].update(family="Famly")),
                                 ["mapped column(s) 'Famly' not in the file (columns of products.csv"]),
    "no file for a pattern": (_products(file="nope.csv"), ["products: no file matching 'nope.csv'"]),
    "pattern leaves the folder": (_products(file="../shop.yaml"), ["must stay inside the export folder"]),
    "absolute pattern": (_products(file="/etc/passwd"), ["not an absolute path"]),
    "code in an expression": (_mapping(lambda d: d["tables"]["order_lines"]["derived"].update(
        quantity="__import__('os')")), ["unknown function '__import__'"]),
    "attribute in an expression": (_mapping(lambda d: d["tables"]["order_lines"]["derived"].update(
        quantity="Qty.__class__")), ["attribute access (a.b) is not allowed"]),
    "broken row filter": (_mapping(lambda d: d["tables"]["order_lines"].update(where="Note ==")),
                          ["the row filter (where) 'Note ==' is not allowed"]),
    "repeated header": (_export("products.csv", "SKU,Name,Family,Family,Price\nP1,Pen,Office,X,10\n"),
                        ["products.csv: column 'Family' appears more than once in the header row"]),
    "day or month first": (_export("lines.csv", LINES.replace("2026-01-05", "03/08/2026")),
                           ["order_lines (lines.csv): column 'order_date' has 1 value that cannot be read as a date "
                            "(YYYY-MM-DD) (row 2): e.g. '03/08/2026'"]),
    "latin-1 export": (_export("products.csv", (PRODUCTS + "P1,Stylé,Office,10\n").encode("latin-1")),
                       ["products.csv: cannot be read as utf-8", "set `encoding` in the mapping"]),
    "UTF-16 export": (_export("products.csv", (PRODUCTS + "P1,Pen,Office,10\n").encode("utf-16")),
                      ["products.csv: row 1 holds a NUL character"]),
    "empty export": (_export("products.csv", ""), ["products.csv: the file is empty"]),
    "NUL in export": (_export("products.csv", (PRODUCTS + "P1,P\x00en,Office,10\n").encode()),
                      ["products.csv: row 2 holds a NUL character"]),
    "infinite price": (_export("products.csv", PRODUCTS + "P1,Pen,Office,inf\n"),
                       ["products (products.csv): column 'list_price' has 1 value that is not a finite number"]),
    "team ../evil": (_export("reps.csv", "Rep,Team,Region\nR1,../evil,E\n"),
                     [f"reps (reps.csv): column 'team' has 1 value that {FOLDER_RULE}"]),
    "order in 2099": (_export("lines.csv", LINES.replace("2026-01-05", "2099-01-05")),
                      ["order_lines (lines.csv): column 'order_date' has 1 value outside 1970-01-01 .."]),
    "row too long": (_export("products.csv", PRODUCTS + "P1,Pen,Office,10,extra,more\n"),
                     ["products.csv: row 2 has 6 values where the header row has 4 columns"]),
    "unclosed quote": (_export("products.csv", PRODUCTS + 'P1,"Pen,Office,10\n'),
                       ["products.csv: a quote opened on row 2 is never closed"]),
    "a date format with no date": (_mapping(lambda d: d["tables"]["order_lines"].update(date_format="%Q")),
                                   ["tables.order_lines.date_format", "'%Q' is not a date format"]),
    "a date format without the day": (_mapping(lambda d: d["tables"]["order_lines"].update(date_format="%m/%Y")),
                                      ["'%m/%Y' does not give the year, month and day"]),
    "a date not in the date format": (lambda s, m: (
        _export("lines.csv", LINES.replace("2026-01-05", "2026/01/05"))(s, m),
        _mapping(lambda d: d["tables"]["order_lines"].update(date_format="%d/%m/%Y"))(s, m)),
        ["column 'order_date' has 1 value that cannot be read as a date", "e.g. '2026/01/05 (not %d/%m/%Y)'"]),
    "two unreadable exports": (lambda s, m: (_export("products.csv", "")(s, m), _export("reps.csv", "")(s, m)),
                               ["2 export files cannot be imported", "reps.csv: the file is empty",
                                "products.csv: the file is empty"]),
}


def _zip_export(src: Path, mapping: Path) -> None:
    _zip(src / "products.xlsx")
    _products(file="products.xlsx")(src, mapping)


EXPORTS["zip posing as xlsx"] = (_zip_export, ["products.xlsx: cannot be read as an Excel workbook"])


@pytest.mark.parametrize("case", EXPORTS)
def test_a_bad_export_or_mapping_is_refused_naming_the_users_file(tmp_path, capsys, case):
    write, expected = EXPORTS[case]
    mapping = _shop(tmp_path / "shop")
    (tmp_path / "shop" / "lines.csv").write_text(LINES)
    (tmp_path / "shop" / "reps.csv").write_text("Rep,Team,Region\nR1,East,E\n")
    write(tmp_path / "shop", mapping)
    assert main(["import", "--mapping", str(mapping), "--out", str(tmp_path / "out"), str(tmp_path / "shop")]) == 2
    err = capsys.readouterr().err
    for text in expected:
        assert text in err
    assert "Traceback" not in err and ".import-" not in err  # never the staging folder
    assert not (tmp_path / "out" / "workspace.duckdb").exists()


@pytest.mark.parametrize("out, expected", [("shop", "is the export folder itself"), ("file.txt", "is a file")])
def test_out_is_never_the_export_folder_or_a_file(tmp_path, capsys, out, expected):
    mapping = _shop(tmp_path / "shop")
    (tmp_path / "file.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in (tmp_path / "shop").iterdir()}
    assert main(["import", "--mapping", str(mapping), "--out", str(tmp_path / out), "--keep-going",
                 str(tmp_path / "shop")]) == 2
    assert expected in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (tmp_path / "shop").iterdir()} == before
    assert (tmp_path / "file.txt").read_text() == "mine"
    assert main(["demo", "--out", str(tmp_path / "file.txt")]) == 2


def test_a_date_with_a_utc_offset_is_the_date_written():
    from salesnb.data.validate import parse_dates

    raw = pd.DataFrame({"order_date": ["2026-09-03T23:30:00+02:00", "2026-09-30T23:30:00Z", "2026-10-01",
                                       "2026-10-02 08:00 -05:00"]})
    out, problems, _ = parse_dates(raw, "order_lines")
    assert not problems
    assert out["order_date"].dt.date.astype(str).tolist() == ["2026-09-03", "2026-09-30", "2026-10-01", "2026-10-02"]
    aware = pd.DataFrame({"order_date": pd.to_datetime(["2026-09-30T23:30:00Z"], utc=True)})
    assert str(parse_dates(aware, "order_lines")[0]["order_date"].iloc[0]) == "2026-09-30 23:30:00"


def test_a_damaged_workspace_is_rebuilt_and_a_locked_one_named(tmp_path, capsys):
    import subprocess
    import sys

    folder = write_tiny(tmp_path / "data")
    (folder / "workspace.duckdb").write_bytes(b"not a database")
    assert main(["validate", str(folder)]) == 0  # the workspace is derived from the folder: made again
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); sys.stdin.read()", str(folder / "workspace.duckdb")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        (folder / "reps.csv").write_text((folder / "reps.csv").read_text() + "R9,Zed,a,X\n")
        assert main(["validate", str(folder)]) == 2
    finally:
        holder.communicate("")
    err = capsys.readouterr().err
    assert "workspace.duckdb: in use by another program (python" in err and "Traceback" not in err


def test_an_import_rejects_both_rows_of_a_repeated_quota_and_says_why():
    from salesnb.data.mapping import failing_rows

    quotas = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "month": ["2026-10-01"] * 3, "quota": ["100", "120", "90"]},
                          index=[2, 3, 4])
    reasons, sentences = failing_rows(quotas, "quotas", "q.csv")
    assert reasons == {2: ["rep_id and month: repeated"], 3: ["rep_id and month: repeated"]}
    assert sentences == ["quotas (q.csv): columns 'rep_id', 'month' have 2 rows that repeat the same rep_id and month; "
                         "keep one (rows 2, 3)"]
