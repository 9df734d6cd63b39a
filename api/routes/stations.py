"""Stations and their API keys: administrators add them for their unit and below, bind and unbind
their devices, rotate and revoke their keys."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import Field

from api.access import access_of, mark_logged_with_act
from api.deps import API_PREFIX, Administrator, Services, ServicesDep
from api.errors import responses
from api.idempotency import IdempotencyKeyHeader, create_once
from api.schemas import NewStationOut, RequestBody, StationIn, StationOut, StationPage
from custody.db.pages import MAX_PAGE
from custody.db.unit_of_work import Connection
from custody.stations import StationChange

router = APIRouter(prefix=API_PREFIX + "/stations", tags=["stations"])


class DeviceIn(RequestBody):
    device: str = Field(min_length=1, max_length=128, description="The device id to bind")


DevicePath = Annotated[str, Path(min_length=1, max_length=128, description="A device bound to the station")]


class LoggedChange:
    """The request's access-log entry, saying what changed, written by the core in the change's own
    transaction; once the change is committed, the route tells the access-log middleware that the
    request is logged (a request that changed nothing is logged by the middleware as usual)."""

    def __init__(self, request: Request, services: Services, status: int) -> None:
        self.request, self.services, self.status = request, services, status
        self.written = False

    def __call__(self, conn: Connection, change: StationChange) -> None:
        entry = replace(access_of(self.request.scope, self.status), note=change.note())
        self.services.access_log.act_for(entry)(conn)
        self.written = True

    def committed(self) -> None:
        if self.written:
            mark_logged_with_act(self.request, self.status)


@router.get("", response_model=StationPage, responses=responses(401, 403, 422))
def list_stations(
    caller: Administrator,
    services: ServicesDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> StationPage:
    page = services.stations.list(caller.actor, cursor, limit)
    return StationPage(
        stations=[StationOut.model_validate(s) for s in page.rows], next_cursor=page.next_cursor
    )


@router.post("", status_code=201, response_model=NewStationOut, responses=responses(401, 403, 404, 409, 422))
def add_station(
    body: StationIn,
    caller: Administrator,
    services: ServicesDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Add a station; the answer carries its API key, which is never shown again (``Idempotency-Key``:
    a retry gets the first answer without the key, which is never kept)."""
    logged = LoggedChange(request, services, 201)
    answer = create_once(
        request,
        services,
        caller,
        idempotency_key,
        body,
        lambda also: services.stations.add(
            caller.actor,
            body.name,
            body.unit_code,
            body.department,
            body.devices,
            logged,
            also=also,
            location_code=body.location_code,
        ),
        lambda added: NewStationOut(station=StationOut.model_validate(added[0]), key=added[1]),
        lambda out: f"{API_PREFIX}/stations/{out.station.name}",
        kept=lambda station: NewStationOut(station=StationOut.model_validate(station), key=None),
    )
    if "idempotent-replayed" not in answer.headers:  # a replay's own act (and entry) was not committed
        logged.committed()
    return answer


@router.get("/{name}", response_model=StationOut, responses=responses(401, 403, 404))
def show_station(name: str, caller: Administrator, services: ServicesDep) -> StationOut:
    return StationOut.model_validate(services.stations.get(caller.actor, name))


@router.post("/{name}/revoke", response_model=StationOut, responses=responses(401, 403, 404))
def revoke_station(name: str, caller: Administrator, services: ServicesDep, request: Request) -> StationOut:
    """Revoke the station's key: it stops working at the next request."""
    logged = LoggedChange(request, services, 200)
    revoked = services.stations.revoke(caller.actor, name, logged)
    logged.committed()
    return StationOut.model_validate(revoked)


@router.post("/{name}/devices", response_model=StationOut, responses=responses(401, 403, 404, 409, 422))
def bind_device(
    name: str, body: DeviceIn, caller: Administrator, services: ServicesDep, request: Request
) -> StationOut:
    """Bind another device to the station (at most 16; not to a revoked station)."""
    logged = LoggedChange(request, services, 200)
    station = services.stations.bind(caller.actor, name, body.device, logged)
    logged.committed()
    return StationOut.model_validate(station)


@router.delete(
    "/{name}/devices/{device:path}", response_model=StationOut, responses=responses(401, 403, 404, 409, 422)
)
def unbind_device(
    name: str, device: DevicePath, caller: Administrator, services: ServicesDep, request: Request
) -> StationOut:
    """Unbind a device from the station: its scans are refused from now on. Never the last device."""
    logged = LoggedChange(request, services, 200)
    station = services.stations.unbind(caller.actor, name, device, logged)
    logged.committed()
    return StationOut.model_validate(station)


@router.post("/{name}/key", response_model=NewStationOut, responses=responses(401, 403, 404, 409))
def rotate_key(name: str, caller: Administrator, services: ServicesDep, request: Request) -> NewStationOut:
    """Issue the station a new API key, shown this once; the old key is refused from now on. A revoked
    station cannot be given a key again."""
    logged = LoggedChange(request, services, 200)
    station, key = services.stations.rotate_key(caller.actor, name, logged)
    logged.committed()  # the answer is never stored: every answer says Cache-Control: no-store
    return NewStationOut(station=StationOut.model_validate(station), key=key)
