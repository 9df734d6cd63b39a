"""The handover and sealing desk: a clerk offers a case's items to a custodian (移交); the custodian
accepts or refuses the offer, proving who they are with their own user name and password typed into the
desk's form (a second person of the desk's session, as a witness is, never a second session); the
custodian seals accepted items at a location of the store before a witness who confirms with their
password, and adds the store's locations.

Each form sends what its API twin sends and the page calls the same core act: a refusal shows the core's
reason (and each refused item) on the form it came from, and leaves nothing written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import StringConstraints

from api.deps import Caller, Clerk, Reader, ServicesDep
from api.routes.locations import LocationKeeper, LocationReader
from api.routes.seals import SealKeeper, SealReader
from custody.errors import CustodyError
from custody.model import HandoverStatus, ItemState, Role
from custody.queries import ItemSearch
from web.render import PageRoute, page, refused
from web.session import FormChecked, PageAdmits, like, second_person
from web.store_parts import may, numbers

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PageClerk = Annotated[Caller, like(Clerk)]
PageReader = Annotated[Caller, like(Reader)]
PageSealKeeper = Annotated[Caller, like(SealKeeper)]
PageSealReader = Annotated[Caller, like(SealReader)]
PageLocationKeeper = Annotated[Caller, like(LocationKeeper)]
PageLocationReader = Annotated[Caller, like(LocationReader)]
# the desk's people: the clerk who offers, the custodian who accepts and seals. An offer is decided at
# the desk where it is made, by the named custodian's own password, whoever's session the desk holds
# (the clerk's at the counter, or the custodian's own): no API twin, the custodian is the second person
DeskUser = Annotated[Caller, Depends(PageAdmits(Role.CLERK, Role.CUSTODIAN))]

HANDOVER_WORDS = {
    HandoverStatus.OFFERED: "Offered, waiting for the custodian",
    HandoverStatus.ACCEPTED: "Accepted",
    HandoverStatus.REFUSED: "Refused by the custodian",
}
RECENT = 20  # handovers the desk lists
HELD = 200  # accepted items the seal form offers

Text = Annotated[str, Form(max_length=200)]
Name = Annotated[str, Form(max_length=64)]
Password = Annotated[str, Form(max_length=256)]
Numbers = Annotated[str, Form(max_length=20_000)]  # scanned or typed, one a line
Code = Annotated[str, StringConstraints(max_length=64)]


# ------------------------------------------------------------------------------------------ the desk


def _desk(request: Request, caller: Caller, services: Any) -> dict[str, Any]:
    """What the desk shows: the offers waiting for the user, the latest handovers, and (for those who
    seal) the accepted items they hold, not sealed yet."""
    actor = caller.actor
    handovers = services.custody.handovers
    waiting = handovers.list(actor, HandoverStatus.OFFERED, custodian_id=actor.id).rows
    can_seal = may(request, caller, "POST", "/store/seal")
    return {
        "can_offer": may(request, caller, "POST", "/store/offer"),
        "can_seal": can_seal,
        "waiting": waiting,
        "recent": handovers.list(actor, None, None, RECENT).rows,
        "held": _held(caller, services) if can_seal else [],
        "handover_words": HANDOVER_WORDS,
        "offer": {"case_no": "", "receiver": "", "evidence_nos": "", "case_unit": ""},
        "refused_items": [],
    }


def _held(caller: Caller, services: Any) -> list[Any]:
    """Accepted items in the user's keeping, not sealed yet (what the seal form offers to tick)."""
    search = ItemSearch(state=ItemState.HANDED_OVER)
    found = services.queries.items(caller.actor, search, None, HELD).rows
    return [item for item in found if item.custodian_user_id == caller.actor.id]


@router.get("/store")
def store(request: Request, caller: DeskUser, services: ServicesDep) -> Response:
    return page(request, "store.html", **_desk(request, caller, services))


