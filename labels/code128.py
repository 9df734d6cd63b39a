"""Code 128 symbols from python-barcode's encoder, as bars rather than pictures.

python-barcode chooses the code sets (C for runs of digits, so an evidence number packs two digits a
symbol character); this module keeps its symbol values and module pattern and turns them into the
two things the renderers need: bar runs for vector drawing and ZPL ``^BC`` field data that asks the
printer for exactly the same code sets, so PDF and ZPL draw the same symbol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from barcode.charsets import code128 as charset
from barcode.codex import Code128

from labels.errors import InvalidLabel

#: Minimum quiet zone on each side, in modules (ISO/IEC 15417).
QUIET_ZONE_MODULES = 10

_START = {103: ">9", 104: ">:", 105: ">;"}  # ZPL start code invocations: A, B, C
# Code-set switches by current set; 100 in set B and 101 in set A are FNC4, 99 in set C is "99".
_SWITCHES = {"A": {99: "C", 100: "B"}, "B": {99: "C", 101: "A"}, "C": {100: "B", 101: "A"}}
_ZPL_SWITCH = {"A": ">7", "B": ">6", "C": ">5"}
_STOP = charset.STOP + "11"  # python-barcode's stop character plus its final bar
_BARS = re.compile("1+")


@dataclass(frozen=True, slots=True)
class Symbol:
    """One Code 128 symbol: the text, its symbol values (start … check digit) and its modules."""

    text: str
    values: tuple[int, ...]
    modules: str  # ``1`` for a bar, start character to stop character inclusive

    @property
    def width(self) -> int:
        """Width in modules, without quiet zones."""
        return len(self.modules)

    def bars(self) -> list[tuple[int, int]]:
        """Each bar as ``(first module, width in modules)``, left to right."""
        return [(m.start(), m.end() - m.start()) for m in _BARS.finditer(self.modules)]

    def zpl_data(self) -> str:
        """``^FD`` data for ``^BC`` with no mode: explicit start and code-set switches."""
        parts = [_START[self.values[0]]]
        code_set = "ABC"[self.values[0] - 103]
        for value in self.values[1:-1]:
            if value in _SWITCHES[code_set]:
                code_set = _SWITCHES[code_set][value]
                parts.append(_ZPL_SWITCH[code_set])
            elif code_set == "C":
                parts.append(f"{value:02d}")
            elif code_set == "B" and value < 95 and chr(value + 32) not in "^~":
                parts.append("><" if value == 30 else chr(value + 32))  # ">" starts an invocation
            else:
                raise InvalidLabel(f"{self.text!r} needs Code 128 characters the ZPL output does not carry")
        return "".join(parts)


def text_of(values: tuple[int, ...] | list[int]) -> str:
    """The text that symbol values (start character, data, no check character) read as."""
    code_set, text = "ABC"[values[0] - 103], []
    for value in values[1:]:
        if value in _SWITCHES[code_set]:
            code_set = _SWITCHES[code_set][value]
        elif code_set == "C" and value < 100:
            text.append(f"{value:02d}")
        elif code_set == "B" and value < 95:
            text.append(chr(value + 32))
        elif code_set == "A" and value < 96:
            text.append(chr(value + 32) if value < 64 else chr(value - 64))
        else:
            text.append("\ufffd")  # a function character: never equal to printable text
    return "".join(text)


def encode(text: str) -> Symbol:
    """Encode ``text`` (printable ASCII) as a Code 128 symbol with its check character.

    The symbol is read back before it is returned: a symbol that would scan as anything other than
    ``text`` is never drawn.
    """
    if not text or not all(" " <= ch <= "~" for ch in text):
        raise InvalidLabel(f"{text!r} cannot be encoded in Code 128: printable ASCII only")
    values = list(Code128(text).encoded)
    if values[0] == 105 and text.startswith("99") and text_of(values) != text:
        values.insert(1, 99)  # python-barcode 0.16 drops a leading "99" pair (its issue #251)
    if text_of(values) != text:
        raise InvalidLabel(f"the Code 128 encoder produced a symbol for {text!r} that reads differently")
    check = (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103
    values.append(check)
    return Symbol(text, tuple(values), "".join(charset.CODES[v] for v in values) + _STOP)
