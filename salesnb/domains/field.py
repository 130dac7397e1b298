"""Field organisation: visit policy and capacity, cost per visit, weekly routes, territory balance, calendars."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files
from zoneinfo import ZoneInfo, available_timezones

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from salesnb.core import money
from salesnb.core.days import country_name, next_working_day, public_holidays
from salesnb.core.geo import haversine_km
from salesnb.core.models import parse
from salesnb.core.scope import Month, between, trailing_window
from salesnb.core.text import file_slug


class VisitPolicy(BaseModel):
    """Visit frequencies and field capacity (defaults from the source article)."""

    model_config = ConfigDict(extra="forbid")

    visits_per_year: dict[str, float] = Field(
        default_factory=lambda: {"A": 12, "B": 6, "C": 2, "prospect": 1})
    working_days: float = Field(220, gt=0)
    field_share: float = Field(0.5, gt=0, le=1, description="share of time in the field (at most 50%)")
    visits_per_day: float = Field(3, gt=0, description="about 1h30 a meeting plus travel")
    rep_cost: float = Field(85000, gt=0, description="yearly cost of a rep when the data has none")
    cost_per_km: float = Field(0.6, ge=0)
    road_factor: float = Field(1.3, ge=1, description="road km per straight-line km")
    speed_kmh: float = Field(60, gt=0)
    meeting_minutes: float = Field(90, gt=0)
    day_hours: float = Field(9, gt=0, description="longest field day, driving and meetings")
    timezone: str = Field("", description="IANA time zone of the visits; empty: the country's, when it has one")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        if zone and zone not in available_timezones():
            raise ValueError(f"unknown time zone {zone!r} (an IANA name such as Europe/Paris)")
        return zone

    @property
    def capacity(self) -> float:
        """Visits a rep can make in a year."""
        return self.working_days * self.field_share * self.visits_per_day

    @property
    def days_per_week(self) -> int:
        return max(1, int(np.floor(5 * self.field_share + 0.5)))


def parse_policy(params: dict) -> VisitPolicy:
    """A visit policy from parameters."""
    return parse(VisitPolicy, params, "visit policy")


def account_plan(accounts: pd.DataFrame, classes: pd.Series, reps: pd.DataFrame,
                 policy: VisitPolicy) -> pd.DataFrame:
    """Each owned account with its class, visits per year, and distance from its rep's base."""
    a = accounts[accounts["owner_rep_id"].notna()].copy()
    a["class"] = np.where(a["status"] == "prospect", "prospect", a["account_id"].map(classes).fillna("C"))
    a["visits_per_year"] = pd.to_numeric(a["class"].map(policy.visits_per_year), errors="coerce").fillna(0.0)
    base = reps.set_index("rep_id")[["base_lat", "base_lon"]]
    b = base.reindex(a["owner_rep_id"]).to_numpy()
    a["km_from_base"] = haversine_km(b[:, 0], b[:, 1], a["lat"].to_numpy(), a["lon"].to_numpy()) * policy.road_factor
    a["routable"] = a[["lat", "lon"]].notna().all(axis=1) & ~np.isnan(b).any(axis=1)
    return a


def city_marks(accounts: pd.DataFrame, n: int = 12) -> pd.DataFrame:
    """The `n` cities with the most located accounts, each at the median position of its accounts (a map's
    landmarks where there are no map tiles)."""
    if "city" not in accounts:
        return pd.DataFrame(columns=["lat", "lon", "accounts"])
    located = accounts.dropna(subset=["city", "lat", "lon"])
    g = located.groupby(located["city"].astype(str).str.strip())
    marks = g[["lat", "lon"]].median().assign(accounts=g.size())
    return marks.sort_values("accounts", ascending=False, kind="stable").head(n)


def capacity_sentence(policy: VisitPolicy) -> str:
    """How many visits a rep can make in a year, and why."""
    return (f"A rep can make {policy.capacity:,.0f} visits a year ({policy.working_days:g} days × "
            f"{policy.field_share:.0%} in the field × {policy.visits_per_day:g} visits a day).")


