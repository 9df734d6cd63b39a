"""Reads at the site of a destruction batch (销毁现场): the items scanned out one by one against the
batch's manifest, every read kept with what became of it (``destruction_site_reads``, append-only).

A read is one code: an evidence number, or the UID of a tag bound to an item. It comes from the officer
who opened the site (the API, the CLI reading `scanner listen` / `tag watch` lines), or from the
station bound to the site, taken into the scan's own transaction (:meth:`SiteReads.of_scan`, on behalf
of the officer who opened the site). What becomes of it:

* ``destroyed``: an approved item of the batch, destroyed before the witnesses (the officer the actor,
  the method, place and witness list in the payload); an ammunition lot only with its rounds counted
  equal to its record, counted with the read or by the last :meth:`SiteReads.count` of it at the site;
* ``repeat``: an item of the batch already destroyed; ``counted``: a lot's rounds counted as recorded;
* a **finding**, which changes nothing in the ledger and stays in the site's reads for the batch's
  report: ``unknown`` (a code naming no item), ``unexpected`` (an item not of the batch, or not approved
  in it), ``rounds_differ`` (a lot's rounds counted differently from its record: it stays approved,
  counted again or withdrawn with a reason), ``uncounted`` (a lot read before its rounds were counted),
  ``refused`` (the act refused by its rule, with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from custody.actors import Actor, actor_from_row
from custody.batch_site import SITE_NOT_OPEN, Site, read_site, site_of_station
from custody.batches import Batch, BatchItem, BatchStatus, require_provincial_officer, visible_batch
from custody.clock import from_us
from custody.codes import UNKNOWN_CODE
from custody.db.batch_tables import DestructionSiteReadRow
from custody.db.ledger_store import read_head
from custody.db.lookups import ConnectionLookups
from custody.db.tables import ItemRow, UserRow
from custody.db.unit_of_work import Store
from custody.errors import CustodyError, InvalidInput, ListRefused, Message, TransitionRefused
from custody.items import Items
from custody.lifecycle import normal_uid
from custody.lifecycle.batches import ROUNDS_DIFFER
from custody.list_acts import Target
from custody.model import EventType, ItemState
from custody.numbers import ItemKind, canonical_number
from custody.scans import Scan

ReadStatus = Literal[
    "destroyed", "repeat", "counted", "unknown", "unexpected", "rounds_differ", "uncounted", "refused"
]
FINDINGS = frozenset({"unknown", "unexpected", "rounds_differ", "uncounted", "refused"})

NOT_OF_BATCH = Message("site.not_of_batch", "{evidence_no} is not an item of destruction batch {batch_id}")
NOT_APPROVED_IN_BATCH = Message(
    "site.not_approved", "{evidence_no} is {state}: only an approved item of the batch is destroyed"
)
UNCOUNTED = Message(
    "batch.rounds_not_counted",
    "{evidence_no} is an ammunition lot: count its rounds at the site before it is destroyed",
)
NOT_A_LOT = Message("site.not_a_lot", "{evidence_no} is not an ammunition lot: it has no rounds to count")
BAD_COUNT = Message("site.bad_count", "a count of rounds is a whole number from 0 to 10000000, not {counted}")
NO_CODE = Message("site.no_code", "a read at the site names a code or a tag's UID")

MAX_ROUNDS = 10_000_000

_reads = cast(Table, DestructionSiteReadRow.__table__)
_items = cast(Table, ItemRow.__table__)
_users = cast(Table, UserRow.__table__)
_ACTOR_COLUMNS = ("id", "username", "full_name", "unit_code", "department", "roles")


@dataclass(frozen=True, slots=True)
class SiteRead:
    """What became of one read at the site (``key``/``error``: why a finding changed nothing)."""

    status: ReadStatus
    code: str
    evidence_no: str | None = None
    kind: str | None = None  # the item's kind, when the code names an item of the batch
    counted: int | None = None
    recorded: int | None = None
    key: str | None = None
    error: str | None = None

    @property
    def finding(self) -> bool:
        return self.status in FINDINGS


@dataclass(frozen=True, slots=True)
class KeptRead:
    """A read as the site keeps it."""

    read: SiteRead
    at: str  # ISO 8601, UTC
    officer: str
    station: str
    device: str


class SiteReads:
    """The reads of a batch's open site, each kept, an expected item destroyed in the same transaction."""

    def __init__(self, store: Store, items: Items) -> None:
        self.store = store
        self.items = items

    def scan(
        self,
        actor: Actor,
        batch_id: int,
        code: str,
        rounds: int | None = None,
        station: str = "",
        device: str = "",
    ) -> SiteRead:
        """One code read at the open site by the officer (``rounds``: counted of a lot, with the read)."""
        require_provincial_officer(actor, "destroy items")
        if rounds is not None:
            _check_count(rounds)
        return self.store.write(
            lambda conn: self._take(conn, actor, batch_id, code, None, rounds, station, device)
        )

    def count(self, actor: Actor, batch_id: int, evidence_no: str, rounds: int) -> SiteRead:
        """The rounds of an approved lot of the batch counted at the open site: equal to its record, kept
        for its destruction (``counted``); different, a finding (``rounds_differ``)."""
        require_provincial_officer(actor, "count rounds at a destruction site")
        _check_count(rounds)
        number = canonical_number(evidence_no)

        def change(conn: Connection) -> SiteRead:
            batch, _site = self._open(conn, actor, batch_id)
            item = _approved_item(batch, number)
            if item.kind is not ItemKind.AMMUNITION:
                raise InvalidInput(NOT_A_LOT, "evidence_no", evidence_no=number)
            read = SiteRead("counted", number, number, item.kind.value, rounds, item.rounds)
            if rounds != item.rounds:
                read = _differ(read, number, rounds, item.rounds)
            return _Log(conn, self.store, batch_id, actor, "", "").kept(read, item.item_id)

        return self.store.write(change)

    def of_scan(
        self, conn: Connection, station: str, scan: Scan, uid: str | None, _place: str | None
    ) -> tuple[dict[str, Any], int] | None:
        """A station's scan, in the scan's own transaction: None when the station reads for no open site
        (the scan is a sighting as usual); otherwise the read taken into the site on behalf of the
        officer who opened it, answered with the ledger point for the scan's receipt."""
        batch_id = site_of_station(conn, station)
        if batch_id is None:
            return None
        site = read_site(conn, batch_id)
        officer = _actor(conn, cast(int, site.officer_id))
        code = scan.code or scan.text or ""
        read = self._take(conn, officer, batch_id, code, uid, None, station, scan.device)
        answer: dict[str, Any] = {
            "kind": read.kind or "unknown",
            "code": read.code,
            "batch_id": batch_id,
            "site_read": read.status,
            "station": station,
        }
        if read.evidence_no is not None:
            answer["evidence_nos"] = [read.evidence_no]
        if read.key is not None:
            answer.update(key=read.key, error=read.error)
        head = read_head(conn).seq
        if read.status == "destroyed":
            answer["seq"] = head  # the destruction's event: the scan recorded something
        return answer, head

    def reads(self, viewer: Actor | None, batch_id: int, findings_only: bool = False) -> list[KeptRead]:
        """The reads kept of the batch's site, oldest first (the batch in the viewer's scope)."""
        with self.store.reading() as conn:
            visible_batch(conn, self.store, viewer, batch_id)
            rows = conn.execute(
                select(_reads, _items.c.evidence_no, _items.c.kind, _users.c.username)
                .outerjoin(_items, _items.c.id == _reads.c.item_id)
                .join(_users, _users.c.id == _reads.c.officer_id)
                .where(_reads.c.batch_id == batch_id)
                .order_by(_reads.c.id)
            ).mappings()
            kept = [
                KeptRead(
                    SiteRead(
                        status=r["outcome"],
                        code=r["code"],
                        evidence_no=r["evidence_no"],
                        kind=r["kind"],
                        counted=r["counted"],
                        recorded=r["recorded"],
                        error=r["problem"],
                    ),
                    from_us(r["read_at_us"]).isoformat(),
                    r["username"],
                    r["station"],
                    r["device"],
                )
                for r in rows
            ]
        return [k for k in kept if k.read.finding] if findings_only else kept

    # ------------------------------------------------------------------------------------- inside

    def _open(self, conn: Connection, actor: Actor, batch_id: int) -> tuple[Batch, Site]:
        batch = visible_batch(conn, self.store, actor, batch_id)
        site = read_site(conn, batch_id)
        if site.status is not BatchStatus.SITE:
            raise TransitionRefused(SITE_NOT_OPEN, batch_id=batch_id, status=site.status.value)
        return batch, site

    def _take(
        self,
        conn: Connection,
        actor: Actor,
        batch_id: int,
        code: str,
        uid: str | None,
        rounds: int | None,
        station: str,
        device: str,
    ) -> SiteRead:
        batch, site = self._open(conn, actor, batch_id)
        shown = (code or uid or "").strip()[:64]
        if not shown:
            raise InvalidInput(NO_CODE, "code")
        log = _Log(conn, self.store, batch_id, actor, station, device)
        number = _number_of(conn, code, uid)
        if number is None:
            unknown = UNKNOWN_CODE.render(dict(given=shown[:40]))
            return log.kept(SiteRead("unknown", shown, key=UNKNOWN_CODE.key, error=unknown))
        item = next((i for i in batch.items if i.evidence_no == number), None)
        if item is None:
            text = NOT_OF_BATCH.render(dict(evidence_no=number, batch_id=batch_id))
            item_id = _item_id(conn, number)
            return log.kept(SiteRead("unexpected", shown, number, key=NOT_OF_BATCH.key, error=text), item_id)
        kind = item.kind.value
        if item.state is ItemState.DESTROYED:
            return log.kept(SiteRead("repeat", shown, number, kind), item.item_id)
        if item.state is not ItemState.APPROVED:
            text = NOT_APPROVED_IN_BATCH.render(dict(evidence_no=number, state=item.state.value))
            read = SiteRead("unexpected", shown, number, kind, key=NOT_APPROVED_IN_BATCH.key, error=text)
            return log.kept(read, item.item_id)
        payload: dict[str, Any] = {"batch_id": batch_id}
        if item.kind is ItemKind.AMMUNITION:
            counted = rounds if rounds is not None else log.last_count(item.item_id)
            if counted is None:
                text = UNCOUNTED.render(dict(evidence_no=number))
                read = SiteRead("uncounted", shown, number, kind, None, item.rounds, UNCOUNTED.key, text)
                return log.kept(read, item.item_id)
            if counted != item.rounds:
                read = _differ(SiteRead("rounds_differ", shown, number, kind), number, counted, item.rounds)
                return log.kept(read, item.item_id)
            payload["rounds"] = counted
        return self._destroy(log, actor, site, item, shown, payload, station, device)

    def _destroy(
        self,
        log: _Log,
        actor: Actor,
        site: Site,
        item: BatchItem,
        shown: str,
        payload: dict[str, Any],
        station: str,
        device: str,
    ) -> SiteRead:
        payload.update(
            method=site.method,
            place=site.place,
            witnesses=[
                {"id": w.user_id, "username": w.username, "unit_code": w.unit_code} for w in site.witnesses
            ],
        )
        number, kind, counted = item.evidence_no, item.kind.value, payload.get("rounds")
        targets: list[Target] = [(number, None)]
        try:
            destroy = self.items.list_change(
                actor, EventType.DESTROYED, targets, payload, station=station, device=device
            )
            destroy(log.conn)
        except ListRefused as refused:  # checked before anything is written: the read is still kept
            first = refused.refusals[0]
            read = SiteRead("refused", shown, number, kind, counted, item.rounds, first.key, first.text)
            return log.kept(read, item.item_id)
        return log.kept(SiteRead("destroyed", shown, number, kind, counted, item.rounds), item.item_id)


