"""Duplicate accounts and contacts: blocking on shared keys, then fuzzy name matching (rapidfuzz)."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from salesnb.domains.quality import email_problem

LEGAL_FORMS = {"sas", "sasu", "sarl", "eurl", "sa", "sci", "snc", "ste", "societe", "cie", "ltd",
               "gmbh", "inc", "llc", "siege"}
MAX_BLOCK = 200


def normalize_name(name: object) -> str:
    """Lowercase, no accents, punctuation, legal form or parenthesis: 'Ets Lefèvre S.A.S.' → 'ets lefevre'."""
    if not isinstance(name, str):
        return ""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\(.*?\)", " ", text)
    text = re.sub(r"(?<=\b\w)\.(?=\w\b)", "", text).replace(".", "")
    tokens = re.sub(r"[^a-z0-9&]+", " ", text).split()
    return " ".join(t for t in tokens if t not in LEGAL_FORMS)


def normalize_phone(phone: object, region: str = "FR") -> str | None:
    """The number in E.164 form when it parses, else its last nine digits, else None."""
    import phonenumbers

    if not isinstance(phone, str) or not phone.strip():
        return None
    try:
        number = phonenumbers.parse(phone, region)
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = re.sub(r"\D", "", phone)
    return digits[-9:] if len(digits) >= 6 else None


def candidate_pairs(keys: pd.DataFrame) -> pd.DataFrame:
    """Pairs of rows (positions i < j) sharing a value in a key column; blocks over MAX_BLOCK are skipped."""
    found, skipped = [], 0
    for col in keys.columns:
        block = pd.DataFrame({"key": keys[col].to_numpy(), "pos": np.arange(len(keys))}).dropna()
        block = block[block["key"].astype(str).str.len() > 0]
        sizes = block.groupby("key")["pos"].transform("size")
        skipped += block.loc[sizes > MAX_BLOCK, "key"].nunique()
        block = block[(sizes > 1) & (sizes <= MAX_BLOCK)]
        pairs = block.merge(block, on="key", suffixes=("_i", "_j"))
        found.append(pairs.loc[pairs["pos_i"] < pairs["pos_j"], ["pos_i", "pos_j"]])
    out = pd.concat(found).drop_duplicates().sort_values(["pos_i", "pos_j"])
    out = out.rename(columns={"pos_i": "i", "pos_j": "j"}).reset_index(drop=True)
    out.attrs["skipped_blocks"] = skipped
    return out


def _similarity(names: np.ndarray, pairs: pd.DataFrame) -> np.ndarray:
    from rapidfuzz import fuzz

    return np.array([fuzz.ratio(names[i], names[j]) if names[i] and names[j] else 0.0
                     for i, j in zip(pairs["i"], pairs["j"], strict=True)])


def duplicate_accounts(accounts: pd.DataFrame, threshold: float = 90.0,
                       phone_threshold: float = 75.0, region: str = "FR") -> pd.DataFrame:
    """Likely duplicate pairs: names alike (≥ threshold) sharing a postcode or phone, identical names
    in one city, or one phone with names somewhat alike (≥ phone_threshold)."""
    names = accounts["name"].map(normalize_name).to_numpy()
    phones = accounts["phone"].map(lambda p: normalize_phone(p, region)) if "phone" in accounts \
        else pd.Series(None, index=accounts.index)
    city = accounts["city"].map(normalize_name) if "city" in accounts else pd.Series("", index=accounts.index)
    keys = pd.DataFrame({
        "postcode": accounts["postcode"] if "postcode" in accounts else None,
        "phone": phones,
        "city_prefix": city + "|" + pd.Series([n[:4] for n in names], index=accounts.index),
    }, index=accounts.index)
    pairs = candidate_pairs(keys)
    pairs["similarity"] = _similarity(names, pairs)
    same_phone = phones.to_numpy()[pairs["i"]] == phones.to_numpy()[pairs["j"]]
    pairs["same_phone"] = same_phone & pd.notna(phones.to_numpy()[pairs["i"]])
    post = keys["postcode"].to_numpy()
    same_post = (post[pairs["i"]] == post[pairs["j"]]) & pd.notna(post[pairs["i"]])
    cities = city.to_numpy()
    same_city = (cities[pairs["i"]] == cities[pairs["j"]]) & (cities[pairs["i"]] != "")
    sim = pairs["similarity"]
    keep = (((sim >= threshold) & (same_post | pairs["same_phone"]))
            | ((sim >= 100) & same_city) | (pairs["same_phone"] & (sim >= phone_threshold)))
    hits = pairs[keep]
    ids, raw = accounts["account_id"].to_numpy(), accounts["name"].to_numpy()
    out = pd.DataFrame({
        "account_id": ids[hits["i"]], "duplicate_id": ids[hits["j"]],
        "name": raw[hits["i"]], "duplicate_name": raw[hits["j"]],
        "similarity": hits["similarity"].to_numpy(), "same_phone": hits["same_phone"].to_numpy(),
    })
    out.attrs["candidate_pairs"] = len(pairs)
    out.attrs["skipped_blocks"] = pairs.attrs["skipped_blocks"]
    return out.sort_values("similarity", ascending=False).reset_index(drop=True)


def duplicate_contacts(contacts: pd.DataFrame, threshold: float = 92.0, surname: float = 85.0,
                       shared: float = 80.0) -> pd.DataFrame:
    """Likely duplicate contacts: names alike (full name ≥ threshold and surname ≥ `surname`) at one account or on
    one valid email, or one valid email with names somewhat alike (≥ `shared`): *merge*. One valid email under names
    that differ is a shared mailbox to *check*, not a merge; an invalid email (often a bare surname) matches nothing."""
    raw = (contacts["first_name"].fillna("") + " " + contacts["last_name"].fillna("")).str.strip()
    full = raw.map(normalize_name)
    last = contacts["last_name"].map(normalize_name).to_numpy()
    email = contacts["email"].str.strip().str.lower() if "email" in contacts else pd.Series(None, index=contacts.index)
    email = email.where(email.map(email_problem).isna())
    keys = pd.DataFrame({"email": email, "account": contacts["account_id"]}, index=contacts.index)
    pairs = candidate_pairs(keys)
    pairs["similarity"] = _similarity(full.to_numpy(), pairs)
    em = keys["email"].to_numpy()
    pairs["same_email"] = (em[pairs["i"]] == em[pairs["j"]]) & pd.notna(em[pairs["i"]])
    alike = (pairs["similarity"] >= threshold) & (_similarity(last, pairs) >= surname)
    merge = alike | (pairs["same_email"] & (pairs["similarity"] >= shared))
    hits = pairs[merge | pairs["same_email"]]
    ids = contacts["contact_id"].to_numpy()
    return pd.DataFrame({"contact_id": ids[hits["i"]], "duplicate_id": ids[hits["j"]],
                         "name": raw.to_numpy()[hits["i"]], "duplicate_name": raw.to_numpy()[hits["j"]],
                         "similarity": hits["similarity"].to_numpy(),
                         "same_email": hits["same_email"].to_numpy(),
                         "action": np.where(merge[hits.index], "merge", "check: shared mailbox?")}
                        ).reset_index(drop=True)


def merge_table(pairs: pd.DataFrame, key: str) -> pd.DataFrame:
    """Duplicate pairs as a reader acts on them: the record to keep, the one to merge into it (by `key` id)."""
    out = pairs.rename(columns={key: "keep_id", "name": "keep", "duplicate_id": "merge_id",
                                "duplicate_name": "merge"})
    return out[["keep_id", "keep", "merge_id", "merge", *[c for c in out.columns
                                                        if c not in ("keep_id", "keep", "merge_id", "merge")]]]


def contact_sentence(pairs: pd.DataFrame) -> str:
    """How many contact pairs to merge and how many shared mailboxes to check."""
    merge = int((pairs["action"] == "merge").sum())
    check = len(pairs) - merge
    text = f"{merge:,} probable duplicate contact pair{'s' if merge != 1 else ''} to merge"
    if check:
        text += (f"; {check:,} pair{'s' if check != 1 else ''} of different people share an email address "
                 "(a shared mailbox to check, not a merge)")
    return text + "."


def precision_recall(found: pd.DataFrame, truth: list[dict]) -> tuple[float, float]:
    """Precision and recall of found pairs against known pairs (order does not matter)."""
    got = {frozenset(p) for p in zip(found["account_id"], found["duplicate_id"], strict=True)}
    want = {frozenset((t["account_id"], t["duplicate_id"])) for t in truth}
    hit = len(got & want)
    return (hit / len(got) if got else float("nan"), hit / len(want) if want else float("nan"))


def summary_sentence(found: pd.DataFrame, n_accounts: int) -> str:
    """How many pairs were flagged and how much comparing the blocks saved."""
    text = (f"{len(found):,} probable duplicate account pairs among {n_accounts:,} accounts "
            f"({found.attrs['candidate_pairs']:,} pairs compared instead of "
            f"{n_accounts * (n_accounts - 1) // 2:,}).")
    if found.attrs.get("skipped_blocks"):
        text += (f" {found.attrs['skipped_blocks']} very common keys (shared by over {MAX_BLOCK} "
                 "records) were not used for comparison.")
    return text