def capacity_table(plan: pd.DataFrame, reps: pd.DataFrame, policy: VisitPolicy,
                   under: float = 0.7) -> pd.DataFrame:
    """Per rep: accounts by class, visits required by the policy, capacity, load and status."""
    per = pd.crosstab(plan["owner_rep_id"], plan["class"]).reindex(
        columns=[*policy.visits_per_year], fill_value=0)
    per["required_visits"] = plan.groupby("owner_rep_id")["visits_per_year"].sum().astype(float)
    per = per.reindex(reps["rep_id"], fill_value=0)
    per["capacity"] = policy.capacity
    per["load"] = per["required_visits"] / per["capacity"]
    per["status"] = np.where(per["load"] > 1, "over capacity", np.where(per["load"] < under, "under capacity", "ok"))
    names = reps.set_index("rep_id")[["name", "team"]]
    return names.join(per).rename_axis("rep_id")


def staffing(table: pd.DataFrame, policy: VisitPolicy) -> dict[str, float]:
    """Full-time reps the policy needs vs the reps there are, and the yearly cost of the difference."""
    needed = float(table["required_visits"].sum() / policy.capacity)
    have = float(len(table))
    return {"reps_needed": needed, "reps_now": have, "difference": needed - have,
            "yearly_cost_of_difference": (needed - have) * policy.rep_cost}


def visits_made(visits: pd.DataFrame, month: Month) -> float:
    """Visits a rep made over the 12 months to `month`, on average over the reps who made any."""
    recent = between(visits, "visit_date", *trailing_window(month, 12))
    reps = recent["rep_id"].nunique()
    return len(recent) / reps if reps else float("nan")


def _reps(n: float, sign: bool = False) -> str:
    """A number of full-time reps to one decimal, without a trailing .0."""
    return f"{round(n, 1):{'+' if sign else ''}g}"


def staffing_sentence(table: pd.DataFrame, policy: VisitPolicy, made: float = float("nan")) -> str:
    """Whether the team can meet the visit policy (`table` from `capacity_table`), and what hiring would take,
    beside the visits reps make today when the data have them."""
    s = staffing(table, policy)
    over, n = int((table["load"] > 1).sum()), len(table)
    if s["difference"] > 0:
        text = (f"The visit policy asks more than the team can do: {over} of {n} reps are over capacity (up to "
                f"{table['load'].max():.0%} of it); meeting it would take {_reps(s['reps_needed'])} full-time reps in "
                f"the field, {_reps(s['difference'])} more than today, about "
                f"{money.fmt(round(s['yearly_cost_of_difference'], -3))} a year.")
    else:
        text = (f"The team can meet the visit policy: it needs {_reps(s['reps_needed'])} full-time reps in the field "
                f"and there are {n}" + (f"; {over} reps are over capacity, a matter of moving accounts." if over
                                        else "."))
    if made == made and made > 0:
        at_rate = s["reps_needed"] * policy.capacity / made
        text += (f" Reps make {made:,.0f} visits a year today, not the {policy.capacity:,.0f} assumed: at that rate "
                 f"the policy would take {_reps(at_rate)} reps ({_reps(at_rate - s['reps_now'], sign=True)}). "
                 "Revise the visit frequencies or the capacity assumptions before hiring on either figure.")
    return text


def visit_economics(plan: pd.DataFrame, reps: pd.DataFrame, revenue: pd.Series,
                    policy: VisitPolicy) -> pd.DataFrame:
    """Per account: cost of one visit (rep time + travel) against the revenue a visit stands for."""
    cost = reps.set_index("rep_id")["annual_cost"] if "annual_cost" in reps else pd.Series(dtype=float)
    yearly = plan["owner_rep_id"].map(cost).fillna(policy.rep_cost)
    out = plan[["account_id", "name", "owner_rep_id", "class", "visits_per_year", "km_from_base"]].copy()
    out["time_cost"] = yearly / policy.capacity
    out["travel_cost"] = 2 * plan["km_from_base"].fillna(0) * policy.cost_per_km
    out["cost_per_visit"] = out["time_cost"] + out["travel_cost"]
    out["revenue_12m"] = plan["account_id"].map(revenue).fillna(0.0)
    out["revenue_per_planned_visit"] = out["revenue_12m"] / out["visits_per_year"].where(out["visits_per_year"] > 0)
    judged = plan["class"] != "prospect"
    out["costs_more_than_it_brings"] = (out["cost_per_visit"] > out["revenue_per_planned_visit"]) & judged
    return out


