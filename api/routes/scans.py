"""Scan intake: a station posts what its scanner or reader saw; each scan is one sighting, exactly once.

``POST /api/v1/scans`` answers only once the sighting is committed (group commit, ``synchronous=FULL``
on SQLite): 201 for a new sighting, 200 with the same answer for a retry (same idempotency key and body),
409 for a key reused with another body. ``GET /api/v1/stations/{name}/sightings`` streams a station's
accepted sightings as server-sent events, for the desks.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.access import EntryWithAct
from api.deps import API_PREFIX, AdmitsScanners, AdmitsStations, Caller, ServicesDep, get_services
from api.errors import responses
from api.idempotency import idempotency_key_of
from api.schemas import StoredText
from custody.errors import DeviceNotBound, InvalidInput, Message, NotPermitted, StationRevoked
from custody.model import LocationLevel, Role, SealStatus
from custody.scans import Scan, ScanSource, TamperLoop

router = APIRouter(prefix=API_PREFIX, tags=["scans"])

KEYS_DIFFER = Message("scan.idempotency_keys_differ", "the Idempotency-Key header and idempotency_key differ")
KEY_MISSING = Message(
    "scan.idempotency_key_missing", "a scan carries an idempotency key (idempotency_key or Idempotency-Key)"
)
OWN_SIGHTINGS_ONLY = Message("scan.own_sightings_only", "a station listens to its own sightings only")


# Stations post what their devices read; a clerk may post a scan made at the desk (keyboard-wedge scanner).
# the desks that scan items: intake (clerks) and the store (custodians); audits and destruction sites
# record their reads through their own routes
SCANNING_ROLES = (Role.CLERK, Role.CUSTODIAN)
# every desk follows its station's scans: intake, store, audit, destruction site, an investigator's lookup
LISTENING_ROLES = (Role.CLERK, Role.INVESTIGATOR, Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER)
Scanner = Annotated[Caller, Depends(AdmitsScanners(*SCANNING_ROLES))]
FeedReader = Annotated[Caller, Depends(AdmitsStations(*LISTENING_ROLES))]


class ScanIn(BaseModel):
    """One device event: a barcode (``code``) or a tag read (``uid`` and the NDEF ``text`` if any)."""

    model_config = ConfigDict(extra="forbid")

    device: Annotated[str, StoredText("device", required=True)] = Field(
        description="The station's device that read it"
    )
    idempotency_key: Annotated[str, StoredText("idempotency_key", required=True)] | None = Field(
        default=None,
        description="Derived from the device event (or sent as the Idempotency-Key header)",
    )
    code: Annotated[str, StoredText("code")] | None = Field(
        default=None, description="Barcode data (AIM identifier removed)"
    )
    symbology: Annotated[str, StoredText("symbology")] | None = Field(
        default=None, description="AIM symbology, e.g. C0"
    )
    uid: str | None = Field(default=None, max_length=32, description="Tag UID in hex")
    text: Annotated[str, StoredText("text")] | None = Field(default=None, description="The tag's NDEF text")
    device_time: Annotated[str, StoredText("device_time")] | None = Field(
        default=None, description="When the device read it"
    )
    tamper: TamperLoop | None = Field(
        default=None,
        description="A tamper-evident tag's loop as the reader found it (NTAG 213 TT): closed, open, "
        "not_measured, or unreadable when the reader could not ask; a tag read (uid) only",
    )
    tamper_opened_before: bool | None = Field(
        default=None, description="The tag recorded its loop open at an earlier power-up (a broken seal)"
    )


class ScanWarning(BaseModel):
    key: str = Field(description="A stable message key, for a desk's own catalogue")
    text: str


class _Answer(BaseModel):
    station: str
    replayed: bool = Field(description="True: a retry of a scan already recorded; nothing new was written")
    tamper: TamperLoop | None = Field(default=None, description="The tag's tamper loop, when it reported one")
    warnings: list[ScanWarning] = Field(default=[], description="What the desk must see (e.g. a broken seal)")


class SightingOut(_Answer):
    """An evidence number (or a tag bound to an item) read: one sighting of the item."""

    kind: Literal["evidence"] = "evidence"
    seq: int = Field(description="The sighting's place in the custody ledger")
    evidence_no: str
    state: str
    version: int


class StoredItemOut(BaseModel):
    evidence_no: str
    state: str
    version: int
    seal_no: str | None
    location_code: str | None
    seq: int | None = Field(default=None, description="This item's sighting (a seal scan)")


class SealSightingOut(_Answer):
    """A seal number (or a tag bound to a seal) read: one sighting per item inside an intact seal;
    a void seal is answered as such (``seq`` null, nothing recorded)."""

    kind: Literal["seal"]
    seq: int | None = Field(description="The last of the items' sightings; null for a void seal")
    seal_no: str
    status: SealStatus
    location_code: str
    tag_uid: str | None
    sealed_at: datetime
    items: list[StoredItemOut] = Field(description="What the seal holds (held, when void)")
    voided_at: datetime | None = None
    void_reason: str | None = None


class LocationOut(BaseModel):
    code: str
    name: str
    level: LocationLevel
    unit_code: str
    parent_code: str | None


class SealedAtOut(BaseModel):
    seal_no: str
    location_code: str
    tag_uid: str | None
    items: int = Field(description="How many items the seal holds")


class LocationScanOut(_Answer):
    """A location code read: the location and what lies at it and below it; nothing is recorded."""

    kind: Literal["location"]
    seq: None = None
    location: LocationOut
    items: list[StoredItemOut] = Field(description="Items placed there (at most 500)")
    item_count: int
    seals: list[SealedAtOut] = Field(description="Intact seals there (at most 500)")
    seal_count: int


ScanAnswer = SightingOut | SealSightingOut | LocationScanOut


class SightingFeed:
    """Accepted sightings, fanned out to the desks that listen to this process.

    On SQLite (one service process) the routes that record scans publish their answers here directly.
    On PostgreSQL several processes may record them, so every process hears each new sighting from the
    database (:mod:`custody.db.notices`: the scan's transaction notifies on commit) and reads its answer
    back, for the desks listening here; the routes then publish nothing themselves."""

    def __init__(self, heard: Callable[[str, str], dict[str, Any] | None] | None = None) -> None:
        self._listeners: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]]] = (
            defaultdict(set)
        )
        self._heard = heard  # (station, idempotency key) -> the scan's answer, for notices

    def listeners(self, station: str) -> int:
        return len(self._listeners.get(station, ()))

    def recorded(self, station: str, sighting: dict[str, Any]) -> None:
        """A route recorded new sightings: publish them, unless every process hears them as notices."""
        if self._heard is None:
            self.publish(station, sighting)

    def notice(self, payload: str) -> None:
        """A notice of new sightings (from the listener's thread): read the answer back and publish it,
        when a desk listens to that station here."""
        assert self._heard is not None
        told = json.loads(payload)
        station, key = str(told["station"]), str(told["key"])
        if not self.listeners(station):
            return
        answer = self._heard(station, key)
        if answer is not None:
            self.publish(station, answer)

    def publish(self, station: str, sighting: dict[str, Any]) -> None:
        for loop, listener in list(self._listeners.get(station, ())):
            loop.call_soon_threadsafe(listener.put_nowait, sighting)

    async def listen(
        self, station: str, seconds: float | None, events: int | None
    ) -> AsyncIterator[ServerSentEvent]:
        """Sightings as server-sent events until the client leaves (the response cancels this), or
        after ``seconds`` or ``events``. Idle streams get FastAPI's keep-alive comments."""
        listener: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        entry = (loop, listener)
        self._listeners[station].add(entry)
        deadline = None if seconds is None else loop.time() + seconds
        sent = 0
        try:
            yield ServerSentEvent(comment="listening")
            while events is None or sent < events:
                wait = None if deadline is None else deadline - loop.time()
                if wait is not None and wait <= 0:
                    return
                try:
                    sighting = await asyncio.wait_for(listener.get(), timeout=wait)
                except TimeoutError:
                    return
                sent += 1
                data = json.dumps(sighting, ensure_ascii=False)
                yield ServerSentEvent(event="sighting", id=str(sighting["seq"]), raw_data=data)
        finally:
            self._listeners[station].discard(entry)


def feed_of(request: Request) -> SightingFeed:
    feed: SightingFeed | None = getattr(request.app.state, "sighting_feed", None)
    if feed is None:
        feed = request.app.state.sighting_feed = SightingFeed()
    return feed


async def scan_body(request: Request) -> ScanIn:
    """The request's scan, validated straight from its JSON bytes (one pass, in pydantic's core); a
    malformed one answers 422 like any other invalid body."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise RequestValidationError(
            [{"type": "json_type", "loc": ("body",), "msg": "send the scan as JSON (application/json)"}]
        )
    try:
        return ScanIn.model_validate_json(await request.body())
    except ValidationError as invalid:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in invalid.errors()]
        ) from None


def scan_key(body: ScanIn, request: Request) -> str:
    """The scan's idempotency key: the body's field or the ``Idempotency-Key`` header (the same if both)."""
    header = idempotency_key_of(request)
    if body.idempotency_key is not None and header is not None and body.idempotency_key != header:
        raise InvalidInput(KEYS_DIFFER, "idempotency_key")
    key = body.idempotency_key or header
    if key is None:
        raise InvalidInput(KEY_MISSING, "idempotency_key")
    return key


def scan_source(caller: Caller) -> ScanSource:
    """Where the caller's scans come from: its station (the key it came with and the location it
    stands at, both read again in the scan's transaction), or the desk user scanning."""
    if caller.station is not None:
        return ScanSource(
            caller.station.name,
            caller.station.unit_code,
            caller.station.location_code,
            station_id=caller.station.id,
            key_sha256=caller.station.key_sha256,
        )
    return ScanSource(f"user:{caller.actor.username}", caller.actor.unit_code, actor_id=caller.actor.id)


def status_of(answer: dict[str, Any]) -> int:
    """201 for a scan that recorded sightings now; 200 for a retry, and for one that records nothing
    (a location code, a void seal)."""
    return 200 if answer["replayed"] or answer.get("seq") is None else 201


@router.post(
    "/scans",
    status_code=201,
    response_model=ScanAnswer,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ScanIn.model_json_schema()}},
        }
    },
    responses={
        200: {
            "description": "A retry: the first answer, nothing new written; or a scan that records "
            "nothing (a location code, a void seal)",
            "model": ScanAnswer,
        },
        **responses(401, 403, 404, 409, 422, 503),
    },
)
async def post_scan(request: Request, caller: Scanner) -> JSONResponse:
    """Record what the scan names (evidence number, seal number or location code, as a barcode, a
    tag's text, or a bound tag's UID): an item's sighting, a sighting of each item inside a seal, or
    the location and what lies there (nothing recorded). The station's storage location is recorded
    with each sighting, and a tag's tamper status.

    An unknown number, a tag bound to nothing and an item, seal or location outside the caller's unit
    answer the same 404. A station's device must be one of its own; a clerk's scan is recorded as the
    clerk's.
    """
    body = await scan_body(request)  # read here, not as a parameter: the busiest route skips a pass
    if caller.station is not None:
        caller.station.require_device(body.device)
    where = scan_source(caller)
    services = await get_services(request)
    scan = Scan(**{**body.model_dump(), "idempotency_key": scan_key(body, request)})

    logged = EntryWithAct(request, services.access_log, status_of)  # one commit a scan
    try:
        answer = await services.custody.scans.record_async(where, scan, logged)
    except (StationRevoked, DeviceNotBound):  # the remembered station is older than its row
        if caller.station is not None:
            services.stations.forget(caller.station.id)
        raise
    logged.committed()
    status = status_of(answer)
    if status == 201:
        feed_of(request).recorded(where.name, answer)
    return JSONResponse(answer, status_code=status)


async def listened_station(name: str, services: ServicesDep, caller: FeedReader) -> str:
    """The station whose feed is asked for, checked before the stream starts (404 unless it is in the
    caller's scope; a station listens to its own sightings only)."""
    services.stations.get(caller.actor, name)
    if caller.station is not None and caller.station.name != name:
        raise NotPermitted(OWN_SIGHTINGS_ONLY)
    return name


@router.get(
    "/stations/{name}/sightings", responses=responses(401, 403, 404), response_class=EventSourceResponse
)
async def sighting_feed(
    request: Request,
    _caller: FeedReader,  # admission, declared on the route itself (api.app checks every route's)
    name: Annotated[str, Depends(listened_station)],
    seconds: Annotated[float | None, Query(gt=0, le=86400, description="Close the stream after this")] = None,
    events: Annotated[int | None, Query(ge=1, le=100_000, description="Close after this many")] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events: each sighting the station ``name`` makes from now on (``event: sighting``,
    its ledger ``seq`` as the event's ``id``)."""
    async for event in feed_of(request).listen(name, seconds, events):
        yield event
