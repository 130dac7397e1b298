import json

import pandas as pd
import pytest

from salesnb.domains import dedup


@pytest.mark.parametrize("raw, clean", [
    ("Ets Lefèvre S.A.S.", "ets lefevre"), ("LEFEVRE SAS (siège)", "lefevre"),
    ("Garage Dupont & Fils", "garage dupont & fils"), ("  Café-Éclair  SARL ", "cafe eclair"),
    (None, "")])
def test_normalize_name(raw, clean):
    assert dedup.normalize_name(raw) == clean


def test_normalize_phone_reads_national_and_international_forms():
    assert dedup.normalize_phone("01 23 45 67 89") == dedup.normalize_phone("+33 1 23 45 67 89") \
        == "+33123456789"
    assert dedup.normalize_phone("") is None


def test_candidate_pairs_only_within_blocks():
    keys = pd.DataFrame({"postcode": ["75001", "75001", "69001", None, "69001"],
                         "phone": [None, "x", "x", "y", "z"]})
    pairs = dedup.candidate_pairs(keys)
    assert pairs.values.tolist() == [[0, 1], [1, 2], [2, 4]]


def test_duplicate_accounts_on_a_hand_made_table():
    acc = pd.DataFrame({
        "account_id": ["A1", "A2", "A3", "A4", "A5"],
        "name": ["Boulangerie Dupré SARL", "BOULANGERIE DUPRE S.A.R.L.", "Boulangerie Dupont SARL",
                 "Transports Morel", "Transports Morel (siège)"],
        "postcode": ["75001", "75001", "75001", "69001", "69002"],
        "city": ["Paris", "Paris", "Paris", "Lyon", "Lyon"],
        "phone": ["01 23 45 67 89", "+33 1 23 45 67 89", "01 99 99 99 99", "04 11 22 33 44", None],
    })
    found = dedup.duplicate_accounts(acc)
    assert set(zip(found["account_id"], found["duplicate_id"], strict=True)) == {("A1", "A2"),
                                                                                  ("A4", "A5")}
    assert dedup.precision_recall(found, [{"account_id": "A2", "duplicate_id": "A1"}]) == (0.5, 1.0)


def test_duplicate_contacts_by_email_or_name_at_same_account():
    c = pd.DataFrame({"contact_id": ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"],
                      "account_id": ["A1", "A1", "A2", "A3", "A4", "A4", "A5", "A6"],
                      "first_name": ["Jean", "Jean", "Marie", "Marie", "François", "François", "Olivier", "Luc"],
                      "last_name": ["Dupré", "Dupre", "Curie", "Curie-S", "Leroy", "Roy", "Faure", "Faure"],
                      "email": ["j@x.fr", None, "m@y.fr", "M@Y.fr ", None, None, "faure@", "faure@"]})
    found = dedup.duplicate_contacts(c)
    # C5/C6: full names 92% alike at one account, but Leroy is not Roy; C7/C8 share only an invalid email
    assert set(zip(found["contact_id"], found["duplicate_id"], found["action"], strict=True)) == {
        ("C1", "C2", "merge"), ("C3", "C4", "merge")}
    shown = dedup.merge_table(found, "contact_id")
    assert list(shown.columns[:4]) == ["keep_id", "keep", "merge_id", "merge"]
    assert shown["keep_id"].tolist() == ["C1", "C3"]
    mailbox = dedup.duplicate_contacts(c.assign(first_name=["Jean", "Jean", "Marie", "Luc", "a", "b", "c", "d"]))
    assert mailbox.loc[mailbox["contact_id"] == "C3", "action"].tolist() == ["check: shared mailbox?"]
    assert dedup.contact_sentence(mailbox) == ("1 probable duplicate contact pair to merge; 1 pair of different "
                                               "people share an email address (a shared mailbox to check, not a "
                                               "merge).")


def test_demo_planted_duplicates_precision_and_recall(demo_dir):
    m = json.loads((demo_dir / "manifest.json").read_text())
    acc = pd.read_csv(demo_dir / "accounts.csv", dtype=str)
    found = dedup.duplicate_accounts(acc)
    precision, recall = dedup.precision_recall(found, m["duplicate_accounts"])
    assert precision >= 0.9 and recall >= 0.9
    assert found.attrs["candidate_pairs"] < len(acc) * (len(acc) - 1) // 2 / 100
