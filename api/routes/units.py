"""Police units: reference data every caller may read; administrators add units below their own."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.deps import API_PREFIX, Administrator, AnyCaller, ServicesDep
from api.errors import responses
from api.idempotency import IdempotencyKeyHeader, create_once
from api.schemas import UnitIn, UnitOut
from custody.db.unit_of_work import Also
from custody.records import Unit

router = APIRouter(prefix=API_PREFIX + "/units", tags=["units"])


@router.get("", response_model=list[UnitOut], responses=responses(401, 403))
def list_units(caller: AnyCaller, services: ServicesDep) -> list[UnitOut]:
    """Every unit of the province, by code."""
    return [UnitOut.model_validate(unit) for unit in services.custody.units.all()]


@router.get("/{code}", response_model=UnitOut, responses=responses(401, 403, 404))
def show_unit(code: str, caller: AnyCaller, services: ServicesDep) -> UnitOut:
    return UnitOut.model_validate(services.custody.units.get(code))


@router.post("", status_code=201, response_model=UnitOut, responses=responses(401, 403, 404, 409, 422))
def create_unit(
    body: UnitIn,
    caller: Administrator,
    services: ServicesDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Add a unit under the administrator's unit or a unit below it (``Idempotency-Key``: a retry gets
    the first answer)."""

    def add(also: Also | None) -> Unit:
        return services.custody.units.add(
            caller.actor,
            body.code,
            body.parent_code,
            body.name_zh,
            body.name_en,
            body.level,
            body.note,
            also=also,
        )

    return create_once(
        request,
        services,
        caller,
        idempotency_key,
        body,
        add,
        UnitOut.model_validate,
        lambda unit: f"{API_PREFIX}/units/{unit.code}",
    )
