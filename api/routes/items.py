"""Items: registration at intake, search (source and flow included), an item with its history, and
the overdue check-outs. Lifecycle acts are in :mod:`api.routes.transitions`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import API_PREFIX, Clerk, Reader, ReaderOrStation, ServicesDep
from api.errors import responses
from api.idempotency import IdempotencyKeyHeader, create_once
from api.schemas import (
    AmmunitionIn,
    CaseUnit,
    FirearmIn,
    IsoDate,
    ItemDetail,
    ItemListed,
    ItemPage,
    OverdueOut,
    SearchText,
    SourceIn,
    StoredText,
)
from custody.intake import AmmunitionIntake, FirearmIntake, SourceAndFlow
from custody.model import ItemState
from custody.numbers import ItemKind
from custody.queries import MAX_PAGE, ItemSearch
from custody.units import UNIT_CODE_LENGTH

router = APIRouter(prefix=API_PREFIX, tags=["items"])


class ItemQuery(BaseModel):
    """Search fields; every text field matches a case-insensitive part of the stored text."""

    model_config = ConfigDict(extra="forbid")

    q: SearchText | None = Field(
        default=None, description="Any text field: number, serial, make, description, source"
    )
    kind: ItemKind | None = None
    state: ItemState | None = None
    unit_code: Annotated[
        str | None, Field(max_length=UNIT_CODE_LENGTH, description="That unit and the units below")
    ] = None
    case_no: Annotated[str, StoredText("case_no")] | None = None
    serial_number: Annotated[str, StoredText("serial_number")] | None = None
    make_model: Annotated[str, StoredText("make_model")] | None = None
    firearm_type: Annotated[str, StoredText("firearm_type")] | None = None
    calibre: Annotated[str, StoredText("calibre")] | None = None
    fires_standard_ammunition: bool | None = None
    headstamp_lot: Annotated[str, StoredText("headstamp_lot")] | None = None
    source_maker: Annotated[str, StoredText("source_maker")] | None = None
    source_workshop: Annotated[str, StoredText("source_workshop")] | None = None
    source_route: Annotated[str, StoredText("source_route")] | None = None
    source_seller: Annotated[str, StoredText("source_seller")] | None = None
    source_notes: Annotated[str, StoredText("source_notes")] | None = None
    registered_from: IsoDate | None = Field(default=None, description="Inclusive, China Standard Time")
    registered_to: IsoDate | None = Field(default=None, description="Inclusive, China Standard Time")
    cursor: Annotated[str | None, Field(max_length=64)] = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50


def _source(source: SourceIn) -> SourceAndFlow:
    return SourceAndFlow(source.maker, source.workshop, source.route, source.seller, source.notes)


@router.get("/items", response_model=ItemPage, responses=responses(401, 403, 404, 422))
def search_items(
    query: Annotated[ItemQuery, Query()], caller: ReaderOrStation, services: ServicesDep
) -> ItemPage:
    """Items of the caller's unit and below matching every field given, newest first."""
    fields = query.model_dump(exclude={"cursor", "limit"}, exclude_none=True)
    page = services.queries.items(caller.actor, ItemSearch(**fields), query.cursor, query.limit)
    return ItemPage(items=[ItemListed.model_validate(r) for r in page.rows], next_cursor=page.next_cursor)


def _location(item: ItemListed) -> str:
    return f"{API_PREFIX}/items/{item.evidence_no}"


@router.post(
    "/items/firearms",
    status_code=201,
    response_model=ItemListed,
    responses=responses(401, 403, 404, 409, 422),
)
def register_firearm(
    body: FirearmIn,
    caller: Clerk,
    services: ServicesDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
    case_unit: CaseUnit = None,
) -> Response:
    """Register (登记) a seized firearm to an open case; the answer carries its evidence number.

    Send an ``Idempotency-Key``: a retry after a lost answer then gets the same item, not a second one."""
    intake = FirearmIntake(
        body.firearm_type,
        body.make_model,
        body.serial_number,
        body.calibre,
        body.fires_standard_ammunition,
        _source(body.source),
        body.description,
    )
    return create_once(
        request,
        services,
        caller,
        idempotency_key,
        body,
        lambda also: services.custody.items.register_firearm(
            caller.actor, body.case_no, intake, case_unit=case_unit, also=also
        ),
        ItemListed.model_validate,
        _location,
    )


@router.post(
    "/items/ammunition",
    status_code=201,
    response_model=ItemListed,
    responses=responses(401, 403, 404, 409, 422),
)
def register_ammunition(
    body: AmmunitionIn,
    caller: Clerk,
    services: ServicesDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
    case_unit: CaseUnit = None,
) -> Response:
    """Register (登记) a seized ammunition lot to an open case (``Idempotency-Key`` as for firearms)."""
    intake = AmmunitionIntake(
        body.calibre, body.quantity_rounds, body.headstamp_lot, _source(body.source), body.description
    )
    return create_once(
        request,
        services,
        caller,
        idempotency_key,
        body,
        lambda also: services.custody.items.register_ammunition(
            caller.actor, body.case_no, intake, case_unit=case_unit, also=also
        ),
        ItemListed.model_validate,
        _location,
    )


@router.get("/items/{evidence_no}", response_model=ItemDetail, responses=responses(401, 403, 404, 422))
def show_item(evidence_no: str, caller: ReaderOrStation, services: ServicesDep) -> ItemDetail:
    """An item's current state and its whole custody history, oldest event first."""
    found = services.custody.items.item(caller.actor, evidence_no)
    detail = ItemDetail.model_validate(found)
    return detail.model_copy(update={"sample_of": services.custody.samples.firearm_of(found)})


@router.get("/checkouts/overdue", response_model=list[OverdueOut], responses=responses(401, 403))
def overdue(caller: Reader, services: ServicesDep) -> list[OverdueOut]:
    """Checked-out items of the caller's unit and below past their due date (China Standard Time)."""
    return [OverdueOut.model_validate(item) for item in services.custody.items.overdue(caller.actor)]
