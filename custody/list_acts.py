"""Acts on a list of items (a handover, a seal): one writer transaction for the whole list.

Every item is loaded in the actor's scope and checked by the act's row of the transition table (state,
kind, role, witness, guards); every refusal is collected, and if there is one, :class:`ListRefused`
names each refused item with its reason and nothing is written. Otherwise each item's change is applied
and one ledger event appended per item, in list order, in the same transaction as whatever the caller
adds (``prepare`` before the checks, ``also`` after the events: a handover's or a seal's own rows).

The second person of such an act (a witness) is an authenticated :class:`~custody.actors.Actor`: the
entry points prove their credentials first (their password, or their session token), never a bare name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, update
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import Actor, require_role
from custody.clock import china_date
from custody.db.ledger_store import record_event
from custody.db.lookups import ConnectionLookups
from custody.db.tables import ItemRow
from custody.errors import (
    CustodyError,
    InvalidInput,
    ItemRefusal,
    ListRefused,
    Message,
    StaleVersion,
    TransitionRefused,
)
from custody.intake import clean_text
from custody.ledger import Head
from custody.model import EventType
from custody.numbers import canonical_number
from custody.records import Item

if TYPE_CHECKING:
    from custody.db.unit_of_work import Store

EMPTY_LIST = Message("act.empty_list", "{event} names no item")
TWICE_IN_LIST = Message("act.twice_in_list", "{evidence_no} is named twice")
LIST_TOO_LONG = Message("act.list_too_long", "{event} names {count} items; at most {limit} at once")
WITNESS_CANNOT_SEE = Message(
    "act.witness_cannot_see",
    "witness {username} belongs to unit {unit_code}, which does not hold {evidence_no}: a witness is of the "
    "item's unit or a unit above it",
)
STALE_IN_LIST = Message(
    "act.stale_in_list", "{evidence_no} changed since it was read (version {expected_version}, now {version})"
)
CHANGED_MEANWHILE = Message("item.changed_meanwhile", "{evidence_no} changed since it was read")

MAX_LIST = 5000  # items in one act: a whole store's shelf, not an unbounded request

_items = cast(Table, ItemRow.__table__)

# an item named by its evidence number, with the version the caller read (None: as it is now)
Target = tuple[str, int | None]
# the payload shared by every item's attempt, or a function of the transaction and the loaded items
# that makes it (and may write the act's own rows first: a handover's row, to name it in the payload)
Prepare = Mapping[str, Any] | Callable[[Connection, Sequence[Item]], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Acted:
    """One item of a list act after it: the item, and its event's point in the ledger."""

    item: Item
    head: Head


Also = Callable[[Connection, Sequence[Acted]], None]


