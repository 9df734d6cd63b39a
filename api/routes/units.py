"""Police units: reference data every caller may read; administrators add units below their own."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import API_PREFIX, Administrator, AnyCaller, ServicesDep
from api.errors import responses
from api.schemas import UnitIn, UnitOut
from custody.unit_admin import add_unit

router = APIRouter(prefix=API_PREFIX + "/units", tags=["units"])


@router.get("", response_model=list[UnitOut], responses=responses(401, 403))
def list_units(caller: AnyCaller, services: ServicesDep) -> list[UnitOut]:
    """Every unit of the province, by code."""
    return [UnitOut(**row) for row in services.queries.units()]


@router.get("/{code}", response_model=UnitOut, responses=responses(401, 403, 404))
def show_unit(code: str, caller: AnyCaller, services: ServicesDep) -> UnitOut:
    return UnitOut(**services.custody.unit(code))


@router.post("", status_code=201, response_model=UnitOut, responses=responses(401, 403, 404, 409, 422))
def create_unit(body: UnitIn, caller: Administrator, services: ServicesDep) -> UnitOut:
    """Add a unit under the administrator's unit or a unit below it."""
    added = add_unit(
        services.custody,
        caller.actor,
        body.code,
        body.parent_code,
        body.name_zh,
        body.name_en,
        body.level,
        body.note,
    )
    return UnitOut(**added)