def costly_sentence(economics: pd.DataFrame) -> str:
    """How many customers cost more to visit than they bring, and how many of them are dormant (no revenue)."""
    costly = economics[economics["costs_more_than_it_brings"]]
    if costly.empty:
        return "Every customer brings more per visit than a visit costs."
    dormant = int((costly["revenue_12m"] <= 0).sum())
    text = f"{len(costly):,} customers cost more to visit than they bring"
    if dormant:
        text += (f"; {dormant:,} of them invoiced nothing in 12 months: dormant accounts, for a call or a "
                 "re-qualification before any visit")
    return text + "."


def by_class(economics: pd.DataFrame) -> pd.DataFrame:
    """Average cost and revenue per visit, per account class (prospects have no revenue to judge a visit by)."""
    g = economics.groupby("class")
    out = pd.DataFrame({"accounts": g.size(), "visits_per_year": g["visits_per_year"].sum(),
                        "cost_per_visit": g["cost_per_visit"].mean(),
                        "revenue_per_planned_visit": g["revenue_per_planned_visit"].mean(),
                        "accounts_costing_more": g["costs_more_than_it_brings"].sum().astype(float)})
    out.loc[out.index == "prospect", ["revenue_per_planned_visit", "accounts_costing_more"]] = np.nan
    return out


