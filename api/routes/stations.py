"""Stations and their API keys: administrators add and revoke them for their unit and below."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import API_PREFIX, Administrator, ServicesDep
from api.errors import responses
from api.schemas import NewStationOut, StationIn, StationOut, StationPage, station_out
from custody.queries import MAX_PAGE

router = APIRouter(prefix=API_PREFIX + "/stations", tags=["stations"])


@router.get("", response_model=StationPage, responses=responses(401, 403, 422))
def list_stations(
    caller: Administrator,
    services: ServicesDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> StationPage:
    page = services.stations.list(caller.actor, cursor, limit)
    return StationPage(stations=[station_out(s) for s in page.rows], next_cursor=page.next_cursor)


@router.post("", status_code=201, response_model=NewStationOut, responses=responses(401, 403, 404, 409, 422))
def add_station(
    body: StationIn, caller: Administrator, services: ServicesDep, response: Response
) -> NewStationOut:
    """Add a station; the answer carries its API key, which is never shown again."""
    station, key = services.stations.add(
        caller.actor, body.name, body.unit_code, body.department, body.devices
    )
    response.headers["Cache-Control"] = "no-store"
    return NewStationOut(station=station_out(station.as_dict()), key=key)


@router.get("/{name}", response_model=StationOut, responses=responses(401, 403, 404))
def show_station(name: str, caller: Administrator, services: ServicesDep) -> StationOut:
    return station_out(services.stations.get(caller.actor, name).as_dict())


@router.post("/{name}/revoke", response_model=StationOut, responses=responses(401, 403, 404))
def revoke_station(name: str, caller: Administrator, services: ServicesDep) -> StationOut:
    """Revoke the station's key: it stops working at the next request."""
    return station_out(services.stations.revoke(caller.actor, name).as_dict())
