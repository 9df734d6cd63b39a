"""Reads into an open audit round: barcode scans, tag reads (a handheld sweeping a shelf reads the same
seal tags many times) and codes typed by hand with a reason, from the auditor or from the station bound
to the audit.

A batch is one writer transaction: every good read is committed before the answer, and each read gets
its own answer (:class:`~custody.audit_records.ReadOutcome`): ``recorded`` (the first read of its code or
tag in the audit), ``repeat`` (counted), or ``refused`` (a malformed read: nothing written for it, the
others stand). Reads are deduplicated per audit; the ledger gets one ``audit_seen`` event per distinct
item seen (by itself or through its seal), with the seal, the place, the tamper status and how many
times the batch read it, and another when a later read finds the seal's loop open. A location code says
where the next reads of the batch are. While the audit is blind the answers name nothing the records
expect: only what was read and whether it is known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from custody import lifecycle
from custody.actors import Actor
from custody.audit_read_rows import (
    KeptRead,
    items_seen,
    station_audit,
    stored_reads,
    tagged_items,
    write_reads,
)
from custody.audit_records import Audit, ReadIn, ReadOutcome
from custody.audits import Audits
from custody.codes import LocationCode, classify
from custody.db.audit_tables import AuditReadRow
from custody.db.storage_tables import SealItemRow, SealRow
from custody.db.tables import EventRow, ItemRow
from custody.db.unit_of_work import Also
from custody.errors import CustodyError, InvalidInput, Message, TransitionRefused, UnknownAudit
from custody.intake import clean_text
from custody.lifecycle.items import normal_uid
from custody.list_acts import record_act
from custody.model import EventType
from custody.records import Item
from custody.scans import TAMPER_LOOPS, TAMPER_UNKNOWN, Scan, ScanSource
from custody.station_keys import require_live

NOT_READING = Message(
    "audit.not_reading", "audit {audit_id} takes no reads now: its round {round} is submitted"
)
TOO_MANY = Message("audit.too_many_reads", "{count} reads at once; at most {limit}")
NOTHING_READ = Message("audit.empty_read", "a read names a code or a tag UID")
MANUAL_NEEDS_REASON = Message("audit.manual_reason", "a code typed by hand needs a reason")
NO_AUDIT_FOR_STATION = Message("audit.station_not_auditing", "station {name} reads for no open audit")

MAX_READS = 500  # per call; the HTTP batch takes at most 50
_WORSE = {None: 0, "not_measured": 0, "unreadable": 0, "closed": 1, "open": 2}

_reads = cast(Table, AuditReadRow.__table__)
_items = cast(Table, ItemRow.__table__)
_seals = cast(Table, SealRow.__table__)
_seal_items = cast(Table, SealItemRow.__table__)
_events = cast(Table, EventRow.__table__)


@dataclass(frozen=True, slots=True)
class _Named:
    """What one read names: its key, kind and code, the items it reaches, the seal it is of."""

    key: str
    kind: str
    code: str
    uid: str | None
    items: tuple[Item, ...]
    seal_no: str | None


class AuditIntake:
    """Reads into audits, over :class:`Audits`."""

    def __init__(self, audits: Audits) -> None:
        self.audits = audits
        self.store = audits.store

    def read(
        self, actor: Actor, audit_id: int, reads: Sequence[ReadIn], station: str = "", device: str = ""
    ) -> list[ReadOutcome]:
        """Take the auditor's reads into their audit's open round."""
        _limit(reads)

        def change(conn: Connection) -> list[ReadOutcome]:
            audit = self.audits.carried_on(conn, actor, audit_id)
            return self._take(conn, audit, actor, reads, None, station, device)

        return self.store.write(change)

    async def read_at_station(
        self, source: ScanSource, device: str, reads: Sequence[ReadIn], also: Also | None = None
    ) -> tuple[Audit, list[ReadOutcome]]:
        """Take a station's reads into the audit it is bound to, on behalf of the auditor who opened it
        (``also``: written in the same transaction, e.g. the request's access-log entry). The station's
        key and device are checked again in the transaction (a service remembers keys between requests)
        and the reads are placed where the station stands now, as its row says."""
        _limit(reads)

        def change(conn: Connection) -> tuple[Audit, list[ReadOutcome]]:
            place = source.location
            if source.station_id is not None:
                place = require_live(conn, source.station_id, source.key_sha256, device)
            bound = station_audit(conn, source.name)
            if bound is None:
                raise UnknownAudit(NO_AUDIT_FOR_STATION, name=source.name)
            audit, opener = bound
            return audit, self._take(conn, audit, opener, reads, place, source.name, device)

        return await self.store.write_async(change, also=also)

    def of_scan(
        self, conn: Connection, station: str, scan: Scan, uid: str | None, place: str | None
    ) -> tuple[dict[str, Any], int] | None:
        """:meth:`at_station` for a scan posted to the scan intake (the hook :class:`Scans` calls)."""
        read = ReadIn(
            code=scan.code,
            uid=uid,
            text=scan.text,
            tamper=scan.tamper,
            opened_before=scan.tamper_opened_before,
            source="tag" if uid else "scan",
        )
        return self.at_station(conn, station, scan.device, read, place)

    def at_station(
        self, conn: Connection, station: str, device: str, read: ReadIn, place: str | None
    ) -> tuple[dict[str, Any], int] | None:
        """A station's scan, in the scan's own transaction: None when the station reads for no open audit
        (the scan is a sighting as usual); otherwise the read taken into the audit, answered as the scan's
        answer with the ledger point to keep in its receipt. A refused read raises its refusal."""
        bound = station_audit(conn, station)
        if bound is None:
            return None
        audit, opener = bound
        outcome = self._take(conn, audit, opener, [read], place, station, device)[0]
        if outcome.refused is not None:
            raise outcome.refused
        answer: dict[str, Any] = {
            "kind": outcome.kind,
            "code": outcome.code,
            "audit_id": audit.id,
            "audit_read": outcome.status,
            "known": outcome.known,
            "station": station,
        }
        if not audit.hidden:
            answer["evidence_nos"] = list(outcome.names)
        head = conn.execute(select(func.max(_events.c.seq))).scalar_one()
        return answer, int(head or 0)

    # ------------------------------------------------------------------------------------- helpers

    def _take(
        self,
        conn: Connection,
        audit: Audit,
        actor: Actor,
        reads: Sequence[ReadIn],
        place: str | None,
        station: str,
        device: str,
    ) -> list[ReadOutcome]:
        if not audit.reading:
            raise TransitionRefused(NOT_READING, audit_id=audit.id, round=audit.round)
        now = self.store.now_us()
        named = self._named(conn, actor, reads, place)
        taken = [entry for entry in named if not isinstance(entry, ReadOutcome)]
        kept = stored_reads(conn, audit.id, sorted({entry[1].key for entry in taken}))
        seen_before = items_seen(conn, audit.id, sorted({i.id for e in taken for i in e[1].items}))
        deferred = conn.info.get(SEEN_LATER)
        seen = deferred if isinstance(deferred, SeenLater) else SeenLater()
        outcomes: list[ReadOutcome] = []
        for entry in named:
            if isinstance(entry, ReadOutcome):
                outcomes.append(entry)
                continue
            read, what, at, tamper = entry
            stored = kept.get(what.key)
            worse = stored is not None and (
                _WORSE[tamper] > _WORSE[stored.tamper]
                or (read.opened_before is True and stored.opened_before is not True)
            )
            if stored is None:
                kept[what.key] = KeptRead(
                    None, tamper, read.opened_before, _row(audit, read, what, at, tamper, now, actor)
                )
            else:
                stored.added += 1
                if worse:
                    stored.tamper, stored.opened_before, stored.worse = tamper, read.opened_before, True
            for item in what.items:
                if seen.has(item.id):  # named again by this batch: one event, counted
                    seen.again(item.id, tamper if worse else None)
                    continue
                if item.id in seen_before and not worse:
                    continue
                seen_before.add(item.id)
                payload = {
                    "audit_id": audit.id,
                    "seal_no": what.seal_no,
                    "location": at,
                    "tamper": tamper,
                    "read_count": 1,
                    "source": read.source,
                }
                seen.add(item, payload, actor, now, station, device)
            outcomes.append(
                ReadOutcome(
                    "recorded" if stored is None else "repeat",
                    what.kind,
                    what.code,
                    known=bool(what.items) or what.kind == "location",
                    names=() if audit.hidden else tuple(i.evidence_no for i in what.items),
                    tamper=tamper,
                )
            )
        write_reads(conn, kept.values(), now)
        if seen is not deferred:
            seen.write(conn)
        return outcomes

    def _named(
        self, conn: Connection, actor: Actor, reads: Sequence[ReadIn], place: str | None
    ) -> list[tuple[ReadIn, _Named, str | None, str | None] | ReadOutcome]:
        """What each read names, where and with which tamper status (or why it is refused)."""
        named: list[tuple[ReadIn, _Named, str | None, str | None] | ReadOutcome] = []
        known: dict[tuple[str | None, str | None, str | None], _Named] = {}  # a tag read again: named once
        tagged = tagged_items(conn, reads)
        for given in reads:
            try:
                read = _as_stored(given)
                tamper = _tamper(read.tamper)
                reason = clean_text(read.reason, "reason") if read.source == "manual" else None
                if read.source == "manual" and not reason:
                    raise InvalidInput(MANUAL_NEEDS_REASON, "reason")
                if read.location_code is not None:
                    place = str(LocationCode.parse(read.location_code))
                what = known.get((read.uid, read.code, read.text))
                if what is None:
                    what = known[read.uid, read.code, read.text] = self._name(conn, actor, read, tagged)
            except CustodyError as refused:
                named.append(
                    ReadOutcome(
                        "refused", "unknown", str(given.code or given.uid or "")[:64], refused=refused
                    )
                )
                continue
            if what.kind == "location":
                place = what.code
            named.append((read, what, place, tamper))
        return named

    def _name(
        self, conn: Connection, actor: Actor, read: ReadIn, tagged: Mapping[str, Any] | None = None
    ) -> _Named:
        """What the read names, in the actor's scope (outside it: nothing known); ``tagged``: the items
        of the batch's tag UIDs, read beforehand."""
        if read.uid is not None:
            uid = normal_uid(read.uid)
            if tagged is not None:
                item = tagged.get(uid)
            else:
                item = conn.execute(select(_items).where(_items.c.tag_uid == uid)).mappings().first()
            if item is not None and self.store.sees(actor, item["unit_code"], conn):
                return _Named(
                    f"uid:{uid}", "evidence", item["evidence_no"], uid, (Item.from_row(item),), None
                )
            seal_no = conn.execute(
                select(_seals.c.seal_no).where(_seals.c.tag_uid == uid)
            ).scalar_one_or_none()
            if seal_no is not None:
                return self._seal(conn, actor, f"uid:{uid}", seal_no, uid)
            if not read.text:
                return _Named(f"uid:{uid}", "unknown", uid, uid, (), None)
            scanned = classify(read.text)
            key = f"uid:{uid}"
        else:
            if read.code is None:
                raise InvalidInput(NOTHING_READ, "code")
            scanned = classify(read.code)
            uid = None
            key = ""
        if scanned.error is not None and scanned.kind != "unknown":
            raise scanned.error
        key = key or scanned.value
        if scanned.kind == "evidence":
            item = (
                conn.execute(select(_items).where(_items.c.evidence_no == scanned.value)).mappings().first()
            )
            if item is None or not self.store.sees(actor, item["unit_code"], conn):
                return _Named(key, "evidence", scanned.value, uid, (), None)
            return _Named(key, "evidence", scanned.value, uid, (Item.from_row(item),), None)
        if scanned.kind == "seal":
            return self._seal(conn, actor, key, scanned.value, uid)
        return _Named(key, scanned.kind, scanned.value, uid, (), None)

    def _seal(self, conn: Connection, actor: Actor, key: str, seal_no: str, uid: str | None) -> _Named:
        seal = conn.execute(
            select(_seals.c.id, _seals.c.unit_code, _seals.c.status).where(_seals.c.seal_no == seal_no)
        ).first()
        if seal is None or not self.store.sees(actor, seal[1], conn):
            return _Named(key, "seal", seal_no, uid, (), None)
        rows = conn.execute(
            select(_items)
            .join(_seal_items, _seal_items.c.item_id == _items.c.id)
            .where(_seal_items.c.seal_id == seal[0], _items.c.seal_no == seal_no)
        ).mappings()
        return _Named(key, "seal", seal_no, uid, tuple(Item.from_row(r) for r in rows), seal_no)


SEEN_LATER = "custody.audit_seen_later"  # a SeenLater in conn.info: a batch writes its events at the end


class SeenLater:
    """The ``audit_seen`` events of the reads taken so far: one per distinct item, counting every read
    that named it; written by :meth:`write` (at once for a call of reads, at the end of a batch of
    scans, :func:`custody.scan_batches.record_batch`)."""

    def __init__(self) -> None:
        self._events: dict[int, tuple[Item, dict[str, Any], Actor, int, str, str]] = {}

    def has(self, item_id: int) -> bool:
        return item_id in self._events

    def add(
        self, item: Item, payload: dict[str, Any], actor: Actor, now: int, station: str, device: str
    ) -> None:
        self._events[item.id] = (item, payload, actor, now, station, device)

    def again(self, item_id: int, worse_tamper: str | None) -> None:
        payload = self._events[item_id][1]
        payload["read_count"] += 1
        if worse_tamper is not None:
            payload["tamper"] = worse_tamper

    def write(self, conn: Connection) -> None:
        transition = lifecycle.transition_for(EventType.AUDIT_SEEN)
        for item, payload, actor, now, station, device in self._events.values():
            record_act(conn, transition, item, payload, actor, now, station, device, None)
        self._events.clear()


def _as_stored(read: ReadIn) -> ReadIn:
    """The read's code and text under the text policy (a control character refuses the read)."""
    code, text = clean_text(read.code, "code"), clean_text(read.text, "text")
    return read if (code, text) == (read.code, read.text) else replace(read, code=code, text=text)


def _limit(reads: Sequence[ReadIn]) -> None:
    if not reads or len(reads) > MAX_READS:
        raise InvalidInput(TOO_MANY, "reads", count=len(reads), limit=MAX_READS)


def _tamper(value: str | None) -> str | None:
    if value is not None and value not in TAMPER_LOOPS:
        raise InvalidInput(TAMPER_UNKNOWN, "tamper", allowed=", ".join(TAMPER_LOOPS))
    return value


def _row(
    audit: Audit, read: ReadIn, what: _Named, at: str | None, tamper: str | None, now: int, actor: Actor
) -> dict[str, Any]:
    return {
        "audit_id": audit.id,
        "round": audit.round,
        "read_key": what.key,
        "source": read.source,
        "kind": what.kind,
        "code": what.code[:64],
        "uid": what.uid,
        "item_id": what.items[0].id if what.kind == "evidence" and what.items else None,
        "seal_no": what.seal_no,
        "location_code": at,
        "tamper": tamper,
        "opened_before": read.opened_before,
        "read_count": 1,
        "first_at_us": now,
        "last_at_us": now,
        "entered_by_id": actor.id if read.source == "manual" else None,
        "reason": clean_text(read.reason, "reason") if read.source == "manual" else None,
    }
