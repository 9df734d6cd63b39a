"""Evidence numbers (物证编号): one printed format for labels, tags, scans and the API.

``K RRRRRR YYYY SSSSSS CC``, without spaces:

* ``K``       kind letter: ``F`` firearm, ``A`` ammunition lot, ``B`` bullet sample,
              ``C`` cartridge-case sample;
* ``RRRRRR``  the owning unit's 6-digit region code (GB/T 2260, or a local 2299xx code);
* ``YYYY``    year of intake in China Standard Time;
* ``SSSSSS``  sequence, gapless per unit and year and shared by all kinds;
* ``CC``      ISO/IEC 7064 MOD 97-10 check digits over the whole string,
              letters mapped A=10 … Z=35 as in IBAN.

Everything after the letter is digits, so Code 128 packs the number in code set C. MOD 97-10 detects
every single-character substitution and every transposition of adjacent characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from custody.errors import InvalidEvidenceNumber, Message

REGION_CODE_SHAPE = Message("evidence_no.region_code", "region code must be 6 digits, got {region_code!r}")
YEAR_SHAPE = Message("evidence_no.year", "year must have 4 digits, got {year}")
SEQUENCE_RANGE = Message("evidence_no.sequence", "sequence must be 1 … 999999, got {sequence}")
NUMBER_NOT_TEXT = Message("evidence_no.not_text", "an evidence number is text")
NUMBER_SHAPE = Message(
    "evidence_no.shape",
    "{given!r} is not an evidence number: expected a kind letter and 18 digits, e.g. F220100202600012787",
)
UNKNOWN_KIND = Message(
    "evidence_no.unknown_kind", "{evidence_no!r}: unknown kind letter {kind!r} (F, A, B or C)"
)
CHECK_DIGITS = Message(
    "evidence_no.check_digits", "{evidence_no!r}: check digits do not match (mistyped or misread)"
)


class ItemKind(StrEnum):
    """What an item is; its value is the letter that starts its evidence number."""

    FIREARM = "F"  # 枪支
    AMMUNITION = "A"  # 弹药
    BULLET_SAMPLE = "B"  # 弹头样本
    CASING_SAMPLE = "C"  # 弹壳样本


_SHAPE = re.compile(r"[A-Z][0-9]{18}")
_REGION = re.compile(r"[0-9]{6}")
_LENGTH = 19


# letters as in IBAN (A=10 … Z=35, either case); digits stay
_LETTER_VALUES = {ord(ch): str(int(ch, 36)) for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}


_LEADING_LETTER = {chr(code): value for code, value in _LETTER_VALUES.items()}


def _digits(text: str) -> str:
    lead, rest = _LEADING_LETTER.get(text[:1]), text[1:]
    if lead is not None and rest.isascii() and rest.isdigit():  # a letter and digits: every number
        return lead + rest
    digits = text.translate(_LETTER_VALUES)
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"{text!r} holds characters other than ASCII letters and digits")
    return digits


def check_digits(body: str) -> str:
    """The two MOD 97-10 check digits for ``body`` (letter, region, year, sequence)."""
    return f"{98 - int(_digits(body) + '00') % 97:02d}"


def is_valid_mod97(text: str) -> bool:
    """True when ``text`` (body followed by its two check digits) satisfies MOD 97-10."""
    return int(_digits(text)) % 97 == 1


@dataclass(frozen=True, slots=True)
class EvidenceNumber:
    kind: ItemKind
    region_code: str
    year: int
    sequence: int

    def __post_init__(self) -> None:
        if not _REGION.fullmatch(self.region_code):
            raise InvalidEvidenceNumber(REGION_CODE_SHAPE, region_code=self.region_code)
        if not 1000 <= self.year <= 9999:
            raise InvalidEvidenceNumber(YEAR_SHAPE, year=self.year)
        if not 1 <= self.sequence <= 999_999:
            raise InvalidEvidenceNumber(SEQUENCE_RANGE, sequence=self.sequence)

    @property
    def body(self) -> str:
        return f"{self.kind.value}{self.region_code}{self.year:04d}{self.sequence:06d}"

    def __str__(self) -> str:
        body = self.body
        return body + check_digits(body)

    @classmethod
    def parse(cls, text: str) -> EvidenceNumber:
        """Parse a printed number; accepts lower case and surrounding spaces, nothing else.

        Raises :class:`InvalidEvidenceNumber` saying what is wrong (shape, kind letter or check digits).
        """
        candidate = canonical_number(text)
        return cls(ItemKind(candidate[0]), candidate[1:7], int(candidate[7:11]), int(candidate[11:17]))


_KINDS = frozenset(kind.value for kind in ItemKind)


def evidence_number(kind: ItemKind, region_code: str, year: int, sequence: int) -> str:
    """The printed number of these parts: ``str(EvidenceNumber(kind, region_code, year, sequence))``,
    refused the same way, without building the record (what intake does for every item)."""
    if not (1000 <= year <= 9999 and 1 <= sequence <= 999_999 and _REGION.fullmatch(region_code)):
        return str(EvidenceNumber(kind, region_code, year, sequence))  # raises what is wrong
    body = f"{kind.value}{region_code}{year}{sequence:06d}"
    return body + check_digits(body)


def canonical_number(text: str) -> str:
    """A printed number as stored and compared (upper case, no spaces), after the checks of
    :meth:`EvidenceNumber.parse`; the same as ``str(EvidenceNumber.parse(text))``."""
    if not isinstance(text, str):
        raise InvalidEvidenceNumber(NUMBER_NOT_TEXT)
    candidate = text.strip().upper()
    if len(candidate) != _LENGTH or not _SHAPE.fullmatch(candidate):
        raise InvalidEvidenceNumber(NUMBER_SHAPE, given=text.strip())
    if candidate[0] not in _KINDS:
        raise InvalidEvidenceNumber(UNKNOWN_KIND, evidence_no=candidate, kind=candidate[0])
    if not is_valid_mod97(candidate):
        raise InvalidEvidenceNumber(CHECK_DIGITS, evidence_no=candidate)
    return candidate