class _Log:
    """The site's reads, kept in the read's transaction."""

    def __init__(
        self, conn: Connection, store: Store, batch_id: int, actor: Actor, station: str, device: str
    ) -> None:
        self.conn, self.batch_id, self.actor = conn, batch_id, actor
        self.station, self.device = station[:64], device[:64]
        self.now = store.now_us()

    def kept(self, read: SiteRead, item_id: int | None = None) -> SiteRead:
        self.conn.execute(
            insert(_reads).values(
                batch_id=self.batch_id,
                read_at_us=self.now,
                officer_id=self.actor.id,
                code=read.code,
                item_id=item_id,
                outcome=read.status,
                counted=read.counted,
                recorded=read.recorded,
                problem=read.error,
                station=self.station,
                device=self.device,
            )
        )
        return read

    def last_count(self, item_id: int) -> int | None:
        """The rounds of the lot's last count at this site, if it agreed with the record."""
        last = self.conn.execute(
            select(_reads.c.outcome, _reads.c.counted)
            .where(
                _reads.c.batch_id == self.batch_id,
                _reads.c.item_id == item_id,
                _reads.c.outcome.in_(("counted", "rounds_differ")),
                _reads.c.counted.is_not(None),
            )
            .order_by(_reads.c.id.desc())
            .limit(1)
        ).first()
        return int(last[1]) if last is not None and last[0] == "counted" else None


