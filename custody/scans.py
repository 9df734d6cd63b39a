"""Scan intake: what a station's scanner or reader saw becomes a sighting in the ledger, exactly once.

A station (a desk PC, an audit handheld) is authenticated by the service; here it is plain values: its
name, its unit and the storage location it is bound to. Each scan carries an idempotency key derived
from the device event; the first delivery records its sightings and a receipt in the same transaction, a
retry with the same key and body gets the same answer and writes nothing, and the same key with a
different body is refused.

What was read is told apart by :func:`custody.codes.classify`, each kind checked by its own rules:

* an evidence number (or a tag bound to the item): one ``sighted`` event of the item;
* a seal number (or a tag bound to the seal): one ``sighted`` event per item inside the seal, each with
  the seal number in its payload, answered with the seal, its location and its items (a void seal is
  answered as void and nothing is recorded);
* a location code: answered with the location and what lies there; nothing is recorded (a glance at a
  shelf label is not a sighting of what the shelf holds);
* anything else is refused as no evidence number.

A tag read's tamper status (NTAG 213 TT) goes into every sighting it makes and the answer warns of a
broken seal. A sighting's ``location`` is the station's storage location as its row says in the
sighting's own transaction (None when it is bound to none). An unknown evidence or seal number, a tag
bound to nothing and an item, seal or location outside the station's unit get the same refusal as a
missing one, so a station cannot probe for what it may not see.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, cast, get_args

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection

from custody import scan_storage as storage
from custody.codes import UNKNOWN_CODE, Scanned, classify
from custody.db.ledger_store import record_event
from custody.db.notices import SIGHTINGS, notify
from custody.db.prepared import Prepared, PreparedInsert
from custody.db.tables import ItemRow, ScanReceiptRow
from custody.db.unit_of_work import Store
from custody.errors import (
    IdempotencyConflict,
    InvalidEvidenceNumber,
    InvalidInput,
    Message,
    TransitionRefused,
    UnknownItem,
)
from custody.intake import clean_text
from custody.items import UNKNOWN_ITEM
from custody.ledger import canonical_payload
from custody.lifecycle import normal_uid
from custody.model import EventType, SealStatus
from custody.numbers import canonical_number
from custody.scan_storage import UNKNOWN_TAG
from custody.scan_tamper import tamper_warnings
from custody.station_keys import require_live
from custody.storage_records import Seal
from custody.text import IDEMPOTENCY_KEY_LENGTH

KEY_TOO_LONG = Message("scan.idempotency_key_too_long", "idempotency_key is at most {max_length} characters")
CODE_OR_UID = Message("scan.code_or_uid", "a scan carries either a barcode (code) or a tag read (uid)")
SCAN_KEY_REUSED = Message(
    "scan.idempotency_key_reused", "idempotency key {key!r} was already used for another scan"
)
TAG_MISMATCH = Message(
    "scan.tag_mismatch", "tag {uid} carries {evidence_no}, but that item is bound to tag {bound_uid}"
)
TAMPER_UNKNOWN = Message(
    "scan.tamper_unknown", "tamper is one of {allowed}, as the tag reader reports the seal loop"
)
TAMPER_FLAG_NOT_BOOL = Message("scan.tamper_opened_before_not_bool", "tamper_opened_before is true or false")
TAMPER_WITHOUT_TAG = Message("scan.tamper_without_tag", "only a tag read (uid) carries a tamper status")

TamperLoop = Literal["closed", "open", "not_measured", "unreadable"]
TAMPER_LOOPS: tuple[str, ...] = get_args(TamperLoop)

_items = cast(Table, ItemRow.__table__)
_receipts = cast(Table, ScanReceiptRow.__table__)
_RECEIPT = Prepared(
    select(_receipts.c.body_sha256, _receipts.c.answer).where(
        _receipts.c.station == bindparam("station"), _receipts.c.idempotency_key == bindparam("key")
    )
)
_INSERT_RECEIPT = PreparedInsert(_receipts)
_ITEM_COLUMNS = (
    _items.c.id,
    _items.c.evidence_no,
    _items.c.case_id,
    _items.c.unit_code,
    _items.c.state,
    _items.c.version,
    _items.c.tag_uid,
)
_ITEM_BY_NUMBER = Prepared(select(*_ITEM_COLUMNS).where(_items.c.evidence_no == bindparam("number")))
_ITEM_BY_TAG = Prepared(select(*_ITEM_COLUMNS).where(_items.c.tag_uid == bindparam("uid")))
_FIELDS = ("id", "evidence_no", "case_id", "unit_code", "state", "version", "tag_uid")


@dataclass(frozen=True)
class ScanSource:
    """Where a scan comes from, as the service authenticated it: a station (its name and unit), or a
    user scanning at a desk (``actor_id`` set, the name ``user:USERNAME``). ``location`` is where the
    sighting is recorded for a source without a station row; a station's is read from its row.

    ``station_id`` names the station's row and ``key_sha256`` the digest of the key it came with: the
    sighting's transaction checks that this key is still the station's live key and that the scan's
    device is still bound to it, so a service that remembers keys between requests cannot record a scan
    after a revocation, a key rotation or an unbinding."""

    name: str
    unit_code: str
    location: str | None = None
    actor_id: int | None = None
    station_id: int | None = None
    key_sha256: str | None = None


@dataclass(frozen=True)
class Scan:
    """One device event: a barcode read (``code``) or a tag read (``uid``, with its NDEF text if any).

    A tamper-evident tag (NTAG 213 TT) read also reports its tamper loop as the reader found it
    (``tamper``: closed, open, not_measured, unreadable) and whether the tag recorded the loop open at
    an earlier power-up (``tamper_opened_before``)."""

    device: str
    idempotency_key: str
    code: str | None = None
    symbology: str | None = None
    uid: str | None = None
    text: str | None = None
    device_time: str | None = None
    tamper: str | None = None
    tamper_opened_before: bool | None = None

    def fields(self) -> dict[str, str | bool | None]:
        return {name: getattr(self, name) for name in _SCAN_FIELDS}

    def digest(self) -> str:
        """The body's digest; the tamper fields count only when given, so a scan without them keeps
        the digest it had before they existed (a retry across an upgrade is still the same scan)."""
        body = self.fields()
        if self.tamper is None:
            del body["tamper"]
        if self.tamper_opened_before is None:
            del body["tamper_opened_before"]
        return hashlib.sha256(canonical_payload(body).encode()).hexdigest()


_SCAN_FIELDS = tuple(field.name for field in fields(Scan))


def _checked(scan: Scan) -> tuple[Scanned | None, str | None]:
    """What was read (None for a UID-only tag read) and the normalised UID (if any); refuses a
    malformed scan, and a read that is no evidence number, seal number or location code."""
    clean_text(scan.device, "device", required=True)
    key = clean_text(scan.idempotency_key, "idempotency_key", required=True) or ""
    if len(key) > IDEMPOTENCY_KEY_LENGTH:
        raise InvalidInput(KEY_TOO_LONG, "idempotency_key", max_length=IDEMPOTENCY_KEY_LENGTH)
    if (scan.code is None) == (scan.uid is None):
        raise InvalidInput(CODE_OR_UID, "code")
    if scan.tamper is not None and scan.tamper not in TAMPER_LOOPS:
        raise InvalidInput(TAMPER_UNKNOWN, "tamper", allowed=", ".join(TAMPER_LOOPS))
    if scan.tamper_opened_before is not None and not isinstance(scan.tamper_opened_before, bool):
        raise InvalidInput(TAMPER_FLAG_NOT_BOOL, "tamper_opened_before")
    if scan.uid is None and (scan.tamper is not None or scan.tamper_opened_before is not None):
        raise InvalidInput(TAMPER_WITHOUT_TAG, "tamper")
    uid = normal_uid(scan.uid) if scan.uid is not None else None
    read = scan.code if scan.code is not None else scan.text
    if not read:
        return None, uid
    try:  # the busiest case first: an evidence number takes no more time than it ever did
        return Scanned("evidence", canonical_number(read)), uid
    except InvalidEvidenceNumber:
        scanned = classify(read)  # which kind it is, and what is wrong with it
    if scanned.error is not None:
        if scanned.kind == "unknown":  # refused as before there were other codes: no evidence number
            raise InvalidEvidenceNumber(UNKNOWN_CODE, given=read.strip()[:40])
        raise scanned.error
    return scanned, uid


# A station's scan taken into the open audit the station reads for (None: it reads for none): the
# answer and the ledger point for its receipt (:meth:`custody.services.Custody` wires the audits in).
AuditReads = Callable[[Connection, str, "Scan", str | None, str | None], tuple[dict[str, Any], int] | None]


class Scans:
    """Sightings: a station's (or a desk user's) scans recorded in the ledger, each exactly once."""

    def __init__(self, store: Store, audits: AuditReads | None = None) -> None:
        self.store = store
        self._require_live = require_live
        self._audits = audits

    def record(self, source: ScanSource, scan: Scan) -> dict[str, Any]:
        """Record the scan and return the answer (also the answer to every retry of it)."""
        return self.store.write(self._sighting(source, scan))

    async def record_async(
        self,
        source: ScanSource,
        scan: Scan,
        also: Callable[[Connection, dict[str, Any]], object] | None = None,
    ) -> dict[str, Any]:
        """As :meth:`record`, for coroutines: returns once the sighting is committed.

        ``also`` writes more in the same transaction once the answer is known (the service's access-log
        entry of the request), so a scan costs one commit.
        """
        return await self.store.write_async(self._sighting(source, scan), also)

    def prepared(self, source: ScanSource, scan: Scan) -> Callable[[Connection], dict[str, Any]]:
        """The scan checked, as the change that records it (refusing a malformed scan now)."""
        return self._sighting(source, scan)

    def _sighting(self, source: ScanSource, scan: Scan) -> Callable[[Connection], dict[str, Any]]:
        scan = _cleaned(scan)
        store, require_live, audits = self.store, self._require_live, self._audits
        unknown: InvalidEvidenceNumber | None = None
        try:
            scanned, uid = _checked(scan)
        except InvalidEvidenceNumber as refused:  # a code of no known kind: a finding, for an audit
            if audits is None or source.station_id is None or refused.key != UNKNOWN_CODE.key:
                raise
            scanned, uid, unknown = None, normal_uid(scan.uid) if scan.uid is not None else None, refused
        digest = scan.digest()

        def change(conn: Connection) -> dict[str, Any]:
            location = source.location
            if source.station_id is not None:
                location = require_live(conn, source.station_id, source.key_sha256, scan.device)
            found = _RECEIPT.run(conn, {"station": source.name, "key": scan.idempotency_key}).fetchone()
            if found is not None:
                if found[0] != digest:
                    raise IdempotencyConflict(SCAN_KEY_REUSED, key=scan.idempotency_key)
                return {**json.loads(found[1]), "replayed": True}
            sighting = _Sighting(conn, store, source, scan, uid, location)
            if audits is not None and source.station_id is not None:  # a station reading for an audit
                taken = audits(conn, source.name, scan, uid, location)
                if taken is not None:
                    return sighting.answered(*taken, digest)
            if unknown is not None:
                raise unknown
            if scanned is None or scanned.kind == "evidence":
                number = "" if scanned is None else scanned.value
                item = _find(conn, store, source, number, uid)
                if item is None:  # a UID-only read of a tag bound to no item: a seal's tag, or nothing
                    return sighting.of_seal(storage.seal_by_tag(conn, str(uid)), str(uid), digest)
                return sighting.of_item(item, digest)
            if scanned.kind == "seal":
                return sighting.of_seal(storage.seal_by_number(conn, scanned.value), scanned.value, digest)
            return storage.location_answer(conn, store, source, scanned.value, source.name)

        def notifying(conn: Connection) -> dict[str, Any]:
            answer = change(conn)
            if not answer.get("replayed") and answer.get("seq") is not None:  # new sightings: tell the desks
                heard = json.dumps({"station": source.name, "key": scan.idempotency_key}, ensure_ascii=False)
                notify(conn, SIGHTINGS, heard)
            return answer

        return notifying

    def receipt(self, station: str, key: str) -> dict[str, Any] | None:
        """The answer kept for the station's scan of this idempotency key (None: no such scan)."""
        with self.store.reading() as conn:
            found = _RECEIPT.run(conn, {"station": station, "key": key}).fetchone()
        return None if found is None else {**json.loads(found[1]), "replayed": False}


