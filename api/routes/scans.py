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
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import API_PREFIX, AdmitsStations, Caller, ServicesDep
from api.errors import responses
from custody.errors import NotPermitted
from custody.model import Role
from custody.scans import Scan, Station, record_sighting_future

router = APIRouter(prefix=API_PREFIX, tags=["scans"])


class StationsOnly(AdmitsStations):
    """Stations post scans; a user's session may not (a sighting is what a station's device saw)."""

    def admit(
        self, request: Request, services: Any, bearer: Any, station_key: str | None, device: str | None
    ) -> Caller:
        caller = super().admit(request, services, bearer, station_key, device)
        if caller.station is None:
            raise NotPermitted("only a station posts scans (X-Station-Key)")
        return caller

    def describe(self) -> str:
        return "Admits: stations only (X-Station-Key, X-Station-Device)."


# Users may not post scans; the role list only satisfies Admits (no role is admitted, see StationsOnly).
StationCaller = Annotated[Caller, Depends(StationsOnly(Role.CLERK))]
FeedReader = Annotated[Caller, Depends(AdmitsStations(Role.CLERK, Role.CUSTODIAN, Role.AUDITOR))]


class ScanIn(BaseModel):
    """One device event: a barcode (``code``) or a tag read (``uid`` and the NDEF ``text`` if any)."""

    model_config = ConfigDict(extra="forbid")

    device: str = Field(min_length=1, max_length=128, description="The station's device that read it")
    idempotency_key: str = Field(min_length=1, max_length=128, description="Derived from the device event")
    code: str | None = Field(
        default=None, max_length=512, description="Barcode data (AIM identifier removed)"
    )
    symbology: str | None = Field(default=None, max_length=8, description="AIM symbology, e.g. C0")
    uid: str | None = Field(default=None, max_length=32, description="Tag UID in hex")
    text: str | None = Field(default=None, max_length=512, description="The tag's NDEF text")
    device_time: str | None = Field(default=None, max_length=64, description="When the device read it")


class SightingOut(BaseModel):
    seq: int = Field(description="The sighting's place in the custody ledger")
    evidence_no: str
    state: str
    version: int
    station: str
    replayed: bool = Field(description="True: a retry of a scan already recorded; nothing new was written")


class SightingFeed:
    """Accepted sightings, fanned out to the desks that listen (in this process)."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def publish(self, station: str, sighting: dict[str, Any]) -> None:
        for listener in self._listeners.get(station, ()):
            listener.put_nowait(sighting)

    async def listen(self, station: str, request: Request) -> AsyncIterator[str]:
        listener: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listeners[station].add(listener)
        try:
            yield ": listening\n\n"
            while not await request.is_disconnected():
                try:
                    sighting = await asyncio.wait_for(listener.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                data = json.dumps(sighting, ensure_ascii=False)
                yield f"event: sighting\nid: {sighting['seq']}\ndata: {data}\n\n"
        finally:
            self._listeners[station].discard(listener)


def feed_of(request: Request) -> SightingFeed:
    feed: SightingFeed | None = getattr(request.app.state, "sighting_feed", None)
    if feed is None:
        feed = request.app.state.sighting_feed = SightingFeed()
    return feed


@router.post(
    "/scans",
    status_code=201,
    response_model=SightingOut,
    responses={
        200: {"description": "A retry: the first answer, nothing new written", "model": SightingOut},
        **responses(401, 403, 404, 409, 422, 503),
    },
)
async def post_scan(
    body: ScanIn, request: Request, response: Response, services: ServicesDep, caller: StationCaller
) -> dict[str, Any]:
    """Record a sighting of the item the scan names (evidence number, tag text, or a bound tag's UID).

    An unknown number, a tag bound to nothing and an item outside the station's unit answer the same
    404. The device must be one of the station's own.
    """
    station = caller.station
    assert station is not None  # StationsOnly
    station.require_device(body.device)
    scan = Scan(**body.model_dump())
    answer = await asyncio.wrap_future(
        record_sighting_future(services.custody, Station(station.name, station.unit_code, station.name), scan)
    )
    if answer["replayed"]:
        response.status_code = 200
    else:
        feed_of(request).publish(station.name, answer)
    return answer


@router.get(
    "/stations/{name}/sightings", responses=responses(401, 403, 404), response_class=StreamingResponse
)
async def sighting_feed(
    name: str, request: Request, services: ServicesDep, caller: FeedReader
) -> StreamingResponse:
    """Server-sent events: each sighting the station ``name`` makes from now on (``event: sighting``)."""
    services.stations.get(caller.actor, name)  # 404 unless the station is in the caller's scope
    if caller.station is not None and caller.station.name != name:
        raise NotPermitted("a station listens to its own sightings only")
    return StreamingResponse(feed_of(request).listen(name, request), media_type="text/event-stream")
