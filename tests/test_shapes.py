"""Raw export shapes: seeded, in their public dataset's layout, and imported through their mapping only."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from salesnb.core.errors import ParameterError
from salesnb.data.shapes import SHAPES, write_shape
from salesnb.data.workspace import Workspace
from salesnb.domains import quality
from salesnb.run.cli import main

SIZES = {"orders_only": 600, "pipeline_only": 400, "ecommerce": 3000}


def _truth(folder: Path) -> dict:
    """The ground truth written beside an export."""
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))


def _sql(out: Path, sql: str) -> list:
    """Rows of a query on an imported workspace."""
    with duckdb.connect(str(out / "workspace.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def _one(out: Path, sql: str):
    """The single value of a query on an imported workspace."""
    return _sql(out, sql)[0][0]


def _import(shape: str, src: Path, out: Path) -> int:
    """Import an export folder with its shape's mapping (keep going past rejected rows)."""
    return main(["import", "--mapping", str(SHAPES[shape].mapping), "--out", str(out), "--keep-going", str(src)])


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    """Every shape written once at test size."""
    root = tmp_path_factory.mktemp("shapes")
    return {shape: write_shape(shape, root / shape, seed=7, rows=n) for shape, n in SIZES.items()}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_shape_is_seeded(tmp_path, shape):
    a = write_shape(shape, tmp_path / "a", seed=3, rows=SIZES[shape])
    b = write_shape(shape, tmp_path / "b", seed=3, rows=SIZES[shape])
    c = write_shape(shape, tmp_path / "c", seed=4, rows=SIZES[shape])
    for name in SHAPES[shape].files:
        assert (a / name).read_bytes() == (b / name).read_bytes()
    main_file = SHAPES[shape].files[0]  # a catalogue (the seven products) may not depend on the seed
    assert (a / main_file).read_bytes() != (c / main_file).read_bytes()
    assert SHAPES[shape].mapping.is_file()
    assert _truth(a)["rows"] == SIZES[shape]


def test_unknown_shape_and_tiny_size_are_refused(tmp_path):
    with pytest.raises(ParameterError, match="unknown shape"):
        write_shape("salesforce", tmp_path)
    with pytest.raises(ParameterError, match="at least 50"):
        write_shape("ecommerce", tmp_path, rows=10)


def test_orders_only_has_the_superstore_layout(exports):
    folder = exports["orders_only"]
    raw = (folder / "orders.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Windows-1252, as the well-known file
    df = pd.read_csv(folder / "orders.csv", encoding="cp1252", dtype=str)
    assert list(df.columns) == ["Row ID", "Order ID", "Order Date", "Ship Date", "Ship Mode", "Customer ID",
                                "Customer Name", "Segment", "Country", "City", "State", "Postal Code", "Region",
                                "Product ID", "Category", "Sub-Category", "Product Name", "Sales", "Quantity",
                                "Discount", "Profit"]
    truth = _truth(folder)
    assert len(df) == truth["lines"] == SIZES["orders_only"]
    assert df["Order Date"].str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}").all()
    dates = pd.to_datetime(df["Order Date"], format="%m/%d/%Y")
    assert (dates.max() - dates.min()).days > 3 * 365 - 60
    assert (pd.to_datetime(df["Ship Date"], format="%m/%d/%Y") >= dates).all()
    assert set(df["Segment"]) == {"Consumer", "Corporate", "Home Office"}
    assert set(df["Region"]) == {"Central", "East", "South", "West"}
    discount = df["Discount"].astype(float)
    assert discount.between(0, 0.8).all() and discount.between(0.2, 0.8).mean() > 0.3
    assert (df["Profit"].astype(float) < 0).sum() == truth["lines_negative_profit"] > 0
    assert df["Order ID"].nunique() == truth["orders"] < len(df)
    assert not {"rep", "owner", "quota"} & {c.lower() for c in df.columns}