def _differ(read: SiteRead, number: str, counted: int, recorded: int | None) -> SiteRead:
    text = ROUNDS_DIFFER.render(dict(evidence_no=number, counted=str(counted), recorded=str(recorded)))
    return SiteRead("rounds_differ", read.code, number, read.kind, counted, recorded, ROUNDS_DIFFER.key, text)


def _approved_item(batch: Batch, number: str) -> BatchItem:
    item = next((i for i in batch.items if i.evidence_no == number), None)
    if item is None:
        raise TransitionRefused(NOT_OF_BATCH, evidence_no=number, batch_id=batch.id)
    if item.state is not ItemState.APPROVED:
        raise TransitionRefused(NOT_APPROVED_IN_BATCH, evidence_no=number, state=item.state.value)
    return item


def _check_count(rounds: int) -> None:
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 0 <= rounds <= MAX_ROUNDS:
        raise InvalidInput(BAD_COUNT, "rounds", counted=repr(rounds))


def _actor(conn: Connection, user_id: int) -> Actor:
    row = (
        conn.execute(select(*(_users.c[name] for name in _ACTOR_COLUMNS)).where(_users.c.id == user_id))
        .mappings()
        .one()
    )
    return actor_from_row(row)


def _item_id(conn: Connection, number: str) -> int | None:
    found: int | None = conn.execute(
        select(_items.c.id).where(_items.c.evidence_no == number)
    ).scalar_one_or_none()
    return found


def _number_of(conn: Connection, code: str, uid: str | None) -> str | None:
    """The evidence number a read names (the code itself, or the item holding a tag of that UID)."""
    for given in (code, uid):
        if not given:
            continue
        try:
            return canonical_number(given)
        except CustodyError:
            pass
        try:
            tag = normal_uid(given)
        except CustodyError:
            continue
        held = ConnectionLookups(conn).item_with_tag(tag)
        if held is not None:
            try:
                return canonical_number(held)
            except CustodyError:
                continue  # a seal's tag: not an item
    return None
