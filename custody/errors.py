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


class TextRefused(ValueError):
    """A value the text policy (:mod:`custody.text`) refuses; the message says why, without the value.
    A ``ValueError``, so a request model's validator turns it into a field's validation error; the
    core turns it into :class:`InvalidInput` naming the field (:meth:`of_field`).

    Its ``message`` names the field as ``{name}``; its own text leaves the name out ("is longer than
    200 characters")."""

    def __init__(self, message: Message, /, **params: Param) -> None:
        super().__init__(message.render({**params, "name": ""}).lstrip())
        self.message = message
        self.params: dict[str, Param] = dict(params)

    def of_field(self, name: str) -> InvalidInput:
        """The refusal of field ``name`` holding the refused value."""
        return InvalidInput(self.message, field=name, name=name, **self.params)


class InvalidEvidenceNumber(InvalidInput):
    code = "invalid-evidence-number"

    def __init__(self, message: Message | str, /, **params: Param) -> None:
        super().__init__(message, field="evidence_no", **params)


class InvalidSealNumber(InvalidInput):
    code = "invalid-seal-number"

    def __init__(self, message: Message | str, /, **params: Param) -> None:
        super().__init__(message, field="seal_no", **params)


class InvalidLocationCode(InvalidInput):
    code = "invalid-location-code"

    def __init__(self, message: Message | str, /, **params: Param) -> None:
        super().__init__(message, field="location_code", **params)


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


USERNAME_UNAVAILABLE = Message("user.username_unavailable", "username {username} is not available")


class UsernameUnavailable(AlreadyExists):
    """The username is taken (usernames are unique province-wide). Only administrators, who create
    users, ever get this answer, and it is recorded in the access log with the name: it is the one
    accepted signal that a name exists outside one's scope."""

    code = "username-unavailable"

    def __init__(self, username: str) -> None:
        super().__init__(USERNAME_UNAVAILABLE, username=username)
        self.username = username

    def audit_note(self) -> str:
        return f"{self.code}: {self.username}"


class NotPermitted(CustodyError):
    """The acting user lacks the role, or the act lies outside the user's unit."""

    code = "not-permitted"


# ------------------------------------------------------------------ who acts: users, sessions, stations


class NotAuthenticated(CustodyError):
    """No credentials, or a session token or station key that is unknown, expired or revoked."""

    code = "unauthenticated"


LOGIN_FAILED = Message(
    "auth.login_failed", "wrong username or password, or the account is locked or inactive"
)


class LoginFailed(NotAuthenticated):
    """Wrong username or password, or an inactive or locked account (deliberately not told apart).

    ``user_id`` and ``unit_code`` name the account when one exists, for the access log only.
    """

    code = "login-failed"

    def __init__(self, user_id: int | None = None, unit_code: str | None = None) -> None:
        super().__init__(LOGIN_FAILED)
        self.user_id = user_id
        self.unit_code = unit_code


LOGIN_THROTTLED = Message(
    "auth.login_throttled", "too many failed logins from this address: try again in {retry_after_s} s"
)


