"""Checks of printed numbers before they become a barcode.

A label must never carry a number that the rest of the system would refuse, so the evidence number
is checked here with the same rule the custody core uses (ISO/IEC 7064 MOD 97-10 over the whole
string, letters mapped A=10 … Z=35), without importing it: ``labels`` depends on nothing of ours.
"""

from __future__ import annotations

import re

from labels.errors import InvalidLabel

#: Kind letter → printed kind (物证类别).
KIND_TEXT: dict[str, str] = {
    "F": "枪支",  # firearm
    "A": "弹药",  # ammunition lot
    "B": "弹头样本",  # bullet sample
    "C": "弹壳样本",  # cartridge-case sample
}

_SHAPE = re.compile(r"[A-Z][0-9]{18}")
_CODE = re.compile(r"[0-9A-Z./-]+")
MAX_CODE_LENGTH = 32


def _mod97(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text)) % 97


def check_evidence_number(text: str, kinds: str = "FABC", *, what: str = "evidence number") -> str:
    """Return ``text`` if it is a well-formed evidence number of one of ``kinds``.

    Raises :class:`InvalidLabel` saying what is wrong: the shape, the kind letter or the check digits.
    Only the canonical printed form is accepted (upper case, no spaces), since it is what is printed.
    """
    if not isinstance(text, str) or not _SHAPE.fullmatch(text):
        raise InvalidLabel(
            f"{what} {text!r} is not an evidence number: expected a kind letter and 18 digits, "
            "e.g. F220100202600012787"
        )
    if text[0] not in kinds:
        expected = ", ".join(f"{k} ({KIND_TEXT[k]})" for k in kinds)
        raise InvalidLabel(f"{what} {text!r} has kind letter {text[0]!r}; expected {expected}")
    if text[7:11] < "1000" or text[11:17] == "000000":
        raise InvalidLabel(
            f"{what} {text!r} has year {text[7:11]} or sequence {text[11:17]}, which are never issued"
        )
    if _mod97(text) != 1:
        raise InvalidLabel(f"{what} {text!r}: check digits do not match (mistyped or misread); not printed")
    return text


def check_code(text: str, *, what: str) -> str:
    """Return ``text`` if a label barcode may carry it: 1 … 32 of ``0-9 A-Z . / -``.

    The set is deliberately small: every scanner keyboard layout types it, and neither ZPL nor
    Code 128 needs an escape for it.
    """
    if not isinstance(text, str) or not _CODE.fullmatch(text) or len(text) > MAX_CODE_LENGTH:
        raise InvalidLabel(
            f"{what} {text!r} cannot be printed as a barcode: use 1 … {MAX_CODE_LENGTH} characters "
            "of 0-9, A-Z, '.', '/' and '-'"
        )
    return text
