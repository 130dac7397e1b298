import numpy as np
import pandas as pd
import pytest

from salesnb.core.errors import ParameterError
from salesnb.core.geo import haversine_km
from salesnb.domains import field

POLICY = field.VisitPolicy(visits_per_year={"A": 12, "B": 6, "C": 2, "prospect": 1}, working_days=200,
                           field_share=0.5, visits_per_day=3, rep_cost=90000, cost_per_km=0.5, road_factor=1.0)
REPS = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ana", "Bo"], "team": "t",
                     "base_lat": [48.0, 48.0], "base_lon": [2.0, 3.0], "annual_cost": [60000.0, None],
                     "end_date": pd.NaT})


def _accounts():
    return pd.DataFrame({
        "account_id": ["A1", "A2", "A3", "P1", "X"], "name": ["a1", "a2", "a3", "p1", "nowhere"],
        "status": ["customer", "customer", "customer", "prospect", "customer"],
        "owner_rep_id": ["R1", "R1", "R2", "R1", "R2"], "potential": [10.0, 20.0, 30.0, 40.0, 0.0],
        "lat": [48.1, 48.0, 48.0, 48.2, None], "lon": [2.0, 2.1, 3.1, 2.0, None]})


def test_capacity_arithmetic_hand_worked(in_euros):
    assert POLICY.capacity == 200 * 0.5 * 3 == 300
    plan = field.account_plan(_accounts(), pd.Series({"A1": "A", "A2": "B", "A3": "A"}), REPS, POLICY)
    cap = field.capacity_table(plan, REPS, POLICY)
    # R1: A1 (12) + A2 (6) + P1 (1) = 19 visits; R2: A3 (12) + X (class C: 2) = 14
    assert cap.loc["R1", "required_visits"] == 19 and cap.loc["R2", "required_visits"] == 14
    assert cap.loc["R1", "load"] == pytest.approx(19 / 300) and cap.loc["R1", "status"] == "under capacity"
    s = field.staffing(cap, POLICY)
    assert s["reps_needed"] == pytest.approx(33 / 300) and s["yearly_cost_of_difference"] == pytest.approx(
        (33 / 300 - 2) * 90000)
    assert "cannot be routed (no coordinates): nowhere (X)" in field.unroutable_sentence(plan)
    assert field.unowned_sentence(_accounts(), plan) == ""  # every account of this test has an owner
    assert field.unowned_sentence(pd.concat([_accounts(), _accounts().head(2)]), plan).startswith(
        "The plan covers the 5 accounts with an owner; 2 without one are left out")
    visits = pd.DataFrame({"rep_id": ["R1", "R1", "R1", "R2", "R2"],
                           "visit_date": ["2025-11-01", "2026-05-01", "2026-10-31", "2026-01-15", "2025-10-31"]})
    made = field.visits_made(visits, "2026-10")  # November 2025 to October 2026: R1 3, R2 1 (October 2025 is out)
    assert made == 2
    text = field.staffing_sentence(cap, POLICY, made)
    assert text.startswith("The team can meet the visit policy: it needs 0.1 full-time reps in the field and there "
                           "are 2.")
    assert "Reps make 2 visits a year today, not the 300 assumed" in text
    assert "the policy would take 16.5 reps (+14.5)" in text  # 33 visits required ÷ 2 made per rep
    assert "today" not in field.staffing_sentence(cap, POLICY)
    busy = cap.assign(required_visits=[450.0, 300.0], load=[1.5, 1.0])  # 750 visits ÷ 300 = 2.5 reps
    assert field.staffing_sentence(busy, POLICY).startswith(
        "The visit policy asks more than the team can do: 1 of 2 reps are over capacity (up to 150% of it); meeting "
        "it would take 2.5 full-time reps in the field, 0.5 more than today, about €45,000 a year.")


