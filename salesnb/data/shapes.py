"""Raw CRM/ERP exports in the column layout of well-known public datasets, seeded, with ground truth.

Each shape is a folder of export files, as a real system writes them (not the salesnb contract), plus
a mapping in ``params/mappings/examples/`` that imports it with ``salesnb import --mapping``:

- ``orders_only``: a "Superstore"-like invoice export (USD, one CSV in cp1252, m/d/Y dates, no reps).
- ``pipeline_only``: a "CRM sales opportunities"-like deal export (USD, four CSV files, no order lines).
- ``ecommerce``: an "Online Retail"-like invoice-line export (GBP, one Parquet or Excel file).

``truth.json`` beside the export lists what was planted and what the import should keep.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from salesnb.core.errors import ParameterError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "params" / "mappings" / "examples"


@dataclass(frozen=True)
class Shape:
    """One kind of export: its mapping, its files, its default size and its writer."""

    name: str
    doc: str
    mapping: Path
    files: tuple[str, ...]
    default_rows: int
    writer: Callable[..., dict]


# --------------------------------------------------------------------------------------------------
# Shared helpers

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
         "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
         "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra",
         "Steven", "Ashley", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle", "Kevin", "Carol",
         "Brian", "Amanda", "Luis", "Melissa", "Timothy", "Deborah", "Ronald", "Stephanie", "Jason",
         "Rebecca", "Ryan", "Sharon", "Jacob", "Laura", "Gary", "Cynthia", "Nicholas", "Dorothy", "Eric",
         "Amy", "Jonathan", "Kathleen", "Stephen", "Angela", "Larry", "Shirley", "Justin", "Emma", "Scott",
         "Brenda", "Brandon", "Pamela", "Frank", "Nicole", "Raymond", "Anna", "Gregory", "Samantha",
         "Benjamin", "Katherine", "Samuel", "Christine", "Patrick", "Helen", "Alexander", "Debra",
         "Jack", "Rachel", "Dennis", "Carolyn", "Jerry", "Janet", "Tyler", "Maria", "Aaron", "Olivia"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
        "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark",
        "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres",
        "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell",
        "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz",
        "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers",
        "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard",
        "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James",
        "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders",
        "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "O'Brien", "Schlecht", "Kowalski"]


def _names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` distinct "First Last" names."""
    pairs = [(f, la) for f in FIRST for la in LAST]
    pick = rng.choice(len(pairs), size=n, replace=False)
    return [f"{pairs[i][0]} {pairs[i][1]}" for i in pick]


def _weights(values: dict) -> tuple[list, np.ndarray]:
    """Keys and normalised weights of a {value: weight} dict."""
    w = np.array(list(values.values()), dtype=float)
    return list(values), w / w.sum()


def _days(first: str, last: str) -> pd.DatetimeIndex:
    """Every calendar day from `first` to `last`, inclusive."""
    return pd.date_range(first, last, freq="D")


def _mdy(dates: pd.Series) -> pd.Series:
    """Dates written the US way, without zero padding (11/8/2025)."""
    return dates.dt.month.astype(str) + "/" + dates.dt.day.astype(str) + "/" + dates.dt.year.astype(str)


# --------------------------------------------------------------------------------------------------
# 1. orders_only: a Superstore-like invoice export

