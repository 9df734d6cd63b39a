"""What a scan opens: an item (its particulars, source and flow, sample, seal, place and its custody
events with their chain hashes, and a check of that chain), a seal, a location."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from api.deps import Caller, ReaderOrStation, Services, ServicesDep
from api.routes.locations import LocationReader
from api.routes.report_custody import CustodyReader
from api.routes.seals import SealReader
from web.render import PageRoute, page, timeline_rows, words
from web.session import like

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PageReader = Annotated[Caller, like(ReaderOrStation)]  # no station: a station has no cookie
PageChainReader = Annotated[Caller, like(CustodyReader)]
PageSealReader = Annotated[Caller, like(SealReader)]
PageLocationReader = Annotated[Caller, like(LocationReader)]


def item_context(request: Request, caller: Caller, services: Services, evidence_no: str) -> dict[str, Any]:
    """What the item page shows: the item, the firearm it is a sample of, its timeline's rows."""
    timeline = services.custody.items.timeline(caller.actor, evidence_no)
    sample_of = services.custody.samples.firearm_of(timeline.item)
    rows = timeline_rows(timeline.rows, words(request).label)
    return {"item": timeline.item, "sample_of": sample_of, "rows": rows}


@router.get("/item/{evidence_no}")
def item_page(request: Request, evidence_no: str, caller: PageReader, services: ServicesDep) -> Response:
    return page(request, "item.html", **item_context(request, caller, services, evidence_no))


@router.get("/item/{evidence_no}/verify")
def verify_item(
    request: Request, evidence_no: str, caller: PageChainReader, services: ServicesDep
) -> Response:
    """Every event of the item hashed again against its stored hash, and the last one's inclusion proof
    in the latest signed checkpoint, checked against its root (the chain-of-custody report's checks)."""
    chain = services.custody.custody_reports.chain(caller.actor, evidence_no)
    fragment = request.headers.get("hx-request") == "true"
    return page(
        request,
        "verify_fragment.html" if fragment else "verify.html",
        chain=chain,
        evidence_no=chain.item.evidence_no,
    )


@router.get("/seal/{seal_no}")
def seal_page(request: Request, seal_no: str, caller: PageSealReader, services: ServicesDep) -> Response:
    view = services.custody.seals.show(caller.actor, seal_no)
    return page(request, "seal.html", view=view)


@router.get("/location/{code}")
def location_page(request: Request, code: str, caller: PageLocationReader, services: ServicesDep) -> Response:
    location = services.custody.locations.get(caller.actor, code)
    return page(request, "location.html", location=location)