def route(base: tuple[float, float], stops: pd.DataFrame,
          road_factor: float = 1.3) -> tuple[list[int], float, float]:
    """Shortest round trip from the base through every stop (OR-Tools): stop positions, km, and the km
    of visiting the stops in the order given (never shorter)."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    lat = np.r_[base[0], stops["lat"].to_numpy(dtype=float)]
    lon = np.r_[base[1], stops["lon"].to_numpy(dtype=float)]
    meters = np.rint(haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
                     * road_factor * 1000).astype(np.int64)
    naive = list(range(len(stops)))
    if len(stops) <= 2:
        km = tour_km(meters, naive)
        return naive, km, km
    manager = pywrapcp.RoutingIndexManager(len(lat), 1, 0)
    model = pywrapcp.RoutingModel(manager)
    callback = model.RegisterTransitCallback(
        lambda i, j: int(meters[manager.IndexToNode(i), manager.IndexToNode(j)]))
    model.SetArcCostEvaluatorOfAllVehicles(callback)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    solution = model.SolveWithParameters(params)
    order, index = [], model.Start(0)
    while not model.IsEnd(index := solution.Value(model.NextVar(index))):
        order.append(manager.IndexToNode(index) - 1)
    km, naive_km = tour_km(meters, order), tour_km(meters, naive)
    return (order, km, naive_km) if km <= naive_km else (naive, naive_km, naive_km)


def tour_km(meters: np.ndarray, order: list[int]) -> float:
    """Length of base → stops in `order` → base, in km."""
    nodes = [0, *[i + 1 for i in order], 0]
    return float(sum(meters[a, b] for a, b in zip(nodes[:-1], nodes[1:], strict=True)) / 1000)


def week_plan(plan: pd.DataFrame, reps: pd.DataFrame, last_visit: pd.Series, week_start: pd.Timestamp,
              policy: VisitPolicy) -> pd.DataFrame:
    """The visits due in a week per rep, split into field days by direction from the base, each routed."""
    rows = []
    per_week = int(policy.days_per_week * policy.visits_per_day)
    base = reps.set_index("rep_id")[["base_lat", "base_lon"]]
    for rep, mine in plan[plan["routable"] & (plan["visits_per_year"] > 0)].groupby("owner_rep_id"):
        interval_days = 365 / mine["visits_per_year"]
        last = pd.to_datetime(last_visit.reindex(mine["account_id"].to_numpy()).to_numpy())
        since = pd.Series((week_start - last).days, index=mine.index).fillna(365 * 2)
        due = mine.assign(due=since / interval_days).sort_values(["due", "account_id"], ascending=[False, True])
        week = due.head(per_week)
        b = base.loc[rep].to_numpy(dtype=float)
        angle = np.arctan2(week["lat"] - b[0], week["lon"] - b[1])
        week = week.assign(angle=angle).sort_values(["angle", "account_id"])
        for day, positions in enumerate(np.array_split(np.arange(len(week)), policy.days_per_week)):
            if len(positions) == 0:
                continue
            chunk = week.iloc[positions].sort_values(["due", "account_id"], ascending=[False, True])
            order, km, naive = route((b[0], b[1]), chunk, policy.road_factor)
            date = week_start + pd.Timedelta(days=[0, 1, 3, 2, 4][day % 5])
            for stop, i in enumerate(order):
                r = chunk.iloc[i]
                rows.append({"rep_id": rep, "date": date, "stop": stop + 1, "account_id": r["account_id"],
                             "name": r["name"], "class": r["class"], "lat": r["lat"], "lon": r["lon"],
                             "visits_per_year": r["visits_per_year"], "day_km": km, "naive_km": naive})
    return pd.DataFrame(rows, columns=["rep_id", "date", "stop", "account_id", "name", "class", "lat", "lon",
                                       "visits_per_year", "day_km", "naive_km"])


def route_summary(week: pd.DataFrame, policy: VisitPolicy) -> pd.DataFrame:
    """Per rep and date: the weekday, stops, km, driving hours, the km saved vs the naive order, and the accounts
    in the order of the route."""
    g = week.groupby(["rep_id", "date"])
    out = pd.DataFrame({"stops": g.size(), "km": g["day_km"].first(), "naive_km": g["naive_km"].first()})
    out["driving_hours"] = out["km"] / policy.speed_kmh
    out["day_hours"] = out["driving_hours"] + out["stops"] * policy.meeting_minutes / 60
    out["km_saved"] = out["naive_km"] - out["km"]
    out.insert(0, "day", pd.DatetimeIndex(out.index.get_level_values("date")).strftime("%A"))
    if "name" in week:
        out["route"] = week.sort_values("stop", kind="stable").groupby(["rep_id", "date"])["name"].agg(" → ".join)
    return out


def new_hires(reps: pd.DataFrame, month: Month, months: int = 6) -> list[str]:
    """Reps hired in the `months` months to `month`: still ramping, so not given more accounts."""
    if "hire_date" not in reps:
        return []
    hired = pd.to_datetime(reps["hire_date"])
    return reps.loc[hired >= trailing_window(month, months)[0], "rep_id"].tolist()


def moves_sentence(moves: pd.DataFrame, reps: pd.DataFrame, new: list[str], flagged: list[str]) -> str:
    """How many moves are proposed and to whom, and which reps give accounts without receiving any."""
    names = reps.set_index("rep_id")["name"]
    barred = []
    if new:
        barred.append("reps hired in the last 6 months")
    if flagged:
        barred.append(f"reps flagged for sustained underperformance ({', '.join(names.reindex(flagged).fillna(''))}: "
                      "see the performance report)")
    text = f"{len(moves)} account move{'s' if len(moves) != 1 else ''} proposed"
    if "to_rep" in moves and len(moves):
        takers = moves["to_rep"].value_counts()
        text += " (to " + ", ".join(f"{names.get(r, r)} {n}" for r, n in takers.items()) + \
            ": the reps with room under capacity nearest the accounts)"
    text += f"; {' and '.join(barred)} give accounts but receive none." if barred else "."
    if len(moves):
        text += (" The moves weigh load and distance only: check each receiver's pricing and performance reports "
                 "before approving them.")
    return text


def limits_sentence(after: pd.DataFrame, capacity: float, max_extra_km: float, not_takers: Iterable[str] = ()) -> str:
    """What the moves may not do, how many reps stay over capacity after them (`after`: territory table by rep)
    and how much of the room left is with reps who take no account."""
    over = int((after["required_visits"] > capacity).sum())
    text = (f"A move never takes a rep over capacity ({capacity:,.0f} visits a year) nor puts an account more than "
            f"{max_extra_km:,.0f} km (straight line) farther from its new rep's base than from its old one.")
    if not over:
        return text + " After the moves no rep is over capacity."
    text += (f" After the moves {over} of {len(after)} reps are still over capacity: moving accounts cannot make "
             "room for them; the staffing figures above say what would.")
    room = (capacity - after["required_visits"]).clip(lower=0)
    barred = room[room.index.isin(list(not_takers))].sum()
    if barred > 0:
        text += (f" Of the {room.sum():,.0f} visits a year of room left under capacity, {barred:,.0f} "
                 f"({barred / room.sum():.0%}) is with new hires and flagged reps, who take no account.")
    return text


MOVE_COLUMNS = ["account_id", "name", "from_rep", "to_rep", "visits_per_year", "km_from_old_base", "km_from_new_base"]


def balance(plan: pd.DataFrame, reps: pd.DataFrame, tolerance: float = 0.15, max_moves: int = 500,
            not_takers: Iterable[str] = (), capacity: float = np.inf, max_extra_km: float = np.inf) -> pd.DataFrame:
    """Account moves that bring each rep's required visits within `tolerance` of their team's mean.

    Each team is balanced on its own (so a team's moves are the same in its report and the organisation's):
    each move takes, from the most loaded rep, the account that is nearest to an under-loaded colleague
    (relative to its current base). A move never takes the receiver over `capacity` (visits a year) nor puts
    the account more than `max_extra_km` (straight line) farther from its rep's base; `not_takers` (new hires,
    reps flagged for underperformance) give but never receive.
    """
    team_of = reps.set_index("rep_id")["team"]
    teams = plan["owner_rep_id"].map(team_of)
    limits = {"capacity": capacity, "max_extra_km": max_extra_km}
    moves = [_balance_team(plan[teams == team], reps[reps["team"] == team], tolerance, max_moves, set(not_takers),
                           limits) for team in sorted(teams.dropna().unique())]
    moves = [m for m in moves if len(m)]
    return pd.concat(moves, ignore_index=True) if moves else pd.DataFrame(columns=MOVE_COLUMNS)


def _balance_team(plan: pd.DataFrame, reps: pd.DataFrame, tolerance: float, max_moves: int,
                  barred: set[str], limits: dict[str, float]) -> pd.DataFrame:
    base = reps.set_index("rep_id")[["base_lat", "base_lon"]]
    load = plan.groupby("owner_rep_id")["visits_per_year"].sum()
    load = load.reindex(load.index.union(pd.Index(reps["rep_id"]), sort=False), fill_value=0.0)
    counted = load.index[(load > 0) | ~load.index.isin(barred)]  # a new hire with no account sets no mean
    owner = plan.set_index("account_id")["owner_rep_id"].copy()
    acc = plan.set_index("account_id")
    stuck: set[str] = set()
    moves = []
    while len(moves) < max_moves:
        mean = load[counted].mean()
        over = load[(load > mean * (1 + tolerance)) & ~load.index.isin(stuck)]
        if over.empty:
            break
        giver = over.idxmax()
        takers = load[(load < mean * (1 - tolerance / 2)) & ~load.index.isin(barred)].index
        move = _best_move(acc.loc[owner[owner == giver].index], giver, takers, load, base, limits)
        if move is None:
            stuck.add(giver)
            continue
        owner[move["account_id"]] = move["to_rep"]
        load[giver] -= move["visits_per_year"]
        load[move["to_rep"]] += move["visits_per_year"]
        moves.append(move)
    return pd.DataFrame(moves, columns=MOVE_COLUMNS)


def _best_move(mine: pd.DataFrame, giver: str, takers: pd.Index, load: pd.Series, base: pd.DataFrame,
               limits: dict[str, float]) -> dict | None:
    """The giver's account nearest to a taker's base among the moves the limits allow (None when none is)."""
    mine = mine[mine["routable"] & (mine["visits_per_year"] > 0)]
    g = base.loc[giver].to_numpy(dtype=float)
    here = np.asarray(haversine_km(g[0], g[1], mine["lat"], mine["lon"]), dtype=float)
    visits = mine["visits_per_year"].to_numpy(dtype=float)
    best = None
    for taker in takers:
        t = base.loc[taker].to_numpy(dtype=float)
        there = np.asarray(haversine_km(t[0], t[1], mine["lat"], mine["lon"]), dtype=float)
        extra = there - here
        allowed = ((extra <= limits["max_extra_km"]) & (load[taker] + visits <= limits["capacity"])
                   & (load[giver] - visits >= load[taker]))
        if not allowed.any():
            continue
        i = int(np.argmin(np.where(allowed, extra, np.inf)))
        if best is None or extra[i] < best[0]:
            best = (extra[i], {"account_id": mine.index[i], "name": mine["name"].iloc[i], "from_rep": giver,
                               "to_rep": taker, "visits_per_year": visits[i], "km_from_old_base": here[i],
                               "km_from_new_base": there[i]})
    return None if best is None else best[1]


def apply_moves(plan: pd.DataFrame, moves: pd.DataFrame) -> pd.DataFrame:
    """The account plan after reassignments."""
    out = plan.copy()
    out.loc[out["account_id"].isin(moves["account_id"]), "owner_rep_id"] = \
        out["account_id"].map(moves.set_index("account_id")["to_rep"])
    return out


def territory_table(plan: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Per rep (with their team): accounts, required visits, potential, A accounts and straight-line travel load."""
    base = reps.set_index("rep_id")[["base_lat", "base_lon"]]
    b = base.reindex(plan["owner_rep_id"]).to_numpy()
    km = haversine_km(b[:, 0], b[:, 1], plan["lat"].to_numpy(), plan["lon"].to_numpy())
    p = plan.assign(km=km, a=plan["class"].eq("A"), travel=km * plan["visits_per_year"] * 2)
    g = p.groupby("owner_rep_id")
    table = pd.DataFrame({"accounts": g.size(), "a_accounts": g["a"].sum(),
                          "required_visits": g["visits_per_year"].sum(), "potential": g["potential"].sum(),
                          "travel_km": g["travel"].sum()})
    table = table.reindex(table.index.union(pd.Index(reps["rep_id"]), sort=False), fill_value=0)
    if "team" in reps:
        table.insert(0, "team", reps.set_index("rep_id")["team"].reindex(table.index))
    return table.rename_axis("rep_id")


