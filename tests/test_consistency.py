"""One number per fact: the figures a demo run shows for the organisation and for team north, read back from
the executed notebooks and exports, agree across reports and scopes."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.notebook


def facts(run: dict, report: str, name: str) -> dict[str, float]:
    """The values a report recorded under `name` (merged when it recorded several)."""
    out: dict[str, float] = {}
    for f in run[report]:
        if f["kind"] == "facts" and f["value"]["name"] == name:
            out |= f["value"]["values"]
    assert out, f"{report} recorded no {name}"
    return out


def test_a_reps_quota_is_the_same_in_the_team_and_the_organisation_report(demo_run):
    figures, out = demo_run
    org, north = facts(figures, "all/05_quotas", "quota"), facts(figures, "north/05_quotas", "quota")
    assert len(north) == 10 and all(north[rep] == pytest.approx(org[rep], rel=1e-12) for rep in north)
    exported = pd.read_csv(out / "2026-10" / "north" / "quota_proposal_2026-11_north.csv").set_index("rep_id")
    assert exported["proposed_quota"].to_dict() == pytest.approx(north)


def test_the_quota_bridges_end_on_the_proposal_and_match_their_workbooks(demo_run):
    figures, out = demo_run
    for team in ("all", "north"):
        bridge, quota = facts(figures, f"{team}/05_quotas", "bridge"), facts(figures, f"{team}/05_quotas", "quota")
        assert bridge["proposal"] == sum(quota.values())  # whole units: exactly
        sheet = pd.read_excel(out / "2026-10" / team / f"quota_proposal_2026-11_{team}.xlsx", sheet_name="Bridge")
        assert sheet.set_index("step")["amount"].to_dict() == pytest.approx(bridge, abs=0.006)  # Excel keeps cents
    org, north = facts(figures, "all/05_quotas", "bridge"), facts(figures, "north/05_quotas", "bridge")
    assert north["team north's share"] < org["to share out"] and "quotas on file" in north
    for team, bridge in (("all", org), ("north", north)):  # the overview divides the same forecast by these quotas
        forecast = facts(figures, f"{team}/03_forecast", "forecast")[team]
        assert facts(figures, f"{team}/00_overview", "kpi")["forecast_vs_quota"] == pytest.approx(
            forecast / bridge["quotas on file"])
    assert org["target"] == pytest.approx(facts(figures, "all/03_forecast", "forecast")["all"])  # target from forecast


def test_a_reps_forecast_is_the_same_in_the_forecast_and_the_quota_reports(demo_run):
    figures, _ = demo_run
    in_03 = facts(figures, "north/03_forecast", "forecast")
    for report in ("north/05_quotas", "all/05_quotas"):
        in_05 = facts(figures, report, "forecast")
        shared = set(in_03) & set(in_05)
        assert len(shared) >= 9
        assert all(in_03[rep] == pytest.approx(in_05[rep], rel=1e-9) for rep in shared)
    too_new = [f["value"] for f in figures["north/03_forecast"] if f["kind"] == "sentence"
               and f["value"].startswith("Too new to forecast")]
    without = {rep for rep, v in facts(figures, "north/05_quotas", "forecast").items() if v is None or v != v}
    assert without == {"Olivier Legrand"} and len(too_new) == 1 and "Olivier Legrand (1 month)" in too_new[0]


def test_a_teams_forecast_is_the_same_in_its_report_and_the_organisation_report(demo_run):
    figures, _ = demo_run
    assert facts(figures, "north/03_forecast", "forecast")["north"] == pytest.approx(
        facts(figures, "all/03_forecast", "forecast")["north"], rel=1e-9)


def test_team_order_forecasts_add_up_to_the_organisation_and_match_the_team_report(demo_run):
    figures, _ = demo_run
    org = facts(figures, "all/03_forecast", "orders_forecast")
    teams = {name: value for name, value in org.items() if name != "all"}
    assert sorted(teams) == ["east", "north", "south", "west"]
    assert sum(teams.values()) == pytest.approx(org["all"], rel=1e-9)  # every demo order has a team
    assert facts(figures, "north/03_forecast", "orders_forecast") == pytest.approx({"north": teams["north"]})


def test_the_forecast_export_holds_every_series_the_reports_show_and_adds_up(demo_run):
    figures, out = demo_run
    for team in ("all", "north"):
        exported = pd.read_csv(out / "2026-10" / team / f"forecast_{team}.csv", keep_default_na=False)
        nov = exported[exported["month"] == "2026-11"]
        shown = facts(figures, f"{team}/03_forecast", "forecast")
        revenue = nov[nov["value"] == "revenue"].set_index("series")["forecast"]
        assert revenue.reindex(list(shown)).to_dict() == pytest.approx(shown, abs=0.006)  # the CSV keeps cents
        orders = nov[nov["value"] == "orders"].set_index("series")["forecast"]
        assert orders.to_dict() == pytest.approx(facts(figures, f"{team}/03_forecast", "orders_forecast"), abs=0.006)
        whole = nov.set_index(["value", "series"])["forecast"]
        for parent, children in nov[nov["under"] != ""].groupby(["value", "under"]):
            assert parent not in whole or children["forecast"].sum() <= whole[parent] + 0.01
    org = pd.read_csv(out / "2026-10" / "all" / "forecast_all.csv", keep_default_na=False)
    assert set(org.loc[org["under"] == "north", "series"]) == set(
        pd.read_csv(out / "2026-10" / "north" / "forecast_north.csv", keep_default_na=False).query(
            "under == 'north'")["series"])  # the organisation's export holds every rep of every team


@pytest.mark.parametrize("team", ["all", "north"])
def test_commit_and_coverage_agree_across_reports(demo_run, team):
    figures, _ = demo_run
    outlook = facts(figures, f"{team}/03_forecast", "pipeline")
    assert facts(figures, f"{team}/03_forecast", "call")["commit"] == pytest.approx(outlook["commit"])
    assert facts(figures, f"{team}/03_forecast", "call")["best_case"] == pytest.approx(outlook["best_case"])
    activity = facts(figures, f"{team}/10_activity_pipeline", "pipeline")
    assert activity == pytest.approx(outlook)
    kpi = facts(figures, f"{team}/00_overview", "kpi")
    assert kpi["pipeline_coverage"] == pytest.approx(outlook["pipeline_coverage"])


@pytest.mark.parametrize("team", ["all", "north"])
def test_past_due_deals_count_in_no_commit_against_the_demo_csvs(demo_run, demo_dir, team):
    """Recomputed from the CSVs as of 1 November 2026: past-due deals (open, closing before it in the CRM), and
    November's commit, best case and open pipeline from the snapshot of that day without them."""
    figures, out = demo_run
    deals = pd.read_csv(demo_dir / "opportunities.csv", parse_dates=["close_date"])
    reps = pd.read_csv(demo_dir / "reps.csv")
    mine = reps.loc[(reps["team"] == team) | (team == "all"), "rep_id"]
    deals = deals[deals["rep_id"].isin(mine)]
    nov, dec = pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01")
    open_ = deals["stage"].isin(["prospecting", "qualification", "proposal", "negotiation"])
    late = deals[open_ & (deals["close_date"] < nov)]
    expected = {"deals": len(late), "amount": late["amount"].sum(),
                "commit": late.loc[late["forecast_category"] == "commit", "amount"].sum()}
    for report in ("01_data_quality", "03_forecast"):
        assert facts(figures, f"{team}/{report}", "past_due") == pytest.approx(expected)
    snap = pd.read_csv(demo_dir / "opportunity_history.csv", parse_dates=["snapshot_date", "close_date"])
    snap = snap[(snap["snapshot_date"] == nov) & snap["opportunity_id"].isin(deals["opportunity_id"])]
    live = snap[snap["stage"].isin(["prospecting", "qualification", "proposal", "negotiation"])
                & (snap["close_date"] >= nov) & (snap["close_date"] < dec)
                & ~snap["opportunity_id"].isin(late["opportunity_id"])]
    assert snap["opportunity_id"].isin(late["opportunity_id"]).any()  # the snapshot still had some as due later
    by = live.groupby("forecast_category")["amount"].sum()
    shown = facts(figures, f"{team}/03_forecast", "pipeline")
    assert [shown["commit"], shown["best_case"], shown["open_pipeline"]] == pytest.approx(
        [by["commit"], by["best_case"], live["amount"].sum()])
    assert facts(figures, f"{team}/10_activity_pipeline", "pipeline") == pytest.approx(shown)
    year = pd.Timestamp("2025-11-01")  # the 12 months to the end of October: won deals ÷ revenue of that window
    won = deals[(deals["stage"] == "won") & (deals["close_date"] >= year) & (deals["close_date"] < nov)]
    lines = pd.read_csv(demo_dir / "order_lines.csv", parse_dates=["order_date"])
    lines = lines[(lines["order_date"] >= year) & (lines["order_date"] < nov)]
    lines = lines[lines["rep_id"].isin(mine)]
    share = won["amount"].sum() / (lines["quantity"] * lines["list_price"] * (1 - lines["discount"].fillna(0))).sum()
    quotas_ = pd.read_csv(demo_dir / "quotas.csv")
    quota = quotas_.loc[(quotas_["month"] == "2026-11-01") & quotas_["rep_id"].isin(mine), "quota"].sum()
    assert shown["pipeline_coverage"] == pytest.approx(live["amount"].sum() / (quota * min(share, 1.0)))
    exported = pd.read_csv(out / "2026-10" / team / f"forecast_call_{team}.csv", parse_dates=["close_date"])
    called = live[live["forecast_category"].isin(["commit", "best_case"])]
    late_called = late[late["forecast_category"].isin(["commit", "best_case"])]
    in_november = exported[exported["close_date"].between(nov, dec, inclusive="left") & ~exported["past_due"]]
    assert sorted(in_november["opportunity_id"]) == sorted(called["opportunity_id"])  # every deal, none twice
    assert sorted(exported.loc[exported["past_due"], "opportunity_id"]) == sorted(late_called["opportunity_id"])
    assert {"rep_id", "account", "amount", "stage", "close_date", "age_days", "days_since_activity", "pushes",
            "amount_change", "risk", "manager_call"} <= set(exported.columns)


