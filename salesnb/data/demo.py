"""Deterministic synthetic CRM for a B2B sales org, with planted problems and their ground truth."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from salesnb.core.geo import haversine_km
from salesnb.data.schema import TABLES

END_MONTH = "2026-10"
MONTHS = 36

TEAMS = {
    "north": [("Hauts-de-France", "Lille", 50.63, 3.06), ("Normandie", "Rouen", 49.44, 1.10)],
    "east": [("Grand Est", "Strasbourg", 48.58, 7.75), ("Bourgogne", "Dijon", 47.32, 5.04)],
    "south": [("Occitanie", "Toulouse", 43.60, 1.44), ("Provence", "Marseille", 43.30, 5.37)],
    "west": [("Bretagne", "Rennes", 48.11, -1.68), ("Pays de la Loire", "Nantes", 47.22, -1.55)],
}
REPS_PER_TEAM = 10
FAMILIES = {  # family: (max discount, list price range)
    "Machines": (0.15, (4000, 25000)),
    "Consumables": (0.10, (20, 200)),
    "Services": (0.20, (500, 3000)),
    "Software": (0.25, (800, 6000)),
    "Spare parts": (0.08, (50, 900)),
}
SEASON = np.array([0.85, 0.95, 1.10, 1.00, 1.00, 1.10, 0.90, 0.60, 1.05, 1.10, 1.05, 1.20])
FIRST = ["Jean", "Marie", "Pierre", "Sophie", "Luc", "Claire", "Hélène", "François", "Julien",
         "Camille", "Nicolas", "Émilie", "Thomas", "Léa", "Antoine", "Chloé", "Mathieu", "Inès",
         "Olivier", "Zoé", "Rémi", "Agnès", "Benoît", "Céline", "Gaëlle", "Noël"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand",
        "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier",
        "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure",
        "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
        "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier",
        "Robin", "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval",
        "Joly", "Gautier", "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean",
        "Pérez", "Marchand", "Dufour", "Blanchard", "Marie", "Barbier", "Brun", "Dumas",
        "Brunet", "Schmitt", "Leroux", "Colin", "Fernandez", "Pierre", "Renard", "Arnaud",
        "Rolland", "Caron", "Aubert", "Giraud", "Leclerc", "Vidal", "Bourgeois", "Renaud",
        "Lemoine", "Picard", "Gaillard", "Philippe", "Leclercq", "Lacroix", "Fabre", "Dupuis"]
TRADES = ["Transports", "Boulangerie", "Menuiserie", "Garage", "Imprimerie", "Laboratoires",
          "Ateliers", "Établissements", "Pharmacie", "Clinique", "Brasserie", "Plomberie",
          "Électricité", "Métallerie", "Cabinet", "Hôtel", "Fromagerie", "Scierie", "Verrerie",
          "Tannerie"]
FORMS = ["SAS", "SARL", "SA", "& Fils", "Frères"]
FORM_VARIANTS = {"SAS": "S.A.S.", "SARL": "S.A.R.L.", "SA": "S.A.", "& Fils": "et Fils",
                 "Frères": "Freres"}
INDUSTRIES = ["Manufacturing", "Retail", "Health", "Logistics", "Hospitality", "Food",
              "Construction", "Services"]


def _months(end_month: str, n: int) -> pd.DatetimeIndex:
    end = pd.Period(end_month, freq="M")
    return pd.PeriodIndex([end - (n - 1 - i) for i in range(n)]).to_timestamp()


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def _typo(name: str, rng: np.random.Generator) -> str:
    kind = rng.integers(5)
    i = int(rng.integers(1, max(2, len(name) - 2)))
    if kind == 0:
        while name[i] == name[i + 1]:
            i = (i + 1) % (len(name) - 1)
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if kind == 1:
        return name[:i] + name[i + 1:]
    if kind == 2:
        return _strip_accents(name).upper()
    if kind == 3:
        for form, variant in FORM_VARIANTS.items():
            if name.endswith(" " + form):
                return name[: -len(form)] + variant
        return name + " S.A."
    return name.lower().title() + " (siège)"


def _phone(rng: np.random.Generator, n: int) -> np.ndarray:
    digits = rng.integers(10_000_000, 99_999_999, n)
    lead = rng.choice([1, 2, 3, 4, 5], n)
    return np.array([f"0{a} {d // 1_000_000:02d} {d // 10_000 % 100:02d} {d // 100 % 100:02d} "
                     f"{d % 100:02d}" for a, d in zip(lead, digits, strict=True)])


def _reformat_phone(phone: str) -> str:
    return "+33 " + phone[1:] if phone.startswith("0") else phone


def _reps(rng: np.random.Generator, months: pd.DatetimeIndex) -> tuple[pd.DataFrame, dict]:
    rows, truth = [], {"underperformers": {}, "new_hires": [], "sandbaggers": [],
                       "over_optimistic": [], "departed": [], "heavy_discounters": []}
    end = months[-1]
    n = 0
    for team, regions in TEAMS.items():
        for k in range(REPS_PER_TEAM):
            n += 1
            region, city, lat, lon = regions[k % 2]
            rep_id = f"R{n:03d}"
            hire = months[0] - pd.DateOffset(days=int(rng.integers(200, 3000)))
            end_date = pd.NaT
            if k == 9:
                hire = end - pd.DateOffset(months=int(rng.integers(1, 4)))
                truth["new_hires"].append(rep_id)
            elif k == 8 and team in ("east", "south"):
                end_date = end - pd.DateOffset(months=int(rng.integers(4, 10)))
                truth["departed"].append(rep_id)
            elif k == 0:
                cause = ("low_activity", "low_conversion")[len(truth["underperformers"]) % 2]
                truth["underperformers"][rep_id] = cause
            elif k == 1:
                truth["sandbaggers"].append(rep_id)
            elif k == 2:
                truth["over_optimistic"].append(rep_id)
            elif k == 3 and team in ("north", "south"):
                truth["heavy_discounters"].append(rep_id)
            rows.append({
                "rep_id": rep_id,
                "name": f"{FIRST[(n * 7) % len(FIRST)]} {LAST[(n * 13) % len(LAST)]}",
                "team": team, "region": region, "manager": f"Manager {team.title()}",
                "hire_date": hire.normalize(), "end_date": end_date,
                "annual_cost": float(rng.integers(70, 101) * 1000),
                "base_lat": round(lat + rng.normal(0, 0.15), 5),
                "base_lon": round(lon + rng.normal(0, 0.15), 5),
            })
    return pd.DataFrame(rows), truth


def _products(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for fam, (max_disc, (lo, hi)) in FAMILIES.items():
        for j in range(6):
            price = float(np.round(rng.uniform(lo, hi), -1 if hi > 1000 else 0))
            rows.append({"product_id": f"P{len(rows) + 1:03d}", "name": f"{fam} {chr(65 + j)}",
                         "family": fam, "list_price": price,
                         "unit_cost": round(price * rng.uniform(0.45, 0.70), 2),
                         "max_discount": max_disc})
    return pd.DataFrame(rows)


def _accounts(rng, reps, months, n_customers, n_prospects) -> tuple[pd.DataFrame, dict]:
    n = n_customers + n_prospects
    combos = [(t, a, b) for t in TRADES for a in LAST for b in LAST if a != b]
    picks = rng.choice(len(combos), n, replace=False)
    forms = rng.choice(FORMS, n)
    names = [f"{combos[p][0]} {combos[p][1]}-{combos[p][2]} {f}" for p, f in zip(picks, forms, strict=True)]
    active = reps[reps["end_date"].isna()].reset_index(drop=True)
    owner = active.iloc[rng.integers(0, len(active), n)].reset_index(drop=True)
    employees = np.maximum(1, rng.lognormal(3.3, 1.1, n)).astype(int)
    segment = np.where(employees >= 250, "enterprise", np.where(employees >= 50, "mid_market", "smb"))
    end = months[-1] + pd.offsets.MonthEnd(0)
    updated = end - pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    city = [next(c for r, c, *_ in sum(TEAMS.values(), []) if r == reg) for reg in owner["region"]]
    acc = pd.DataFrame({
        "account_id": [f"A{i + 1:05d}" for i in range(n)],
        "name": names,
        "status": np.where(np.arange(n) < n_customers, "customer", "prospect"),
        "owner_rep_id": owner["rep_id"].to_numpy(),
        "segment": segment,
        "industry": rng.choice(INDUSTRIES, n),
        "city": city,
        "postcode": [f"{rng.integers(10, 96):02d}{rng.integers(0, 999):03d}" for _ in range(n)],
        "phone": _phone(rng, n),
        "website": [f"www.{_strip_accents(x.split()[1]).lower()}.fr" for x in names],
        "lat": np.round(owner["base_lat"].to_numpy() + rng.normal(0, 0.35, n), 5),
        "lon": np.round(owner["base_lon"].to_numpy() + rng.normal(0, 0.45, n), 5),
        "employees": employees,
        "potential": np.round(employees * rng.uniform(800, 2500, n), -2),
        "created_date": months[0] - pd.to_timedelta(rng.integers(0, 2000, n), unit="D"),
        "updated_date": updated,
    })
    truth = {}
    no_owner = rng.choice(n, 30, replace=False)
    acc.loc[no_owner, "owner_rep_id"] = None
    truth["accounts_without_owner"] = sorted(acc.loc[no_owner, "account_id"])
    originals = rng.choice(n_customers, 40, replace=False)
    dups = acc.loc[originals].copy()
    dups["account_id"] = [f"A{n + i + 1:05d}" for i in range(len(dups))]
    dups["name"] = [_typo(x, rng) for x in dups["name"]]
    dups["phone"] = [_reformat_phone(p) for p in dups["phone"]]
    dups["website"] = None
    dups["status"] = "prospect"
    dups["created_date"] = end - pd.to_timedelta(rng.integers(30, 700, len(dups)), unit="D")
    truth["duplicate_accounts"] = [
        {"account_id": a, "duplicate_id": d}
        for a, d in zip(acc.loc[originals, "account_id"], dups["account_id"], strict=True)
    ]
    return pd.concat([acc, dups], ignore_index=True), truth


def _contacts(rng, accounts, months) -> tuple[pd.DataFrame, dict]:
    per = rng.integers(1, 4, len(accounts))
    acc = accounts.loc[accounts.index.repeat(per)].reset_index(drop=True)
    n = len(acc)
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n)
    domain = acc["website"].fillna("www.example.fr").str.replace("www.", "", regex=False)
    email = [f"{_strip_accents(f).lower()}.{_strip_accents(la).lower().replace(' ', '')}@{d}"
             for f, la, d in zip(first, last, domain, strict=True)]
    phone = _phone(rng, n).astype(object)
    odd = rng.random(n) < 0.15
    phone[odd] = [p.replace(" ", ".") if i % 2 else "+33" + p[1:].replace(" ", "")
                  for i, p in enumerate(phone[odd])]
    end = months[-1] + pd.offsets.MonthEnd(0)
    c = pd.DataFrame({
        "contact_id": [f"C{i + 1:06d}" for i in range(n)],
        "account_id": acc["account_id"].to_numpy(),
        "first_name": first, "last_name": last,
        "title": rng.choice(["CEO", "Buyer", "Plant manager", "CFO", "Office manager"], n),
        "email": email, "phone": phone,
        "updated_date": end - pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
    })
    idx = rng.permutation(n)
    missing, invalid, stale, orphan = idx[:120], idx[120:170], idx[170:470], idx[470:490]
    c.loc[missing, "email"] = None
    bad = ["{}@", "{} at gmail.com", "{}@@mail.fr", "{}@domaine", "{} @orange.fr"]
    c.loc[invalid, "email"] = [bad[i % len(bad)].format(_strip_accents(la).lower())
                               for i, la in enumerate(c.loc[invalid, "last_name"])]
    c.loc[stale, "updated_date"] = end - pd.to_timedelta(rng.integers(800, 1500, len(stale)),
                                                         unit="D")
    c.loc[orphan, "account_id"] = None
    truth = {"contacts_missing_email": sorted(c.loc[missing, "contact_id"]),
             "contacts_invalid_email": sorted(c.loc[invalid, "contact_id"]),
             "stale_contacts": sorted(c.loc[stale, "contact_id"]),
             "contacts_without_account": sorted(c.loc[orphan, "contact_id"])}
    return c, truth


def _rep_factor(reps: pd.DataFrame, truth: dict, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Productivity of each rep in each month (ramp for new hires, zero after leaving)."""
    factor = pd.DataFrame(1.0, index=months, columns=reps["rep_id"])
    for _, r in reps.iterrows():
        tenure = (months - r["hire_date"]).days / 30.4
        ramp = np.clip(tenure / 6, 0, 1)
        if r["rep_id"] in truth["underperformers"]:
            ramp = ramp * (0.55 if truth["underperformers"][r["rep_id"]] == "low_activity" else 0.6)
        gone = (months > r["end_date"]) if pd.notna(r["end_date"]) else np.zeros(len(months), bool)
        factor[r["rep_id"]] = np.where(gone, 0.0, ramp)
    return factor


