"""The text policy: what a stored string may contain, and how long each field may be.

Every string the service stores (item fields, case numbers and titles, names, reasons and notes, scan
fields, search text) passes :func:`clean` with its field's limit, in the core and, with the same
limits, in the API's request schemas (``api.schemas``), so both refuse the same input with the same
words. A value

- is normalised to Unicode NFC (one spelling for every character) and trimmed of surrounding
  whitespace (ideographic space included);
- is refused when it holds a character that hides or disguises text: controls (C0, C1, DEL, NUL),
  format characters (bidi embeddings, overrides, isolates and marks, zero-width characters, the
  byte-order mark, invisible tag characters), line and paragraph separators (U+2028, U+2029) and lone
  surrogates. Multi-line fields (descriptions, notes, reasons) keep line feeds and tabs; a CR LF pair
  is taken as a line feed;
- is refused when blank if the field is required, and when longer than its field's limit (counted in
  characters after normalisation).

The refused set is the Unicode general categories Cc, Cf, Cs, Zl and Zp; the table below spells it
out as ranges (a test checks it against Python's Unicode database).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from custody.errors import InvalidInput, Message, TextRefused

# One message per kind of refusal; ``name`` is the field refused.
TEXT_REQUIRED = Message("text.required", "{name} is required")
TEXT_BLANK = Message("text.blank", "{name} is required (blank)")
TEXT_NOT_TEXT = Message("text.not_text", "{name} must be text")
TEXT_TOO_LONG = Message("text.too_long", "{name} is longer than {max_length} characters")
TEXT_INVISIBLE = Message(
    "text.invisible_character", "{name} contains a control, format or invisible character (U+{codepoint:04X})"
)

# Unicode categories Cc, Cf, Cs, Zl, Zp as ranges (Unicode 15).
_REFUSED_RANGES = (
    (0x0000, 0x001F),  # C0 controls, NUL included
    (0x007F, 0x009F),  # DEL and the C1 controls
    (0x00AD, 0x00AD),  # soft hyphen
    (0x0600, 0x0605),  # Arabic number signs
    (0x061C, 0x061C),  # Arabic letter mark (bidi)
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; left-to-right and right-to-left marks
    (0x2028, 0x202E),  # line and paragraph separators; bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner and invisible operators
    (0x2066, 0x206F),  # bidi isolates and deprecated format characters
    (0xD800, 0xDFFF),  # lone surrogates
    (0xFEFF, 0xFEFF),  # byte-order mark, zero-width no-break space
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),  # language tag
    (0xE0020, 0xE007F),  # tag characters (invisible text)
)
_MULTILINE_ALLOWED = frozenset("\n\t")


def _class(ranges: tuple[tuple[int, int], ...], keep: frozenset[str] = frozenset()) -> re.Pattern[str]:
    parts: list[str] = []
    for low, high in ranges:
        start = low
        for kept in sorted(ord(c) for c in keep if low <= ord(c) <= high):
            if start < kept:
                parts.append(f"{re.escape(chr(start))}-{re.escape(chr(kept - 1))}")
            start = kept + 1
        if start <= high:
            parts.append(f"{re.escape(chr(start))}-{re.escape(chr(high))}")
    return re.compile("[" + "".join(parts) + "]")


_REFUSED = _class(_REFUSED_RANGES)
_REFUSED_MULTILINE = _class(_REFUSED_RANGES, _MULTILINE_ALLOWED)


@dataclass(frozen=True)
class TextField:
    """A stored text field: its name, its limit in characters, whether it may span lines."""

    name: str
    max_length: int
    multiline: bool = False


NAME_LENGTH = 200  # names, types, makes, serial numbers, calibres, reasons of one line
LONG_LENGTH = 2000  # descriptions, notes, reasons
IDENTIFIER_LENGTH = 64  # usernames, case numbers
PASSWORD_LENGTH = 256  # passwords (argon2 hashes them; longer is no safer, only slower)
DEVICE_LENGTH = 128
IDEMPOTENCY_KEY_LENGTH = 128


def _fields(*entries: TextField) -> dict[str, TextField]:
    return {entry.name: entry for entry in entries}


FIELDS: dict[str, TextField] = _fields(
    # people, units, cases
    TextField("username", IDENTIFIER_LENGTH),
    TextField("full_name", NAME_LENGTH),
    TextField("name_zh", NAME_LENGTH),
    TextField("name_en", NAME_LENGTH),
    TextField("note", LONG_LENGTH, multiline=True),
    TextField("case_no", IDENTIFIER_LENGTH),
    TextField("title", NAME_LENGTH),
    TextField("judgment_no", NAME_LENGTH),
    # items
    TextField("firearm_type", NAME_LENGTH),
    TextField("make_model", NAME_LENGTH),
    TextField("serial_number", NAME_LENGTH),
    TextField("calibre", NAME_LENGTH),
    TextField("headstamp_lot", NAME_LENGTH),
    TextField("description", LONG_LENGTH, multiline=True),
    TextField("source_maker", NAME_LENGTH),
    TextField("source_workshop", NAME_LENGTH),
    TextField("source_route", NAME_LENGTH),
    TextField("source_seller", NAME_LENGTH),
    TextField("source_notes", LONG_LENGTH, multiline=True),
    # acts
    TextField("reason", LONG_LENGTH, multiline=True),
    TextField("to", NAME_LENGTH),
    TextField("receiver", IDENTIFIER_LENGTH),
    TextField("witness", IDENTIFIER_LENGTH),
    # stations and scans
    TextField("station", IDENTIFIER_LENGTH),
    TextField("device", DEVICE_LENGTH),
    TextField("devices", DEVICE_LENGTH),
    TextField("idempotency_key", IDEMPOTENCY_KEY_LENGTH),
    TextField("code", 512),
    TextField("text", 512),
    TextField("symbology", 8),
    TextField("device_time", 64),
    # search
    TextField("q", NAME_LENGTH),
)
DEFAULT = TextField("", NAME_LENGTH)


def field(name: str) -> TextField:
    """The policy of a field (a source field ``source.maker`` is ``source_maker``); unknown names get
    the default one-line limit."""
    found = FIELDS.get(name)
    return found if found is not None else FIELDS.get(name.replace(".", "_"), DEFAULT)


# Every character the policy refuses is unprintable to Python (``str.isprintable``), in the Unicode
# version of the running interpreter (checked here, not assumed): a printable value holds none of them.
_PRINTABLE_IS_PLAIN = not any(
    chr(code).isprintable() for low, high in _REFUSED_RANGES for code in range(low, high + 1)
)


def normalised(value: str, policy: TextField, *, required: bool = False) -> str:
    """``value`` as stored under ``policy``: NFC, trimmed, checked. Raises :class:`TextRefused`.

    A printable value (no control, format or separator character, so nothing to refuse and no CR LF
    to fold) within its limits takes a short way to the same answer: ASCII is NFC as it stands."""
    if _PRINTABLE_IS_PLAIN and value.isprintable():
        cleaned = (value if value.isascii() else unicodedata.normalize("NFC", value)).strip()
        if cleaned and len(cleaned) <= policy.max_length and len(value) <= 4 * policy.max_length + 16:
            return cleaned
    return normalised_in_full(value, policy, required=required)


def normalised_in_full(value: str, policy: TextField, *, required: bool = False) -> str:
    """:func:`normalised` without its short way for printable values (each step of the policy)."""
    if len(value) > 4 * policy.max_length + 16:  # refuse the absurd before normalising it
        raise TextRefused(TEXT_TOO_LONG, max_length=policy.max_length)
    if policy.multiline:
        value = value.replace("\r\n", "\n")
    pattern = _REFUSED_MULTILINE if policy.multiline else _REFUSED
    found = pattern.search(value)
    if found is not None:
        raise TextRefused(TEXT_INVISIBLE, codepoint=ord(found[0]))
    value = unicodedata.normalize("NFC", value).strip()
    if required and not value:
        raise TextRefused(TEXT_BLANK)
    if len(value) > policy.max_length:
        raise TextRefused(TEXT_TOO_LONG, max_length=policy.max_length)
    return value


def clean(value: object, name: str, *, required: bool = False, policy: TextField | None = None) -> str | None:
    """A field's value as stored (None when absent or blank and not required).

    Raises :class:`~custody.errors.InvalidInput` naming the field."""
    if value is None:
        if required:
            raise InvalidInput(TEXT_REQUIRED, field=name, name=name)
        return None
    if not isinstance(value, str):
        raise InvalidInput(TEXT_NOT_TEXT, field=name, name=name)
    if not value and not required:  # empty: absent, as the policy would answer
        return None
    try:
        cleaned = normalised(value, policy or field(name), required=required)
    except TextRefused as refused:
        raise refused.of_field(name) from None
    return cleaned or None


def shown(value: str, limit: int) -> str:
    """Text recorded as received (paths, queries, devices in the access log): at most ``limit``
    characters, each character the policy refuses replaced by U+FFFD, so it cannot disguise itself."""
    return _REFUSED.sub("\ufffd", value[:limit])


def is_plain(*values: str) -> bool:
    """Whether no value holds a character the policy refuses (one search over them all)."""
    return _REFUSED.search("".join(values)) is None


def require_plain(value: str, name: str) -> None:
    """Refuse a value holding any character the policy refuses (for values already cleaned upstream,
    checked again where they are stored)."""
    found = _REFUSED.search(value)
    if found is not None:
        raise InvalidInput(TEXT_INVISIBLE, field=name, name=name, codepoint=ord(found[0]))
