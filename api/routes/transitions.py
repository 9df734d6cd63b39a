"""Lifecycle acts on an item, one endpoint each, every one carrying the item version the caller read.

The table below pairs each act with its path and request body; the roles an endpoint admits are the
core's own (:data:`custody.lifecycle.TRANSITIONS`), and the core checks them again with the state, the
guards and the version. Later lifecycle steps (seal, sample, destruction) add a row here. Handovers, acts
on a list of items, have their own endpoints (:mod:`api.routes.handovers`).

An act that takes a witness (a correction from the handover offer on) takes them by their own session
token in ``X-Witness-Token``, never by name: the witness logs in at the same desk.
"""

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import API_PREFIX, Admits, Caller, ServicesDep, WitnessDep
from api.errors import responses
from api.schemas import (
    CheckoutIn,
    ConsumptionIn,
    CorrectionIn,
    CountIn,
    ItemOut,
    ReturnIn,
    TransferIn,
)
from custody import lifecycle
from custody.model import EventType

router = APIRouter(prefix=API_PREFIX, tags=["transitions"])

ACTS: list[tuple[str, EventType, type[BaseModel], str]] = [
    ("transfer", EventType.TRANSFERRED, TransferIn, "Transfer an item to another unit"),
    (
        "checkout",
        EventType.CHECKED_OUT,
        CheckoutIn,
        "Check an item out to the lab or to court (from sealed storage: to the lab only, by its custodian)",
    ),
    ("return", EventType.RETURNED, ReturnIn, "Record a checked-out item's return to the state it left"),
    (
        "correction",
        EventType.CORRECTED,
        CorrectionIn,
        "Record a correction; the corrected record stays. Before the handover offer the case's clerk "
        "corrects; from it on the custodian, with a witness (X-Witness-Token)",
    ),
    ("count", EventType.COUNTED, CountIn, "Record a recount of an ammunition lot"),
    ("consumption", EventType.CONSUMED, ConsumptionIn, "Record rounds of a lot used up (e.g. test firing)"),
]


def _add_act(path: str, event: EventType, body_model: type[BaseModel], summary: str) -> None:
    admitted = Admits(*sorted(lifecycle.transition_for(event).roles))

    def record(
        evidence_no: str,
        body: body_model,  # type: ignore[valid-type]
        caller: Annotated[Caller, Depends(admitted)],
        services: ServicesDep,
        witness: WitnessDep,
    ) -> ItemOut:
        values: dict[str, Any] = cast(BaseModel, body).model_dump(mode="json")
        version = values.pop("version")
        after = services.custody.items.act(
            caller.actor,
            evidence_no,
            event,
            version,
            values,
            witness=None if witness is None else witness.username,
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
        responses=responses(401, 403, 404, 409, 422),
    )


for _path, _event, _model, _summary in ACTS:
    _add_act(_path, _event, _model, _summary)