def _customers(accounts: pd.DataFrame) -> pd.DataFrame:
    """Customers with an owner: the accounts that order."""
    cust = accounts[(accounts["status"] == "customer") & accounts["owner_rep_id"].notna()]
    return cust.reset_index(drop=True)


def _account_size(cust: pd.DataFrame) -> np.ndarray:
    """Relative ordering rate of each customer (skewed: a few large accounts make most revenue)."""
    size = cust["employees"].to_numpy() ** 0.9
    return size / size.mean()


def _order_lines(rng, accounts, reps, products, truth, months, scale):
    """Yield one month of order lines at a time; record planted discount breaches in truth."""
    cust = _customers(accounts)
    size = _account_size(cust)
    factor = _rep_factor(reps, truth, months)
    heavy = set(truth["heavy_discounters"])
    fam_weights = np.array([0.08, 0.40, 0.15, 0.12, 0.25])
    fams = list(FAMILIES)
    prod_by_fam = {f: products.index[products["family"] == f].to_numpy() for f in fams}
    line_no = 0
    truth["discount_breaches"] = []
    for m, month in enumerate(months):
        trend = 1 + 0.012 * m
        rate = 1.1 * size * trend * SEASON[month.month - 1]
        rate = rate * factor.loc[month, cust["owner_rep_id"]].to_numpy() * scale
        counts = rng.poisson(rate)
        idx = np.repeat(np.arange(len(cust)), counts)
        n = len(idx)
        if n == 0:
            continue
        fam = rng.choice(len(fams), n, p=fam_weights)
        prod = np.array([rng.choice(prod_by_fam[fams[f]]) for f in fam]) if n < 5000 else \
            np.fromiter((prod_by_fam[fams[f]][k % 6] for f, k in
                         zip(fam, rng.integers(0, 6, n), strict=True)), int, n)
        p = products.loc[prod]
        price = p["list_price"].to_numpy()
        qty = np.maximum(1, np.round(rng.lognormal(0, 0.6, n) * np.where(price < 300, 20, 1.5)))
        maxd = p["max_discount"].to_numpy()
        rep = cust["owner_rep_id"].to_numpy()[idx]
        disc = np.floor(maxd * rng.beta(2, 3, n) * 1000) / 1000
        days_in = month.days_in_month
        day = rng.integers(1, days_in + 1, n)
        if month.month in (3, 6, 9, 12):
            late = day >= days_in - 5
            disc = np.where(late, np.minimum(maxd, np.round(disc * 1.4, 3)), disc)
        breach_p = np.where(np.isin(rep, list(heavy)), 0.03, 0.002)
        breach = rng.random(n) < breach_p
        disc = np.where(breach, np.round(maxd + rng.uniform(0.03, 0.15, n), 3), disc)
        ids = np.array([f"L{line_no + i + 1:09d}" for i in range(n)])
        line_no += n
        truth["discount_breaches"] += ids[breach].tolist()
        orders = np.array([f"O{m:02d}{i:07d}" for i in idx])
        revenue = qty * price * (1 - disc)
        yield pd.DataFrame({
            "line_id": ids, "order_id": orders,
            "order_date": month + pd.to_timedelta(day - 1, unit="D"),
            "account_id": cust["account_id"].to_numpy()[idx], "rep_id": rep,
            "product_id": p["product_id"].to_numpy(), "quantity": qty,
            "list_price": price, "discount": disc,
            "rebate": np.where(cust["segment"].to_numpy()[idx] == "enterprise",
                               np.round(revenue * 0.02, 2), 0.0),
            "freight": np.where(fam == 0, 150.0, np.round(revenue * 0.01, 2)),
        })