def test_visit_economics_hand_worked():
    plan = field.account_plan(_accounts(), pd.Series({"A1": "A", "A2": "B", "A3": "A"}), REPS, POLICY)
    eco = field.visit_economics(plan, REPS, pd.Series({"A1": 12000.0, "A2": 600.0}), POLICY).set_index("account_id")
    km = haversine_km(48.0, 2.0, 48.1, 2.0)
    # A1: time 60000 / 300 = 200, travel 2 x km x 0.5; revenue per visit 12000 / 12 = 1000
    assert eco.loc["A1", "cost_per_visit"] == pytest.approx(200 + km)
    assert eco.loc["A1", "revenue_per_planned_visit"] == 1000 and not eco.loc["A1", "costs_more_than_it_brings"]
    assert eco.loc["A2", "revenue_per_planned_visit"] == 100 and eco.loc["A2", "costs_more_than_it_brings"]
    assert eco.loc["A3", "time_cost"] == 300  # no cost in the data: the policy's 90000
    assert not eco.loc["P1", "costs_more_than_it_brings"]  # prospects are not judged on revenue
    assert field.costly_sentence(eco.reset_index()) == (
        "3 customers cost more to visit than they bring; 2 of them invoiced nothing in 12 months: dormant "
        "accounts, for a call or a re-qualification before any visit.")  # A2 (100 a visit); A3 and X (nothing)
    classes = field.by_class(eco.reset_index())
    assert classes.loc["A", "revenue_per_planned_visit"] == pytest.approx((1000 + 0) / 2)
    assert classes.loc["B", "accounts_costing_more"] == 1
    assert classes.loc["prospect", ["revenue_per_planned_visit", "accounts_costing_more"]].isna().all()


def test_route_is_never_longer_than_the_naive_order_and_finds_the_obvious_tour():
    rng = np.random.default_rng(0)
    for n in (3, 8, 15):
        stops = pd.DataFrame({"lat": 48 + rng.normal(0, 0.3, n), "lon": 2 + rng.normal(0, 0.3, n)})
        order, km, naive = field.route((48.0, 2.0), stops)
        assert sorted(order) == list(range(n)) and km <= naive + 1e-9
    # four corners of a square visited crosswise: the solver goes round the square
    square = pd.DataFrame({"lat": [48.0, 49.0, 48.0, 49.0], "lon": [2.1, 3.0, 3.0, 2.1]})
    order, km, naive = field.route((48.0, 2.0), square, road_factor=1.0)
    assert km < naive
    assert order in ([0, 2, 1, 3], [3, 1, 2, 0])


def test_week_plan_takes_the_most_overdue_and_calendar_parses_back():
    from icalendar import Calendar

    plan = field.account_plan(_accounts(), pd.Series({"A1": "A", "A2": "B", "A3": "A"}), REPS, POLICY)
    last = pd.Series({"A1": pd.Timestamp("2026-10-01"), "A2": pd.Timestamp("2026-06-01"),
                      "P1": pd.Timestamp("2026-10-30")})
    policy = POLICY.model_copy(update={"visits_per_day": 1, "field_share": 0.4})  # 2 days x 1 visit
    week = field.week_plan(plan, REPS, last, pd.Timestamp("2026-11-02"), policy)
    r1 = week[week["rep_id"] == "R1"]
    # due = days since last visit / interval: A2 154/60.8 = 2.5, A1 32/30.4 = 1.05, P1 3/365
    assert set(r1["account_id"]) == {"A1", "A2"}
    assert "X" not in set(week["account_id"])  # no coordinates: not routed
    ics = field.calendar(r1, "Ana", policy=policy)
    events = Calendar.from_ical(ics).walk("VEVENT")
    got = {(str(e["uid"]), e.decoded("dtstart").date().isoformat(), e["rrule"].to_ical().decode()) for e in events}
    # A: 12 visits a year, monthly; B: 6, every 2 months; both on the same weekday of the month as the first
    freq = {12: "COUNT=12;INTERVAL=1", 6: "COUNT=6;INTERVAL=2"}
    want = {(f"R1-{a}@salesnb", d.date().isoformat(), f"FREQ=MONTHLY;{freq[v]};BYDAY={(d.day - 1) // 7 + 1}"
             f"{d.strftime('%a')[:2].upper()}") for a, d, v in zip(r1["account_id"], r1["date"], r1["visits_per_year"],
                                                                   strict=True)}
    assert got == want and len(events) == 2
    hostile = r1.assign(rep_id="../../etc/R1")
    names = field.calendars(hostile, REPS.head(1).assign(rep_id="../../etc/R1", name="../../etc/Ana"), policy)
    assert list(names) == ["visits_etc_Ana.ics"]  # a rep's name never leaves the report folder