SUPERSTORE_FIRST, SUPERSTORE_LAST = "2023-11-01", "2026-10-31"
PLACES = [  # (city, state, postal code, region, weight)
    ("Los Angeles", "California", "90049", "West", 8), ("San Francisco", "California", "94122", "West", 5),
    ("Seattle", "Washington", "98105", "West", 4), ("San Diego", "California", "92024", "West", 2),
    ("Portland", "Oregon", "97206", "West", 1), ("Denver", "Colorado", "80219", "West", 1),
    ("Phoenix", "Arizona", "85023", "West", 1), ("Las Vegas", "Nevada", "89115", "West", 1),
    ("Salt Lake City", "Utah", "84106", "West", 1), ("Albuquerque", "New Mexico", "87105", "West", 1),
    ("New York City", "New York", "10035", "East", 9), ("Philadelphia", "Pennsylvania", "19140", "East", 5),
    ("Columbus", "Ohio", "43229", "East", 2), ("Boston", "Massachusetts", "02108", "East", 1),
    ("Providence", "Rhode Island", "02908", "East", 1), ("Burlington", "Vermont", "05401", "East", 1),
    ("Manchester", "New Hampshire", "03103", "East", 1), ("Hartford", "Connecticut", "06106", "East", 1),
    ("Newark", "Delaware", "19711", "East", 1), ("Buffalo", "New York", "14215", "East", 1),
    ("Pittsburgh", "Pennsylvania", "15237", "East", 1), ("Cleveland", "Ohio", "44105", "East", 1),
    ("Houston", "Texas", "77095", "Central", 4), ("Chicago", "Illinois", "60653", "Central", 3),
    ("Dallas", "Texas", "75220", "Central", 2), ("San Antonio", "Texas", "78207", "Central", 1),
    ("Detroit", "Michigan", "48227", "Central", 1), ("Minneapolis", "Minnesota", "55407", "Central", 1),
    ("Milwaukee", "Wisconsin", "53209", "Central", 1), ("Indianapolis", "Indiana", "46203", "Central", 1),
    ("Kansas City", "Missouri", "64118", "Central", 1), ("Oklahoma City", "Oklahoma", "73120", "Central", 1),
    ("Omaha", "Nebraska", "68104", "Central", 1), ("Des Moines", "Iowa", "50315", "Central", 1),
    ("Jacksonville", "Florida", "32216", "South", 1), ("Miami", "Florida", "33142", "South", 1),
    ("Atlanta", "Georgia", "30318", "South", 1), ("Charlotte", "North Carolina", "28205", "South", 1),
    ("Nashville", "Tennessee", "37211", "South", 1), ("Louisville", "Kentucky", "40214", "South", 1),
    ("Richmond", "Virginia", "23223", "South", 1), ("New Orleans", "Louisiana", "70119", "South", 1),
    ("Memphis", "Tennessee", "38109", "South", 1), ("Columbia", "South Carolina", "29203", "South", 1),
    ("Jackson", "Mississippi", "39212", "South", 1), ("Little Rock", "Arkansas", "72209", "South", 1),
]
SUB_CATEGORIES = {  # sub-category: (category, code, items, unit list price range)
    "Bookcases": ("Furniture", "BO", ["Bookcase", "Open Bookcase", "Barrister Bookcase"], (80, 900)),
    "Chairs": ("Furniture", "CH", ["Task Chair", "Executive Chair", "Stacking Chair", "Manager’s Chair"],
               (60, 1100)),
    "Furnishings": ("Furniture", "FU", ["Wall Clock", "Desk Lamp", "Chairmat", "Picture Frame"], (5, 300)),
    "Tables": ("Furniture", "TA", ["Conference Table", "Training Table", "Round Table"], (150, 1300)),
    "Appliances": ("Office Supplies", "AP", ["Microwave", "Air Purifier", "Space Heater", "Surge Protector"],
                   (20, 800)),
    "Art": ("Office Supplies", "AR", ["Pencils", "Markers", "Highlighters"], (2, 40)),
    "Binders": ("Office Supplies", "BI", ["Ring Binder", "Presentation Binder", "Binding Machine"], (3, 250)),
    "Envelopes": ("Office Supplies", "EN", ["Business Envelopes", "Mailers"], (5, 60)),
    "Fasteners": ("Office Supplies", "FA", ["Paper Clips", "Staples", "Push Pins"], (1, 25)),
    "Labels": ("Office Supplies", "LA", ["Address Labels", "Color Coding Labels"], (2, 30)),
    "Paper": ("Office Supplies", "PA", ["Copy Paper", "Message Book", "Easel Pad"], (5, 80)),
    "Storage": ("Office Supplies", "ST", ["File Cart", "Storage Box", "Shelving"], (15, 400)),
    "Supplies": ("Office Supplies", "SU", ["Scissors", "Letter Opener", "Trimmer"], (3, 120)),
    "Accessories": ("Technology", "AC", ["Wireless Mouse", "Keyboard", "USB Flash Drive", "Headset"],
                    (10, 300)),
    "Copiers": ("Technology", "CO", ["Copier", "Color Laser Copier"], (500, 3500)),
    "Machines": ("Technology", "MA", ["Label Printer", "Fax Machine", "3D Printer"], (100, 2500)),
    "Phones": ("Technology", "PH", ["Smartphone", "VoIP Phone", "Conference Phone"], (40, 900)),
}
BRANDS = {
    "Furniture": ["Bretford", "Bush", "Hon", "Global", "Safco", "Eldon", "Tenex", "O'Sullivan", "Sauder"],
    "Office Supplies": ["Avery®", "Acco", "Fellowes", "Xerox®", "Eldon", "Hoover", "Wilson Jones", "GBC",
                        "Newell", "Tenex"],
    "Technology": ["Logitech", "Apple", "Samsung", "Canon", "Hewlett Packard", "Cisco", "Plantronics",
                   "Okidata", "Belkin", "Kingston", "Motorola"],
}
ADJECTIVES = ["Deluxe", "Classic", "Heavy-Duty", "Compact", "Ergonomic", "Premium", "Economy", "Slim",
              "Professional", "Recycled"]
DISCOUNTS = {0.0: 48, 0.1: 1, 0.15: 0.5, 0.2: 36, 0.3: 2, 0.32: 0.3, 0.4: 2, 0.45: 0.1, 0.5: 0.7,
             0.6: 1.4, 0.7: 4.2, 0.8: 3}
SHIP_MODES = {"Standard Class": (60, 4, 7), "Second Class": (19, 2, 5), "First Class": (15, 1, 4),
              "Same Day": (6, 0, 0)}
SEGMENTS = {"Consumer": 52, "Corporate": 30, "Home Office": 18}
US_SEASON = np.array([0.55, 0.45, 0.95, 0.85, 0.9, 0.85, 0.85, 0.85, 1.6, 0.95, 1.65, 1.6])