def visit_times(week: pd.DataFrame, base: tuple[float, float] | None, policy: VisitPolicy,
                start_hour: int = 9) -> pd.DataFrame:
    """Start and end of each visit of a rep's week: from the base, in route order, driving between stops."""
    rows = []
    for _, day in week.sort_values(["date", "stop"]).groupby("date"):
        clock, here = day["date"].iloc[0] + pd.Timedelta(hours=start_hour), base
        for r in day.itertuples():
            there = (r.lat, r.lon)
            if here is not None and not np.isnan([*here, *there]).any():
                km = float(haversine_km(here[0], here[1], there[0], there[1])) * policy.road_factor
                clock += pd.Timedelta(hours=km / policy.speed_kmh)
            end = clock + pd.Timedelta(minutes=policy.meeting_minutes)
            rows.append({"account_id": r.account_id, "start": clock.floor("5min"), "end": end.floor("5min")})
            clock, here = end, there
    return pd.DataFrame(rows, columns=["account_id", "start", "end"])


def timezone(policy: VisitPolicy, country: str | None) -> str:
    """The visits' time zone: the policy's, else the country's only zone in the IANA database ('' when the
    country has several or none)."""
    if policy.timezone:
        return policy.timezone
    zones = [line.split("\t")[2] for line in files("tzdata.zoneinfo").joinpath("zone.tab").read_text().splitlines()
             if country and line.startswith(f"{country.upper()}\t")]
    return zones[0] if len(zones) == 1 else ""