def _opportunities(rng, accounts, reps, products, truth, months):
    """Opportunities, their monthly snapshots and the activities tied to them."""
    end = months[-1] + pd.offsets.MonthEnd(0)
    start = months[0]
    owned = accounts[accounts["owner_rep_id"].notna()].reset_index(drop=True)
    per_year = np.where(owned["status"] == "customer", 0.9, 0.35)
    counts = rng.poisson(per_year * 3)
    acc = owned.loc[owned.index.repeat(counts)].reset_index(drop=True)
    n = len(acc)
    created = start + pd.to_timedelta(rng.integers(0, (end - start).days, n), unit="D")
    cycle = np.clip(rng.lognormal(np.log(75), 0.45, n), 15, 400).astype(int)
    close = created + pd.to_timedelta(cycle, unit="D")
    win_rate = np.full(n, 0.38)
    rep = acc["owner_rep_id"].to_numpy()
    low_conv = [r for r, c in truth["underperformers"].items() if c == "low_conversion"]
    win_rate[np.isin(rep, low_conv)] = 0.12
    won = rng.random(n) < win_rate
    reached = np.where(won, 5, rng.integers(1, 5, n))  # index of last open stage reached, 5 = won
    prod = rng.integers(0, len(products), n)
    amount = np.round(products["list_price"].to_numpy()[prod] * rng.uniform(1, 8, n), -1)
    closed = close <= end
    stages = ["prospecting", "qualification", "proposal", "negotiation"]
    frac_done = np.clip((end - created).days / np.maximum(cycle, 1), 0, 0.99)
    open_stage = np.minimum(reached, np.floor(frac_done * 4).astype(int))
    stage = np.where(closed, np.where(won, "won", "lost"),
                     np.array(stages)[np.minimum(open_stage, 3)])
    pushes = np.zeros(n, int)
    pushed = (~closed) & (rng.random(n) < 0.12)
    pushes[pushed] = rng.integers(1, 4, pushed.sum())
    close = close + pd.to_timedelta(pushes * 30, unit="D")
    past = rng.choice(np.flatnonzero(~closed), 50, replace=False)
    close = close.to_numpy().copy()
    close[past] = (end - pd.to_timedelta(rng.integers(5, 90, 50), unit="D")).to_numpy()
    cat = {"negotiation": "commit", "proposal": "best_case", "won": "closed", "lost": "omitted"}
    opp = pd.DataFrame({
        "opportunity_id": [f"OP{i + 1:06d}" for i in range(n)],
        "account_id": acc["account_id"].to_numpy(), "rep_id": rep,
        "stage": stage, "amount": amount, "created_date": created.normalize(),
        "close_date": pd.to_datetime(close).normalize(),
        "probability": pd.Series(stage).map({"prospecting": 0.1, "qualification": 0.2,
                                             "proposal": 0.5, "negotiation": 0.75, "won": 1.0,
                                             "lost": 0.0}).to_numpy(),
        "forecast_category": [cat.get(s, "pipeline") for s in stage],
        "product_id": products["product_id"].to_numpy()[prod],
        "discount": np.round(rng.uniform(0, 0.2, n), 3),
    })
    quote = np.where(reached >= 2, created + pd.to_timedelta(cycle * 0.5, unit="D"), pd.NaT)
    opp["quote_date"] = pd.to_datetime(quote).normalize()
    opp["approval_date"] = opp["quote_date"] + pd.to_timedelta(rng.integers(0, 8, n), unit="D")
    opp.loc[opp["approval_date"] > end, "approval_date"] = pd.NaT
    truth["open_opportunities_past_close"] = sorted(opp.loc[past, "opportunity_id"])
    truth["opportunities_pushed_twice"] = sorted(opp.loc[pushes >= 2, "opportunity_id"])

    hist = []
    for snap in list(months[1:]) + [end + pd.Timedelta(days=1)]:
        recent = (opp["close_date"] >= snap - pd.DateOffset(months=1)).to_numpy()
        alive = np.asarray(created < snap) & (recent | ~closed)
        if not alive.any():
            continue
        frac = np.clip((snap - created[alive]).days / np.maximum(cycle[alive], 1), 0, 1)
        st_idx = np.minimum(reached[alive], np.floor(frac * 4).astype(int))
        h_stage = np.where(frac >= 1, np.where(won[alive], "won", "lost"),
                           np.array(stages)[np.minimum(st_idx, 3)])
        pushed_by = np.minimum(pushes[alive], np.floor(frac * 3).astype(int))
        hist.append(pd.DataFrame({
            "snapshot_date": snap, "opportunity_id": opp["opportunity_id"].to_numpy()[alive],
            "stage": h_stage,
            "amount": np.round(amount[alive] * np.where(frac < 0.5, 1.1, 1.0), -1),
            "close_date": (pd.DatetimeIndex(created[alive])
                           + pd.to_timedelta(cycle[alive] + 30 * pushed_by, unit="D")).normalize(),
            "forecast_category": [cat.get(s, "pipeline") for s in h_stage],
        }))
    history = pd.concat(hist, ignore_index=True)

    kinds = []
    for kind, reach in (("meeting", 0), ("proposal", 2), ("quote", 3), ("contract", 5)):
        mask = reached >= reach if kind != "contract" else won
        k = np.where(mask, rng.poisson(2, n) if kind == "meeting" else 1, 0)
        i = np.repeat(np.arange(n), k)
        when = created[i] + pd.to_timedelta(rng.uniform(0, 1, len(i)) * cycle[i], unit="D")
        kinds.append(pd.DataFrame({"rep_id": rep[i], "activity_date": when.normalize(),
                                   "type": kind, "account_id": opp["account_id"].to_numpy()[i],
                                   "opportunity_id": opp["opportunity_id"].to_numpy()[i]}))
    acts = pd.concat(kinds, ignore_index=True)
    return opp, history, acts[acts["activity_date"] <= end]