class LoginThrottled(CustodyError):
    """Too many failed logins from one client address: wait ``retry_after_s`` seconds."""

    code = "too-many-attempts"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(LOGIN_THROTTLED, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


SECOND_PERSON_NOT_CONFIRMED = Message(
    "auth.second_person_not_confirmed",
    "the {part} was not confirmed: wrong username or password, or the account is locked or inactive",
)


class SecondPersonNotConfirmed(InvalidInput):
    """The second person of a two-person act (a receiver, a witness) did not prove who they are: wrong
    username or password, an account locked, inactive or outside the actor's scope (not told apart).
    ``field`` names the password field (``receiver_password``, ``witness_password``)."""

    code = "second-person-not-confirmed"

    def __init__(self, part: str, field: str | None = None) -> None:
        super().__init__(SECOND_PERSON_NOT_CONFIRMED, field=field or f"{part}_password", part=part)


class UnknownStation(NotFound):
    code = "unknown-station"


class StationRevoked(NotAuthenticated):
    """The station's key was revoked after the service last checked it."""


class DeviceNotBound(NotPermitted):
    """The station named a device that is not one of its own."""

    code = "device-not-bound"


class UnknownDevice(NotFound):
    """An administrator named a device that is not bound to the station."""

    code = "unknown-device"


class StationChangeRefused(CustodyError):
    """The station's state does not allow the change: a revoked station, its last device, a device
    bound already, or a change made by someone else meanwhile. Nothing was written."""

    code = "station-change-refused"


class NotADemoDatabase(NotPermitted):
    """The demo was pointed at a database holding something it did not create."""


class DemoAccountsActive(NotPermitted):
    """A service without the demo was started on a database where demo accounts are active."""


class IllegalTransition(CustodyError):
    """The act is not allowed from the item's current lifecycle state."""

    code = "illegal-transition"


class TransitionRefused(CustodyError):
    """The act is allowed from this state, but one of its conditions does not hold."""

    code = "transition-refused"


@dataclass(frozen=True, slots=True)
class ItemRefusal:
    """Why one item of a list act was refused: the item's number and the refusal's key, text and
    parameters."""

    evidence_no: str
    code: str
    key: str
    text: str
    params: Mapping[str, Param]

    @classmethod
    def of(cls, evidence_no: str, error: CustodyError) -> ItemRefusal:
        return cls(evidence_no, error.code, error.key, str(error), dict(error.params))


LIST_REFUSED = Message(
    "act.list_refused", "{event} refused for {count} of {total} items, nothing recorded: {reasons}"
)


class ListRefused(TransitionRefused):
    """An act on a list of items refused as a whole: every refused item with its reason (nothing of the
    list is written)."""

    code = "list-refused"

    def __init__(self, event: str, total: int, refusals: tuple[ItemRefusal, ...]) -> None:
        reasons = "; ".join(f"{r.evidence_no}: {r.text}" for r in refusals)
        super().__init__(LIST_REFUSED, event=event, count=len(refusals), total=total, reasons=reasons)
        self.refusals = refusals


class StaleVersion(CustodyError):
    """The item changed since the caller read it: read it again and decide again."""

    code = "conflict"


class IdempotencyConflict(CustodyError):
    """An idempotency key reused for a different request."""

    code = "idempotency-conflict"


class LedgerError(CustodyError):
    code = "ledger-error"


class ImportRefused(CustodyError):
    """A county's store cannot be moved into this database (nothing of it was written)."""

    code = "import-refused"


class ChainBroken(LedgerError):
    """The ledger does not verify: no checkpoint is made over it."""


class UnrecordableEvent(InvalidInput):
    """An event the ledger cannot record as given: a value its canonical encoding cannot hold (text that
    is not valid Unicode, a payload that is not JSON). Refused inside the write, so nothing of the act is
    written."""


class UnknownLocation(NotFound):
    """No storage location of this code in the caller's scope (answered as ``not-found``)."""


class UnknownSeal(NotFound):
    """No seal of this number in the caller's scope (answered as ``not-found``)."""


class UnknownHandover(NotFound):
    """No such handover in the caller's scope (answered as ``not-found``)."""


class HandoverDecided(TransitionRefused):
    """The handover was accepted or refused already: it is decided once (``transition-refused``)."""


class UnknownAudit(NotFound):
    """No audit of this id in the caller's scope (answered as ``not-found``)."""


class UnknownDiscrepancy(NotFound):
    """No discrepancy of this id in the caller's scope (answered as ``not-found``)."""


class UnknownApplication(NotFound):
    """No destruction application of this id in the caller's scope (answered as ``not-found``)."""


class UnknownBatch(NotFound):
    """No destruction batch of this id in the caller's scope (answered as ``not-found``)."""


class UnknownPhoto(NotFound):
    """No photo of this SHA-256 kept for the batch (answered as ``not-found``)."""


class LabelRefused(CustodyError):
    """An item's label cannot be made (a character its font lacks, text that does not fit the layout)
    or printed (no label printer is configured): nothing was printed."""

    code = "label-refused"


class PrinterFailed(LabelRefused):
    """The label printer (or the print server) did not take the job: nothing was printed; the job may
    be sent again."""

    code = "printer-failed"


class UnknownTagJob(NotFound):
    """No tag-write job of this id in the caller's scope, or of the station's own (``not-found``)."""


class TagJobRefused(CustodyError):
    """A tag-write job that cannot be requested, taken, reported or cancelled as asked (written: nothing)."""

    code = "tag-job-refused"
