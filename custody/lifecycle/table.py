"""The transition table: which act moves an item or a case from which states to which, who may do it,
which conditions must hold, what the ledger keeps of it and what it changes.

An act (a lifecycle act: an :class:`~custody.model.EventType` with its row here) is requested as an
:class:`Attempt` (on an item) or a :class:`CaseAttempt` (on a case). Guards are plain functions of the
attempt that raise a :class:`~custody.errors.CustodyError`; ``record`` turns a checked attempt into the
payload the ledger keeps; ``effect`` turns a subject and a recorded payload into the columns the act
changes. The services and ``custody ledger replay`` apply the same effects, so stored state and ledger
cannot drift apart unnoticed. Rows are registered by :func:`transition` (item rows in
:mod:`custody.lifecycle.items`, case rows in :mod:`custody.lifecycle.cases`); later steps of the
lifecycle register theirs the same way, without editing a central switch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from custody import text
from custody.actors import Actor
from custody.errors import IllegalTransition, InvalidInput, Message, TransitionRefused
from custody.model import CaseStatus, EventType, ItemState, Role
from custody.numbers import ItemKind
from custody.records import Case, Item

NOT_FROM_STATE = Message(
    "act.not_from_state", "{evidence_no} is {state}: cannot be {event} (allowed from {allowed})"
)
NOT_FOR_KIND = Message("act.not_for_kind", "{evidence_no}: {event} does not apply to this kind")
NEEDS_WITNESS = Message("act.needs_witness", "{event} needs a witness")
WITNESS_IS_ACTOR = Message("act.witness_is_actor", "the witness must be another person than the actor")
CASE_NOT_FROM_STATUS = Message("act.case_not_from_status", "case {case_no} is {status}: cannot be {event}")
NOT_AN_ITEM_ACT = Message("act.not_an_item_act", "{event} is not an act on an item")
NOT_A_CASE_ACT = Message("act.not_a_case_act", "{event} is not an act on a case")
NOT_A_DATE = Message("act.not_a_date", "{name} must be a date YYYY-MM-DD, got {value!r}")

Changes = dict[str, Any]
Payload = dict[str, Any]


class Lookups(Protocol):
    """What guards may ask of the store."""

    def user(self, username: str) -> Actor | None: ...

    def unit_exists(self, code: str) -> bool: ...

    def case_status(self, case_id: int) -> str: ...

    def item_event_type(self, item_id: int, seq: int) -> str | None: ...

    def item_with_tag(self, uid: str) -> str | None: ...

    def custody_chain(self, item_id: int) -> frozenset[int]:
        """The users who acted on, witnessed or received the item in any event so far."""
        ...

    def open_discrepancies(self, item_id: int) -> int:
        """How many audit discrepancies about the item are open."""
        ...

    def sample_kinds(self, item_id: int) -> frozenset[str]:
        """The kinds (``B``, ``C``) of the ballistic samples on record of the firearm."""
        ...

    def open_application(self, item_id: int) -> int | None:
        """The open destruction application naming the item, if any."""
        ...


@dataclass(frozen=True)
class Attempt:
    """One requested act on one item, as the guards see it."""

    event: EventType
    item: Item
    actor: Actor
    payload: dict[str, Any]
    today: date
    lookups: Lookups
    witness: Actor | None = None


Guard = Callable[[Attempt], None]
Effect = Callable[[Item, Mapping[str, Any]], Changes]
Record = Callable[[Attempt], Payload]


def _no_effect(_item: Item, _payload: Mapping[str, Any]) -> Changes:
    return {}


def _as_given(attempt: Attempt) -> Payload:
    return dict(attempt.payload)


@dataclass(frozen=True)
class Transition:
    """A row of the table for an act on an item."""

    event: EventType
    sources: frozenset[ItemState]
    # None: the act leaves the state as it is; an effect may name another state than the target (a return
    # goes back to the state its check-out left)
    target: ItemState | None
    roles: frozenset[Role]
    guards: tuple[Guard, ...] = ()
    effect: Effect = _no_effect
    changes_item: bool = True  # False for acts that only record a sighting: state and version stay
    kinds: frozenset[ItemKind] = field(default_factory=lambda: frozenset(ItemKind))
    witness_required: bool = False
    record: Record = _as_given  # the payload stored in the ledger, from a checked attempt
    # Payload fields naming a second person who confirms the act with their own password (a receiver
    # accepting the item); a witness, when one is named, always confirms too. The entry points act
    # through ``Identity.act``, which checks the confirmations before the act.
    second_persons: tuple[str, ...] = ()

    def check(self, attempt: Attempt) -> None:
        """Raise unless ``attempt`` may happen now. Guards run only once the state allows the act."""
        item = attempt.item
        if item.state not in self.sources:
            raise IllegalTransition(
                NOT_FROM_STATE,
                evidence_no=item.evidence_no,
                state=item.state.value,
                event=self.event.value,
                allowed=", ".join(sorted(s.value for s in self.sources)),
            )
        if item.kind not in self.kinds:
            raise IllegalTransition(NOT_FOR_KIND, evidence_no=item.evidence_no, event=self.event.value)
        if self.witness_required and attempt.witness is None:
            raise TransitionRefused(NEEDS_WITNESS, event=self.event.value)
        if attempt.witness is not None and attempt.witness.id == attempt.actor.id:
            raise TransitionRefused(WITNESS_IS_ACTOR)
        for guard in self.guards:
            guard(attempt)

    def apply(self, item: Item, payload: Mapping[str, Any]) -> Changes:
        """The columns this act changes (state and version included when it changes the item)."""
        changes = self.effect(item, payload)
        if self.changes_item:
            if self.target is not None:
                changes.setdefault("state", self.target.value)  # unless the effect names the state
            changes["version"] = item.version + 1
        return changes


@dataclass(frozen=True)
class CaseAttempt:
    """One requested act on one case, as its row sees it."""

    event: EventType
    case: Case
    actor: Actor
    payload: dict[str, Any]
    today: date | None = None  # the day of the act in China Standard Time (None: not asked)


CaseGuard = Callable[[CaseAttempt], None]
CaseEffect = Callable[[Case, Mapping[str, Any]], Changes]
CaseRecord = Callable[[CaseAttempt], Payload]


def _no_case_effect(_case: Case, _payload: Mapping[str, Any]) -> Changes:
    return {}


def _case_as_given(attempt: CaseAttempt) -> Payload:
    return dict(attempt.payload)


@dataclass(frozen=True)
class CaseTransition:
    """A row of the table for an act on a case. The act that opens a case has no source status: it
    makes the case (its ``opens`` rebuilds the case from its recorded payload)."""

    event: EventType
    sources: frozenset[CaseStatus]
    target: CaseStatus | None  # None: the act leaves the status as it is
    roles: frozenset[Role]
    effect: CaseEffect = _no_case_effect
    record: CaseRecord = _case_as_given
    guards: tuple[CaseGuard, ...] = ()

    def check(self, attempt: CaseAttempt) -> None:
        case = attempt.case
        if case.status not in self.sources:
            raise IllegalTransition(
                CASE_NOT_FROM_STATUS, case_no=case.case_no, status=case.status.value, event=self.event.value
            )
        for guard in self.guards:
            guard(attempt)

    def apply(self, case: Case, payload: Mapping[str, Any]) -> Changes:
        """The columns this act changes: its effect's, the status (unless the act keeps it) and the
        next version."""
        changes = {**self.effect(case, payload), "version": case.version + 1}
        if self.target is not None:
            changes["status"] = self.target.value
        return changes


TRANSITIONS: dict[EventType, Transition] = {}  # acts on items
CASE_TRANSITIONS: dict[EventType, CaseTransition] = {}  # acts on cases


def transition(t: Transition) -> Transition:
    """Register an item act's row."""
    if t.event in TRANSITIONS or t.event in CASE_TRANSITIONS:
        raise ValueError(f"transition {t.event} registered twice")
    TRANSITIONS[t.event] = t
    return t


def case_transition(t: CaseTransition) -> CaseTransition:
    """Register a case act's row."""
    if t.event in TRANSITIONS or t.event in CASE_TRANSITIONS:
        raise ValueError(f"transition {t.event} registered twice")
    CASE_TRANSITIONS[t.event] = t
    return t


def transition_for(event: EventType) -> Transition:
    try:
        return TRANSITIONS[event]
    except KeyError:
        raise IllegalTransition(NOT_AN_ITEM_ACT, event=event.value) from None


def case_transition_for(event: EventType) -> CaseTransition:
    try:
        return CASE_TRANSITIONS[event]
    except KeyError:
        raise IllegalTransition(NOT_A_CASE_ACT, event=event.value) from None


# ------------------------------------------------------------------------------- shared by the rows


def required_text(payload: Mapping[str, Any], name: str) -> str:
    """A required text field of an act, as stored (:mod:`custody.text`)."""
    return text.clean(payload.get(name), name, required=True) or ""


def optional_text(payload: Mapping[str, Any], name: str) -> str:
    return text.clean(payload.get(name) or None, name) or ""


def parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(NOT_A_DATE, name, name=name, value=value) from None
