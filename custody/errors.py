"""The custody domain's exception family.

Every refusal of the domain is a :class:`CustodyError`; entry points (CLI, HTTP) map each class to a
stable message or problem type and never need to look inside other exceptions.
"""

from __future__ import annotations


class CustodyError(Exception):
    """Base of every refusal by the custody domain. Nothing was written when one is raised."""

    code = "custody-error"


class InvalidInput(CustodyError):
    code = "invalid-input"


class InvalidEvidenceNumber(InvalidInput):
    code = "invalid-evidence-number"
