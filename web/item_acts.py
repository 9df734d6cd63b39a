"""Acts on an item from its page (check it out, return it) and on a seal from its page (open it before a
witness): the twins of ``POST /api/v1/items/{no}/checkout`` and ``/return`` and of
``POST /api/v1/seals/{no}/open``, with the same core calls.

Each act carries the item version the page showed: if someone acted meanwhile, the core refuses the act
and the page shows the item as it now stands. A form is offered to whom its route admits; whether the
item's state allows the act is the core's to say, with its reason next to the field it blames.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Caller, Services, ServicesDep
from api.routes.seals import SealKeeper
from custody import lifecycle
from custody.errors import CustodyError, NotAuthenticated, NotFound, UnknownSeal
from custody.model import EventType
from web.item_pages import item_context
from web.render import PageRoute, refused
from web.session import FormChecked, PageAdmits, like, second_person

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _admits(event: EventType) -> Any:
    """The roles the API's route of ``event`` admits: the core's own for that act."""
    return Depends(PageAdmits(*sorted(lifecycle.transition_for(event).roles)))


PageCheckout = Annotated[Caller, _admits(EventType.CHECKED_OUT)]
PageReturn = Annotated[Caller, _admits(EventType.RETURNED)]
PageSealKeeper = Annotated[Caller, like(SealKeeper)]
Text = Annotated[str, Form(max_length=8200)]  # the core's text policy refuses what is too long
Name = Annotated[str, Form(max_length=64)]
Password = Annotated[str, Form(max_length=256)]
Version = Annotated[int, Form(ge=0)]


def _act(
    request: Request,
    caller: Caller,
    services: Services,
    evidence_no: str,
    event: EventType,
    version: int,
    values: dict[str, Any],
) -> Response:
    """Record ``event`` on the item read at ``version`` (as the API route does), then show the item; a
    refusal shows the item as it now stands, the reason next to the field the core blames."""
    try:
        services.custody.items.act(caller.actor, evidence_no, event, version, values)
    except CustodyError as error:
        if isinstance(error, NotAuthenticated | NotFound):
            raise  # an item out of scope is missing, as on its page
        shown = item_context(request, caller, services, evidence_no)
        return refused(request, error, "item.html", act_values=values, **shown)
    return RedirectResponse(f"/item/{evidence_no}", status_code=303)


@router.post("/item/{evidence_no}/checkout")
def check_out(
    request: Request,
    evidence_no: str,
    caller: PageCheckout,
    _form: FormChecked,
    services: ServicesDep,
    version: Version,
    purpose: Text = "",
    to: Text = "",
    due_date: Text = "",
) -> Response:
    """Check the item out to the lab or to court, due back on a date."""
    values = {"purpose": purpose, "to": to, "due_date": due_date}
    return _act(request, caller, services, evidence_no, EventType.CHECKED_OUT, version, values)


@router.post("/item/{evidence_no}/return")
def give_back(
    request: Request,
    evidence_no: str,
    caller: PageReturn,
    _form: FormChecked,
    services: ServicesDep,
    version: Version,
    note: Text = "",
) -> Response:
    """Record the checked-out item's return to the state it left."""
    return _act(request, caller, services, evidence_no, EventType.RETURNED, version, {"note": note})


@router.post("/seal/{seal_no}/open")
def open_seal(
    request: Request,
    seal_no: str,
    caller: PageSealKeeper,
    _form: FormChecked,
    services: ServicesDep,
    reason: Text = "",
    witness: Name = "",
    witness_password: Password = "",
) -> Response:
    """Open the seal before a witness typing their own password, for a reason: its items are back in the
    store unsealed, the seal void."""
    seals = services.custody.seals
    try:
        confirmed = second_person(
            request, services, caller, witness, witness_password, "witness", field="witness_password"
        )
        seals.open(caller.actor, seal_no, reason, confirmed)
    except CustodyError as error:
        if isinstance(error, NotAuthenticated | UnknownSeal):
            raise  # a seal out of scope is missing, as on its page
        view = seals.show(caller.actor, seal_no)
        return refused(request, error, "seal.html", view=view, opening={"reason": reason, "witness": witness})
    return RedirectResponse(f"/seal/{seal_no}", status_code=303)
