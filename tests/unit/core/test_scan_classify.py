"""What a scanner or reader hands the scan intake, told apart: each kind by its own rules, with the
line noise a scanner or a hand-typed code brings (spaces, tabs, lower case) and the misreads that
check digits catch."""

from __future__ import annotations

import pytest

from custody.codes import SealNumber, classify
from custody.errors import InvalidEvidenceNumber, InvalidLocationCode, InvalidSealNumber
from custody.numbers import EvidenceNumber, ItemKind

EVIDENCE = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 12))
AMMUNITION = str(EvidenceNumber(ItemKind.AMMUNITION, "220102", 2026, 13))
SEAL = str(SealNumber.make("220102", 2026, 7))


def other_check_digits(number: str) -> str:
    return number[:-2] + f"{(int(number[-2:]) + 1) % 100:02d}"


@pytest.mark.parametrize(
    ("read", "kind", "value"),
    [
        (EVIDENCE, "evidence", EVIDENCE),
        (f"  {EVIDENCE.lower()}\t", "evidence", EVIDENCE),
        (AMMUNITION, "evidence", AMMUNITION),
        (SEAL, "seal", SEAL),
        (f"\t{SEAL.lower()}  ", "seal", SEAL),
        ("L220102-A", "location", "L220102-A"),
        (" l220102-a-2-03-1 ", "location", "L220102-A-2-03-1"),
    ],
)
def test_each_kind_is_read_through_line_noise(read, kind, value):
    scanned = classify(read)
    assert (scanned.kind, scanned.value, scanned.error) == (kind, value, None)


def test_wrong_check_digits_are_refused_by_each_kinds_own_rule():
    evidence, seal = classify(other_check_digits(EVIDENCE)), classify(other_check_digits(SEAL))
    assert evidence.kind == "evidence" and isinstance(evidence.error, InvalidEvidenceNumber)
    assert evidence.error.key == "evidence_no.check_digits"
    assert seal.kind == "seal" and isinstance(seal.error, InvalidSealNumber)
    assert seal.error.key == "seal_no.check_digits" and "check digits" in str(seal.error)


@pytest.mark.parametrize(("position", "digit"), [(p, d) for p in (1, 7, 11, 16) for d in "0123456789"])
def test_a_seal_number_misread_in_one_digit_is_never_taken_for_another_code(position, digit):
    if SEAL[position] == digit:
        return
    misread = SEAL[:position] + digit + SEAL[position + 1 :]
    scanned = classify(misread)
    assert scanned.kind == "seal" and isinstance(scanned.error, InvalidSealNumber)


@pytest.mark.parametrize(
    "read",
    ["L220102-", "L220102-A-2-03-1-9", "L220102-a_b", "L22010-A", "L220102-ABCDEFG"],
)
def test_malformed_location_codes_are_location_refusals(read):
    scanned = classify(read)
    assert scanned.kind == "location" and isinstance(scanned.error, InvalidLocationCode)


@pytest.mark.parametrize(
    "read",
    ["", "   ", "]C0" + EVIDENCE, EVIDENCE + "X", EVIDENCE[:-1], "S22010220260000070", "HELLO", "220102-A"],
)
def test_anything_else_is_unknown_and_refused(read):
    scanned = classify(read)
    assert scanned.kind == "unknown" and scanned.error is not None
    assert scanned.error.key == "scan.unknown_code"


def test_a_kind_letter_no_item_has_is_an_evidence_refusal_not_a_seal():
    x_number = "X" + EVIDENCE[1:]
    scanned = classify(x_number)
    assert scanned.kind == "evidence" and isinstance(scanned.error, InvalidEvidenceNumber)
    assert scanned.error.key == "evidence_no.unknown_kind"