@pytest.mark.parametrize("team", ["all", "north"])
def test_enps_and_attainment_agree_between_the_overview_and_their_reports(demo_run, team):
    figures, _ = demo_run
    kpi = facts(figures, f"{team}/00_overview", "kpi")
    assert kpi["enps"] == pytest.approx(facts(figures, f"{team}/09_team_pulse", "enps")["latest"])
    assert kpi["attainment"] == pytest.approx(facts(figures, f"{team}/05_quotas", "attainment")["month"])


@pytest.mark.parametrize("team", ["all", "north"])
def test_the_overviews_forecast_to_quota_is_the_forecast_report_over_the_quotas_on_file(demo_run, demo_dir, team):
    figures, _ = demo_run
    quotas = pd.read_csv(demo_dir / "quotas.csv").merge(pd.read_csv(demo_dir / "reps.csv")[["rep_id", "team"]])
    quotas = quotas[quotas["month"].astype(str).str.startswith("2026-11")]
    quota = quotas["quota"].sum() if team == "all" else quotas.loc[quotas["team"] == team, "quota"].sum()
    forecast = facts(figures, f"{team}/03_forecast", "forecast")[team]
    assert facts(figures, f"{team}/00_overview", "kpi")["forecast_vs_quota"] == pytest.approx(forecast / quota)