def test_pipeline_only_has_the_crm_opportunities_gaps(exports):
    folder = exports["pipeline_only"]
    deals = pd.read_csv(folder / "sales_pipeline.csv", dtype=str)
    assert list(deals.columns) == ["opportunity_id", "sales_agent", "product", "account", "deal_stage",
                                   "engage_date", "close_date", "close_value"]
    truth = _truth(folder)
    stage = deals["deal_stage"]
    open_ = stage.isin(["Engaging", "Prospecting"])
    assert set(stage) == {"Won", "Lost", "Engaging", "Prospecting"}
    assert deals.loc[open_, ["close_date", "close_value"]].isna().all().all()
    assert deals.loc[stage == "Prospecting", "engage_date"].isna().all()
    assert deals.loc[~open_, ["engage_date", "close_date", "close_value"]].notna().all().all()
    assert (deals.loc[stage == "Lost", "close_value"] == "0").all()
    assert (deals.loc[stage == "Won", "close_value"].astype(int) > 0).all()
    assert deals["account"].isna().sum() == truth["deals_without_account"]
    assert 0.08 < truth["deals_without_account"] / len(deals) < 0.22
    assert (deals["close_date"].dropna() >= deals.loc[deals["close_date"].notna(), "engage_date"]).all()
    teams = pd.read_csv(folder / "sales_teams.csv")
    assert list(teams.columns) == ["sales_agent", "manager", "regional_office"]
    assert (~teams["sales_agent"].isin(deals["sales_agent"])).sum() == truth["agents_without_deals"] == 5
    accounts = pd.read_csv(folder / "accounts.csv")
    assert list(accounts.columns) == ["account", "sector", "year_established", "revenue", "employees",
                                      "office_location", "subsidiary_of"]
    assert set(deals["account"].dropna()) <= set(accounts["account"])
    products = pd.read_csv(folder / "products.csv")
    assert list(products.columns) == ["product", "series", "sales_price"]
    assert "GTXPro" in set(deals["product"]) and "GTXPro" not in set(products["product"])


def test_ecommerce_has_the_online_retail_layout(exports):
    folder = exports["ecommerce"]
    df = pd.read_parquet(folder / "online_retail.parquet")
    assert list(df.columns) == ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                                "CustomerID", "Country"]
    truth = _truth(folder)
    assert len(df) == truth["lines"] == SIZES["ecommerce"]
    assert df["InvoiceDate"].min().normalize() == pd.Timestamp("2025-12-01")
    assert df["InvoiceDate"].max().normalize() == pd.Timestamp("2026-12-09")
    assert not (df["InvoiceDate"].dt.day_of_week == 5).any()  # closed on Saturdays
    cancel = df["InvoiceNo"].str.startswith("C")
    assert (df.loc[cancel, "Quantity"] < 0).all()
    assert cancel.sum() == truth["cancellation_lines"] and 0.01 < cancel.mean() < 0.03
    assert 0.18 < df["CustomerID"].isna().mean() < 0.32
    assert truth["lines_without_customer"] == df["CustomerID"].isna().sum()
    bad = df[df["StockCode"] == "B"]
    assert len(bad) == 3 and set(bad["Description"]) == {"Adjust bad debt"} and (bad["UnitPrice"] < 0).sum() == 2
    assert (df["UnitPrice"] == 0).sum() == truth["zero_price_lines"] > 0
    countries = df["Country"].value_counts()
    assert countries.index[0] == "United Kingdom" and countries.iloc[0] > 0.6 * len(df)
    assert {"Germany", "France", "EIRE"} <= set(countries.index)
    assert df["Quantity"].max() == truth["outlier_quantity"]


def test_export_shape_command_prints_the_import(tmp_path, capsys):
    assert main(["export-shape", "pipeline_only", "--out", str(tmp_path / "p"), "--rows", "200"]) == 0
    said = capsys.readouterr().out
    assert "salesnb import --mapping" in said and "pipeline_only.yaml" in said and str(tmp_path / "p") in said
    assert (tmp_path / "p" / "sales_pipeline.csv").is_file() and _truth(tmp_path / "p")["deals"] == 200


def test_ecommerce_can_be_written_as_excel(tmp_path):
    folder = write_shape("ecommerce", tmp_path / "x", rows=300, excel=True)
    assert (folder / "online_retail.xlsx").is_file() and not (folder / "online_retail.parquet").exists()
    assert len(pd.read_excel(folder / "online_retail.xlsx")) == 300


# ----------------------------------------------------------------------------------------------------
# End to end: `salesnb import --mapping params/mappings/examples/<shape>.yaml --keep-going EXPORT_DIR`


