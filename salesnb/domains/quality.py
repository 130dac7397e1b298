"""CRM data quality: completeness, invalid emails and phones, stale and orphan records, hygiene scores."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from salesnb.core import money
from salesnb.core.text import listing
from salesnb.core.vocabulary import OPEN_STAGES
from salesnb.domains import pipeline

POTENTIAL_PROBLEM = "potential below its sales"


@dataclass(frozen=True)
class QualityRules:
    """Thresholds of the data quality report."""

    stale_days: int = 365
    phone_regions: tuple[str, ...] = ("FR", "GP", "MQ", "GF", "RE", "YT")


def completeness(df: pd.DataFrame, columns: list[str], by: str | None = None) -> pd.DataFrame:
    """Share of filled values per column (blank text counts as empty), overall or per group."""
    filled = df[columns].apply(lambda s: s.notna() & s.astype(str).str.strip().ne(""))
    if by is None:
        return filled.mean().to_frame("filled").rename_axis("field")
    return filled.groupby(df[by].fillna("(no owner)")).mean()


@lru_cache(maxsize=1 << 18)  # every scope of a report checks the same addresses again
def email_problem(email: object) -> str | None:
    """Why an email address is unusable ('missing' or 'invalid'), else None; no network lookup."""
    from email_validator import EmailNotValidError, validate_email

    if email is None or (isinstance(email, float) and np.isnan(email)) or not str(email).strip():
        return "missing"
    try:
        validate_email(str(email).strip(), check_deliverability=False)
    except EmailNotValidError:
        return "invalid"
    return None


@lru_cache(maxsize=1 << 18)
def phone_problem(phone: object, regions: tuple[str, ...] = ("FR",)) -> str | None:
    """Why a phone number is unusable ('missing' or 'invalid'), else None.

    National numbers are read as from any of `regions` (France's overseas departments share its
    trunk prefix), international ones as written; spaces, dots and dashes are ignored.
    """
    import phonenumbers

    if phone is None or (isinstance(phone, float) and np.isnan(phone)) or not str(phone).strip():
        return "missing"
    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(str(phone), region)):
                return None
        except phonenumbers.NumberParseException:
            return "invalid"
    return "invalid"


def phone_reason(phone: object, regions: tuple[str, ...] = ("FR",)) -> str:
    """Why an invalid phone number is wrong, in words a rep can act on."""
    import phonenumbers
    from phonenumbers import ValidationResult

    from salesnb.core.days import country_name

    try:
        number = phonenumbers.parse(str(phone), regions[0])
    except phonenumbers.NumberParseException:
        return "not a phone number"
    lengths = {ValidationResult.TOO_SHORT: "too few digits", ValidationResult.TOO_LONG: "too many digits",
               ValidationResult.INVALID_LENGTH: "wrong number of digits"}
    reason = phonenumbers.is_possible_number_with_reason(number)
    return lengths.get(reason, f"no such number in {listing([country_name(r) for r in regions], 'or')}")


def _problem(kind: str, record_id: str, name: str, owner: object, problem: str, fix: str) -> dict:
    return {"record": kind, "id": record_id, "name": name, "owner_rep_id": owner,
            "problem": problem, "fix": fix}


def issues(accounts: pd.DataFrame, contacts: pd.DataFrame | None,
           opportunities: pd.DataFrame | None, as_of: pd.Timestamp,
           rules: QualityRules = QualityRules(), owned: bool = True) -> pd.DataFrame:
    """One row per problem found: record type, id, name, owner, problem and the fix to make. Without `owned` (data
    that assign no account to a rep), no account is called ownerless."""
    rows = []
    stale_before = as_of - pd.Timedelta(days=rules.stale_days)
    for a in accounts.itertuples(index=False):
        owner = a.owner_rep_id if isinstance(a.owner_rep_id, str) else None
        if owner is None and owned:
            rows.append(_problem("account", a.account_id, a.name, None, "no owner",
                                 "assign a rep"))
        if phone_problem(a.phone, rules.phone_regions) == "invalid":
            rows.append(_problem("account", a.account_id, a.name, owner, "invalid phone",
                                 f"correct the phone number {a.phone!s} "
                                 f"({phone_reason(a.phone, rules.phone_regions)})"))
        if pd.notna(a.updated_date) and a.updated_date < stale_before:
            rows.append(_problem("account", a.account_id, a.name, owner, "stale",
                                 f"review: not updated since {a.updated_date:%Y-%m-%d}"))
    if contacts is not None:
        owners = accounts.set_index("account_id")["owner_rep_id"]
        for c in contacts.itertuples(index=False):
            name = f"{c.first_name or ''} {c.last_name}".strip() if isinstance(c.first_name, str) \
                else str(c.last_name)
            owner = owners.get(c.account_id) if isinstance(c.account_id, str) else None
            owner = owner if isinstance(owner, str) else None
            if not isinstance(c.account_id, str):
                rows.append(_problem("contact", c.contact_id, name, None, "no account",
                                     "attach the contact to its account"))
            problem = email_problem(c.email)
            if problem:
                rows.append(_problem("contact", c.contact_id, name, owner, f"{problem} email",
                                     "add the email" if problem == "missing"
                                     else f"correct the email {c.email!s}"))
            if phone_problem(c.phone, rules.phone_regions) == "invalid":
                rows.append(_problem("contact", c.contact_id, name, owner, "invalid phone",
                                     f"correct the phone number {c.phone!s} "
                                     f"({phone_reason(c.phone, rules.phone_regions)})"))
            if pd.notna(c.updated_date) and c.updated_date < stale_before:
                rows.append(_problem("contact", c.contact_id, name, owner, "stale",
                                     f"check the contact is still there (last update "
                                     f"{c.updated_date:%Y-%m-%d})"))
    if opportunities is not None:
        names = accounts.set_index("account_id")["name"]
        late = set(pipeline.overdue(opportunities, as_of)["opportunity_id"])
        columns = set(opportunities.columns)
        for o in opportunities[opportunities["stage"].isin(OPEN_STAGES)].itertuples(index=False):
            account = names.get(getattr(o, "account_id", None), None)
            called = getattr(o, "forecast_category", None)
            deal = {"amount": getattr(o, "amount", float("nan")),
                    "forecast_category": called.replace("_", " ") if isinstance(called, str) else None}
            name = f"{account} deal" if isinstance(account, str) else o.opportunity_id
            found = [(o.opportunity_id in late, "open past close date",
                      f"close it or move the close date ({o.close_date:%Y-%m-%d})"
                      if o.opportunity_id in late else ""),
                     ("amount" in columns and not deal["amount"] > 0, "no amount", "estimate the amount"),
                     (pd.isna(o.close_date), "no close date", "set the expected close date"),
                     ("account_id" in columns and not isinstance(o.account_id, str), "no account",
                      "link it to its account")]
            rows += [_problem("opportunity", o.opportunity_id, name, o.rep_id, problem, fix) | deal
                     for hit, problem, fix in found if hit]
    cols = ["record", "id", "name", "owner_rep_id", "problem", "fix", "amount", "forecast_category"]
    out = pd.DataFrame(rows, columns=cols)
    return out.drop(columns=[c for c in ("amount", "forecast_category") if out[c].isna().all()])


def _scores(records: pd.DataFrame, problems: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    bad = records.set_index(["record", "id"]).index.isin(problems.set_index(["record", "id"]).index)
    r = records.assign(group=by.to_numpy(), bad=bad, bad_weight=records["weight"] * bad,
                       pipeline_with_problems=records["amount"].where(bad))
    out = r.groupby("group").agg(records=("id", "size"), with_problems=("bad", "sum"),
                                 pipeline_with_problems=("pipeline_with_problems", "sum"),
                                 weight=("weight", "sum"), bad_weight=("bad_weight", "sum"))
    out["hygiene_score"] = 100 * (1 - out.pop("bad_weight") / out.pop("weight"))
    return out.drop(columns="pipeline_with_problems") if records["amount"].isna().all() else out


def hygiene(records: pd.DataFrame, problems: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Per rep: records owned, records with at least one problem, the open pipeline on deals with a problem, and
    the hygiene score (`score`), worst first."""
    out = _scores(records.dropna(subset=["owner_rep_id"]), problems,
                  records["owner_rep_id"].dropna())
    out = reps.set_index("rep_id")[["name", "team"]].join(out, how="right")
    return out.rename_axis("rep_id").sort_values("hygiene_score")


