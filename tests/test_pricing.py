import json

import pandas as pd
import pytest

from salesnb.core.errors import ParameterError
from salesnb.core.lazy import run
from salesnb.domains import pricing

PRODUCTS = pd.DataFrame({"product_id": ["P1", "P2"], "max_discount": [0.10, 0.20]})


def _lines():
    # gross = quantity x list price; revenue = gross x (1 - discount)
    return pd.DataFrame({
        "line_id": ["L1", "L2", "L3", "L4"], "order_id": ["O1", "O1", "O2", "O3"],
        "order_date": pd.to_datetime(["2026-03-10", "2026-03-10", "2026-03-30", "2026-04-02"]),
        "month": pd.to_datetime(["2026-03-01", "2026-03-01", "2026-03-01", "2026-04-01"]),
        "rep": ["Ana", "Ana", "Bo", "Bo"], "team": ["a", "a", "b", "b"],
        "product_id": ["P1", "P2", "P1", "P2"], "product": ["W", "G", "W", "G"],
        "family": ["F1", "F2", "F1", "F2"], "segment": ["smb", "smb", "enterprise", "smb"],
        "quantity": [10.0, 2.0, 5.0, 1.0], "list_price": [100.0, 500.0, 100.0, 1000.0],
        "discount": [0.15, 0.20, 0.05, 0.50],
        "gross_revenue": [1000.0, 1000.0, 500.0, 1000.0],
        "revenue": [850.0, 800.0, 475.0, 500.0],
        "rebate": [10.0, 0.0, 5.0, None], "freight": [20.0, 0.0, 0.0, 15.0],
    })


def _guided(*args) -> pd.DataFrame:
    return run(pricing.with_guidelines(*args).order_by("line_id"))


def test_breaches_amount_lost_and_approval_levels():
    lines = pricing.with_guidelines(_lines(), PRODUCTS)
    assert _guided(_lines(), PRODUCTS)["breach"].tolist() == [True, False, False, True]
    # L1: 1000 x (0.15 - 0.10) = 50; L4: 1000 x (0.50 - 0.20) = 300
    assert _guided(_lines(), PRODUCTS)["amount_lost"].tolist() == pytest.approx([50, 0, 0, 300])
    b = pricing.breaches(lines, [(0.05, "manager"), (0.15, "director")])
    assert b[["line_id", "approval_needed"]].values.tolist() == [["L4", "not allowed"], ["L1", "manager"]]


def test_compliance_per_rep():
    lines = pricing.with_guidelines(_lines(), PRODUCTS)
    c = pricing.compliance(lines, "rep", respect_share=0.5)
    assert c.loc["Ana", "lines_within"] == 0.5 and c.loc["Ana", "revenue_within"] == pytest.approx(800 / 1650)
    assert c.loc["Bo", "amount_lost"] == 300
    assert c["respects_guidelines"].tolist() == [True, True]
    assert pricing.share_respecting(pricing.compliance(lines, "rep", 0.9)) == 0.0


def test_compliance_sentence_leaves_new_hires_out_of_the_share(in_euros):
    per_rep = pd.DataFrame({"respects_guidelines": [True, False, False], "amount_lost": [0.0, 100.0, 50.0]},
                           index=["Ana", "Bo", "Cy"])
    assert pricing.compliance_sentence(per_rep, 0.98).startswith("33% of 3 reps respect the price guidelines")
    text = pricing.compliance_sentence(per_rep, 0.98, ramping=["Cy", "Zed"])
    assert text.startswith("50% of 2 reps past their ramp respect the price guidelines (at least 98%")
    assert text.endswith("Amount lost beyond guideline: €150, new hires included (Cy, in the table but not in the "
                         "share).")


def test_overrides_by_family_and_segment():
    lines = _guided(_lines(), PRODUCTS, {"F1": {"smb": 0.15}, "F2": {"*": 0.5}})
    assert lines["breach"].tolist() == [False, False, False, False]
    with pytest.raises(ParameterError, match="F1/smb must be within 0..1"):
        pricing.with_guidelines(_lines(), PRODUCTS, {"F1": {"smb": 1.5}})


def test_price_waterfall_hand_worked():
    w = pricing.waterfall(_lines())
    # list 3500, discounts 3500 - 2625 = 875, rebates 15, freight 35
    assert w.to_dict() == {"list price": 3500, "discount": -875, "invoice price": 2625,
                           "rebates": -15, "freight": -35, "pocket price": 2575}
    by_team = pricing.waterfall_table(_lines(), "team")
    assert by_team.loc["a", "pocket price"] == 1650 - 10 - 20
    assert by_team.loc["b", "pocket_share"] == pytest.approx((975 - 5 - 15) / 1500)


def test_leakage_trend_and_end_of_quarter():
    lines = pricing.with_guidelines(_lines(), PRODUCTS)
    t = pricing.leakage_trend(lines)
    assert t["amount_lost"].tolist() == pytest.approx([50, 300])
    assert t.loc[pd.Timestamp("2026-04-01"), "lost_share"] == pytest.approx(300 / 500)
    eoq = pricing.period_end_discounting(lines, last_days=5)
    assert eoq.loc["last 5 days of a quarter", "lines"] == 1  # L3, 30 March
    assert eoq.loc["last 5 days of a quarter", "average_discount"] == pytest.approx(0.05)
    assert pricing.period_end_sentence(eoq) == (
        "In the last days of a quarter the average discount is 5.0%, against 28.3% the rest of the time (-23.3 pts); "
        "0.0% of those lines go past their product's maximum discount, against 66.7% otherwise (a deep discount "
        "within the maximum is no breach).")