@router.post("/store/offer")
def offer(
    request: Request,
    caller: PageClerk,
    _form: FormChecked,
    services: ServicesDep,
    case_no: Name = "",
    receiver: Name = "",
    evidence_nos: Numbers = "",
    case_unit: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Offer the items to the named custodian (``POST /api/v1/handovers``): all of them, or none."""
    try:
        made = services.custody.handovers.offer(
            caller.actor, case_no, receiver, numbers(evidence_nos), case_unit or None
        )
    except CustodyError as error:
        shown = _desk(request, caller, services)
        shown["offer"] = {
            "case_no": case_no,
            "receiver": receiver,
            "evidence_nos": evidence_nos,
            "case_unit": case_unit,
        }
        return refused(request, error, "store.html", **shown)
    return RedirectResponse(f"/handover/{made.id}", status_code=303)


# -------------------------------------------------------------------------------------- a handover


def _handover(request: Request, caller: Caller, services: Any, handover_id: int) -> dict[str, Any]:
    return {
        "handover": services.custody.handovers.get(caller.actor, handover_id),
        "handover_words": HANDOVER_WORDS,
        "can_decide": may(request, caller, "POST", "/handover/{handover_id}/accept"),
        "can_seal": may(request, caller, "POST", "/store/seal"),
        "receiver": "",
        "reason": "",
        "refused_items": [],
    }


@router.get("/handover/{handover_id}")
def handover_page(request: Request, handover_id: int, caller: PageReader, services: ServicesDep) -> Response:
    """A handover: its case, both people, its items; while offered, the custodian's decision."""
    return page(request, "handover.html", **_handover(request, caller, services, handover_id))


def _decide(
    request: Request,
    caller: Caller,
    services: Any,
    handover_id: int,
    receiver: str,
    password: str,
    reason: str | None,
) -> Response:
    """The named custodian accepts (``reason`` None) or refuses the offer, proven by their password
    typed at this desk: they are the acting user of the decision, as with their own session at
    ``POST /api/v1/handovers/{id}/accept``. A handover out of scope is missing before anyone is asked."""
    shown = _handover(request, caller, services, handover_id)
    try:
        custodian = second_person(
            request, services, caller, receiver, password, "receiver", may_be_caller=True
        )
        handovers = services.custody.handovers
        if reason is None:
            handovers.accept(custodian, handover_id)
        else:
            handovers.refuse(custodian, handover_id, reason)
    except CustodyError as error:
        shown.update(receiver=receiver, reason=reason or "")
        return refused(request, error, "handover.html", **shown)
    return RedirectResponse(f"/handover/{handover_id}", status_code=303)


@router.post("/handover/{handover_id}/accept")
def accept(
    request: Request,
    handover_id: int,
    caller: DeskUser,
    _form: FormChecked,
    services: ServicesDep,
    receiver: Name = "",
    receiver_password: Password = "",
) -> Response:
    return _decide(request, caller, services, handover_id, receiver, receiver_password, None)


@router.post("/handover/{handover_id}/refuse")
def refuse(
    request: Request,
    handover_id: int,
    caller: DeskUser,
    _form: FormChecked,
    services: ServicesDep,
    receiver: Name = "",
    receiver_password: Password = "",
    reason: Text = "",
) -> Response:
    return _decide(request, caller, services, handover_id, receiver, receiver_password, reason)


# -------------------------------------------------------------------------------------------- seals


def _seal_form(caller: Caller, services: Any) -> dict[str, Any]:
    actor = caller.actor
    return {
        "held": _held(caller, services),
        "locations": services.custody.locations.list(actor, actor.unit_code),
        "chosen": [],
        "seal": {"location_code": "", "evidence_nos": "", "tag_uid": "", "review_due": "", "witness": ""},
        "refused_items": [],
    }


@router.get("/store/seal")
def seal_form(
    request: Request,
    caller: PageSealKeeper,
    services: ServicesDep,
    evidence_no: Annotated[str, Query(max_length=64)] = "",
    tag_uid: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The seal form: the accepted items the custodian holds (``evidence_no``: one ticked already), the
    store's locations, the seal tag (``tag_uid``: one a station read), the review date, the witness."""
    shown = _seal_form(caller, services)
    shown["chosen"] = [evidence_no] if evidence_no else []
    shown["seal"]["tag_uid"] = tag_uid
    return page(request, "seal_form.html", **shown)


@router.post("/store/seal")
def seal(
    request: Request,
    caller: PageSealKeeper,
    _form: FormChecked,
    services: ServicesDep,
    location_code: Name = "",
    evidence_no: Annotated[list[Code] | None, Form(max_length=1000)] = None,
    evidence_nos: Numbers = "",
    tag_uid: Annotated[str, Form(max_length=32)] = "",
    review_due: Annotated[str, Form(max_length=10)] = "",
    witness: Name = "",
    witness_password: Password = "",
) -> Response:
    """Seal the items at the location before the witness, who confirms with their own password
    (``POST /api/v1/seals`` with ``X-Witness-Token``)."""
    ticked = evidence_no or []
    listed = [*ticked, *numbers(evidence_nos)]
    try:
        confirmed = (
            second_person(request, services, caller, witness, witness_password, "witness")
            if witness
            else None
        )
        made = services.custody.seals.create(
            caller.actor, location_code, listed, confirmed, tag_uid or None, review_due or None
        )
    except CustodyError as error:
        shown = _seal_form(caller, services)
        shown["chosen"] = ticked
        shown["seal"] = {
            "location_code": location_code,
            "evidence_nos": evidence_nos,
            "tag_uid": tag_uid,
            "review_due": review_due,
            "witness": witness,
        }
        return refused(request, error, "seal_form.html", **shown)
    return RedirectResponse(f"/store/sealed/{made.seal_no}", status_code=303)


@router.get("/store/sealed/{seal_no}")
def sealed(request: Request, seal_no: str, caller: PageSealReader, services: ServicesDep) -> Response:
    """A seal just made: its number (to write on the seal and its tag), its items, the seal's page."""
    view = services.custody.seals.show(caller.actor, seal_no)
    return page(request, "seal_made.html", view=view)


# ---------------------------------------------------------------------------------------- locations


def _places(request: Request, caller: Caller, services: Any) -> dict[str, Any]:
    return {
        "locations": services.custody.locations.list(caller.actor),
        "can_add": may(request, caller, "POST", "/store/locations"),
        "place": {"location_code": "", "name": ""},
    }


@router.get("/store/locations")
def locations(request: Request, caller: PageLocationReader, services: ServicesDep) -> Response:
    """The locations of the user's unit and the units below, and (for their keepers) a new one."""
    return page(request, "store_locations.html", **_places(request, caller, services))


@router.post("/store/locations")
def add_location(
    request: Request,
    caller: PageLocationKeeper,
    _form: FormChecked,
    services: ServicesDep,
    location_code: Name = "",
    name: Text = "",
) -> Response:
    """Add a location (``POST /api/v1/locations``): a room, shelf or bin lies in one that exists. The
    code's field is named as the core names it in a refusal."""
    try:
        services.custody.locations.add(caller.actor, location_code, name)
    except CustodyError as error:
        shown = _places(request, caller, services)
        shown["place"] = {"location_code": location_code, "name": name}
        return refused(request, error, "store_locations.html", **shown)
    return RedirectResponse("/store/locations", status_code=303)
