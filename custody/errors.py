"""The custody domain's exception family, and the messages its refusals carry.

Every refusal of the domain is a :class:`CustodyError`, raised before anything is written (or with the
transaction rolled back), so a refusal never leaves a partial record. Entry points (CLI, HTTP) map each
class by its ``code`` to a stable message or problem type and never need to look inside other exceptions.

A refusal carries a :class:`Message`: a stable ``key`` (``"item.unknown"``) and typed parameters
(``evidence_no="F2201…"``) beside the English text made from them, so a desk can show the refusal in
another language from its own catalogue without matching English text. Messages are declared once, as
module constants beside the code that raises them, and every key is registered here
(:data:`MESSAGES`): a key declared twice, or a refusal raised without the parameters its text names, is
an error.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field

Param = str | int | float | bool | None

MESSAGES: dict[str, Message] = {}


@dataclass(frozen=True, slots=True)
class Message:
    """A refusal's stable key and its English text, with ``{name}`` placeholders for its parameters."""

    key: str
    text: str
    params: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = frozenset(name for _, name, _, _ in string.Formatter().parse(self.text) if name)
        object.__setattr__(self, "params", names)
        if self.key in MESSAGES and MESSAGES[self.key] != self:
            raise ValueError(f"message key {self.key} declared twice")
        MESSAGES[self.key] = self

    def render(self, params: Mapping[str, Param]) -> str:
        missing = self.params - params.keys()
        if missing:
            raise TypeError(f"message {self.key} needs {', '.join(sorted(missing))}")
        return self.text.format_map(params)


class CustodyError(Exception):
    """Base of every refusal by the custody domain. Nothing was written when one is raised.

    Raised with a :class:`Message` and its parameters (``UnknownItem(UNKNOWN_ITEM, evidence_no=n)``), or,
    where no message is declared yet, with plain English text (its key is then the class's ``code``).
    """

    code = "custody-error"

    def __init__(self, message: Message | str, /, **params: Param) -> None:
        if isinstance(message, Message):
            text = message.render(params)
            self.key = message.key
        else:
            text = message
            self.key = self.code
        super().__init__(text)
        self.params: dict[str, Param] = dict(params)

    def audit_note(self) -> str:
        """What the access log keeps of this refusal beside the request (never a secret)."""
        return self.code


class InvalidInput(CustodyError):
    """A request that is malformed or misses a field; ``field`` names it where one is to blame."""

    code = "invalid-input"

    def __init__(self, message: Message | str, /, field: str | None = None, **params: Param) -> None:
        super().__init__(message, **params)
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
