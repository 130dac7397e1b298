import hashlib
import json

import pandas as pd
import pytest

from salesnb.data.demo import generate
from salesnb.data.workspace import Workspace


def _digest(folder) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.glob("*.csv")):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def test_same_seed_same_files_other_seed_differs(demo_dir, tmp_path):
    b, c = tmp_path / "b", tmp_path / "c"
    generate(b)  # the seed the demo folder was made with
    generate(c, seed=8)
    assert _digest(demo_dir) == _digest(b)
    assert _digest(b) != _digest(c)


def test_demo_org_shape(demo_dir):
    m = json.loads((demo_dir / "manifest.json").read_text())
    ws = Workspace(demo_dir / "workspace.duckdb")
    reps = ws.read("reps")
    assert len(reps) == 40 and reps["team"].nunique() == 4 and reps["region"].nunique() == 8
    accounts = ws.read("accounts")
    assert len(accounts) > 3000 and accounts["lat"].notna().all()
    assert set(accounts["status"]) == {"customer", "prospect"}
    assert (ws.first_month(), ws.last_month()) == (m["first_month"], m["end_month"])
    assert ws.tables() >= {"opportunity_history", "activities", "quotas", "forecast_submissions",
                           "visits", "survey_answers", "contacts"}
    ws.close()


def test_revenue_has_trend_and_seasonality(demo_dir):
    ws = Workspace(demo_dir / "workspace.duckdb")
    monthly = ws.sales("all", "2026-10", 35).groupby("month")["revenue"].sum()
    ws.close()
    by_year = monthly.groupby(monthly.index.year).mean()
    assert by_year.loc[2025] > by_year.loc[2024]
    august = monthly[monthly.index.month == 8].mean()
    december = monthly[monthly.index.month == 12].mean()
    assert december > 1.5 * august


def test_planted_discount_breaches_are_exactly_the_lines_above_guideline(demo_dir):
    m = json.loads((demo_dir / "manifest.json").read_text())
    ws = Workspace(demo_dir / "workspace.duckdb")
    above = ws.db.con.execute(
        "SELECT o.line_id FROM order_lines o JOIN products p USING (product_id) "
        "WHERE o.discount > p.max_discount ORDER BY 1").df()["line_id"].tolist()
    ws.close()
    assert above == sorted(m["discount_breaches"]) and len(above) > 100


def test_planted_duplicates_share_city_and_look_alike(demo_dir):
    m = json.loads((demo_dir / "manifest.json").read_text())
    acc = pd.read_csv(demo_dir / "accounts.csv").set_index("account_id")
    pairs = m["duplicate_accounts"]
    assert len(pairs) == 40
    for p in pairs:
        a, d = acc.loc[p["account_id"]], acc.loc[p["duplicate_id"]]
        assert a["city"] == d["city"] and a["name"] != d["name"]


def test_planted_forecast_biases_and_underperformers_show_in_the_data(demo_dir):
    m = json.loads((demo_dir / "manifest.json").read_text())
    ws = Workspace(demo_dir / "workspace.duckdb")
    sales = ws.sales("all", "2026-10", 35)
    actual = sales.groupby(["rep_id", "month"])["revenue"].sum()
    fc = ws.read("forecast_submissions").set_index(["rep_id", "month"])["forecast"]
    quota = ws.read("quotas").set_index(["rep_id", "month"])["quota"]
    ws.close()
    ratio = (fc / actual).groupby("rep_id").median().dropna()
    assert ratio[m["sandbaggers"]].max() < 0.85
    assert ratio[m["over_optimistic"]].min() > 1.15
    normal = ratio.drop(m["sandbaggers"] + m["over_optimistic"])
    assert normal.between(0.9, 1.1).all()
    attainment = (actual / quota).groupby("rep_id").median()
    under = list(m["underperformers"])
    others = attainment.drop(under + m["new_hires"])
    assert attainment[under].max() < others.min()


def test_contact_problems_are_planted(demo_dir):
    m = json.loads((demo_dir / "manifest.json").read_text())
    c = pd.read_csv(demo_dir / "contacts.csv").set_index("contact_id")
    assert c.loc[m["contacts_missing_email"], "email"].isna().all()
    assert c.loc[m["contacts_without_account"], "account_id"].isna().all()
    assert not c.loc[m["contacts_invalid_email"], "email"].str.fullmatch(
        r"[a-z.\-]+@[a-z0-9.\-]+\.[a-z]+").any()


@pytest.mark.parametrize("scale", [3])
def test_scale_multiplies_order_lines_only(demo_dir, tmp_path, scale):
    base = json.loads((demo_dir / "manifest.json").read_text())
    big = generate(tmp_path / "big", scale=scale, order_format="parquet")
    assert big["rows"]["order_lines"] == pytest.approx(scale * base["rows"]["order_lines"], rel=0.02)
    assert big["rows"]["accounts"] == base["rows"]["accounts"]
    assert (tmp_path / "big" / "order_lines.parquet").exists()