def test_calendar_file_names_are_bounded_and_never_shared():
    policy = POLICY.model_copy(update={"visits_per_day": 1, "field_share": 0.4})
    week = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "account_id": ["A1", "A2", "A3"],
                         "date": pd.Timestamp("2026-11-02"), "visits_per_year": 12.0, "class": "A", "name": "Acme",
                         "stop": 1, "lat": 48.5, "lon": 2.0})
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "name": ["Ann Lee", "Ann_Lee", "é" * 200],
                         "base_lat": 48.0, "base_lon": 2.0})
    names = sorted(field.calendars(week, reps, policy))
    assert names[:2] == ["visits_Ann_Lee_R1.ics", "visits_Ann_Lee_R2.ics"]  # one no longer overwrites the other
    assert names[2] == "visits_" + "é" * 40 + ".ics"  # 80 bytes of UTF-8, cut between characters


def test_visit_times_follow_the_route_from_the_base():
    policy = field.VisitPolicy(speed_kmh=60, road_factor=1.0, meeting_minutes=60)
    day = pd.Timestamp("2026-11-02")
    # base (48.0, 2.0); stops 1 and 2 due north: 0.5° of latitude = 55.6 km = 55.6 minutes at 60 km/h
    week = pd.DataFrame({"date": day, "stop": [2, 1], "account_id": ["B", "A"], "lat": [49.0, 48.5],
                         "lon": [2.0, 2.0]})
    t = field.visit_times(week, (48.0, 2.0), policy).set_index("account_id")
    leg = haversine_km(48.0, 2.0, 48.5, 2.0) / 60  # hours
    assert t.at["A", "start"] == (day + pd.Timedelta(hours=9 + leg)).floor("5min")
    assert t.at["B", "start"] == (day + pd.Timedelta(hours=9 + leg + 1 + leg)).floor("5min")
    assert t.at["B", "end"] - t.at["B", "start"] == pd.Timedelta(hours=1)


def test_calendar_location_is_the_address():
    accounts = pd.DataFrame({"account_id": ["A", "B"], "name": ["Acme", "Zeta"], "postcode": ["75001", None],
                             "city": ["Paris", None]})
    assert field.addresses(accounts).to_dict() == {"A": "Acme, 75001 Paris", "B": "Zeta"}


def _two_reps() -> tuple[pd.DataFrame, pd.DataFrame]:
    """R1 holds five accounts along a line toward R2's base, R2 one."""
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["a", "b"], "team": "t",
                         "base_lat": [48.0, 48.0], "base_lon": [2.0, 3.0]})
    accounts = pd.DataFrame({"account_id": [f"A{i}" for i in range(6)], "name": "x", "status": "customer",
                             "owner_rep_id": ["R1"] * 5 + ["R2"], "potential": 1.0,
                             "lat": 48.0, "lon": [2.0, 2.1, 2.5, 2.8, 2.9, 3.0]})
    return reps, accounts


def test_balance_moves_accounts_toward_the_mean_and_keeps_them_near():
    reps, accounts = _two_reps()
    plan = field.account_plan(accounts, pd.Series("A", index=accounts["account_id"]), reps, POLICY)
    moves = field.balance(plan, reps, tolerance=0.2)
    assert moves["account_id"].tolist() == ["A4", "A3"]  # the two nearest to R2's base
    after = field.territory_table(field.apply_moves(plan, moves), reps)
    assert after["required_visits"].tolist() == [36, 36]
    assert field.balance(plan, reps, tolerance=0.2, not_takers=["R2"]).empty  # a new hire gets nothing
    hires = reps.assign(hire_date=pd.to_datetime(["2020-01-01", "2026-06-01"]))
    assert field.new_hires(hires, "2026-10") == ["R2"] and field.new_hires(hires, "2026-12") == []