@pytest.mark.parametrize("team", ["all", "north"])
def test_win_rate_and_coverage_by_team_or_rep_are_the_same_in_the_overview_and_the_pipeline_report(demo_run, team):
    figures, _ = demo_run
    for name in ("win_rate", "coverage"):
        shown, explained = facts(figures, f"{team}/00_overview", name), facts(figures, f"{team}/10_activity_pipeline",
                                                                               name)
        assert len(shown) == (4 if team == "all" else 10) and shown == pytest.approx(explained)


def test_challenge_progress_is_one_figure_for_the_organisation(demo_run):
    figures, _ = demo_run
    assert facts(figures, "north/06_performance", "challenge") == pytest.approx(
        facts(figures, "all/06_performance", "challenge"))


@pytest.mark.parametrize("team", ["all", "north"])
def test_the_reps_flagged_in_performance_are_the_ones_field_tours_gives_no_account(demo_run, team):
    figures, _ = demo_run
    flagged = facts(figures, f"{team}/06_performance", "flagged")
    assert facts(figures, f"{team}/08_field_tours", "flagged") == flagged
    assert any(flagged.values())
    org = facts(figures, "all/06_performance", "flagged")
    assert {rep: org[rep] for rep in flagged} == flagged  # a rep is judged the same in the team and the org report


def test_a_teams_account_moves_are_the_same_in_its_report_and_the_organisation_report(demo_run):
    figures, _ = demo_run
    north = set(facts(figures, "north/08_field_tours", "moves"))
    reps = set(facts(figures, "north/06_performance", "flagged"))
    org = {m for m in facts(figures, "all/08_field_tours", "moves") if m.split()[0] in reps}
    assert north == org


def test_the_scaling_of_rep_forecasts_is_one_figure_and_follows_from_the_forecasts(demo_run):
    import re

    figures, _ = demo_run

    def said(report: str, pattern: str) -> re.Match:
        found = [m for f in figures[report] if f["kind"] == "sentence" and (m := re.search(pattern, f["value"]))]
        assert len(found) == 1, report
        return found[0]

    own = said("north/03_forecast", r"their own forecasts added up to €([\d,]+), so each shown here is its own "
                                    r"([+-][\d.]+)%")
    reps = {k: v for k, v in facts(figures, "north/03_forecast", "forecast").items() if k != "north"}
    scale = sum(reps.values()) / float(own[1].replace(",", "")) - 1  # the reconciled reps over their own models
    assert f"{scale:+.1%}" == f"{own[2]}%"


def test_a_teams_win_rate_move_reads_the_same_on_the_organisation_overview_and_the_teams_report(demo_run):
    figures, _ = demo_run
    sentences = {report: [f["value"] for f in figures[report] if f["kind"] == "sentence"]
                 for report in ("all/00_overview", "north/10_activity_pipeline")}
    on_org = [s for s in sentences["all/00_overview"] if s.startswith("Team north: ")]
    assert len(on_org) == 1 and "beyond what chance gives" in on_org[0]
    assert on_org[0] in sentences["north/10_activity_pipeline"]
