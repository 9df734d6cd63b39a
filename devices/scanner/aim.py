"""AIM symbology identifiers (ISO/IEC 15424): the ``]Cm`` a scanner can put in front of each code.

``]`` is followed by a code character naming the symbology and a modifier character whose meaning
depends on it. Some identifiers say the data is a GS1 element string (FNC1 in first position); those
are listed in :data:`GS1_IDENTIFIERS`.
"""

from __future__ import annotations

from typing import NamedTuple

# Code character -> symbology name, with a few (code, modifier) pairs that name a variant.
_SYMBOLOGIES: dict[str, str] = {
    "A": "code39",
    "B": "telepen",
    "C": "code128",
    "D": "code-one",
    "E": "ean-upc",
    "F": "codabar",
    "G": "code93",
    "H": "code11",
    "I": "itf",
    "K": "code16k",
    "L": "pdf417",
    "M": "msi",
    "N": "anker",
    "O": "codablock",
    "P": "plessey",
    "Q": "qr",
    "R": "straight-2of5-2bar",
    "S": "straight-2of5-3bar",
    "X": "other",
    "d": "datamatrix",
    "e": "gs1-databar",
    "z": "aztec",
}
_VARIANTS: dict[str, str] = {
    "]C1": "gs1-128",
    "]E0": "ean-13",
    "]E4": "ean-8",
    "]d2": "gs1-datamatrix",
    "]Q3": "gs1-qr",
}

GS1_IDENTIFIERS: frozenset[str] = frozenset({"]C1", "]e0", "]d2", "]Q3"})
"""Identifiers whose data is a GS1 element string, FNC1 sent as GS (0x1D)."""


class Aim(NamedTuple):
    identifier: str
    """The three characters as sent, e.g. ``]C1``."""
    symbology: str
    """A stable name (``code128``, ``gs1-128``, ``ean-13``, ``qr``, ...); ``aim-X`` when unknown."""
    gs1: bool
    """True when the data is a GS1 element string."""


_known: dict[bytes, Aim] = {}


def split_aim(payload: bytes) -> tuple[Aim, bytes] | None:
    """The AIM identifier at the start of ``payload`` and the data after it; None if there is none.

    An identifier is ``]``, a letter, then a digit or letter. An unknown letter is still an identifier
    (scanners add symbologies faster than tables are updated); its symbology is ``aim-<letter>``.
    """
    head = payload[:3]
    aim = _known.get(head)
    if aim is None:
        if len(head) < 3 or not head.isascii() or head[0] != 0x5D:
            return None
        if not (chr(head[1]).isalpha() and chr(head[2]).isalnum()):
            return None
        identifier = head.decode("ascii")
        name = _VARIANTS.get(identifier) or _SYMBOLOGIES.get(identifier[1]) or f"aim-{identifier[1]}"
        aim = Aim(identifier, name, identifier in GS1_IDENTIFIERS)
        _known[head] = aim
    return aim, payload[3:]