def _rep_activities(rng, reps, accounts, truth, months) -> pd.DataFrame:
    weeks = pd.date_range(months[0], months[-1] + pd.offsets.MonthEnd(0), freq="W-MON")
    factor = _rep_factor(reps, truth, months)
    low_act = [r for r, c in truth["underperformers"].items() if c == "low_activity"]
    base = {"call": 12, "meeting": 3, "email": 8}
    frames = []
    for _, r in reps.iterrows():
        mine = accounts.loc[accounts["owner_rep_id"] == r["rep_id"], "account_id"].to_numpy()
        f = factor[r["rep_id"]].reindex(weeks, method="ffill").fillna(0).to_numpy()
        f = np.clip(f * (0.45 if r["rep_id"] in low_act else 1.0), 0, None)
        if r["rep_id"] in truth["underperformers"] and r["rep_id"] not in low_act:
            f = np.where(f > 0, 1.0, 0.0)
        for kind, lam in base.items():
            k = rng.poisson(lam * f)
            w = np.repeat(weeks, k)
            frames.append(pd.DataFrame({
                "rep_id": r["rep_id"],
                "activity_date": w + pd.to_timedelta(rng.integers(0, 5, len(w)), unit="D"),
                "type": kind, "account_id": rng.choice(mine, len(w)) if len(mine) else None,
                "opportunity_id": None}))
    return pd.concat(frames, ignore_index=True)


