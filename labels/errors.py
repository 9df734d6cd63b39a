"""The label layer's exception family.

Every refusal of ``labels`` is a :class:`LabelError`; an entry point maps the class to a message and
never needs to look inside. Nothing was printed or written when one is raised by rendering; a
:class:`PrinterError` means the job did not reach the printer and may be sent again.
"""

from __future__ import annotations


class LabelError(Exception):
    """Base of every refusal by the label layer."""

    code = "label-error"


class InvalidLabel(LabelError):
    """A label's values are wrong: a mistyped evidence number, a character a barcode cannot carry."""

    code = "invalid-label"


class MissingGlyph(LabelError):
    """The label font has no glyph for a character: printing it would show an empty box."""

    code = "missing-glyph"


class DoesNotFit(LabelError):
    """The content does not fit the layout with the sizes and quiet zones the layout requires."""

    code = "label-does-not-fit"


class PrinterError(LabelError):
    """The bytes did not reach the printer (refused, dropped, queue unknown); the job may be retried."""

    code = "printer-error"