def _superstore_products(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Catalogue: Product ID (FUR-BO-10001798), category, sub-category, name, list price, unit cost."""
    subs = list(SUB_CATEGORIES)
    sub = rng.choice(subs, size=n)
    rows = []
    serials = rng.choice(np.arange(10000000, 10005000), size=n, replace=False)
    for s, serial in zip(sub, serials, strict=True):
        cat, code, items, (lo, hi) = SUB_CATEGORIES[s]
        name = f"{rng.choice(BRANDS[cat])} {rng.choice(ADJECTIVES)} {rng.choice(items)}"
        rows.append({"Product ID": f"{cat[:3].upper()}-{code}-{serial}", "Category": cat, "Sub-Category": s,
                     "Product Name": name, "price": float(np.exp(rng.uniform(np.log(lo), np.log(hi))))})
    products = pd.DataFrame(rows)
    products["price"] = products["price"].round(2)
    products["cost"] = (products["price"] * rng.uniform(0.45, 0.9, size=n)).round(4)
    products["weight"] = (rng.pareto(1.5, size=n) + 1) / np.sqrt(products["price"])  # cheap items sell more
    return products


def _superstore_customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Customers: Customer ID (CG-12520), name, segment and a home place."""
    names = _names(rng, n)
    numbers = rng.choice(np.arange(10000, 99999), size=n, replace=False)
    ids = [f"{nm.split()[0][0]}{nm.split()[-1][0]}-{num}" for nm, num in zip(names, numbers, strict=True)]
    seg, p = _weights(SEGMENTS)
    place_w = np.array([pl[4] for pl in PLACES], dtype=float)
    return pd.DataFrame({"Customer ID": ids, "Customer Name": names,
                         "Segment": rng.choice(seg, size=n, p=p),
                         "home": rng.choice(len(PLACES), size=n, p=place_w / place_w.sum()),
                         "weight": rng.pareto(2.0, size=n) + 1})


def _superstore_orders(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    """Orders (id, date, ship date and mode, line count) with `rows` lines in all."""
    days = _days(SUPERSTORE_FIRST, SUPERSTORE_LAST)
    year = (days - days[0]).days / 365.25
    w = US_SEASON[days.month - 1] * (1.15 ** np.asarray(year))
    n_orders = rows  # more than enough; cut below on the line count
    sizes = np.minimum(rng.geometric(0.5, size=n_orders) + (rng.random(n_orders) < 0.3), 14)
    keep = int(np.searchsorted(np.cumsum(sizes), rows)) + 1
    sizes = sizes[:keep]
    sizes[-1] -= int(sizes.sum() - rows)
    date = pd.Series(np.sort(rng.choice(days, size=keep, p=w / w.sum())))
    modes, mode_p = _weights({m: v[0] for m, v in SHIP_MODES.items()})
    mode = rng.choice(modes, size=keep, p=mode_p)
    lo = np.array([SHIP_MODES[m][1] for m in mode])
    hi = np.array([SHIP_MODES[m][2] for m in mode])
    ship = date + pd.to_timedelta(rng.integers(lo, hi + 1), unit="D")
    numbers = rng.choice(np.arange(100000, 999999), size=keep, replace=False)
    prefix = np.where(rng.random(keep) < 0.8, "CA", "US")
    order_id = [f"{p}-{d.year}-{n}" for p, d, n in zip(prefix, date, numbers, strict=True)]
    return pd.DataFrame({"Order ID": order_id, "date": date, "ship": ship, "Ship Mode": mode, "size": sizes})


def superstore(rng: np.random.Generator, rows: int) -> tuple[dict[str, pd.DataFrame], dict]:
    """A Superstore-like `orders.csv` (one row per invoice line) and its ground truth."""
    n_customers = max(20, rows // 11)
    products = _superstore_products(rng, int(np.clip(rows // 5, 30, 1800)))
    customers = _superstore_customers(rng, n_customers)
    cw = customers["weight"].to_numpy()
    orders = _superstore_orders(rng, rows)
    orders["customer"] = rng.choice(n_customers, size=len(orders), p=cw / cw.sum())
    away = rng.random(len(orders)) < 0.15  # the same customer orders from another office now and then
    place_w = np.array([pl[4] for pl in PLACES], dtype=float)
    orders["place"] = np.where(away, rng.choice(len(PLACES), size=len(orders), p=place_w / place_w.sum()),
                               customers["home"].to_numpy()[orders["customer"]])
    orders = orders.iloc[rng.permutation(len(orders))].reset_index(drop=True)  # exports are not date-sorted
    lines = orders.loc[orders.index.repeat(orders["size"])].reset_index(drop=True)
    pw = products["weight"].to_numpy()
    prod = products.iloc[rng.choice(len(products), size=rows, p=pw / pw.sum())].reset_index(drop=True)
    cust = customers.iloc[lines["customer"]].reset_index(drop=True)
    place = pd.DataFrame([PLACES[i][:4] for i in lines["place"]], columns=["City", "State", "Postal Code",
                                                                          "Region"])
    qty = rng.choice(np.arange(1, 15), size=rows, p=_qty_weights())
    values, p = _weights(DISCOUNTS)
    disc = rng.choice(values, size=rows, p=p)
    disc = np.where((place["Region"] == "West") & (disc > 0.2), 0.2, disc)  # the West discounts less
    sales = (prod["price"] * qty * (1 - disc)).round(4)
    profit = (sales - prod["cost"] * qty).round(4)
    df = pd.DataFrame({
        "Row ID": np.arange(1, rows + 1), "Order ID": lines["Order ID"], "Order Date": _mdy(lines["date"]),
        "Ship Date": _mdy(lines["ship"]), "Ship Mode": lines["Ship Mode"],
        "Customer ID": cust["Customer ID"], "Customer Name": cust["Customer Name"], "Segment": cust["Segment"],
        "Country": "United States", "City": place["City"], "State": place["State"],
        "Postal Code": place["Postal Code"].str.lstrip("0"),  # written as a number: leading zeros lost
        "Region": place["Region"], "Product ID": prod["Product ID"], "Category": prod["Category"],
        "Sub-Category": prod["Sub-Category"], "Product Name": prod["Product Name"], "Sales": sales,
        "Quantity": qty, "Discount": disc, "Profit": profit,
    })
    return {"orders.csv": df}, _superstore_truth(df, lines["date"])


def _qty_weights() -> np.ndarray:
    """Superstore-like quantities: mostly 2 to 5 units, up to 14."""
    w = np.array([9, 24, 23, 12, 12, 6, 6, 2, 2, 1, 1, 0.5, 0.4, 0.3])
    return w / w.sum()


def _superstore_truth(df: pd.DataFrame, dates: pd.Series) -> dict:
    """What orders.csv holds and what the import should keep."""
    first = df.drop_duplicates("Customer ID")
    return {
        "lines": len(df), "orders": int(df["Order ID"].nunique()), "customers": int(df["Customer ID"].nunique()),
        "products": int(df["Product ID"].nunique()),
        "lines_discounted": int((df["Discount"] > 0).sum()),
        "lines_discount_20_to_80": int(df["Discount"].between(0.2, 0.8).sum()),
        "lines_negative_profit": int((df["Profit"] < 0).sum()),
        "sales": round(float(df["Sales"].sum()), 2), "profit": round(float(df["Profit"].sum()), 2),
        "lines_by_region": df["Region"].value_counts().sort_index().to_dict(),
        "customers_by_segment": first["Segment"].value_counts().sort_index().to_dict(),
        "postcodes_without_leading_zero": int((df["Postal Code"].str.len() == 4).sum()),
        "first_date": str(dates.min().date()), "last_date": str(dates.max().date()),
        "imported": {"order_lines": len(df), "accounts": int(df["Customer ID"].nunique()),
                     "products": int(df["Product ID"].nunique())},
        "rejected": {},
    }


# --------------------------------------------------------------------------------------------------
# 2. pipeline_only: a "CRM sales opportunities"-like deal export

PIPELINE_FIRST, PIPELINE_LAST = "2025-08-01", "2026-10-31"
MAVEN_PRODUCTS = {"GTX Basic": ("GTX", 550), "GTX Pro": ("GTX", 4821), "MG Special": ("MG", 55),
                  "MG Advanced": ("MG", 3393), "GTX Plus Pro": ("GTX", 5482), "GTX Plus Basic": ("GTX", 1096),
                  "GTK 500": ("GTK", 26768)}
PRODUCT_WEIGHTS = [17, 13, 17, 17, 13, 17, 0.5]
TYPOS = {"GTX Pro": "GTXPro"}  # the deals file spells one product differently from the products file
STAGE_WEIGHTS = {"Won": 48, "Lost": 28, "Engaging": 18, "Prospecting": 6}
SECTORS = ["technolgy", "medical", "retail", "software", "entertainment", "marketing", "telecommunications",
           "finance", "services", "employment"]
OFFICES = {"United States": 71, "Philippines": 1, "Japan": 1, "Italy": 1, "Kenya": 1, "Norway": 1,
           "Korea": 1, "Jordan": 1, "Brazil": 1, "Germany": 1, "Panama": 1, "Belgium": 1, "China": 1,
           "Poland": 1}
SYLLABLES = ["Acme", "Beta", "Blue", "Cone", "Dal", "Fab", "Gold", "Hot", "Iso", "Kin", "Lat", "Mus", "Nam",
             "Ont", "Plus", "Ron", "Sun", "Top", "Vol", "Xx", "Zoo", "Bub", "Con", "Dan", "Fa", "Gen",
             "Ha", "Ice", "Job", "Kan", "Lex", "Med", "Off", "Rangreen", "Stanredtax", "Tree"]
ENDINGS = ["tech", "soloin", "zone", "dox", "tron", "hex", "lane", "ex", "cof", "lab", "ing", "quote", "sans",
           "plex", "fan", "tax", "hatch", "dom", "it", "phase"]
SUFFIXES = ["", "", "", " Corporation", " Company", " Inc", " Group", " Holding"]


def _maven_accounts(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """accounts.csv: made-up company names, sector (with the source's typo), size, office, parent."""
    names: list[str] = []
    while len(names) < n:
        name = f"{rng.choice(SYLLABLES)}{rng.choice(ENDINGS)}{rng.choice(SUFFIXES)}"
        if name not in names:
            names.append(name)
    employees = np.round(np.exp(rng.uniform(np.log(9), np.log(35000), size=n))).astype(int)
    offices, p = _weights(OFFICES)
    parent = np.where(rng.random(n) < 0.18, rng.choice(names[:10], size=n), "")
    parent = np.where(parent == np.array(names), "", parent)
    return pd.DataFrame({"account": names, "sector": rng.choice(SECTORS, size=n),
                         "year_established": rng.integers(1975, 2021, size=n),
                         "revenue": (employees * rng.uniform(0.05, 0.3, size=n)).round(2),
                         "employees": employees, "office_location": rng.choice(offices, size=n, p=p),
                         "subsidiary_of": parent})


def _maven_teams(rng: np.random.Generator, n_agents: int) -> pd.DataFrame:
    """sales_teams.csv: agents, their manager and regional office (two managers per office)."""
    people = _names(rng, n_agents + 6)
    managers, agents = people[:6], people[6:]
    office = ["Central", "Central", "East", "East", "West", "West"]
    boss = rng.integers(0, 6, size=n_agents)
    return pd.DataFrame({"sales_agent": agents, "manager": [managers[b] for b in boss],
                         "regional_office": [office[b] for b in boss]})


def _maven_deals(rng: np.random.Generator, rows: int, agents: list[str], accounts: list[str]) -> pd.DataFrame:
    """sales_pipeline.csv: deals with the source's gaps (open deals undated, prospects unengaged)."""
    stages, p = _weights(STAGE_WEIGHTS)
    stage = rng.choice(stages, size=rows, p=p)
    products = list(MAVEN_PRODUCTS)
    pw = np.array(PRODUCT_WEIGHTS) / sum(PRODUCT_WEIGHTS)
    product = rng.choice(products, size=rows, p=pw)
    price = np.array([MAVEN_PRODUCTS[x][1] for x in product], dtype=float)
    first, last = pd.Timestamp(PIPELINE_FIRST), pd.Timestamp(PIPELINE_LAST)
    span = (last - first).days
    cycle = np.minimum(1 + rng.gamma(1.6, 30, size=rows), 138).astype(int)
    closed = np.isin(stage, ["Won", "Lost"])
    engage_off = np.where(closed, (rng.random(rows) * (span - cycle)).astype(int),
                          span - rng.integers(0, 180, size=rows))
    engage = first + pd.to_timedelta(engage_off, unit="D")
    close = engage + pd.to_timedelta(cycle, unit="D")
    value = np.where(stage == "Won", np.round(price * rng.uniform(0.85, 1.12, size=rows)), 0.0)
    aw = rng.pareto(1.2, size=len(accounts)) + 1
    account = np.array(accounts, dtype=object)[rng.choice(len(accounts), size=rows, p=aw / aw.sum())]
    account = np.where(rng.random(rows) < 0.15, None, account)
    ids = rng.permutation(36 ** 7 + np.cumsum(rng.integers(1, 10 ** 6, size=rows)))  # unique, random-looking
    return pd.DataFrame({
        "opportunity_id": [np.base_repr(int(i), 36) for i in ids],
        "sales_agent": rng.choice(agents, size=rows), "product": [TYPOS.get(x, x) for x in product],
        "account": account, "deal_stage": stage,
        "engage_date": pd.Series(engage.strftime("%Y-%m-%d")).where(stage != "Prospecting"),
        "close_date": pd.Series(close.strftime("%Y-%m-%d")).where(closed),
        "close_value": pd.Series(value).where(closed).astype("Int64"),
    }).sort_values("engage_date", kind="stable", na_position="last").reset_index(drop=True)


def maven(rng: np.random.Generator, rows: int) -> tuple[dict[str, pd.DataFrame], dict]:
    """A Maven-like CRM export (deals, accounts, products, sales teams) and its ground truth."""
    teams = _maven_teams(rng, 35)
    accounts = _maven_accounts(rng, 85)
    idle = set(rng.choice(teams["sales_agent"], size=5, replace=False))  # agents who own no deal
    busy = [a for a in teams["sales_agent"] if a not in idle]
    deals = _maven_deals(rng, rows, busy, accounts["account"].tolist())
    products = pd.DataFrame({"product": list(MAVEN_PRODUCTS), "series": [v[0] for v in MAVEN_PRODUCTS.values()],
                             "sales_price": [v[1] for v in MAVEN_PRODUCTS.values()]})
    files = {"sales_pipeline.csv": deals, "accounts.csv": accounts, "products.csv": products,
             "sales_teams.csv": teams}
    return files, _maven_truth(deals, teams, accounts, products)


def _maven_truth(deals: pd.DataFrame, teams: pd.DataFrame, accounts: pd.DataFrame, products: pd.DataFrame) -> dict:
    """What the deal export holds and what the import should keep and reject."""
    stage = deals["deal_stage"]
    open_ = stage.isin(["Engaging", "Prospecting"])
    engaged = deals["engage_date"].notna()
    unengaged = int((~engaged).sum())
    return {
        "deals": len(deals), "deals_by_stage": stage.value_counts().sort_index().to_dict(),
        "deals_without_account": int(deals["account"].isna().sum()),
        "open_deals": int(open_.sum()),
        "open_deals_without_close_date": int((open_ & deals["close_date"].isna()).sum()),
        "open_deals_without_value": int((open_ & deals["close_value"].isna()).sum()),
        "lost_deals_with_zero_value": int(((stage == "Lost") & (deals["close_value"] == 0)).sum()),
        "deals_without_engage_date": unengaged,
        "deals_with_product_typo": int(deals["product"].isin(list(TYPOS.values())).sum()),
        "won_value": int(deals.loc[stage == "Won", "close_value"].sum()),
        "agents": len(teams), "agents_without_deals": int((~teams["sales_agent"].isin(deals["sales_agent"])).sum()),
        "accounts": len(accounts), "products": len(products),
        "first_date": PIPELINE_FIRST, "last_date": PIPELINE_LAST,
        "imported": {"reps": len(teams), "accounts": len(accounts), "products": len(products),
                     "opportunities": len(deals) - unengaged,
                     "opportunities_without_account": int((deals["account"].isna() & engaged).sum()),
                     "open_opportunities": int((open_ & engaged).sum())},
        "rejected": {"opportunities": unengaged},
    }


# --------------------------------------------------------------------------------------------------
# 3. ecommerce: an Online Retail-like invoice-line export

RETAIL_FIRST, RETAIL_LAST = "2025-12-01", "2026-12-09"
COUNTRIES = {"United Kingdom": 0.88, "Germany": 0.025, "France": 0.022, "EIRE": 0.018, "Spain": 0.006,
             "Netherlands": 0.006, "Belgium": 0.005, "Switzerland": 0.005, "Portugal": 0.004, "Australia": 0.003,
             "Norway": 0.003, "Italy": 0.002, "Channel Islands": 0.002, "Finland": 0.002, "Sweden": 0.001,
             "Denmark": 0.001, "Austria": 0.001, "Japan": 0.001, "Poland": 0.001, "USA": 0.001,
             "Unspecified": 0.001}
COLOURS = ["WHITE", "RED", "PINK", "BLUE", "GREEN", "VINTAGE", "IVORY", "BLACK", "PASTEL", "GOLD", "SILVER"]
THEMES = ["HEART", "RETROSPOT", "SPACEBOY", "REGENCY", "PAISLEY", "SKULL", "BIRD", "FLORAL", "STRAWBERRY",
          "POLKADOT", "CHRISTMAS", "DOLLY GIRL", "UNION JACK"]
ITEMS = ["T-LIGHT HOLDER", "LUNCH BAG", "JUMBO BAG", "CAKE CASES", "MUG", "TEA SET", "CHILDRENS APRON",
         "PARTY BUNTING", "HOT WATER BOTTLE", "WALL ART", "DOORMAT", "LANTERN", "ALARM CLOCK", "CUSHION COVER",
         "PHOTO FRAME", "GIFT WRAP", "NAPKINS", "NOTEBOOK", "TIN", "CANDLE"]
QUANTITIES = {1: 14, 2: 14, 3: 6, 4: 7, 6: 14, 8: 3, 10: 5, 12: 20, 24: 8, 25: 1, 36: 1.5, 48: 2, 72: 0.5,
              96: 0.5, 100: 0.5, 144: 0.3}
UK_SEASON = np.array([0.7, 0.7, 0.9, 0.8, 0.95, 0.9, 0.9, 0.95, 1.3, 1.4, 1.8, 1.2])
BAD_DEBT = 11062.06


def _retail_products(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Stock codes (85123A), upper-case descriptions, unit prices (mostly a few pounds), plus POSTAGE."""
    numbers = rng.choice(np.arange(10002, 90999), size=n, replace=False)
    suffix = np.where(rng.random(n) < 0.3, rng.choice(list("ABCDEFL"), size=n), "")
    codes = [f"{num}{s}" for num, s in zip(numbers, suffix, strict=True)]
    desc = [f"{rng.choice(COLOURS)} {rng.choice(THEMES)} {rng.choice(ITEMS)}" for _ in range(n)]
    price = np.round(np.exp(rng.normal(np.log(2.5), 0.8, size=n)), 2).clip(0.1, 65)
    products = pd.DataFrame({"StockCode": codes, "Description": desc, "price": price,
                             "weight": rng.pareto(1.3, size=n) + 1})
    post = pd.DataFrame({"StockCode": ["POST"], "Description": ["POSTAGE"], "price": [18.0], "weight": [0.0]})
    return pd.concat([products, post], ignore_index=True)


def _retail_days() -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Trading days (no Saturdays, closed over Christmas) and their weights."""
    days = _days(RETAIL_FIRST, RETAIL_LAST)
    xmas = ((days.month == 12) & (days.day >= 23)) | ((days.month == 1) & (days.day <= 3))
    days = days[(days.day_of_week != 5) & ~xmas]
    w = UK_SEASON[days.month - 1] * np.where(days.day_of_week == 6, 0.6, 1.0)
    return days, w / w.sum()


def _retail_invoices(rng: np.random.Generator, n_lines: int, customers: pd.DataFrame) -> pd.DataFrame:
    """Sales invoices (date, customer or none, country, line count) covering `n_lines` lines."""
    n = max(10, n_lines // 5)  # more than enough; cut below on the line count
    anon = rng.random(n) < 0.118  # walk-in and guest checkouts: bigger baskets, no customer
    sizes = np.where(anon, 1 + rng.geometric(1 / 45, size=n), 1 + rng.geometric(1 / 18, size=n))
    keep = int(np.searchsorted(np.cumsum(sizes), n_lines)) + 1
    sizes, anon = sizes[:keep].copy(), anon[:keep]
    sizes[-1] -= int(sizes.sum() - n_lines)
    days, dw = _retail_days()
    date = pd.Series(rng.choice(days, size=keep, p=dw)) + _shop_hours(rng, keep)
    date.iloc[0] = pd.Timestamp(f"{RETAIL_FIRST} 08:26")  # the export covers exactly this window
    date.iloc[-1] = pd.Timestamp(f"{RETAIL_LAST} 12:50")
    cw = customers["weight"].to_numpy()
    cust = rng.choice(len(customers), size=keep, p=cw / cw.sum())
    country = np.where(anon, np.where(rng.random(keep) < 0.98, "United Kingdom", "Unspecified"),
                       customers["Country"].to_numpy()[cust])
    cid = pd.array(np.where(anon, 0, customers["CustomerID"].to_numpy()[cust]), dtype="Int64")
    cid[anon] = pd.NA
    return pd.DataFrame({"InvoiceDate": date, "CustomerID": cid, "Country": country, "size": sizes,
                         "kind": "sale"})


def _shop_hours(rng: np.random.Generator, n: int) -> pd.TimedeltaIndex:
    """Times of day between 7:00 and 20:00, busiest around noon."""
    minutes = np.clip(rng.normal(12.5 * 60, 2.2 * 60, size=n), 7 * 60, 20 * 60).astype(int)
    return pd.to_timedelta(minutes, unit="min")


def _retail_customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Customers: five-digit ids, one country each, skewed order frequency."""
    countries, p = _weights(COUNTRIES)
    country = rng.choice(countries, size=n, p=p)
    abroad = countries[1:8][: n // 5]  # even a small export has customers in the main foreign countries
    country[: len(abroad)] = abroad
    return pd.DataFrame({"CustomerID": rng.choice(np.arange(12346, 18288), size=n, replace=False),
                         "Country": country, "weight": rng.pareto(1.5, size=n) + 1})


def _retail_lines(rng: np.random.Generator, invoices: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Sale lines: product, quantity and unit price (bulk prices on big quantities, postage abroad)."""
    lines = invoices.loc[invoices.index.repeat(invoices["size"])].reset_index(names="invoice")
    pw = products["weight"].to_numpy()
    prod = rng.choice(len(products), size=len(lines), p=pw / pw.sum())
    first = ~lines["invoice"].duplicated()
    post = first.to_numpy() & (lines["Country"] != "United Kingdom").to_numpy() & (rng.random(len(lines)) < 0.6)
    prod = np.where(post, len(products) - 1, prod)
    qs, qp = _weights(QUANTITIES)
    qty = np.where(post, 1 + rng.integers(0, 3, size=len(lines)), rng.choice(qs, size=len(lines), p=qp))
    price = products["price"].to_numpy()[prod] * np.where((qty >= 24) & (rng.random(len(lines)) < 0.4), 0.85, 1)
    lines["StockCode"] = products["StockCode"].to_numpy()[prod]
    lines["Description"] = products["Description"].to_numpy()[prod]
    lines["Quantity"] = qty.astype(np.int64)
    lines["UnitPrice"] = np.round(price, 2)
    return lines


def _retail_cancellations(rng: np.random.Generator, sales: pd.DataFrame, n: int) -> pd.DataFrame:
    """Credit lines ("C" invoices, negative quantities) for `n` lines sold earlier to known customers."""
    named = sales.index[sales["CustomerID"].notna().to_numpy()]
    src = sales.loc[np.sort(rng.choice(named, size=min(n, len(named)), replace=False))].copy()
    n_inv = sales["invoice"].max() + 1
    inv = src["invoice"].to_numpy()
    share, hours = rng.random(n_inv)[inv], _shop_hours(rng, n_inv)[inv]  # one date per cancelled invoice
    room = (pd.Timestamp(RETAIL_LAST) - src["InvoiceDate"].dt.normalize()).dt.days
    day = src["InvoiceDate"].dt.normalize() + pd.to_timedelta((share * np.minimum(room, 30)).astype(int), unit="D")
    saturday = (day.dt.day_of_week == 5) & (day < pd.Timestamp(RETAIL_LAST))  # the shop is shut: Sunday
    day = day + pd.to_timedelta(saturday.astype(int), unit="D")
    src["InvoiceDate"] = np.maximum(day + hours, src["InvoiceDate"] + pd.Timedelta(minutes=7))
    src["Quantity"] = -np.maximum(1, (src["Quantity"] * rng.choice([1, 1, 1, 0.5], size=len(src))).astype(int))
    src["kind"] = "cancel"
    return src


def _retail_oddities(rng: np.random.Generator, n_zero: int) -> pd.DataFrame:
    """Zero-price stock adjustments (no customer, odd descriptions) and three "Adjust bad debt" lines."""
    days, dw = _retail_days()
    zero = pd.DataFrame({
        "InvoiceDate": pd.Series(rng.choice(days, size=n_zero, p=dw)) + _shop_hours(rng, n_zero),
        "StockCode": rng.choice(np.arange(20000, 90000), size=n_zero).astype(str),
        "Description": rng.choice(np.array(["damaged", "?", "check", "found", "", "thrown away"], dtype=object),
                                  size=n_zero),
        "Quantity": rng.choice([-12, -6, -1, 1, 3, 24], size=n_zero).astype(np.int64), "UnitPrice": 0.0,
        "kind": "zero",
    })
    zero["Description"] = zero["Description"].where(zero["Description"] != "", None)
    stamp = pd.Timestamp(f"{RETAIL_FIRST}") + pd.Timedelta(days=256, hours=14, minutes=50)
    bad = pd.DataFrame({"InvoiceDate": [stamp] * 3, "StockCode": "B", "Description": "Adjust bad debt",
                        "Quantity": np.int64(1), "UnitPrice": [BAD_DEBT, -BAD_DEBT, -BAD_DEBT], "kind": "bad_debt"})
    out = pd.concat([zero, bad], ignore_index=True)
    out["Country"] = "United Kingdom"
    out["CustomerID"] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out


def _retail_outlier(products: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """One absurd order (80,995 units) keyed in by mistake and cancelled minutes later."""
    when = pd.Timestamp(f"{RETAIL_LAST} 09:15")
    row = {"StockCode": products["StockCode"].iloc[0], "Description": products["Description"].iloc[0],
           "UnitPrice": 2.08, "CustomerID": int(customers["CustomerID"].iloc[0]),
           "Country": customers["Country"].iloc[0]}
    return pd.DataFrame([{**row, "InvoiceDate": when, "Quantity": 80995, "kind": "sale"},
                         {**row, "InvoiceDate": when + pd.Timedelta(minutes=6), "Quantity": -80995,
                          "kind": "cancel"}]).astype({"CustomerID": "Int64"})


def online_retail(rng: np.random.Generator, rows: int) -> tuple[dict[str, pd.DataFrame], dict]:
    """An Online Retail-like invoice-line export (`online_retail.parquet`) and its ground truth."""
    n_zero = max(2, rows // 500)
    n_cancel = max(2, round(rows * 0.02)) - 1
    n_sales = rows - n_zero - 3 - n_cancel - 2
    customers = _retail_customers(rng, max(20, rows // 120))
    products = _retail_products(rng, int(np.clip(rows // 80, 50, 4000)))
    sales = _retail_lines(rng, _retail_invoices(rng, n_sales, customers), products)
    parts = [sales, _retail_cancellations(rng, sales, n_cancel), _retail_oddities(rng, n_zero),
             _retail_outlier(products, customers)]
    df = pd.concat(parts, ignore_index=True)
    df["invoice"] = df["invoice"].fillna(-1 - df.index.to_series()).astype(int)
    key = df["kind"] + "|" + df["invoice"].astype(str)
    df = df.assign(key=key).sort_values(["InvoiceDate", "key"], kind="stable")
    number = pd.Series(536365 + pd.factorize(df["key"])[0], index=df.index).astype(str)
    df["InvoiceNo"] = df["kind"].map({"sale": "", "zero": "", "cancel": "C", "bad_debt": "A"}) + number
    df.loc[df["kind"] == "bad_debt", "InvoiceNo"] = ["A563185", "A563186", "A563187"]  # its own number range
    out = df[["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID",
              "Country"]].reset_index(drop=True)
    out["Quantity"] = out["Quantity"].astype(np.int64)
    out["UnitPrice"] = out["UnitPrice"].astype(float)
    out["CustomerID"] = out["CustomerID"].astype("Int64")
    return {"online_retail.parquet": out}, _retail_truth(out)


def _retail_truth(df: pd.DataFrame) -> dict:
    """What the invoice-line export holds and what the import should keep."""
    cancel = df["InvoiceNo"].str.startswith("C")
    bad = df["StockCode"] == "B"
    zero = df["UnitPrice"] == 0
    kept = df[(df["UnitPrice"] > 0) & ~bad]
    return {
        "lines": len(df), "invoices": int(df["InvoiceNo"].nunique()),
        "cancellation_invoices": int(df.loc[cancel, "InvoiceNo"].nunique()),
        "cancellation_lines": int(cancel.sum()), "negative_quantity_lines": int((df["Quantity"] < 0).sum()),
        "lines_without_customer": int(df["CustomerID"].isna().sum()),
        "kept_lines_without_customer": int(kept["CustomerID"].isna().sum()),
        "zero_price_lines": int(zero.sum()), "bad_debt_lines": int(bad.sum()),
        "negative_price_lines": int((df["UnitPrice"] < 0).sum()),
        "customers": int(df["CustomerID"].nunique()), "countries": int(df["Country"].nunique()),
        "lines_by_country": kept["Country"].value_counts().head(6).to_dict(),
        "outlier_quantity": 80995,
        "revenue": round(float((kept["Quantity"] * kept["UnitPrice"]).sum()), 2),
        "first_date": str(df["InvoiceDate"].min()), "last_date": str(df["InvoiceDate"].max()),
        "imported": {"order_lines": len(kept), "credit_lines": int((kept["Quantity"] < 0).sum()),
                     "accounts": int(kept["CustomerID"].nunique()), "products": int(kept["StockCode"].nunique())},
        "rejected": {},
    }


# --------------------------------------------------------------------------------------------------
# Registry and writer

SHAPES: dict[str, Shape] = {
    "orders_only": Shape("orders_only", "Superstore-like invoice export: order lines only, no reps (USD)",
                         EXAMPLES / "orders_only.yaml", ("orders.csv",), 8000, superstore),
    "pipeline_only": Shape("pipeline_only", "CRM sales-opportunities export: deals, accounts, products, "
                           "teams; no order lines (USD)", EXAMPLES / "pipeline_only.yaml",
                           ("sales_pipeline.csv", "accounts.csv", "products.csv", "sales_teams.csv"), 8800, maven),
    "ecommerce": Shape("ecommerce", "Online Retail-like invoice lines with cancellations, anonymous sales (GBP)",
                       EXAMPLES / "ecommerce.yaml", ("online_retail.parquet",), 300_000, online_retail),
}


def _save(df: pd.DataFrame, path: Path) -> None:
    """Write one export file the way its source system does (cp1252 CSV, Parquet, or Excel)."""
    if path.suffix == ".parquet":
        df.to_parquet(path, engine="pyarrow", index=False)
    elif path.suffix == ".xlsx":
        df.to_excel(path, sheet_name="Online Retail", index=False)
    elif path.name == "orders.csv":
        df.to_csv(path, index=False, encoding="cp1252")  # the famous Superstore file is not UTF-8
    else:
        df.to_csv(path, index=False)


def write_shape(shape: str, out: Path, seed: int = 42, rows: int | None = None, excel: bool = False) -> Path:
    """Write the raw export of `shape` into `out` (with truth.json) and return the folder."""
    if shape not in SHAPES:
        raise ParameterError(f"unknown shape '{shape}' (shapes: {', '.join(SHAPES)})")
    spec = SHAPES[shape]
    rows = spec.default_rows if rows is None else int(rows)
    if rows < 50:
        raise ParameterError(f"{shape}: rows must be at least 50, got {rows}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files, truth = spec.writer(np.random.default_rng(seed), rows)
    written = []
    for name, df in files.items():
        path = out / name
        if excel and path.suffix == ".parquet":
            path = path.with_suffix(".xlsx")
        for stale in out.glob(f"{path.stem}.*"):
            stale.unlink()
        _save(df, path)
        written.append(path.name)
    meta = {"shape": shape, "seed": seed, "rows": rows, "files": written, "mapping": str(spec.mapping),
            **_currency(shape)}
    (out / "truth.json").write_text(json.dumps({**meta, **truth}, indent=1, default=str), encoding="utf-8")
    return out


def _currency(shape: str) -> dict:
    """Currency and country of a shape's data."""
    return {"currency": "GBP", "country": "GB"} if shape == "ecommerce" else {"currency": "USD", "country": "US"}