def test_a_rep_with_no_account_takes_some_and_is_in_the_territory_table():
    reps, accounts = _two_reps()
    reps = pd.concat([reps, pd.DataFrame({"rep_id": ["R3"], "name": ["c"], "team": "t", "base_lat": [48.0],
                                          "base_lon": [2.5]})], ignore_index=True)
    plan = field.account_plan(accounts, pd.Series("A", index=accounts["account_id"]), reps, POLICY)
    assert field.territory_table(plan, reps)["accounts"].to_dict() == {"R1": 5, "R2": 1, "R3": 0}
    assert field.territory_table(plan, reps)["team"].tolist() == ["t", "t", "t"]  # the org's table says whose
    assert "team" not in field.territory_table(plan, reps.drop(columns="team"))
    moves = field.balance(plan, reps, tolerance=0.2)
    assert "R3" in set(moves["to_rep"])  # 60, 12 and 0 visits a year: the empty territory is the first taker
    # a new hire with no account neither takes nor lowers the mean the others are balanced to
    barred = field.balance(plan, reps, tolerance=0.2, not_takers=["R3"])
    assert barred["account_id"].tolist() == ["A4", "A3"] and set(barred["to_rep"]) == {"R2"}


def test_city_marks_are_the_cities_with_most_accounts_at_their_median_position():
    accounts = pd.DataFrame({"city": ["Lille", "Lille ", "Lille", "Nantes", "Nantes", "Brest", None],
                             "lat": [50.0, 50.6, 51.0, 47.2, 47.4, 48.4, 45.0],
                             "lon": [3.0, 3.1, 3.3, -1.5, -1.7, -4.5, 1.0]})
    marks = field.city_marks(accounts, n=2)
    assert marks.index.tolist() == ["Lille", "Nantes"] and marks["accounts"].tolist() == [3, 2]
    assert marks.loc["Lille", ["lat", "lon"]].tolist() == [50.6, 3.1]
    assert marks.loc["Nantes", "lat"] == pytest.approx(47.3)
    assert field.city_marks(accounts.drop(columns="city")).empty


def test_bad_policy():
    with pytest.raises(ParameterError, match="field_share"):
        field.parse_policy({"field_share": 1.5})


def test_route_summary_hours_and_saving():
    week = pd.DataFrame({"rep_id": "R1", "date": pd.Timestamp("2026-11-02"), "stop": [2, 1],
                         "day_km": 120.0, "naive_km": 150.0, "name": ["Zeta", "Acme"]})
    s = field.route_summary(week, POLICY)
    row = s.loc[("R1", pd.Timestamp("2026-11-02"))]
    assert (row["day"], row["route"]) == ("Monday", "Acme → Zeta")
    # 120 km at 60 km/h = 2 h driving, plus 2 meetings of 90 minutes
    assert (row["stops"], row["driving_hours"], row["day_hours"], row["km_saved"]) == (2, 2.0, 5.0, 30.0)


def test_capacity_sentence_multiplies_days_field_share_and_visits():
    policy = field.parse_policy({"working_days": 200, "field_share": 0.5, "visits_per_day": 3})
    assert field.capacity_sentence(policy) == (
        "A rep can make 300 visits a year (200 days × 50% in the field × 3 visits a day).")


