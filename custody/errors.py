"""The custody domain's exception family.

Every refusal of the domain is a :class:`CustodyError`, raised before anything is written (or with the
transaction rolled back), so a refusal never leaves a partial record. Entry points (CLI, HTTP) map each
class by its ``code`` to a stable message or problem type and never need to look inside other exceptions.
"""

from __future__ import annotations


class CustodyError(Exception):
    """Base of every refusal by the custody domain. Nothing was written when one is raised."""

    code = "custody-error"

    def audit_note(self) -> str:
        """What the access log keeps of this refusal beside the request (never a secret)."""
        return self.code


class InvalidInput(CustodyError):
    """A request that is malformed or misses a field; ``field`` names it where one is to blame."""

    code = "invalid-input"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidEvidenceNumber(InvalidInput):
    code = "invalid-evidence-number"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="evidence_no")


class NotFound(CustodyError):
    """The thing does not exist, or lies outside the caller's scope (the two are not told apart)."""

    code = "not-found"


class UnknownItem(NotFound):
    code = "unknown-item"


class UnknownCase(NotFound):
    code = "unknown-case"


class UnknownUnit(NotFound):
    code = "unknown-unit"


class UnknownUser(NotFound):
    code = "unknown-user"


class AlreadyExists(CustodyError):
    code = "already-exists"


class UsernameUnavailable(AlreadyExists):
    """The username is taken (usernames are unique province-wide). Only administrators, who create
    users, ever get this answer, and it is recorded in the access log with the name: it is the one
    accepted signal that a name exists outside one's scope."""

    code = "username-unavailable"

    def __init__(self, username: str) -> None:
        super().__init__(f"username {username} is not available")
        self.username = username

    def audit_note(self) -> str:
        return f"{self.code}: {self.username}"


class NotPermitted(CustodyError):
    """The acting user lacks the role, or the act lies outside the user's unit."""

    code = "not-permitted"


class IllegalTransition(CustodyError):
    """The act is not allowed from the item's current lifecycle state."""

    code = "illegal-transition"


class TransitionRefused(CustodyError):
    """The act is allowed from this state, but one of its conditions does not hold."""

    code = "transition-refused"


class StaleVersion(CustodyError):
    """The item changed since the caller read it: read it again and decide again."""

    code = "conflict"


class IdempotencyConflict(CustodyError):
    """An idempotency key reused for a different request."""

    code = "idempotency-conflict"


class LedgerError(CustodyError):
    code = "ledger-error"


class UnrecordableEvent(InvalidInput):
    """An event the ledger cannot record as given: a value its canonical encoding cannot hold (text that
    is not valid Unicode, a payload that is not JSON). Refused inside the write, so nothing of the act is
    written."""