def test_discount_vs_win_rate_and_agility():
    opps = pd.DataFrame({"rep_id": ["R1"] * 4, "stage": ["won", "lost", "won", "proposal"],
                         "discount": [0.02, 0.03, 0.12, 0.2],
                         "quote_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01", None]),
                         "approval_date": pd.to_datetime(["2026-01-03", "2026-01-05", "2026-01-02", None]),
                         "close_date": pd.to_datetime(["2026-01-11", "2026-02-01", "2026-01-31",
                                                       "2026-06-01"])})
    w = pricing.discount_vs_win_rate(opps)
    assert w.loc["0%–5%", "closed_deals"] == 2 and w.loc["0%–5%", "win_rate"] == 0.5
    assert w.loc["10%–15%", "win_rate"] == 1.0
    assert pricing.discount_vs_win_rate(opps, "2026-01")["closed_deals"].sum() == 2  # closed by 31 January
    assert pricing.win_rate_sentence(w, min_deals=1).startswith(  # 2 and 1 deals: anything is chance
        "Of the deals closed from January 2026 to February 2026, deals discounted 10%–15% were won 100% of the time, "
        "against 50% at 0%–5% (+50.0 pts): no clear difference")
    flat = pd.DataFrame({"closed_deals": [500, 50, 500], "win_rate": [0.361, 0.99, 0.415]},
                        index=["0%–5%", "5%–10%", "15%+"])
    # pooled 0.388: 1.96 × sqrt(0.388 × 0.612 × 2/500) = 6.0 pts of noise, above the 5.4 pts seen
    assert pricing.win_rate_sentence(flat).endswith(
        "(+5.4 pts): no clear difference (within what chance gives on these numbers): bigger discounts do not win "
        "noticeably more deals.")
    clear = flat.assign(win_rate=[0.30, 0.99, 0.45])
    assert pricing.win_rate_sentence(clear).endswith("(+15.0 pts): bigger discounts win more deals.")
    assert pricing.win_rate_sentence(w).startswith("Too few closed deals")
    none = pricing.discount_vs_win_rate(opps.assign(discount=float("nan")))
    assert pricing.win_rate_sentence(none).startswith("No closed deal carries a discount")
    all_zero = pricing.discount_vs_win_rate(opps.assign(discount=0.0))
    assert pricing.win_rate_sentence(all_zero).startswith("Every closed deal with a discount is in the 0%–5% band")
    above = pricing.discount_vs_win_rate(opps.assign(discount=[0.02, 0.03, -0.05, 0.2]))  # won above list
    assert above.index[0] == pricing.ABOVE_LIST and above.loc[pricing.ABOVE_LIST, "closed_deals"] == 1
    assert above["closed_deals"].sum() == 3 and "10%–15%" in above.index
    assert pricing.win_rate_sentence(above).endswith(
        "Apart: 1 closed deal priced above list (a negative discount), won 100% of the time.")
    assert pricing.win_rate_sentence(above).startswith("Every closed deal with a discount is in the 0%–5% band")
    assert pricing.ABOVE_LIST not in pricing.discount_vs_win_rate(opps).index
    a = pricing.agility(opps, pd.DataFrame({"rep_id": ["R1"], "team": ["a"]}))
    assert a.loc["a"].tolist() == [3, 2, 20]  # approvals 2, 4, 1 days; wins after 10 and 30 days


def test_demo_breaches_match_the_manifest_exactly(demo_dir):
    from salesnb.data.workspace import Workspace
    m = json.loads((demo_dir / "manifest.json").read_text())
    ws = Workspace(demo_dir / "workspace.duckdb")
    lines = pricing.with_guidelines(ws.lines("all", m["end_month"], 35), ws.table("products"))
    found = pricing.breaches(lines, [(0.05, "manager")])
    lines = run(lines)
    ws.close()
    assert sorted(found["line_id"]) == sorted(m["discount_breaches"])
    per_rep = lines.assign(rep_id=lines["rep_id"]).groupby("rep_id")["breach"].sum()
    assert set(per_rep.nlargest(2).index) == set(m["heavy_discounters"])


def test_order_size_bands_use_the_whole_order():
    bands = run(pricing.with_order_size(_lines()).order_by("line_id"))["order_size"]
    # O1 = 1000 + 1000 = 2000 gross; O2 = 500; O3 = 1000
    assert bands.tolist() == ["1,000–5,000", "1,000–5,000", "0–1,000", "1,000–5,000"]
    d = pricing.size_distribution(_lines())
    assert d.index.tolist() == ["0–1,000", "1,000–5,000"] and d["lines"].tolist() == [1, 3]


def test_leakage_sentence_sums_the_amount_lost():
    lines = pd.DataFrame({"amount_lost": [12.0, 0.0, 30.4]})
    assert pricing.leakage_sentence(lines) == "Amount lost beyond guideline over the period: 42."


def test_waterfall_without_costs_after_invoice_stops_at_invoice_price():
    lines = _lines().assign(rebate=None, freight=None)
    w = pricing.waterfall(lines)
    assert list(w.index) == ["list price", "discount", "invoice price"]
    assert w["invoice price"] == 2625 and w["discount"] == -875
    assert "pocket_share" not in pricing.waterfall_table(lines, "team")
    assert pricing.waterfall_note(lines) == ("No rebates and no freight in the order lines, so the waterfall "
                                             "stops at invoice price.")
    assert pricing.waterfall_note(_lines()) == ""
    only_freight = pricing.waterfall(_lines().assign(rebate=None))
    assert only_freight["pocket price"] == 2625 - 35 and "rebates" not in only_freight


def test_no_breach_rate_without_guidelines():
    lines = pricing.with_guidelines(_lines(), PRODUCTS.assign(max_discount=None))
    assert "breach_rate" not in pricing.period_end_discounting(lines)
