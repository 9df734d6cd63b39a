"""The chain of custody of one item (证据保管链报告), for court: who did what with it, when, before whom,
as the hash-chained ledger records it, as of one ledger point. Values only; ``reports.custody_chain``
renders them.

What a chain guarantees:

* **every** event of the item with ``seq`` ≤ the point's, in seq order: its time (integer µs, UTC, as
  stored), act, actor (username and name), witness, the receiver, location and seal its payload names (the
  witness list of a ``destroyed`` payload too), its ``seq``, ``prev_hash`` and ``hash``;
* each event's **canonical encoding** (version 1, :func:`custody.verify_export.encode_event`) over the
  values exactly as the database driver returns them, and SHA-256 of that encoding *is* the event's
  stored hash: a mismatch refuses the chain (:class:`~custody.errors.ChainBroken`), it is never printed;
* the item's particulars as its events up to the point leave them (folded through the transition table
  as replay does), so a chain made ``as_of`` an earlier point gives the same particulars and events
  however many events came after;
* the point, the head when it was made and the latest signed checkpoint (:mod:`custody.report_point`),
  and, when that checkpoint's tree holds the item's last event, the inclusion proof of that event,
  checked against the checkpoint's root before it is given.

Read by clerks, investigators, custodians and auditors, within their unit and the units below; an item
outside that scope (or counted blind by this auditor now) is answered as unknown, exactly as missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import Actor, require_role
from custody.audit_blind import blind_scopes, item_hidden
from custody.checkpoints import Checkpoints, InclusionProof
from custody.db.tables import CaseRow, ItemRow, UnitRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import ChainBroken, Message, UnknownItem
from custody.items import UNKNOWN_ITEM, Items
from custody.lifecycle.samples import FIRST_EVENTS, made_item
from custody.model import EventType, ItemState, Role
from custody.numbers import EvidenceNumber, ItemKind
from custody.records import Item
from custody.report_point import ReportPoint, point_in
from custody.verify_export import (
    ENCODING_VERSION,
    HASHED_COLUMNS,
    SEPARATOR,
    encode_event,
    leaf_hash,
    verify_inclusion,
)

READERS = frozenset({Role.CLERK, Role.INVESTIGATOR, Role.CUSTODIAN, Role.AUDITOR})
HASH_MISMATCH = Message(
    "custody_report.hash_mismatch",
    "event {seq} of {evidence_no}: SHA-256 of its canonical encoding is not its stored hash: no report",
)
NO_FIRST_EVENT = Message(
    "custody_report.no_first_event",
    "event {seq} of {evidence_no} comes before the item's registration: no report",
)
PROOF_MISMATCH = Message(
    "custody_report.proof_mismatch",
    "the inclusion proof of event {seq} does not give the root of checkpoint {tree_size}: no report",
)

_items = cast(Table, ItemRow.__table__)
_cases = cast(Table, CaseRow.__table__)
_units = cast(Table, UnitRow.__table__)
_users = cast(Table, UserRow.__table__)
_EVENTS_OF_ITEM = text(
    f"SELECT {', '.join(HASHED_COLUMNS)}, hash FROM custody_events "  # noqa: S608 - constants
    "WHERE item_id = :item_id AND seq <= :upto ORDER BY seq"
).bindparams(bindparam("item_id"), bindparam("upto"))
# Where an act's payload names whom the item went to, where it lay or was seen, by act.
_RECEIVER_KEYS = {
    EventType.HANDOVER_OFFERED.value: "receiver",
    EventType.HANDED_OVER.value: "receiver",
    EventType.HANDOVER_ACCEPTED.value: "custodian",
    EventType.CUSTODIAN_CHANGED.value: "to",
    EventType.CHECKED_OUT.value: "to",
    EventType.TRANSFERRED.value: "to_unit",
}
_LOCATION_KEYS = {EventType.RELOCATED.value: "to"}
_PLACE_KEYS = ("location_code", "location", "place")


@dataclass(frozen=True, slots=True)
class ChainPerson:
    username: str
    name: str


@dataclass(frozen=True, slots=True)
class ChainItem:
    """The item's particulars as its events up to the point leave them."""

    evidence_no: str
    kind: ItemKind
    state: ItemState
    case_no: str
    unit_code: str
    unit_name: str
    description: str
    firearm_type: str | None
    make_model: str | None
    serial_number: str | None
    calibre: str | None
    quantity_rounds: int | None
    headstamp_lot: str | None
    firearm_evidence_no: str | None  # a ballistic sample's firearm


