"""A long list of plain-text rows drawn straight on the canvas: the flowable for item lists of thousands
of rows, where a platypus ``Table`` (every cell a flowable, measured and split) would cost many times
the drawing itself.

Each cell is one ``drawString``; a cell wider than its column is broken into lines (never cut: a record
is printed whole), the row as tall as its tallest cell. The header is drawn again at the top of every
part the list is split into, so every page of it says what its columns are. Layout is computed once,
when the list is made; a list made with ``draw=False`` lays out exactly alike but draws nothing, for a
pass that only counts pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.platypus import Flowable

from labels.fonts import LabelFont

_PAD = 2.0  # points left of a cell's text
RULE_EVERY = 5  # a light rule under every fifth row, to guide the eye across


def _lines(font: LabelFont, text: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width``: between words, and within a word too long
    for a line (a character wider than the column still gets a line of its own)."""
    if len(text) * size <= width or font.width(text, size) <= width:  # a glyph is at most 1 em wide
        return [text]
    if " " in text.strip():  # between words where it can
        lines: list[str] = []
        for word in text.split():
            if lines and font.width(f"{lines[-1]} {word}", size) <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines += _lines(font, word, size, width)
        return lines
    lines, line, used = [], "", 0.0
    for ch in text:
        advance = font.width(ch, size)
        if line and used + advance > width:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += advance
    lines.append(line)
    return lines


class Layout:
    """The rows of a list laid out in columns: each row's cells as lines, and each row's height."""

    def __init__(
        self,
        font: LabelFont,
        size: float,
        widths: Sequence[float],
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
    ) -> None:
        self.font, self.size, self.widths = font, size, tuple(widths)
        self.leading = size * 1.25
        room = [w - 2 * _PAD for w in widths]
        self.header = [_lines(font, text, size, w) for text, w in zip(header, room, strict=True)]
        self.header_height = self._height(self.header)
        self.cells: list[list[list[str]]] = []
        self.heights: list[float] = []
        simple = self.leading + 2.0
        for row in rows:
            cells = [_lines(font, text, size, w) for text, w in zip(row, room, strict=True)]
            self.cells.append(cells)
            self.heights.append(
                simple if all(len(c) == 1 for c in cells) else max(map(len, cells)) * self.leading + 2.0
            )

    def _height(self, cells: list[list[str]]) -> float:
        return max(map(len, cells)) * self.leading + 2.0


class RowList(Flowable):  # type: ignore[misc]
    """Rows ``start`` to ``stop`` of a :class:`Layout`, with the header above them."""

    def __init__(self, layout: Layout, start: int = 0, stop: int | None = None, draw: bool = True) -> None:
        super().__init__()
        self.layout = layout
        self.start = start
        self.stop = len(layout.heights) if stop is None else stop
        self.drawing = draw

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = sum(self.layout.widths)
        self.height = self.layout.header_height + sum(self.layout.heights[self.start : self.stop])
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Any]:
        room = available_height - self.layout.header_height
        heights = self.layout.heights
        end = self.start
        while end < self.stop and room >= heights[end]:
            room -= heights[end]
            end += 1
        if end == self.start:
            return []  # not even one row fits here: the list begins on the next page
        if end == self.stop:
            return [self]
        return [
            RowList(self.layout, self.start, end, self.drawing),
            RowList(self.layout, end, self.stop, self.drawing),
        ]

    def draw(self) -> None:
        if not self.drawing:
            return
        layout, canvas = self.layout, self.canv
        width = sum(layout.widths)
        top = self.height
        canvas.setFillGray(0.9)
        canvas.rect(0, top - layout.header_height, width, layout.header_height, stroke=0, fill=1)
        canvas.setFillGray(0)
        # one text object for every cell of the part: a cell is a move and a string in it
        text = canvas.beginText()
        text.setFont(layout.font.name, layout.size)
        top = self._row(text, layout.header, top, layout.header_height)
        rules = [top]
        for index in range(self.start, self.stop):
            top = self._row(text, layout.cells[index], top, layout.heights[index])
            if (index + 1) % RULE_EVERY == 0 or index + 1 == self.stop:
                rules.append(top)
        canvas.drawText(text)
        canvas.setLineWidth(0.3)
        canvas.setStrokeGray(0.6)
        canvas.lines([(0, y, width, y) for y in rules])

    def _row(self, text: Any, cells: list[list[str]], top: float, height: float) -> float:
        layout = self.layout
        x = _PAD
        baseline = top - layout.size - 0.5
        for lines, width in zip(cells, layout.widths, strict=True):
            y = baseline
            for line in lines:
                if line:
                    text.setTextOrigin(x, y)
                    text.textOut(line)
                y -= layout.leading
            x += width
        return top - height