def timezone_sentence(zone: str, country: str | None) -> str:
    """In which time zone the calendars' times are written."""
    if zone:
        return f"Times are in {zone} local time; calendars in another zone show them converted."
    where = f"{country_name(country)} has several time zones" if country else "no country is stated"
    return (f"Times are floating (read as local wherever the calendar is opened): {where}; set `timezone` in the "
            "visit policy to fix them.")


def holidays_sentence(country: str | None) -> str:
    """Whether the calendars move visits off public holidays."""
    if country:
        return (f"A visit that would fall on a public holiday ({country_name(country)}) or a weekend moves to the "
                "next working day.")
    return ("No country is stated, so visits are not moved off public holidays (set `country` in dataset.yaml or "
            "the parameters).")


def repeat(day: pd.Timestamp, visits_per_year: float) -> dict:
    """A visit's recurrence for one year: every n months on the same weekday of the month (the 1st Monday, the
    last Friday) when the year divides into whole months, else every n weeks."""
    count = max(1, int(round(visits_per_year)))
    if 12 % count == 0:
        nth = (day.day - 1) // 7 + 1
        return {"freq": "monthly", "interval": 12 // count, "count": count,
                "byday": f"{-1 if nth == 5 else nth}{day.strftime('%a')[:2].upper()}"}
    return {"freq": "weekly", "interval": max(1, int(round(52 / visits_per_year))), "count": count}