def _visits(rng, activities, accounts, reps) -> pd.DataFrame:
    meet = activities[activities["type"] == "meeting"].dropna(subset=["account_id"])
    meet = meet[rng.random(len(meet)) < 0.7]
    a = accounts.set_index("account_id").loc[meet["account_id"]]
    r = reps.set_index("rep_id").loc[meet["rep_id"]]
    km = 2 * 1.3 * haversine_km(r["base_lat"].to_numpy(), r["base_lon"].to_numpy(),
                                 a["lat"].to_numpy(), a["lon"].to_numpy())
    return pd.DataFrame({
        "visit_id": [f"V{i + 1:06d}" for i in range(len(meet))],
        "rep_id": meet["rep_id"].to_numpy(), "account_id": meet["account_id"].to_numpy(),
        "visit_date": meet["activity_date"].to_numpy(),
        "duration_min": rng.choice([60.0, 90.0, 120.0], len(meet), p=[0.3, 0.5, 0.2]),
        "km": np.round(km, 1),
    })


def _quotas_and_forecasts(rng, reps, truth, months, actual: pd.DataFrame, accounts: pd.DataFrame):
    """Quotas from each territory's potential; forecasts from actuals with planted biases."""
    end = months[-1] + pd.offsets.MonthEnd(0)
    team = reps.set_index("rep_id")["team"]
    hire = reps.set_index("rep_id")["hire_date"]
    left = reps.set_index("rep_id")["end_date"]
    cust = _customers(accounts)
    potential = pd.Series(_account_size(cust)).groupby(cust["owner_rep_id"]).sum()
    potential = potential.reindex(reps["rep_id"]).fillna(0.0)
    normal = (_rep_factor(reps, truth, months) == 1.0)
    rows, frows = [], []
    per_unit = (actual.where(normal).T.groupby(team).sum().T
                / normal.mul(potential).T.groupby(team).sum().T).rolling(12, min_periods=1).mean()
    future = [months[-1] + pd.DateOffset(months=k) for k in (1, 2)]  # quotas are set in advance
    for month in list(months) + future:
        rate = per_unit.loc[min(month, months[-1])]
        for rep in reps["rep_id"]:
            tenure = (month - hire[rep]).days / 30.4
            if (pd.notna(left[rep]) and month > left[rep]) or tenure < 0:
                continue
            ramp = min(1.0, max(tenure, 0.5) / 6)
            quota = (rate[team[rep]] * potential[rep] * SEASON[month.month - 1] / SEASON.mean()
                     * 1.05 * ramp)
            rows.append({"rep_id": rep, "month": month, "quota": round(float(quota), -2)})
            if month > months[-1]:
                continue
            bias = 0.78 if rep in truth["sandbaggers"] else (
                1.30 if rep in truth["over_optimistic"] else 1.0)
            fc = actual.loc[month, rep] * bias * rng.normal(1, 0.06)
            frows.append({"rep_id": rep, "month": month,
                          "submitted_date": min(month + pd.Timedelta(days=3), end),
                          "forecast": round(max(0.0, float(fc)), -2), "category": "commit"})
    return pd.DataFrame(rows), pd.DataFrame(frows)