@dataclass(frozen=True, slots=True)
class ChainEvent:
    """One event of the item: what it says, and its canonical encoding as the chain hashes it."""

    seq: int
    recorded_at_us: int  # µs since the Unix epoch, UTC, as stored
    act: str  # event_type
    actor: ChainPerson | None  # None: what a station's device recorded
    witness: str | None  # the witness column's username
    witnesses: tuple[str, ...]  # the witness list of the payload (a destruction's)
    receiver: str | None
    location: str | None
    seal_no: str | None
    station: str
    device: str
    prev_hash: str
    hash: str
    encoding: str  # the hashed values joined with U+001F; its UTF-8 bytes are what is hashed

    @property
    def encoded(self) -> bytes:
        return self.encoding.encode("utf-8")

    @property
    def fields(self) -> tuple[str, ...]:
        """The encoding's values as text, in :data:`~custody.verify_export.HASHED_COLUMNS` order."""
        return tuple(self.encoding.split(SEPARATOR))


@dataclass(frozen=True, slots=True)
class CustodyChain:
    item: ChainItem
    events: tuple[ChainEvent, ...]
    point: ReportPoint
    proof: InclusionProof | None  # of the last event, in the latest checkpoint's tree when it holds it
    encoding_version: int = ENCODING_VERSION

    @property
    def last(self) -> ChainEvent | None:
        return self.events[-1] if self.events else None


class CustodyReports:
    """Chains of custody of single items, over one :class:`Store`."""

    def __init__(self, store: Store, items: Items, checkpoints: Checkpoints) -> None:
        self.store, self.items, self.checkpoints = store, items, checkpoints

    def chain(self, viewer: Actor, evidence_no: str, as_of: int | None = None) -> CustodyChain:
        """The chain of custody of ``evidence_no`` as of ledger ``seq`` ``as_of`` (the head: None)."""
        require_role(viewer, READERS, "read a chain of custody")
        number = str(EvidenceNumber.parse(evidence_no))
        with self.store.report_reading() as conn:
            current = self.items.load(conn, viewer, number)
            scopes = blind_scopes(conn, viewer)
            if item_hidden(scopes, current.unit_code, current.location_code, current.state.value):
                raise UnknownItem(UNKNOWN_ITEM, evidence_no=number)
            point = point_in(conn, as_of)
            rows = conn.execute(_EVENTS_OF_ITEM, {"item_id": current.id, "upto": point.seq}).all()
            events, folded = _events(conn, number, [tuple(row) for row in rows])
            item = _particulars(conn, folded or current)
        return CustodyChain(item, events, point, self._proof(point, events[-1] if events else None))

    def _proof(self, point: ReportPoint, last: ChainEvent | None) -> InclusionProof | None:
        """The inclusion proof of ``last`` in the latest checkpoint's tree, checked against its root."""
        signed = point.checkpoint
        if last is None or signed is None or signed.tree_size < last.seq:
            return None
        proof = self.checkpoints.inclusion(last.seq, signed.tree_size)
        leaf = leaf_hash(last.encoded)
        if (
            proof.root_hash != signed.root_hash
            or proof.leaf_hash != leaf.hex()
            or not verify_inclusion(
                last.seq - 1,
                signed.tree_size,
                leaf,
                [bytes.fromhex(p) for p in proof.proof],
                bytes.fromhex(signed.root_hash),
            )
        ):
            raise ChainBroken(PROOF_MISMATCH, seq=last.seq, tree_size=signed.tree_size)
        return proof


