"""The report layer's exception family.

Every refusal of ``reports`` is a :class:`ReportError` (a :class:`ValueError`: the values given cannot
make the document), raised before any byte is returned, so a refused document is never half-made. An
entry point maps the class by its ``code`` to a message and never needs to look inside.
"""

from __future__ import annotations


class ReportError(ValueError):
    """Base of every refusal by the report layer."""

    code = "report-error"


class EmptySlip(ReportError):
    """A handover slip without items: there is nothing to hand over, so nothing to sign for."""

    code = "empty-slip"


class UnprintableText(ReportError):
    """A value holds a character the document font has no glyph for: it would print as an empty box."""

    code = "unprintable-text"


class UnbalancedBatch(ReportError):
    """A destruction batch report whose figures do not add up: its rows to its totals, or its totals to
    its item list (approved = destroyed + withdrawn + still approved, in items and in rounds)."""

    code = "unbalanced-batch"
