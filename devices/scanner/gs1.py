"""GS1 element strings, as GS1-128, GS1 DataBar, GS1 DataMatrix and GS1 QR carry them.

Commercial ammunition boxes print GTIN (01), batch or lot (10), expiry (17) and serial (21) this way.
An element string is a run of ``AI + data`` pairs. How many digits the AI has follows from its first
two digits; whether its data has a predefined length also follows from them (GS1 General
Specifications, "predefined length" table); every other field ends at a GS (0x1D, the transmitted
FNC1) or at the end of the data. So the string splits even for AIs this table does not name; the
ones it does name are also checked for length, digits, dates and check digits, since a damaged
element string is a damaged scan.
"""

from __future__ import annotations

from typing import NamedTuple

from devices.scanner.errors import Gs1Error

GS = "\x1d"

# How many digits an AI has, by its first two digits.
_AI_DIGITS: dict[str, int] = {
    **{f"{n:02d}": 2 for n in (0, 1, 2, 3, 4, 10, 11, 12, 13, 15, 16, 17, 20, 21, 22, 30, 37)},
    **{f"{n:02d}": 2 for n in range(90, 100)},
    **{f"{n:02d}": 3 for n in (23, 24, 25, 40, 41, 42, 71)},
    **{f"{n:02d}": 4 for n in (31, 32, 33, 34, 35, 36, 39, 43, 70, 72, 80, 81, 82)},
}

# Data length of the AIs whose length is predefined, by their first two digits.
# fmt: off
_PREDEFINED: dict[str, int] = {
    "00": 18, "01": 14, "02": 14, "03": 14, "04": 16,
    "11": 6, "12": 6, "13": 6, "15": 6, "16": 6, "17": 6, "20": 2,
    **{f"{n}": 6 for n in range(31, 37)},
    "41": 13,
}
# fmt: on


class _Spec(NamedTuple):
    max_length: int
    numeric: bool = False
    """Every character is a digit."""
    lead_digits: int = 0
    """The first this many characters are digits (a GLN or GTIN before free text)."""
    check_digit: bool = False
    """The last of the leading digits (of all of them if numeric) is a GS1 mod-10 check digit."""
    date: bool = False
    """YYMMDD, the day may be 00."""


_N = True
_SPECS: dict[str, _Spec] = {
    "00": _Spec(18, _N, check_digit=True),
    **{ai: _Spec(14, _N, check_digit=True) for ai in ("01", "02", "03")},
    **{ai: _Spec(6, _N, date=True) for ai in ("11", "12", "13", "15", "16", "17")},
    "20": _Spec(2, _N),
    **{ai: _Spec(20) for ai in ("10", "21", "22", "243", "254", "420")},
    "235": _Spec(28),
    **{ai: _Spec(30) for ai in ("240", "241", "250", "251", "400", "401", "403", "8004", "90")},
    "242": _Spec(6, _N),
    "253": _Spec(30, lead_digits=13, check_digit=True),
    "255": _Spec(25, _N, lead_digits=13, check_digit=True),
    "30": _Spec(8, _N),
    **{f"{n}": _Spec(6, _N) for n in range(31, 37)},
    "37": _Spec(8, _N),
    "39": _Spec(18, _N),
    "402": _Spec(17, _N, check_digit=True),
    **{f"41{n}": _Spec(13, _N, check_digit=True) for n in range(8)},
    "421": _Spec(12, lead_digits=3),
    **{ai: _Spec(3, _N) for ai in ("422", "424", "426")},
    **{ai: _Spec(15, _N) for ai in ("423", "425")},
    "427": _Spec(3),
    "7003": _Spec(10, _N),
    "8020": _Spec(25),
}
_ANY = _Spec(90)


def _spec(ai: str) -> _Spec:
    return _SPECS.get(ai) or _SPECS.get(ai[:3]) or _SPECS.get(ai[:2]) or _ANY


def gs1_check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of ``digits`` (weights 3, 1, 3, ... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _validate(ai: str, value: str, spec: _Spec) -> None:
    if not value:
        raise Gs1Error(f"AI ({ai}) has no data")
    if len(value) > spec.max_length:
        raise Gs1Error(f"AI ({ai}) allows at most {spec.max_length} characters, got {len(value)}")
    if spec.numeric and not _is_digits(value):
        raise Gs1Error(f"AI ({ai}) is numeric, got {value!r}")
    lead = value[: spec.lead_digits] if spec.lead_digits else value
    if spec.lead_digits and (len(lead) < spec.lead_digits or not _is_digits(lead)):
        raise Gs1Error(f"AI ({ai}) starts with {spec.lead_digits} digits, got {value!r}")
    if spec.check_digit and gs1_check_digit(lead[:-1]) != lead[-1]:
        raise Gs1Error(f"AI ({ai}) check digit is wrong in {value!r}")
    if spec.date and not (1 <= int(value[2:4]) <= 12 and int(value[4:6]) <= 31):
        raise Gs1Error(f"AI ({ai}) is not a YYMMDD date: {value!r}")


def parse_element_string(data: str) -> dict[str, str]:
    """Split ``data`` into application identifier -> value, in the order they appear.

    A leading GS (some scanners send the first FNC1) and a GS after a predefined-length field are
    accepted. Raises :class:`~devices.scanner.errors.Gs1Error` for anything that is not a valid
    element string, so that a damaged GS1 code is never delivered as one.
    """
    fields: dict[str, str] = {}
    pos = 1 if data.startswith(GS) else 0
    if pos >= len(data):
        raise Gs1Error("no GS1 data")
    while pos < len(data):
        digits = _AI_DIGITS.get(data[pos : pos + 2])
        ai = data[pos : pos + digits] if digits else ""
        if not digits or len(ai) < digits or not (ai.isascii() and ai.isdigit()):
            raise Gs1Error(f"no application identifier at position {pos}: {data[pos : pos + 4]!r}")
        pos += digits
        fixed = _PREDEFINED.get(ai[:2])
        if fixed is not None:
            value = data[pos : pos + fixed]
            if len(value) < fixed:
                raise Gs1Error(f"AI ({ai}) needs {fixed} characters, got {len(value)}")
            pos += fixed
            if data.startswith(GS, pos):
                pos += 1
        else:
            end = data.find(GS, pos)
            end = len(data) if end < 0 else end
            value = data[pos:end]
            pos = end + 1
        if GS in value:
            raise Gs1Error(f"AI ({ai}) data holds a GS: {value!r}")
        _validate(ai, value, _spec(ai))
        if fields.setdefault(ai, value) != value:
            raise Gs1Error(f"AI ({ai}) appears twice with different values")
    return fields
