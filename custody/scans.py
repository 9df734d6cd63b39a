"""Scan intake: what a station's scanner or reader saw becomes a sighting in the ledger, exactly once.

A station (a desk PC, an audit handheld) is authenticated by the service; here it is plain values: its
name, its unit and where it stands. Each scan carries an idempotency key derived from the device event;
the first delivery records a ``sighted`` event and a receipt in the same transaction, a retry with the same
key and body gets the same answer and writes nothing, and the same key with a different body is refused.
An unknown evidence number, a tag bound to nothing and an item outside the station's unit get the same
refusal, so a station cannot probe for items it may not see.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, cast, get_args

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection

from custody.db.ledger_store import record_event
from custody.db.prepared import Prepared, PreparedInsert
from custody.db.tables import ItemRow, ScanReceiptRow
from custody.db.unit_of_work import Store
from custody.errors import IdempotencyConflict, InvalidInput, Message, TransitionRefused, UnknownItem
from custody.intake import clean_text
from custody.items import UNKNOWN_ITEM
from custody.ledger import canonical_payload
from custody.lifecycle import normal_uid
from custody.model import EventType
from custody.numbers import canonical_number
from custody.station_keys import require_live
from custody.text import IDEMPOTENCY_KEY_LENGTH

KEY_TOO_LONG = Message("scan.idempotency_key_too_long", "idempotency_key is at most {max_length} characters")
CODE_OR_UID = Message("scan.code_or_uid", "a scan carries either a barcode (code) or a tag read (uid)")
SCAN_KEY_REUSED = Message(
    "scan.idempotency_key_reused", "idempotency key {key!r} was already used for another scan"
)
UNKNOWN_TAG = Message("scan.unknown_tag", "tag {uid} is bound to no item")
TAG_MISMATCH = Message(
    "scan.tag_mismatch", "tag {uid} carries {evidence_no}, but that item is bound to tag {bound_uid}"
)
TAMPER_UNKNOWN = Message(
    "scan.tamper_unknown", "tamper is one of {allowed}, as the tag reader reports the seal loop"
)
TAMPER_FLAG_NOT_BOOL = Message("scan.tamper_opened_before_not_bool", "tamper_opened_before is true or false")
TAMPER_WITHOUT_TAG = Message("scan.tamper_without_tag", "only a tag read (uid) carries a tamper status")
TAMPER_OPEN = Message(
    "scan.tamper_open", "the tamper loop of tag {uid} is open: the seal it closes has been broken"
)
TAMPER_OPENED_BEFORE = Message(
    "scan.tamper_opened_before",
    "the tamper loop of tag {uid} reads closed, but the tag recorded it open before: the seal was broken",
)

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
    """Where a scan comes from, as the service authenticated it: a station (its name, unit and place),
    or a user scanning at a desk (``actor_id`` set, the name ``user:USERNAME``).

    ``station_id`` names the station's row and ``key_sha256`` the digest of the key it came with: the
    sighting's transaction checks that this key is still the station's live key and that the scan's
    device is still bound to it, so a service that remembers keys between requests cannot record a scan
    after a revocation, a key rotation or an unbinding."""

    name: str
    unit_code: str
    location: str = ""
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
        body = {k: v for k, v in self.fields().items() if v is not None or k not in _TAMPER_FIELDS}
        return hashlib.sha256(canonical_payload(body).encode()).hexdigest()


_SCAN_FIELDS = tuple(field.name for field in fields(Scan))
_TAMPER_FIELDS = frozenset({"tamper", "tamper_opened_before"})


def tamper_warnings(uid: str | None, tamper: str | None, opened_before: bool | None) -> list[dict[str, str]]:
    """What an answer warns of a tag's tamper status: its loop open, or found open once before."""
    if uid is None:
        return []
    if tamper == "open":
        return [_warning(TAMPER_OPEN, uid=uid)]
    if opened_before:
        return [_warning(TAMPER_OPENED_BEFORE, uid=uid)]
    return []


def _warning(message: Message, **params: str) -> dict[str, str]:
    return {"key": message.key, "text": message.render(params)}


def _checked(scan: Scan) -> tuple[str, str | None]:
    """The evidence number read (if any) and the normalised UID (if any); refuses a malformed scan."""
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
    number = canonical_number(read) if read else ""
    return number, uid


class Scans:
    """Sightings: a station's (or a desk user's) scans recorded in the ledger, each exactly once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._require_live = require_live

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

    def _sighting(self, source: ScanSource, scan: Scan) -> Callable[[Connection], dict[str, Any]]:
        scan = _cleaned(scan)
        number, uid = _checked(scan)
        digest = scan.digest()
        store, require_live = self.store, self._require_live

        def change(conn: Connection) -> dict[str, Any]:
            if source.station_id is not None:
                require_live(conn, source.station_id, source.key_sha256, scan.device)
            found = _RECEIPT.run(conn, {"station": source.name, "key": scan.idempotency_key}).fetchone()
            if found is not None:
                if found[0] != digest:
                    raise IdempotencyConflict(SCAN_KEY_REUSED, key=scan.idempotency_key)
                return {**json.loads(found[1]), "replayed": True}
            item = _find(conn, store, source, number, uid)
            now = store.now_us()
            payload = {k: v for k, v in scan.fields().items() if v is not None and k != "device"}
            payload.update(location=source.location, source="tag" if uid else "barcode")
            if uid:
                payload["uid"] = uid
            head = record_event(
                conn,
                EventType.SIGHTED,
                now,
                actor_id=source.actor_id,
                unit_code=source.unit_code,
                item_id=item["id"],
                case_id=item["case_id"],
                item_version=item["version"],
                payload=payload,
                station=source.name,
                device=scan.device,
            )
            answer = {
                "seq": head.seq,
                "evidence_no": item["evidence_no"],
                "state": item["state"],
                "version": item["version"],
                "station": source.name,
            }
            if scan.tamper is not None:
                answer["tamper"] = scan.tamper
            warnings = tamper_warnings(uid, scan.tamper, scan.tamper_opened_before)
            if warnings:
                answer["warnings"] = warnings
            _INSERT_RECEIPT.run(
                conn,
                {
                    "station": source.name,
                    "idempotency_key": scan.idempotency_key,
                    "body_sha256": digest,
                    "seq": head.seq,
                    "answer": json.dumps(answer, ensure_ascii=False),
                    "received_at_us": now,
                },
            )
            return {**answer, "replayed": False}

        return change


def _cleaned(scan: Scan) -> Scan:
    """The scan's text fields under the text policy (:mod:`custody.text`); a uid is checked as hex."""
    texts: dict[str, Any] = {
        name: clean_text(getattr(scan, name), name) for name in ("code", "symbology", "text", "device_time")
    }
    return replace(scan, **texts)


def _find(conn: Connection, store: Store, source: ScanSource, number: str, uid: str | None) -> dict[str, Any]:
    if number:
        row = _ITEM_BY_NUMBER.run(conn, {"number": number}).fetchone()
    else:
        row = _ITEM_BY_TAG.run(conn, {"uid": uid}).fetchone()
    item = None if row is None else dict(zip(_FIELDS, row, strict=True))
    if item is None or not store.sees(source, item["unit_code"], conn):
        raise UnknownItem(UNKNOWN_ITEM, evidence_no=number) if number else UnknownItem(UNKNOWN_TAG, uid=uid)
    if uid and item["tag_uid"] and item["tag_uid"] != uid:
        raise TransitionRefused(
            TAG_MISMATCH, uid=uid, evidence_no=item["evidence_no"], bound_uid=item["tag_uid"]
        )
    return item
