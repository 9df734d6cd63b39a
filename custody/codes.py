"""What a scanner or a reader can read besides an evidence number: seal numbers and storage location
codes, and the one rule that tells the three apart.

Seal numbers (封存编号) follow the evidence-number scheme (:mod:`custody.numbers`) with the kind letter
``S``: ``S RRRRRR YYYY SSSSSS CC``, the owning unit's region code, the year of sealing (China Standard
Time), a gapless sequence per unit and year of its own (seals do not share the items' sequence), and
MOD 97-10 check digits over the whole string.

Location codes name a place in a unit's store: ``L`` + the unit's 6-digit region code, then one to four
segments of one to five upper-case letters or digits, each after a hyphen: ``L220100-A`` (store A),
``L220100-A-2`` (room 2 of it), ``L220100-A-2-03`` (shelf), ``L220100-A-2-03-1`` (bin). Every location
code holds a hyphen, so it never parses as an evidence or seal number (letter and 18 digits), and Code 128
still prints it (code set B).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from custody.errors import (
    CustodyError,
    InvalidEvidenceNumber,
    InvalidInput,
    InvalidLocationCode,
    InvalidSealNumber,
    Message,
)
from custody.model import LocationLevel
from custody.numbers import canonical_number, check_digits, is_valid_mod97

SEAL_NOT_TEXT = Message("seal_no.not_text", "a seal number is text")
SEAL_SHAPE = Message(
    "seal_no.shape",
    "{given!r} is not a seal number: expected S and 18 digits, e.g. S220100202600000197",
)
SEAL_CHECK_DIGITS = Message(
    "seal_no.check_digits", "{seal_no!r}: check digits do not match (mistyped or misread)"
)
SEAL_PART = Message(
    "seal_no.part", "seal number part out of range: region {region_code!r}, year {year}, sequence {sequence}"
)
LOCATION_NOT_TEXT = Message("location_code.not_text", "a location code is text")
LOCATION_SHAPE = Message(
    "location_code.shape",
    "{given!r} is not a location code: expected L, a 6-digit region code and 1 to 4 parts of 1 to 5 "
    "letters or digits, each after a hyphen, e.g. L220100-A-2-03",
)
UNKNOWN_CODE = Message(
    "scan.unknown_code",
    "{given!r} is neither an evidence number, a seal number nor a location code",
)

SEAL_KIND = "S"
_SEAL_SHAPE = re.compile(r"S[0-9]{18}")
_REGION = re.compile(r"[0-9]{6}")
_LOCATION_SHAPE = re.compile(r"L([0-9]{6})((?:-[A-Z0-9]{1,5}){1,4})")
_LEVELS = (LocationLevel.STORE, LocationLevel.ROOM, LocationLevel.SHELF, LocationLevel.BIN)
MAX_LOCATION_LENGTH = 1 + 6 + 4 * 6  # 31: every code fits a label's barcode (at most 32)


@dataclass(frozen=True, slots=True)
class SealNumber:
    region_code: str
    year: int
    sequence: int

    def __post_init__(self) -> None:
        if (
            not _REGION.fullmatch(self.region_code)
            or not 1000 <= self.year <= 9999
            or not 1 <= self.sequence <= 999_999
        ):
            raise InvalidSealNumber(
                SEAL_PART, region_code=self.region_code, year=self.year, sequence=self.sequence
            )

    @property
    def body(self) -> str:
        return f"{SEAL_KIND}{self.region_code}{self.year:04d}{self.sequence:06d}"

    def __str__(self) -> str:
        body = self.body
        return body + check_digits(body)

    @classmethod
    def make(cls, region_code: str, year: int, sequence: int) -> SealNumber:
        return cls(region_code, year, sequence)

    @classmethod
    def parse(cls, text: object) -> SealNumber:
        """A printed seal number (upper or lower case, surrounding spaces allowed); raises
        :class:`InvalidSealNumber` saying what is wrong (shape or check digits)."""
        if not isinstance(text, str):
            raise InvalidSealNumber(SEAL_NOT_TEXT)
        candidate = text.strip().upper()
        if not _SEAL_SHAPE.fullmatch(candidate):
            raise InvalidSealNumber(SEAL_SHAPE, given=text.strip()[:40])
        if not is_valid_mod97(candidate):
            raise InvalidSealNumber(SEAL_CHECK_DIGITS, seal_no=candidate)
        return cls(candidate[1:7], int(candidate[7:11]), int(candidate[11:17]))


@dataclass(frozen=True, slots=True)
class LocationCode:
    region_code: str
    segments: tuple[str, ...]

    def __str__(self) -> str:
        return "L" + self.region_code + "".join("-" + s for s in self.segments)

    @property
    def level(self) -> LocationLevel:
        return _LEVELS[len(self.segments) - 1]

    @property
    def parent(self) -> LocationCode | None:
        """The location one level up (None for a store)."""
        if len(self.segments) == 1:
            return None
        return LocationCode(self.region_code, self.segments[:-1])

    @classmethod
    def parse(cls, text: object) -> LocationCode:
        """A printed location code (upper or lower case, surrounding spaces allowed); raises
        :class:`InvalidLocationCode` naming the expected shape."""
        if not isinstance(text, str):
            raise InvalidLocationCode(LOCATION_NOT_TEXT)
        candidate = text.strip().upper()
        found = _LOCATION_SHAPE.fullmatch(candidate) if len(candidate) <= MAX_LOCATION_LENGTH else None
        if found is None:
            raise InvalidLocationCode(LOCATION_SHAPE, given=text.strip()[:40])
        return cls(found.group(1), tuple(found.group(2)[1:].split("-")))


ScannedKind = Literal["evidence", "seal", "location", "unknown"]


@dataclass(frozen=True, slots=True)
class Scanned:
    """What a scanned text is, by its shape: ``value`` is its canonical form when it passed its kind's
    checks; ``error`` the refusal when it has a kind's shape but fails its checks (check digits), or
    when it has no known shape at all (kind ``unknown``)."""

    kind: ScannedKind
    value: str
    error: CustodyError | None = None

    @property
    def valid(self) -> bool:
        return self.error is None


def classify(text: object) -> Scanned:
    """Tell an evidence number, a seal number and a location code apart, each checked by its own rules."""
    if not isinstance(text, str):
        return Scanned("unknown", "", InvalidInput(UNKNOWN_CODE, "code", given=repr(text)[:40]))
    candidate = text.strip().upper()
    if candidate.startswith("L") and "-" in candidate:
        try:
            return Scanned("location", str(LocationCode.parse(candidate)))
        except InvalidLocationCode as refused:
            return Scanned("location", candidate, refused)
    if candidate.startswith(SEAL_KIND) and _SEAL_SHAPE.fullmatch(candidate):
        try:
            return Scanned("seal", str(SealNumber.parse(candidate)))
        except InvalidSealNumber as refused:
            return Scanned("seal", candidate, refused)
    try:
        return Scanned("evidence", canonical_number(candidate))
    except InvalidEvidenceNumber as refused:
        if refused.key == "evidence_no.shape":
            return Scanned("unknown", candidate, InvalidInput(UNKNOWN_CODE, "code", given=text.strip()[:40]))
        return Scanned("evidence", candidate, refused)
