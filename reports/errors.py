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


class UnbalancedStatistics(ReportError):
    """Statistics whose totals do not add up: a unit's total is not its own figures plus its children's
    totals."""

    code = "unbalanced-statistics"


class EncodingMismatch(ReportError):
    """An event's canonical encoding, as the chain of custody would print it, does not hash to the
    event's hash: the document would contradict itself."""

    code = "encoding-mismatch"


class UnbalancedBatch(ReportError):
    """A destruction batch report whose figures do not add up: its rows to its totals, or its totals to
    its item list (approved = destroyed + withdrawn + still approved, in items and in rounds)."""

    code = "unbalanced-batch"