def occurrences(start: pd.Timestamp, rule: dict) -> list[pd.Timestamp]:
    """The dates a visit recurs on under `repeat`'s rule, the first included."""
    from dateutil import rrule

    if rule["freq"] == "monthly":
        day = rrule.weekday(["MO", "TU", "WE", "TH", "FR", "SA", "SU"].index(rule["byday"][-2:]),
                            int(rule["byday"][:-2]))
        dates = rrule.rrule(rrule.MONTHLY, dtstart=start, interval=rule["interval"], count=rule["count"],
                            byweekday=day)
    else:
        dates = rrule.rrule(rrule.WEEKLY, dtstart=start, interval=rule["interval"], count=rule["count"])
    return [pd.Timestamp(d) for d in dates]


def holiday_moves(start: pd.Timestamp, rule: dict, off: set) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The occurrences that fall on a public holiday or a weekend, each with the working day it moves to."""
    moves = []
    for when in occurrences(start, rule):
        day = next_working_day(when.date(), off)
        if day != when.date():
            moves.append((when, when + pd.Timedelta(days=(day - when.date()).days)))
    return moves


def calendar(week: pd.DataFrame, rep_name: str, policy: VisitPolicy | None = None,
             base: tuple[float, float] | None = None, addresses: pd.Series | None = None, zone: str = "",
             country: str | None = None) -> bytes:
    """An iCalendar file of a rep's planned visits: times that follow the route (in `zone`, floating when empty),
    each visit recurring at its policy interval for one year (then it ends), at the account's address; a visit
    that would fall on a public holiday of `country` moves to the next working day."""
    from icalendar import Calendar, Event, vGeo

    policy = policy or VisitPolicy()
    times = visit_times(week, base, policy).set_index("account_id")
    if zone:
        times = times.apply(lambda t: t.dt.tz_localize(ZoneInfo(zone)))
    cal = Calendar()
    cal.add("prodid", "-//salesnb//field tours//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", rep_name)
    first = week["date"].min().year if len(week) else 0
    off = public_holidays(country, range(first, first + 3)) if len(week) else set()
    for r in week.sort_values(["date", "stop"]).to_dict("records"):
        event = Event()
        event.add("uid", f"{r['rep_id']}-{r['account_id']}@salesnb")
        event.add("summary", f"Visit {r['name']}")
        event.add("dtstart", times.at[r["account_id"], "start"].to_pydatetime())
        event.add("dtend", times.at[r["account_id"], "end"].to_pydatetime())
        event.add("dtstamp", r["date"].tz_localize("UTC").to_pydatetime())
        where = addresses.get(r["account_id"]) if addresses is not None else None
        event.add("location", where or r["name"])
        if not np.isnan([r["lat"], r["lon"]]).any():
            event.add("geo", vGeo((r["lat"], r["lon"])))
        event.add("description", f"{rep_name}: class {r['class']} account, {r['visits_per_year']:g} visits a year")
        rule = repeat(r["date"], r["visits_per_year"])
        event.add("rrule", rule)
        start = times.at[r["account_id"], "start"]
        moves = holiday_moves(start, rule, off)
        if moves:
            event.add("exdate", [was.to_pydatetime() for was, _ in moves])
            event.add("rdate", [to.to_pydatetime() for _, to in moves])
        cal.add_component(event)
    if zone:
        cal.add_missing_timezones()
    return cal.to_ical()


def addresses(accounts: pd.DataFrame) -> pd.Series:
    """Each account's name, postcode and city, as a calendar's location."""
    a = accounts.set_index("account_id")
    place = pd.Series("", index=a.index)
    for col in ("postcode", "city"):
        if col in a:
            place = (place + " " + a[col].fillna("").astype(str)).str.strip()
    name = a["name"].astype(str)
    return name.where(place.eq(""), name + ", " + place)


def unowned_sentence(accounts: pd.DataFrame, plan: pd.DataFrame) -> str:
    """How many accounts the plan leaves out for want of an owner ('' when none), so counts by class read right."""
    left = len(accounts) - len(plan)
    if left <= 0:
        return ""
    return (f"The plan covers the {len(plan):,} accounts with an owner; {left:,} without one are left out (the "
            "data-quality fix list has them), so its counts by class are below the scoring report's.")


def unroutable_sentence(plan: pd.DataFrame) -> str:
    """Accounts that cannot be routed (no coordinates), named rather than dropped."""
    bad = plan[~plan["routable"]]
    if bad.empty:
        return "Every owned account has coordinates and can be routed."
    names = ", ".join(f"{n} ({i})" for i, n in zip(bad["account_id"].head(10), bad["name"].head(10), strict=True))
    more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
    return f"{len(bad)} accounts cannot be routed (no coordinates): {names}{more}."


def route_sentence(summary: pd.DataFrame, week_start: pd.Timestamp) -> str:
    """The week's driving in one sentence."""
    if summary.empty:
        return "No visit is due next week."
    saved = summary["km_saved"].sum()
    return (f"Week of {week_start:%Y-%m-%d}: {int(summary['stops'].sum())} visits on {len(summary)} rep-days, "
            f"{summary['km'].sum():,.0f} km; the optimised order saves {saved:,.0f} km "
            f"({saved / summary['naive_km'].sum():.0%}) against visiting in order of urgency.")