def _events(
    conn: Connection, number: str, rows: list[tuple[Any, ...]]
) -> tuple[tuple[ChainEvent, ...], Item | None]:
    """The item's events from raw rows (hashed columns, then ``hash``), each checked against its hash,
    and the item as they leave it."""
    people = _people(conn, {row[index] for row in rows for index in (6, 10)} - {None})
    events: list[ChainEvent] = []
    item: Item | None = None
    for row in rows:
        values, stored = row[:-1], str(row[-1])
        encoded = encode_event(values)
        seq = int(values[0])
        if hashlib.sha256(encoded).hexdigest() != stored:
            raise ChainBroken(HASH_MISMATCH, seq=seq, evidence_no=number)
        payload = json.loads(values[12])
        item = _fold(item, values, payload, number)
        act, actor_id, witness_id = str(values[3]), values[6], values[10]
        events.append(
            ChainEvent(
                seq=seq,
                recorded_at_us=int(values[2]),
                act=act,
                actor=None if actor_id is None else people.get(actor_id, ChainPerson(str(actor_id), "")),
                witness=None if witness_id is None else _username(people, witness_id),
                witnesses=_witnesses(payload),
                receiver=_named(payload, _RECEIVER_KEYS.get(act)),
                location=_named(payload, _LOCATION_KEYS.get(act), *_PLACE_KEYS),
                seal_no=_named(payload, "seal_no"),
                station=str(values[8]),
                device=str(values[9]),
                prev_hash=str(values[1]),
                hash=stored,
                encoding=encoded.decode("utf-8"),
            )
        )
    return tuple(events), item


def _fold(item: Item | None, values: Sequence[Any], payload: Mapping[str, Any], number: str) -> Item:
    """The item after one more of its events, through the transition table (as replay folds it)."""
    seq, event = values[0], EventType(values[3])
    item_id, case_id, version = values[4], values[5], values[11]
    if event is EventType.REGISTERED:
        return lifecycle.registered_item(item_id, case_id, version, payload)
    if event in FIRST_EVENTS:
        return made_item(item_id, case_id, version, payload)
    if item is None:
        raise ChainBroken(NO_FIRST_EVENT, seq=seq, evidence_no=number)
    return item.changed(lifecycle.transition_for(event).apply(item, payload))


def _particulars(conn: Connection, item: Item) -> ChainItem:
    case_no = conn.execute(select(_cases.c.case_no).where(_cases.c.id == item.case_id)).scalar_one()
    unit_name = conn.execute(select(_units.c.name_zh).where(_units.c.code == item.unit_code)).scalar()
    firearm = None
    if item.sample_of_item_id is not None:
        firearm = conn.execute(
            select(_items.c.evidence_no).where(_items.c.id == item.sample_of_item_id)
        ).scalar()
    return ChainItem(
        evidence_no=item.evidence_no,
        kind=item.kind,
        state=item.state,
        case_no=str(case_no),
        unit_code=item.unit_code,
        unit_name=str(unit_name or ""),
        description=item.description or "",
        firearm_type=item.firearm_type,
        make_model=item.make_model,
        serial_number=item.serial_number,
        calibre=item.calibre,
        quantity_rounds=item.quantity_rounds,
        headstamp_lot=item.headstamp_lot,
        firearm_evidence_no=None if firearm is None else str(firearm),
    )


def _people(conn: Connection, ids: set[Any]) -> dict[Any, ChainPerson]:
    if not ids:
        return {}
    query = select(_users.c.id, _users.c.username, _users.c.full_name).where(_users.c.id.in_(sorted(ids)))
    return {user_id: ChainPerson(username, name) for user_id, username, name in conn.execute(query)}


def _username(people: Mapping[Any, ChainPerson], user_id: Any) -> str:
    person = people.get(user_id)
    return str(user_id) if person is None else person.username


def _witnesses(payload: Mapping[str, Any]) -> tuple[str, ...]:
    listed = payload.get("witnesses")
    if not isinstance(listed, list):
        return ()
    return tuple(str(w.get("username", w.get("id"))) if isinstance(w, dict) else str(w) for w in listed)


def _named(payload: Mapping[str, Any], *keys: str | None) -> str | None:
    """The first of ``keys`` the payload gives a value for, as text."""
    for key in keys:
        if key is not None and payload.get(key) not in (None, ""):
            return str(payload[key])
    return None