class ListActs:
    """Acts on lists of items, over the :class:`Store`. Mixed into :class:`custody.items.Items`, whose
    ``load`` reads an item in the actor's scope."""

    store: Store

    def load(self, conn: Connection, viewer: Actor | None, number: str) -> Item:  # pragma: no cover
        raise NotImplementedError

    def act_list(
        self,
        actor: Actor,
        event: EventType,
        targets: Sequence[Target],
        payload: Prepare,
        witness: Actor | None = None,
        also: Also | None = None,
        station: str = "",
        device: str = "",
    ) -> list[Acted]:
        """Record ``event`` on every item of ``targets`` in one transaction, or on none of them."""
        change = self.list_change(actor, event, targets, payload, witness, also, station, device)
        return self.store.write(change)

    def list_change(
        self,
        actor: Actor,
        event: EventType,
        targets: Sequence[Target],
        payload: Prepare,
        witness: Actor | None = None,
        also: Also | None = None,
        station: str = "",
        device: str = "",
    ) -> Callable[[Connection], list[Acted]]:
        """:meth:`act_list` as the change to run in a transaction of the caller's (a read at a site
        taken in its scan's transaction). :class:`ListRefused` is raised before anything is written,
        unless ``payload`` writes."""
        transition = lifecycle.transition_for(event)
        numbers = _numbers(event, targets)
        station_name = clean_text(station, "station") or ""
        device_name = clean_text(device, "device") or ""

        def change(conn: Connection) -> list[Acted]:
            require_role(actor, transition.roles, f"record {event.value}")
            items, refusals = self._load_all(conn, actor, numbers, witness)
            if refusals:
                raise ListRefused(event.value, len(numbers), tuple(refusals))
            shared = dict(payload(conn, items) if callable(payload) else payload)
            now = self.store.now_us()
            today = china_date(now)
            lookups = ConnectionLookups(conn, lambda unit: self.store.sees(actor, unit, conn))
            checked: list[tuple[Item, dict[str, Any]]] = []
            for item in items:
                attempt = lifecycle.Attempt(event, item, actor, dict(shared), today, lookups, witness)
                try:
                    transition.check(attempt)
                    checked.append((item, transition.record(attempt)))
                except CustodyError as refused:
                    refusals.append(ItemRefusal.of(item.evidence_no, refused))
            if refusals:
                raise ListRefused(event.value, len(numbers), tuple(refusals))
            acted: list[Acted] = []
            for item, recorded in checked:
                after, head = record_act(
                    conn, transition, item, recorded, actor, now, station_name, device_name, witness
                )
                acted.append(Acted(after, head))
            if also is not None:
                also(conn, acted)
            return acted

        return change

    def _load_all(
        self, conn: Connection, actor: Actor, numbers: Sequence[tuple[str, int | None]], witness: Actor | None
    ) -> tuple[list[Item], list[ItemRefusal]]:
        items: list[Item] = []
        refusals: list[ItemRefusal] = []
        for number, version in numbers:
            try:
                item = self.load(conn, actor, number)
                if version is not None and item.version != version:
                    raise StaleVersion(
                        STALE_IN_LIST, evidence_no=number, expected_version=version, version=item.version
                    )
                if witness is not None and not self.store.sees(witness, item.unit_code, conn):
                    raise TransitionRefused(
                        WITNESS_CANNOT_SEE,
                        username=witness.username,
                        unit_code=witness.unit_code,
                        evidence_no=number,
                    )
                items.append(item)
            except CustodyError as refused:
                refusals.append(ItemRefusal.of(number, refused))
        return items, refusals


def record_act(
    conn: Connection,
    transition: lifecycle.Transition,
    item: Item,
    recorded: dict[str, Any],
    actor: Actor,
    now: int,
    station: str,
    device: str,
    witness: Actor | None,
) -> tuple[Item, Head]:
    """Write one checked act: the item's changed columns (on the version read, else a conflict) and its
    ledger event. The one place an act on an item is written, alone or in a list."""
    changes = transition.apply(item, recorded)
    if changes:
        done = conn.execute(
            update(_items).where(_items.c.id == item.id, _items.c.version == item.version).values(**changes)
        )
        if done.rowcount != 1:
            raise StaleVersion(CHANGED_MEANWHILE, evidence_no=item.evidence_no)
    after = item.changed(changes)
    head = record_event(
        conn,
        transition.event,
        now,
        actor_id=actor.id,
        unit_code=actor.unit_code,
        item_id=item.id,
        case_id=item.case_id,
        item_version=after.version,
        payload=recorded,
        station=station,
        device=device,
        witness_id=witness.id if witness else None,
    )
    return after, head


def _numbers(event: EventType, targets: Sequence[Target]) -> list[tuple[str, int | None]]:
    """The targets' canonical numbers, each once; a malformed number, a repeat or an empty or too long
    list refuses the act before anything is read."""
    if not targets:
        raise InvalidInput(EMPTY_LIST, "evidence_nos", event=event.value)
    if len(targets) > MAX_LIST:
        raise InvalidInput(
            LIST_TOO_LONG, "evidence_nos", event=event.value, count=len(targets), limit=MAX_LIST
        )
    numbers: list[tuple[str, int | None]] = []
    seen: set[str] = set()
    refusals: list[ItemRefusal] = []
    for given, version in targets:
        try:
            number = canonical_number(given)
            if number in seen:
                raise InvalidInput(TWICE_IN_LIST, "evidence_nos", evidence_no=number)
        except CustodyError as refused:
            refusals.append(ItemRefusal.of(str(given)[:40], refused))
            continue
        seen.add(number)
        numbers.append((number, version))
    if refusals:
        raise ListRefused(event.value, len(targets), tuple(refusals))
    return numbers