def test_the_map_takes_reps_from_every_team():
    week = pd.DataFrame({"rep_id": ["R1", "R2", "R3", "R4", "R5"]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3", "R4", "R5"], "team": ["n", "n", "n", "s", "w"]})
    assert field.reps_to_draw(week, reps, 4) == ["R1", "R4", "R5", "R2"]
    summary = pd.DataFrame({"day_hours": [6.0, 9.5, 7.0, 8.0, 5.0]},
                           index=pd.MultiIndex.from_arrays([["R1", "R2", "R3", "R4", "R5"], ["Mon"] * 5],
                                                           names=["rep_id", "date"]))
    assert field.reps_to_draw(week, reps, 4, summary) == ["R2", "R4", "R5", "R3"]  # n's longest days first


def test_the_map_says_how_many_reps_it_draws():
    week = pd.DataFrame({"rep_id": ["R1", "R1", "R2", "R3"]})
    assert field.map_sentence(["R1", "R2"], week).startswith("The map draws 2 of the 3 reps with visits in the week")
    assert field.map_sentence(["R1", "R2", "R3"], week).startswith("The map draws the routes of all 3 reps")


def test_moves_sentence_names_the_reps_who_receive_nothing():
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bo"]})
    moves = pd.DataFrame({"account_id": ["A1"]})
    check = (" The moves weigh load and distance only: check each receiver's pricing and performance reports before "
             "approving them.")
    assert field.moves_sentence(moves, reps, [], []) == "1 account move proposed." + check
    assert field.moves_sentence(moves.assign(to_rep="R2"), reps, [], []) == (
        "1 account move proposed (to Bo 1: the reps with room under capacity nearest the accounts)." + check)
    assert field.moves_sentence(moves.iloc[:0], reps, ["R2"], ["R1"]) == (
        "0 account moves proposed; reps hired in the last 6 months and reps flagged for sustained underperformance "
        "(Ann: see the performance report) give accounts but receive none.")


def test_balance_is_made_team_by_team_so_one_stuck_team_does_not_stop_the_others():
    reps = pd.DataFrame({"rep_id": ["R1", "R2", "R3", "R4"], "name": list("abcd"), "team": ["t", "t", "u", "u"],
                         "base_lat": 48.0, "base_lon": [2.0, 3.0, 2.0, 3.0]})
    owners = ["R1"] * 5 + ["R2"] + ["R3"] * 9 + ["R4"]
    accounts = pd.DataFrame({"account_id": [f"A{i}" for i in range(16)], "name": "x", "status": "customer",
                             "owner_rep_id": owners, "potential": 1.0, "lat": 48.0,
                             "lon": [2.0, 2.1, 2.5, 2.8, 2.9, 3.0] + [2.0] * 9 + [3.0]})
    plan = field.account_plan(accounts, pd.Series("A", index=accounts["account_id"]), reps, POLICY)
    moves = field.balance(plan, reps, tolerance=0.2, not_takers=["R4"])  # u is the most unbalanced, and stuck
    assert moves["account_id"].tolist() == ["A4", "A3"]
    alone = field.balance(plan[plan["owner_rep_id"].isin(["R1", "R2"])], reps[reps["team"] == "t"], tolerance=0.2)
    pd.testing.assert_frame_equal(moves, alone)


def test_a_move_never_takes_the_receiver_over_capacity_nor_the_account_far_from_its_new_base():
    reps, accounts = _two_reps()
    plan = field.account_plan(accounts, pd.Series("A", index=accounts["account_id"]), reps, POLICY)
    # 12 visits an account: R2 holds 12, so a capacity of 30 leaves room for one account (24), not two (36)
    assert field.balance(plan, reps, tolerance=0.2, capacity=30)["account_id"].tolist() == ["A4"]
    far = reps.assign(base_lon=[2.0, 4.0])  # A4 at 2.9°: 0.9° of longitude from R1, 1.1° from R2, ~14.9 km more
    plan = field.account_plan(accounts, pd.Series("A", index=accounts["account_id"]), far, POLICY)
    assert field.balance(plan, far, tolerance=0.2, max_extra_km=14).empty
    assert field.balance(plan, far, tolerance=0.2, max_extra_km=16)["account_id"].iloc[0] == "A4"


def test_limits_sentence_counts_the_reps_still_over_capacity():
    after = pd.DataFrame({"required_visits": [400.0, 330.0, 200.0]})
    text = field.limits_sentence(after, 330, 30)
    assert "over capacity (330 visits a year)" in text and "more than 30 km" in text
    assert text.endswith("After the moves 1 of 3 reps are still over capacity: moving accounts cannot make room for "
                         "them; the staffing figures above say what would.")
    assert field.limits_sentence(after.iloc[1:], 330, 30).endswith("After the moves no rep is over capacity.")
    after.index = ["R1", "R2", "R3"]  # R3, a new hire, has 130 of the 130 visits a year of room
    assert field.limits_sentence(after, 330, 30, ["R3"]).endswith(
        " Of the 130 visits a year of room left under capacity, 130 (100%) is with new hires and flagged reps, who "
        "take no account.")


def test_long_days_are_named_longest_first():
    week = pd.DataFrame({"rep_id": ["R1", "R1", "R2", "R2", "R2"], "stop": [1, 2, 1, 2, 3],
                         "date": pd.to_datetime(["2026-11-02", "2026-11-02", "2026-11-03", "2026-11-03", "2026-11-03"]),
                         "day_km": [420.0, 420.0, 300.0, 300.0, 300.0], "naive_km": 500.0})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Ann", "Bob"]})
    summary = field.route_summary(week, POLICY)  # R1: 7 h driving + 3 h; R2: 5 h + 4.5 h
    assert field.long_days_sentence(summary, reps, POLICY) == (
        "2 of 2 rep-days run past 9 hours (Ann Monday 2 November 10.0 h, Bob Tuesday 3 November 9.5 h): move their "
        "farthest visit to another day.")
    assert field.long_days_sentence(summary, reps, field.parse_policy({"day_hours": 10})) == ""


def test_calendar_times_carry_the_countrys_time_zone():
    from icalendar import Calendar

    assert field.timezone(POLICY, "FR") == "Europe/Paris"
    assert field.timezone(POLICY, "US") == ""  # several zones: floating times, and the page says so
    assert field.timezone(POLICY.model_copy(update={"timezone": "America/Chicago"}), "US") == "America/Chicago"
    assert "several time zones" in field.timezone_sentence("", "US")
    with pytest.raises(ParameterError, match="time zone"):
        field.parse_policy({"timezone": "Mars/Olympus"})
    week = pd.DataFrame({"rep_id": "R1", "date": pd.Timestamp("2026-11-02"), "stop": [1], "account_id": ["A"],
                         "name": "Acme", "class": "A", "lat": [48.5], "lon": [2.0], "visits_per_year": 12.0})
    ics = field.calendar(week, "Ana", POLICY, (48.0, 2.0), zone="Europe/Paris")
    assert b"DTSTART;TZID=Europe/Paris:20261102T" in ics and b"BEGIN:VTIMEZONE" in ics
    start = Calendar.from_ical(ics).walk("VEVENT")[0].decoded("dtstart")
    assert start.utcoffset() == pd.Timedelta(hours=1)  # CET in November
    assert b"TZID" not in field.calendar(week, "Ana", POLICY, (48.0, 2.0))


def test_a_visit_repeats_monthly_on_the_same_weekday_or_every_n_weeks():
    assert field.repeat(pd.Timestamp("2026-11-02"), 12) == {"freq": "monthly", "interval": 1, "count": 12,
                                                           "byday": "1MO"}
    assert field.repeat(pd.Timestamp("2026-10-30"), 2)["byday"] == "-1FR"  # the 5th Friday: the last one
    assert field.repeat(pd.Timestamp("2026-11-12"), 4) == {"freq": "monthly", "interval": 3, "count": 4,
                                                          "byday": "2TH"}
    assert field.repeat(pd.Timestamp("2026-11-02"), 24) == {"freq": "weekly", "interval": 2, "count": 24}
    assert field.repeat(pd.Timestamp("2026-11-02"), 5) == {"freq": "weekly", "interval": 10, "count": 5}


def test_a_visit_that_would_fall_on_a_public_holiday_moves_to_the_next_working_day():
    from icalendar import Calendar

    # the 1st Thursdays from 5 November 2026: 5 Nov, 3 Dec, 7 Jan, 4 Feb, 4 Mar, 1 Apr, 6 May, 3 Jun, 1 Jul, 5 Aug,
    # 2 Sep, 7 Oct; only 6 May 2027 (Ascension) is a French public holiday
    week = pd.DataFrame({"rep_id": "R1", "date": pd.Timestamp("2026-11-05"), "stop": [1], "account_id": ["A"],
                         "name": "Acme", "class": "A", "lat": [48.5], "lon": [2.0], "visits_per_year": 12.0})
    event = Calendar.from_ical(field.calendar(week, "Ana", POLICY, (48.0, 2.0), country="FR")).walk("VEVENT")[0]
    moved = [d.dt.date().isoformat() for d in event["exdate"].dts]
    to = [d.dt.date().isoformat() for d in event["rdate"].dts]
    assert moved == ["2027-05-06"] and to == ["2027-05-07"]  # Ascension Thursday → Friday
    plain = Calendar.from_ical(field.calendar(week, "Ana", POLICY, (48.0, 2.0))).walk("VEVENT")[0]
    assert "exdate" not in plain and "No country is stated" in field.holidays_sentence(None)
    assert "a public holiday (France) or a weekend" in field.holidays_sentence("FR")
    both = pd.concat([week, week.assign(rep_id="R2")])
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "name": ["Zoë Ana", "Zoë Ana"], "base_lat": 48.0, "base_lon": 2.0})
    assert list(field.calendars(both, reps, POLICY)) == ["visits_Zoë_Ana_R1.ics", "visits_Zoë_Ana_R2.ics"]
    assert list(field.calendars(week, reps.head(1), POLICY)) == ["visits_Zoë_Ana.ics"]