def test_orders_only_imports(exports, tmp_path, capsys):
    folder, out = exports["orders_only"], tmp_path / "out"
    truth = _truth(folder)
    assert _import("orders_only", folder, out) == 0
    for table, n in truth["imported"].items():
        assert _one(out, f"select count(*) from {table}") == n, table
    revenue = _one(out, "select sum(quantity * list_price * (1 - discount)) from order_lines")
    assert revenue == pytest.approx(truth["sales"], abs=1)
    margin = _one(out, "select sum(quantity * (list_price * (1 - discount) - unit_cost)) from order_lines")
    assert margin == pytest.approx(truth["profit"], abs=1)
    assert _one(out, "select count(*) from order_lines where discount between 0.2 and 0.8") == \
        truth["lines_discount_20_to_80"]
    assert dict(_sql(out, "select team, count(*) from order_lines group by team")) == truth["lines_by_region"]
    seg = truth["customers_by_segment"]
    assert dict(_sql(out, "select segment, count(*) from accounts group by segment")) == {
        "smb": seg["Consumer"] + seg["Home Office"], "mid_market": seg["Corporate"]}
    assert _one(out, "select min(list_price) from products") > 0
    assert _one(out, "select min(order_date) from order_lines").isoformat() == truth["first_date"]
    assert _one(out, "select max(order_date) from order_lines").isoformat() == truth["last_date"]


def test_pipeline_only_imports_and_rejects_unengaged_prospects(exports, tmp_path, capsys):
    folder, out = exports["pipeline_only"], tmp_path / "out"
    truth = _truth(folder)
    capsys.readouterr()
    assert _import("pipeline_only", folder, out) == 0
    said = capsys.readouterr()
    for table in ("reps", "accounts", "products", "opportunities"):
        assert _one(out, f"select count(*) from {table}") == truth["imported"][table], table
    rejected = truth["rejected"]["opportunities"]
    assert rejected > 0 and str(rejected) in said.out + said.err and "created_date" in said.out + said.err
    written = pd.read_csv(out / "rejects" / "opportunities.csv", dtype=str, keep_default_na=False)
    ws = Workspace(out / "workspace.duckdb")
    recorded = ws.rejects()
    ws.close()
    assert recorded["rows"].sum() == len(written) == rejected and set(recorded["table"]) == {"opportunities"}
    assert dict(zip(recorded["reason"], recorded["rows"], strict=True)) == written["reason"].value_counts().to_dict()
    top = written["reason"].value_counts().index[0]
    assert quality.rejects_sentence(recorded).startswith(
        f"Rejected at import and counted in no figure: {rejected:,} opportunities ({top}: ")
    assert _one(out, "select count(*) from opportunities where account_id is null") == \
        truth["imported"]["opportunities_without_account"]
    assert _one(out, "select count(*) from opportunities where amount is null and close_date is null "
                     "and stage = 'qualification'") == truth["imported"]["open_opportunities"]
    assert _one(out, "select count(*) from opportunities where stage = 'prospecting'") == 0
    assert _one(out, "select sum(amount) from opportunities where stage = 'won'") == truth["won_value"]
    assert _one(out, "select count(*) from opportunities where product_id = 'GTX Pro'") > 0
    assert _one(out, "select count(distinct team) from reps") == 3


def test_ecommerce_imports_credit_lines_and_guest_sales(exports, tmp_path, capsys):
    folder, out = exports["ecommerce"], tmp_path / "out"
    truth = _truth(folder)
    assert _import("ecommerce", folder, out) == 0
    imported = truth["imported"]
    assert _one(out, "select count(*) from order_lines") == imported["order_lines"] == \
        truth["lines"] - truth["zero_price_lines"] - truth["bad_debt_lines"]
    assert _one(out, "select count(*) from order_lines where quantity < 0") == imported["credit_lines"] > 0
    assert _one(out, "select count(*) from order_lines where account_id is null") == \
        truth["kept_lines_without_customer"]
    assert _one(out, "select count(*) from accounts") == imported["accounts"]
    assert _one(out, "select count(*) from products") == imported["products"]
    assert _one(out, "select min(list_price) from order_lines") > 0
    assert _one(out, "select sum(quantity * list_price) from order_lines") == pytest.approx(truth["revenue"], abs=1)
    assert _one(out, "select count(*) from accounts where name not like 'Customer %'") == 0
    assert _one(out, "select count(*) from accounts where account_id like '%.%'") == 0
    assert _one(out, "select max(order_date) from order_lines").isoformat() == "2026-12-09"
    assert dict(_sql(out, "select team, count(*) from order_lines group by team order by 2 desc limit 3")) == \
        dict(list(truth["lines_by_country"].items())[:3])
    assert _one(out, "select count(distinct line_id) from order_lines") == imported["order_lines"]