class _Sighting:
    """The recording of one scan in its transaction: a sighting event per item seen, the receipt."""

    def __init__(
        self,
        conn: Connection,
        store: Store,
        source: ScanSource,
        scan: Scan,
        uid: str | None,
        location: str | None,
    ) -> None:
        self.conn, self.store, self.source, self.scan, self.uid = conn, store, source, scan, uid
        self.now = store.now_us()
        payload: dict[str, Any] = {k: v for k, v in scan.fields().items() if v is not None and k != "device"}
        payload.update(location=location, source="tag" if uid else "barcode")
        if uid:
            payload["uid"] = uid
        self.payload = payload

    def event(self, item_id: int, case_id: int, version: int, payload: dict[str, Any]) -> int:
        head = record_event(
            self.conn,
            EventType.SIGHTED,
            self.now,
            actor_id=self.source.actor_id,
            unit_code=self.source.unit_code,
            item_id=item_id,
            case_id=case_id,
            item_version=version,
            payload=payload,
            station=self.source.name,
            device=self.scan.device,
        )
        return head.seq

    def answered(self, answer: dict[str, Any], seq: int, digest: str) -> dict[str, Any]:
        """The answer with the scan's tamper status and warnings, kept as the receipt of the scan."""
        if self.scan.tamper is not None:
            answer["tamper"] = self.scan.tamper
        warnings = answer.pop("warnings", []) + tamper_warnings(
            self.uid, self.scan.tamper, self.scan.tamper_opened_before
        )
        if warnings:
            answer["warnings"] = warnings
        _INSERT_RECEIPT.run(
            self.conn,
            {
                "station": self.source.name,
                "idempotency_key": self.scan.idempotency_key,
                "body_sha256": digest,
                "seq": seq,
                "answer": json.dumps(answer, ensure_ascii=False),
                "received_at_us": self.now,
            },
        )
        return {**answer, "replayed": False}

    def of_item(self, item: dict[str, Any], digest: str) -> dict[str, Any]:
        seq = self.event(item["id"], item["case_id"], item["version"], self.payload)
        answer = {
            "kind": "evidence",
            "seq": seq,
            "evidence_no": item["evidence_no"],
            "state": item["state"],
            "version": item["version"],
            "station": self.source.name,
        }
        return self.answered(answer, seq, digest)

    def of_seal(self, seal: Seal | None, named: str, digest: str) -> dict[str, Any]:
        """One sighting per item inside an intact seal (the seal number in each payload); a void (or
        empty) seal is answered as such, with nothing recorded."""
        seal, items = storage.seal_seen(self.conn, self.store, self.source, seal, named, self.uid)
        if seal.status is not SealStatus.INTACT or not items:
            return storage.unrecorded_seal_answer(seal, items, self.source.name)
        payload = {**self.payload, "seal_no": seal.seal_no}
        seen = [(item, self.event(item.id, item.case_id, item.version, payload)) for item in items]
        answer = storage.seal_answer(seal, seen, self.source.name)
        return self.answered(answer, seen[-1][1], digest)


