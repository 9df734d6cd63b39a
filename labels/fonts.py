"""The label font: one embedded TrueType face that covers Chinese, Latin letters and digits.

reportlab embeds TrueType (glyf) outlines only, not CFF ones such as Noto CJK OTF, so the default is
WenQuanYi Zen Hei (Debian ``fonts-wqy-zenhei``), subfont 0 of its TTC. Text is checked against the
font's character map before anything is drawn: a character without a glyph is refused with
:class:`~labels.errors.MissingGlyph`, never printed as an empty box.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from labels.errors import LabelError, MissingGlyph

DEFAULT_FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
DEFAULT_FONT_NAME = "WenQuanYiZenHei"


@dataclass(eq=False)
class LabelFont:
    """A registered TrueType font with its character coverage and metrics (sizes in any unit)."""

    name: str
    ttf: TTFont
    ascent: float  # fraction of the em above the baseline
    _glyphs: frozenset[int] = field(repr=False)
    _widths: dict[int, float] = field(repr=False)
    _default_width: float = field(repr=False)

    def check(self, text: str, *, what: str = "text") -> str:
        """Return ``text`` if every character has a glyph; otherwise say which one does not."""
        glyphs = self._glyphs
        if glyphs.issuperset(map(ord, text)):
            return text
        for ch in text:
            if ord(ch) not in glyphs:
                raise MissingGlyph(
                    f"{what} {text!r}: character {ch!r} (U+{ord(ch):04X}) has no glyph in font "
                    f"{self.name}; refusing to print an empty box"
                )
        return text

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` at em size ``size``, in the unit of ``size``."""
        widths, default = self._widths, self._default_width
        return sum(widths.get(ord(ch), default) for ch in text) * size / 1000.0


def load_font(
    path: Path | str = DEFAULT_FONT_PATH, *, name: str = DEFAULT_FONT_NAME, subfont: int = 0
) -> LabelFont:
    """Load and register a TrueType font (a TTC needs its subfont index) for labels."""
    path = Path(path)
    if not path.is_file():
        raise LabelError(f"label font {path} not found (Debian: apt-get install fonts-wqy-zenhei)")
    try:
        ttf = TTFont(name, str(path), subfontIndex=subfont)
    except Exception as error:  # reportlab raises TTFError and plain exceptions for unusable files
        raise LabelError(f"label font {path} (subfont {subfont}) cannot be embedded: {error}") from error
    pdfmetrics.registerFont(ttf)
    face = ttf.face
    # Control and format characters print nothing visible even where the font maps them.
    glyphs = frozenset(
        code
        for code, glyph in face.charToGlyph.items()
        if glyph and unicodedata.category(chr(code)) not in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co"}
    )
    return LabelFont(
        name=name,
        ttf=ttf,
        ascent=face.ascent / 1000.0,
        _glyphs=glyphs,
        _widths=dict(face.charWidths),
        _default_width=float(face.defaultWidth),
    )


@cache
def default_font() -> LabelFont:
    """The default label font, loaded once per process."""
    return load_font()
