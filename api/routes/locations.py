"""Storage locations of the units' stores (store → room → shelf → bin): added by custodians and
administrators, read by everyone of the unit's scope (a location outside it is answered as missing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import API_PREFIX, Admits, Caller, ServicesDep
from api.errors import responses
from api.schemas import LocationIn, LocationList, LocationOut
from custody.locations import LOCATION_ROLES
from custody.model import Role
from custody.units import UNIT_CODE_LENGTH

router = APIRouter(prefix=API_PREFIX + "/locations", tags=["sealed storage"])

LocationKeeper = Annotated[Caller, Depends(Admits(*sorted(LOCATION_ROLES)))]
LocationReader = Annotated[
    Caller, Depends(Admits(Role.CLERK, Role.CUSTODIAN, Role.AUDITOR, Role.DESTRUCTION_OFFICER, Role.ADMIN))
]


@router.post("", status_code=201, response_model=LocationOut, responses=responses(401, 403, 404, 409, 422))
def add_location(body: LocationIn, caller: LocationKeeper, services: ServicesDep) -> LocationOut:
    """Add a location to the store of the code's unit (the caller's unit or one below it); a room,
    shelf or bin needs the location it lies in."""
    return LocationOut.model_validate(services.custody.locations.add(caller.actor, body.code, body.name))


@router.get("", response_model=LocationList, responses=responses(401, 403, 422))
def list_locations(
    caller: LocationReader,
    services: ServicesDep,
    unit_code: Annotated[
        str | None, Query(max_length=UNIT_CODE_LENGTH, description="Only this unit's")
    ] = None,
) -> LocationList:
    """The locations of the caller's unit and the units below, by code."""
    found = services.custody.locations.list(caller.actor, unit_code)
    return LocationList(locations=[LocationOut.model_validate(each) for each in found])