def _cleaned(scan: Scan) -> Scan:
    """The scan's text fields under the text policy (:mod:`custody.text`); a uid is checked as hex."""
    texts: dict[str, Any] = {
        name: clean_text(getattr(scan, name), name) for name in ("code", "symbology", "text", "device_time")
    }
    return replace(scan, **texts)


def _find(
    conn: Connection, store: Store, source: ScanSource, number: str, uid: str | None
) -> dict[str, Any] | None:
    """The item a number names (refused when unknown or out of scope), or the item a UID-only read's
    tag is bound to (None when the tag is bound to no item)."""
    if number:
        row = _ITEM_BY_NUMBER.run(conn, {"number": number}).fetchone()
    else:
        row = _ITEM_BY_TAG.run(conn, {"uid": uid}).fetchone()
        if row is None:
            return None
    item = None if row is None else dict(zip(_FIELDS, row, strict=True))
    if item is None or not store.sees(source, item["unit_code"], conn):
        raise UnknownItem(UNKNOWN_ITEM, evidence_no=number) if number else UnknownItem(UNKNOWN_TAG, uid=uid)
    if uid and item["tag_uid"] and item["tag_uid"] != uid:
        raise TransitionRefused(
            TAG_MISMATCH, uid=uid, evidence_no=item["evidence_no"], bound_uid=item["tag_uid"]
        )
    return item
