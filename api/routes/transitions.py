"""Lifecycle acts on an item, one endpoint each, every one carrying the item version the caller read.

The table below pairs each act with its path and request body; the roles an endpoint admits are the
core's own (:data:`custody.lifecycle.TRANSITIONS`), and the core checks them again with the state, the
guards and the version. Later lifecycle steps (seal, sample, destruction) add a row here.
"""

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from api.deps import API_PREFIX, Admits, Caller, ServicesDep, client_address
from api.errors import responses
from api.schemas import (
    CheckoutIn,
    ConsumptionIn,
    CorrectionIn,
    CountIn,
    HandoverIn,
    ItemOut,
    ReturnIn,
    TransferIn,
)
from custody import lifecycle
from custody.model import EventType

router = APIRouter(prefix=API_PREFIX, tags=["transitions"])
# Second persons of a two-person act: a body naming one carries their own password as ``<part>_password``;
# the core (``Identity.act``) checks them as logins are checked (counted, throttled: 429, locked).
SECOND_PERSONS = ("receiver", "witness")

ACTS: list[tuple[str, EventType, type[BaseModel], str]] = [
    ("transfer", EventType.TRANSFERRED, TransferIn, "Transfer an item to another unit"),
    ("checkout", EventType.CHECKED_OUT, CheckoutIn, "Check an item out to the lab or to court"),
    ("return", EventType.RETURNED, ReturnIn, "Record a checked-out item's return"),
    (
        "handover",
        EventType.HANDED_OVER,
        HandoverIn,
        "Hand an item of a closed or judged case over to sealed storage (移交治安部门封存)",
    ),
    ("correction", EventType.CORRECTED, CorrectionIn, "Record a correction; the corrected record stays"),
    ("count", EventType.COUNTED, CountIn, "Record a recount of an ammunition lot"),
    ("consumption", EventType.CONSUMED, ConsumptionIn, "Record rounds of a lot used up (e.g. test firing)"),
]


def _add_act(path: str, event: EventType, body_model: type[BaseModel], summary: str) -> None:
    admitted = Admits(*sorted(lifecycle.transition_for(event).roles))
    confirmed = tuple(part for part in SECOND_PERSONS if f"{part}_password" in body_model.model_fields)

    def record(
        evidence_no: str,
        body: body_model,  # type: ignore[valid-type]
        caller: Annotated[Caller, Depends(admitted)],
        services: ServicesDep,
        request: Request,
    ) -> ItemOut:
        values: dict[str, Any] = cast(BaseModel, body).model_dump(mode="json")
        version = values.pop("version")
        witness = values.pop("witness", None)
        given = {part: values.pop(f"{part}_password", None) for part in confirmed}
        passwords = {part: password for part, password in given.items() if password is not None}
        after = services.identity.act(
            caller.actor, evidence_no, event, version, values, witness, passwords, client_address(request)
        )
        return ItemOut.model_validate(after)

    record.__name__ = f"record_{event.value}"
    record.__doc__ = f"{summary}."
    router.add_api_route(
        f"/items/{{evidence_no}}/{path}",
        record,
        methods=["POST"],
        response_model=ItemOut,
        summary=summary,
        responses=responses(401, 403, 404, 409, 422, *((429,) if confirmed else ())),
    )


for _path, _event, _model, _summary in ACTS:
    _add_act(_path, _event, _model, _summary)