def _surveys(rng, reps, months) -> pd.DataFrame:
    mood = {"north": 8.3, "east": 6.3, "south": 7.6, "west": 8.0}
    rows, rid = [], 0
    for month in months[-12:]:
        date = month + pd.Timedelta(days=14)
        active = reps[(reps["hire_date"] <= date) & ~(reps["end_date"] < date)]
        for _, r in active.iterrows():
            if rng.random() > 0.8:
                continue
            rid += 1
            for q in ("q1_workload", "q2_tools", "q3_manager", "q4_recognition", "enps"):
                score = int(np.clip(np.round(rng.normal(mood[r["team"]], 1.6)), 0, 10))
                rows.append({"response_id": f"S{rid:05d}", "survey_date": date,
                             "team": r["team"], "question_id": q, "score": score})
    return pd.DataFrame(rows)


def _write(df: pd.DataFrame, path: Path, append: bool = False) -> None:
    df = df.copy()
    for f in TABLES[path.stem].fields:
        if f.kind == "date" and f.name in df:
            df[f.name] = pd.to_datetime(df[f.name]).dt.strftime("%Y-%m-%d")
    if path.suffix == ".parquet":
        raise ValueError("use the parquet writer")
    df.to_csv(path, index=False, mode="a" if append else "w", header=not append)