def team_hygiene(records: pd.DataFrame, problems: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Per team: records, records with problems, open pipeline on deals with a problem and hygiene score, worst
    first."""
    owned = records.dropna(subset=["owner_rep_id"])
    team = owned["owner_rep_id"].map(reps.set_index("rep_id")["team"])
    return _scores(owned[team.notna()], problems, team.dropna()).rename_axis("team").sort_values("hygiene_score")


def score(records: pd.DataFrame, problems: pd.DataFrame) -> float:
    """The share of records with no problem, 0–100, an open deal weighing its amount in typical deals (at least
    one record): a problem on a large deal costs more."""
    return float(_scores(records, problems, pd.Series(0, index=records.index))["hygiene_score"].iloc[0])


def owned_records(accounts: pd.DataFrame, contacts: pd.DataFrame | None,
                  opportunities: pd.DataFrame | None, typical_deal: float = float("nan")) -> pd.DataFrame:
    """Every account, contact and open deal with the rep accountable for it (account owner for contacts) and its
    weight in the hygiene score: 1, or an open deal's amount ÷ `typical_deal` when larger."""
    parts = [pd.DataFrame({"record": "account", "id": accounts["account_id"],
                           "owner_rep_id": accounts["owner_rep_id"]})]
    if contacts is not None:
        owner = contacts["account_id"].map(accounts.set_index("account_id")["owner_rep_id"])
        parts.append(pd.DataFrame({"record": "contact", "id": contacts["contact_id"],
                                   "owner_rep_id": owner}))
    if opportunities is not None:
        open_ = opportunities[opportunities["stage"].isin(OPEN_STAGES)]
        amount = open_["amount"].astype(float) if "amount" in open_ else pd.Series(np.nan, index=open_.index)
        parts.append(pd.DataFrame({"record": "opportunity", "id": open_["opportunity_id"],
                                   "owner_rep_id": open_["rep_id"], "amount": amount,
                                   "weight": (amount / typical_deal).clip(lower=1.0).fillna(1.0)}))
    out = pd.concat(parts, ignore_index=True)
    return out.assign(weight=out.get("weight", pd.Series(1.0, index=out.index)).fillna(1.0),
                      amount=out.get("amount", pd.Series(np.nan, index=out.index)))


def typical_deal(opportunities: pd.DataFrame | None) -> float:
    """The median amount of the open deals that have one (NaN without): the unit a deal weighs in hygiene."""
    if opportunities is None or "amount" not in opportunities:
        return float("nan")
    amount = opportunities.loc[opportunities["stage"].isin(OPEN_STAGES), "amount"].astype(float)
    return float(amount[amount > 0].median())


def summary(problems: pd.DataFrame) -> pd.DataFrame:
    """Count of problems by record type and problem, the largest first."""
    counts = problems.groupby(["record", "problem"]).size().rename("count").to_frame()
    return counts.sort_values("count", ascending=False, kind="stable")


def potential_below_sales(accounts: pd.DataFrame, revenue: pd.Series) -> pd.DataFrame:
    """Accounts that bought more in the last 12 months (`revenue`, by account id) than their stated yearly
    potential: a potential to update, largest ratio first."""
    if "potential" not in accounts:
        return pd.DataFrame(columns=["account_id", "name", "owner_rep_id", "potential", "revenue_12_months", "ratio"])
    out = accounts[["account_id", "name", "owner_rep_id", "potential"]].copy()
    out["revenue_12_months"] = out["account_id"].map(revenue).fillna(0.0)
    out = out[out["potential"].gt(0) & out["revenue_12_months"].gt(out["potential"])]
    out["ratio"] = out["revenue_12_months"] / out["potential"]
    return out.sort_values("ratio", ascending=False, kind="stable").reset_index(drop=True)


def potential_sentence(below: pd.DataFrame, with_potential: int) -> str:
    """How many stated potentials the last 12 months' sales already exceed ('' when none)."""
    if below.empty:
        return ""
    top = below.iloc[0]
    return (f"{len(below):,} of the {with_potential:,} accounts with a stated potential bought more in the last 12 "
            f"months than that potential (up to {top['ratio']:.1f}×: {top['name']}, "
            f"{money.fmt(top['revenue_12_months'])} against {money.fmt(top['potential'])}). The account scores, the "
            "quota split and the fairness check use the potential: update these (they are in the fix list).")


def potential_caveat(below: pd.DataFrame, with_potential: int) -> str:
    """For a report that uses the CRM's potentials: how many are below the last 12 months' sales ('' when none)."""
    if below.empty:
        return ""
    return (f"The potentials come from the CRM: {len(below):,} of the {with_potential:,} accounts with one bought more "
            "than it in the last 12 months, so the figures that use it understate them (the data-quality report "
            "lists them to update).")


def fix_list_sentence(fixes: pd.DataFrame) -> str:
    """What the fix list's rows are: the problems counted above, merge tasks and potentials to update."""
    kinds = fixes["problem"].map(lambda p: "merge" if p in ("probable duplicate", "email shared with another contact")
                                 else "potential" if p == POTENTIAL_PROBLEM else "problem").value_counts()
    parts = [f"{kinds.get('problem', 0):,} problems"]
    parts += [f"{kinds['merge']:,} merge tasks"] if kinds.get("merge") else []
    parts += [f"{kinds['potential']:,} potentials to update"] if kinds.get("potential") else []
    return f"The fix list has {len(fixes):,} rows: {listing(parts)}."


def owners_sentence(problems: pd.DataFrame, reps: pd.DataFrame | None, n: int = 3) -> str:
    """Who has the most records to fix, and how many problem records have no owner ('' without problems)."""
    if problems.empty:
        return ""
    per = problems.dropna(subset=["owner_rep_id"]).groupby("owner_rep_id")["id"].nunique()
    per = per.sort_values(ascending=False, kind="stable")
    names = reps.set_index("rep_id")["name"] if reps is not None else pd.Series(dtype=str)
    top = ", ".join(f"{names.get(r, r)} ({k})" for r, k in per.head(n).items())
    unowned = problems.loc[problems["owner_rep_id"].isna(), "id"].nunique()
    text = f"Most records to fix: {top}." if top else ""
    if not unowned:
        return text
    one = unowned == 1
    return text + (f" {unowned:,} record{'' if one else 's'} with a problem {'has' if one else 'have'} no owner: "
                   f"{'it counts' if one else 'they count'} in the organisation's data hygiene and in no team's.")


def first_sentence(counts: pd.DataFrame, opportunities: pd.DataFrame | None = None,
                   as_of: pd.Timestamp | None = None) -> str:
    """What to fix first: open deals past their close date when there are any (they drop out of every month's
    forecast and coverage), then the most numerous problem of `summary` with its share of all problems."""
    if counts.empty:
        return "No problem found."
    (record, problem), n = counts["count"].idxmax(), int(counts["count"].max())
    most = f"{problem} on {record} records, {n:,} of the {int(counts['count'].sum()):,} problems " \
           f"({n / counts['count'].sum():.0%})"
    late = None if opportunities is None else pipeline.overdue(opportunities, as_of)
    if late is None or late.empty:
        return f"Fix first: {most}."
    commit = late.loc[late["forecast_category"].eq("commit"), "amount"].sum() if "forecast_category" in late else 0
    called = f", {money.fmt(commit)} of it called commit" if commit else ""
    return (f"Fix first: the {len(late):,} open deals past their close date ({money.fmt(late['amount'].sum())}"
            f"{called}): they count in no month of the forecast or the pipeline coverage until their date is fixed. "
            f"The most numerous problem: {most}.")


def fix_list(problems: pd.DataFrame, duplicates: pd.DataFrame, accounts: pd.DataFrame,
             reps: pd.DataFrame | None, contact_duplicates: pd.DataFrame | None = None,
             contacts: pd.DataFrame | None = None, potentials: pd.DataFrame | None = None) -> pd.DataFrame:
    """Problems, merge tasks (accounts and, when given, contacts) and potentials to update in one list with the
    owner's name: open deals past their close date first, largest first, then the rest by owner."""
    owners = accounts.set_index("account_id")["owner_rep_id"]
    merges = [pd.DataFrame({
        "record": "account", "id": duplicates["duplicate_id"], "name": duplicates["duplicate_name"],
        "owner_rep_id": duplicates["duplicate_id"].map(owners), "problem": "probable duplicate",
        "fix": "merge into " + duplicates["account_id"] + " (" + duplicates["name"] + ")"})]
    if contact_duplicates is not None and contacts is not None and len(contact_duplicates):
        account_of = contacts.set_index("contact_id")["account_id"]
        d = contact_duplicates
        merge = d["action"] == "merge" if "action" in d else pd.Series(True, index=d.index)
        other = d["contact_id"] + " (" + d["name"] + ")"
        merges.append(pd.DataFrame({
            "record": "contact", "id": d["duplicate_id"], "name": d["duplicate_name"],
            "owner_rep_id": d["duplicate_id"].map(account_of).map(owners),
            "problem": np.where(merge, "probable duplicate", "email shared with another contact"),
            "fix": np.where(merge, "merge into " + other,
                            "check whether the address is a shared mailbox; give each person their own: " + other)}))
    if potentials is not None and len(potentials):
        merges.append(pd.DataFrame({
            "record": "account", "id": potentials["account_id"], "name": potentials["name"],
            "owner_rep_id": potentials["owner_rep_id"], "problem": POTENTIAL_PROBLEM,
            "fix": [f"update the potential ({money.fmt(p)}): it bought {money.fmt(r)} in the last 12 months"
                    for p, r in zip(potentials["potential"], potentials["revenue_12_months"], strict=True)]}))
    out = pd.concat([problems, *merges], ignore_index=True)
    if reps is not None:
        out.insert(4, "owner", out["owner_rep_id"].map(reps.set_index("rep_id")["name"]))
    late = out["problem"].eq("open past close date")
    first = out[late]
    if "amount" in out:
        first = first.sort_values("amount", ascending=False, na_position="last", kind="stable")
    rest = out[~late].sort_values(["owner_rep_id", "record", "id"], na_position="last", kind="stable")
    return pd.concat([first, rest]).reset_index(drop=True)


def rejects_sentence(rejected: pd.DataFrame) -> str:
    """What an import left out (`Workspace.rejects`: table, reason, rows), table by table ('' when nothing)."""
    if rejected.empty:
        return ""
    parts = []
    for table, g in rejected.groupby("table", sort=False):
        top = g.iloc[0]
        more = f", and {len(g) - 1} other reason{'s' * (len(g) > 2)}" if len(g) > 1 else ""
        parts.append(f"{int(g['rows'].sum()):,} {table.replace('_', ' ')} ({top['reason']}: {int(top['rows']):,} "
                     f"rows{more}; see rejects/{table}.csv in the data folder)")
    return f"Rejected at import and counted in no figure: {listing(parts)}."