def long_days_sentence(summary: pd.DataFrame, reps: pd.DataFrame, policy: VisitPolicy) -> str:
    """The rep-days whose driving and meetings run past the longest field day ('' when none)."""
    long = summary[summary["day_hours"] > policy.day_hours].sort_values("day_hours", ascending=False)
    if long.empty:
        return ""
    names = reps.set_index("rep_id")["name"]
    listed = ", ".join(f"{names.get(rep, rep)} {day:%A %-d %B} {hours:.1f} h"
                       for (rep, day), hours in long["day_hours"].head(5).items())
    more = f" and {len(long) - 5} more" if len(long) > 5 else ""
    return (f"{len(long)} of {len(summary)} rep-days run past {policy.day_hours:g} hours ({listed}{more}): move their "
            "farthest visit to another day.")


def calendars(week: pd.DataFrame, reps: pd.DataFrame, policy: VisitPolicy, accounts: pd.DataFrame | None = None,
              zone: str = "", country: str | None = None) -> dict[str, bytes]:
    """One iCalendar file per rep with visits in the week, by file name: the rep's name made safe for a file
    name (`file_slug`), with the rep id when two reps' names give the same file name."""
    r = reps.set_index("rep_id")
    where = addresses(accounts) if accounts is not None else None
    names = r["name"].reindex(week["rep_id"].unique())
    slugs = names.fillna(pd.Series(names.index, index=names.index)).astype(str).map(file_slug)
    twice = slugs.str.casefold().duplicated(keep=False)
    slugs = slugs.where(~twice, slugs + "_" + slugs.index.astype(str).map(file_slug))
    return {f"visits_{slugs[rep]}.ics":
            calendar(g, r["name"].get(rep, rep), policy,
                     (r.at[rep, "base_lat"], r.at[rep, "base_lon"]) if rep in r.index else None, where, zone, country)
            for rep, g in week.groupby("rep_id")}


def map_sentence(shown: list[str], week: pd.DataFrame) -> str:
    """Which reps the route map draws, out of those with visits in the week."""
    planned = week["rep_id"].nunique()
    if planned <= len(shown):
        return f"The map draws the routes of all {planned} reps with visits in the week, one colour per rep."
    return (f"The map draws {len(shown)} of the {planned} reps with visits in the week (in each team, those with the "
            "longest days), one colour per rep; the table below has every rep's days.")


def reps_to_draw(week: pd.DataFrame, reps: pd.DataFrame, n: int, summary: pd.DataFrame | None = None) -> list[str]:
    """Up to `n` reps with visits in the week, taken in turn from each team, so every team is on the map; within a
    team, the reps with the longest day first (`summary` from `route_summary`), else by id."""
    teams = reps.set_index("rep_id")["team"]
    planned = sorted(week["rep_id"].unique())
    if summary is not None and len(summary):
        longest = summary["day_hours"].groupby(level="rep_id").max()
        planned = sorted(planned, key=lambda rep: -longest.get(rep, 0.0))
    by_team: dict[str, list[str]] = {}
    for rep in planned:
        by_team.setdefault(str(teams.get(rep, "")), []).append(rep)
    order = [rep for turn in range(len(planned)) for team in sorted(by_team)
             if turn < len(by_team[team]) for rep in [by_team[team][turn]]]
    return order[:n]