def generate(out: str | Path, seed: int = 42, scale: float = 1.0, end_month: str = END_MONTH,
             order_format: str = "csv") -> dict:
    """Write a demo CRM (one file per contract table) and manifest.json into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    months = _months(end_month, MONTHS)
    reps, truth = _reps(rng, months)
    products = _products(rng)
    accounts, t = _accounts(rng, reps, months, 2400, 1600)
    truth.update(t)
    contacts, t = _contacts(rng, accounts.iloc[:-40], months)
    truth.update(t)

    order_path = out / f"order_lines.{order_format}"
    for stale in out.glob("order_lines.*"):
        stale.unlink()
    actual = pd.DataFrame(0.0, index=months, columns=reps["rep_id"])
    writer = None
    n_lines = 0
    for chunk in _order_lines(rng, accounts, reps, products, truth, months, scale):
        rev = (chunk["quantity"] * chunk["list_price"] * (1 - chunk["discount"]))
        month = chunk["order_date"].iloc[0].to_period("M").start_time
        actual.loc[month] = rev.groupby(chunk["rep_id"]).sum().reindex(reps["rep_id"]).fillna(0)
        if order_format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(chunk, preserve_index=False)
            writer = writer or pq.ParquetWriter(order_path, table.schema)
            writer.write_table(table)
        else:
            _write(chunk, order_path, append=n_lines > 0)
        n_lines += len(chunk)
    if writer is not None:
        writer.close()

    opps, history, opp_acts = _opportunities(rng, accounts, reps, products, truth, months)
    acts = pd.concat([_rep_activities(rng, reps, accounts, truth, months), opp_acts],
                     ignore_index=True).sort_values(["activity_date", "rep_id"], kind="stable")
    acts.insert(0, "activity_id", [f"AC{i + 1:07d}" for i in range(len(acts))])
    acts["duration_min"] = acts["type"].map({"call": 10.0, "meeting": 90.0, "email": 5.0,
                                             "proposal": 120.0, "quote": 60.0, "contract": 60.0})
    quotas, forecasts = _quotas_and_forecasts(rng, reps, truth, months, actual, accounts)
    tables = {"reps": reps, "products": products, "accounts": accounts, "contacts": contacts,
              "opportunities": opps, "opportunity_history": history, "activities": acts,
              "visits": _visits(rng, acts, accounts, reps), "quotas": quotas,
              "forecast_submissions": forecasts, "survey_answers": _surveys(rng, reps, months)}
    for name, df in tables.items():
        _write(df, out / f"{name}.csv")
    manifest = {"seed": seed, "scale": scale, "end_month": end_month,
                "first_month": months[0].strftime("%Y-%m"), "teams": list(TEAMS),
                "rows": {**{k: len(v) for k, v in tables.items()}, "order_lines": n_lines},
                **truth}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str))
    (out / "dataset.yaml").write_text("currency: EUR\ncountry: FR\n", encoding="utf-8")
    return manifest
