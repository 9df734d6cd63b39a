"""The intake desk (登记台): open a case, register a firearm or an ammunition lot to an open case, and
the item's label, downloaded as a PDF or sent to the service's label printer.

Every form calls the core as its API twin does (``POST /api/v1/cases``, ``/items/firearms``,
``/items/ammunition``, ``/items/{no}/label``), and the core refuses what it refuses, next to the field it
blames. Each creating form carries a one-time token beside its CSRF token, recorded as the act's
idempotency key in the act's own transaction (:mod:`custody.idempotency`): a double-clicked Register
makes one item, and the second request leads to the first one's page.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Caller, CaseKeeper, Clerk, Services, ServicesDep
from api.errors import problem_type_of
from api.idempotency import principal_of
from api.routes.labels import (
    MAX_COPIES,
    LabelFormat,
    LabelReader,
    LayoutName,
    label_download,
    print_item_label,
)
from custody.db.failures import CONSTRAINT_VIOLATED
from custody.db.unit_of_work import Also
from custody.errors import (
    AlreadyExists,
    CustodyError,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    TransitionRefused,
    UnknownCase,
    UnknownUnit,
)
from custody.idempotency import Answer, IdempotencyKeys, request_digest
from custody.intake import AmmunitionIntake, FirearmIntake, SourceAndFlow
from custody.model import CaseCategory
from custody.records import Case, Item
from custody.settings import Settings
from web.desks import admits
from web.render import PageRoute, page, refused, words
from web.session import FormChecked, like

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PageClerk = Annotated[Caller, like(Clerk)]
PageCaseKeeper = Annotated[Caller, like(CaseKeeper)]
PageLabelReader = Annotated[Caller, like(LabelReader)]

R = TypeVar("R")
# form fields are taken generously: the core's text policy refuses what is too long, naming the field
Text = Annotated[str, Form(max_length=8200)]
Token = Annotated[str, Form(max_length=64)]

CATEGORIES = (
    ("", "Not yet known"),
    (CaseCategory.POSSESSION.value, "Illegal possession or hiding of guns or ammunition"),
    (CaseCategory.MANUFACTURE.value, "Illegal manufacture of guns or ammunition"),
    (CaseCategory.TRADE.value, "Illegal trade, transport or mailing of guns or ammunition"),
    (CaseCategory.SMUGGLING.value, "Smuggling of weapons or ammunition"),
    (CaseCategory.THEFT.value, "Theft or robbery of guns or ammunition"),
    (CaseCategory.GUN_CRIME.value, "A crime committed with a gun"),
    (CaseCategory.OTHER.value, "Another gun case"),
)
SOURCE_FIELDS = ("source_maker", "source_workshop", "source_route", "source_seller", "source_notes")
YES_NO = {"yes": True, "no": False}
# what a refusal without a field of its own is about, on these forms
_CASE_FIELD = {"item.case_not_open": "case_no", "case.exists": "case_no", "case.ambiguous": "case_unit"}
CONFLICT_FIELD = "form-renewed"


# ------------------------------------------------------------------------------------------ helpers


def new_token() -> str:
    """A form's one-time token (its act's idempotency key)."""
    return secrets.token_urlsafe(24)


def once(
    request: Request,
    services: Services,
    caller: Caller,
    token: str,
    fields: Mapping[str, Any],
    act: Callable[[Also | None], R],
    leads_to: Callable[[R], str],
) -> str:
    """Run ``act`` once per form token and answer the page it leads to; the same form sent again (a
    double click, a reload) answers the first one's page and writes nothing. Without a token, ``act``
    simply runs."""
    if not token:
        return leads_to(act(None))
    route = getattr(request.scope.get("route"), "path_format", request.url.path)
    digest = request_digest("POST", route, {"form": dict(fields)})
    keys = IdempotencyKeys(services.custody.store)
    principal, key = principal_of(caller), f"page:{token}"
    found = keys.recall(principal, key, digest)
    if found is not None and found.location:
        return found.location

    def answer(result: Any) -> Answer:
        return Answer(303, "{}", leads_to(result))

    try:
        return leads_to(act(keys.recorder(principal, key, digest, answer)))
    except CONSTRAINT_VIOLATED:  # the same form, sent at the same moment, committed first
        found = keys.recall(principal, key, digest)
        if found is None or not found.location:
            raise
        return found.location


def blamed(error: CustodyError) -> str | None:
    """The form field a refusal is about: the one the core names, or the one its message concerns."""
    if isinstance(error, InvalidInput):
        return _CASE_FIELD.get(error.key, error.field)
    if isinstance(error, UnknownCase):
        return "case_no"
    if isinstance(error, UnknownUnit):
        return "unit_code"
    if isinstance(error, AlreadyExists | TransitionRefused):
        if error.key == "case.date_in_future":
            return str(error.params.get("name") or "filed_date")
        return _CASE_FIELD.get(error.key)
    return None


def refused_form(
    request: Request, error: CustodyError, template: str, blame: str | None = None, **context: Any
) -> Response:
    """The form again with the core's refusal, next to the field it blames (``blame``: the field the
    form knows the refusal is about); a form sent twice with other values gets a fresh token and says
    so."""
    if isinstance(error, IdempotencyConflict):
        context["token"] = new_token()
        text = words(request).gettext(
            "This form was sent already and made its record. The form is renewed: check it and send it again."
        )
        status = problem_type_of(error).status
        request.state.access_note = error.audit_note()
        return page(request, template, status, error=text, field=CONFLICT_FIELD, **context)
    field = blame or blamed(error)
    if field is None or (isinstance(error, InvalidInput) and field == error.field):
        return refused(request, error, template, **context)
    request.state.access_note = error.audit_note()
    status = problem_type_of(error).status
    return page(request, template, status, error=words(request).refusal(error), field=field, **context)


def whole(value: str, default: int | None = None) -> int | str | None:
    """A whole number typed into a form (full-width digits too); anything else is passed on for the core
    to refuse."""
    value = unicodedata.normalize("NFKC", value).strip()
    if not value:
        return default
    return int(value) if value.isascii() and value.isdigit() else value


def item_link(item: Item) -> str:
    return f"/intake/item/{item.evidence_no}"


def _case(services: Services, caller: Caller, case_no: str, unit: str) -> Case | None:
    """The case being registered to, with its items so far (none when it is not one the user sees)."""
    if not case_no:
        return None
    try:
        return services.custody.cases.get(caller.actor, case_no, unit or None)
    except CustodyError:
        return None


def _desk(
    request: Request,
    services: Services,
    caller: Caller,
    form: str,
    values: Mapping[str, str],
    **extra: Any,
) -> dict[str, Any]:
    case_no, unit = values.get("case_no", ""), values.get("case_unit", "")
    return {
        "form": form,
        "values": values,
        "token": extra.pop("token", "") or new_token(),
        "categories": CATEGORIES,
        "case": _case(services, caller, case_no, unit) if form != "case" else None,
        "case_query": urlencode({k: v for k, v in (("case", case_no), ("unit", unit)) if v}),
        **extra,
    }


# ---------------------------------------------------------------------------------------------- pages


@router.get("/intake")
def intake_firearm(
    request: Request,
    caller: PageClerk,
    services: ServicesDep,
    case: Annotated[str, Query(max_length=200)] = "",
    unit: Annotated[str, Query(max_length=16)] = "",
    opened: bool = False,
) -> Response:
    """Register a firearm (the desk's first form); ``case``: the case to register to."""
    values = {"case_no": case, "case_unit": unit}
    return page(request, "intake.html", **_desk(request, services, caller, "firearm", values, opened=opened))


@router.get("/intake/ammunition")
def intake_ammunition(
    request: Request,
    caller: PageClerk,
    services: ServicesDep,
    case: Annotated[str, Query(max_length=200)] = "",
    unit: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    values = {"case_no": case, "case_unit": unit}
    return page(request, "intake.html", **_desk(request, services, caller, "ammunition", values))


@router.get("/intake/case")
def intake_case(
    request: Request,
    caller: PageCaseKeeper,
    services: ServicesDep,
    closed: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Open a case, or close one (``closed``: the case just closed)."""
    return page(request, "intake.html", **_desk(request, services, caller, "case", {}, closed=closed))


@router.post("/intake/case/close")
def close_case(
    request: Request,
    caller: PageCaseKeeper,
    _form: FormChecked,
    services: ServicesDep,
    close_case_no: Text = "",
    close_unit_code: Text = "",
) -> Response:
    """Record that the case is closed (案件办结; the API's ``POST /api/v1/cases/{case_no}/close``): its
    items may then be handed over to sealed storage."""
    values = {"close_case_no": close_case_no, "close_unit_code": close_unit_code}
    try:
        case = services.custody.cases.close(caller.actor, close_case_no, close_unit_code.strip() or None)
    except CustodyError as error:
        context = _desk(request, services, caller, "case", values)
        blame = "close_unit_code" if isinstance(error, UnknownUnit) else "close_case_no"
        return refused_form(request, error, "intake.html", blame=blame, **context)
    return RedirectResponse("/intake/case?" + urlencode({"closed": case.case_no}), status_code=303)


@router.post("/intake/case")
def open_case(
    request: Request,
    caller: PageCaseKeeper,
    _form: FormChecked,
    services: ServicesDep,
    case_no: Text = "",
    title: Text = "",
    category: Text = "",
    filed_date: Text = "",
    unit_code: Text = "",
    once_token: Token = "",
) -> Response:
    """Open a case, then register its items: the firearm form, with the case filled in."""
    values = {
        "case_no": case_no,
        "title": title,
        "category": category,
        "filed_date": filed_date,
        "unit_code": unit_code,
    }

    def opened(case: Any) -> str:
        query = {"case": case.case_no, "opened": "true"}
        if case.unit_code != caller.actor.unit_code:
            query["unit"] = case.unit_code
        return "/intake?" + urlencode(query)

    try:
        target = once(
            request,
            services,
            caller,
            once_token,
            values,
            lambda also: services.custody.cases.open(
                caller.actor,
                case_no,
                title,
                unit_code.strip() or None,
                also=also,
                category=category or None,
                filed_date=filed_date.strip() or None,
            ),
            opened,
        )
    except CustodyError as error:
        context = _desk(request, services, caller, "case", values, token=once_token)
        return refused_form(request, error, "intake.html", **context)
    return RedirectResponse(target, status_code=303)


def _source(values: Mapping[str, str]) -> SourceAndFlow:
    return SourceAndFlow(*(values[name] for name in SOURCE_FIELDS))


@router.post("/intake/firearm")
def register_firearm(
    request: Request,
    caller: PageClerk,
    _form: FormChecked,
    services: ServicesDep,
    case_no: Text = "",
    firearm_type: Text = "",
    make_model: Text = "",
    serial_number: Text = "",
    calibre: Text = "",
    fires_standard_ammunition: Text = "",
    description: Text = "",
    source_maker: Text = "",
    source_workshop: Text = "",
    source_route: Text = "",
    source_seller: Text = "",
    source_notes: Text = "",
    case_unit: Text = "",
    once_token: Token = "",
) -> Response:
    """Register a seized firearm to an open case (as ``POST /api/v1/items/firearms``)."""
    values = {
        "case_no": case_no,
        "firearm_type": firearm_type,
        "make_model": make_model,
        "serial_number": serial_number,
        "calibre": calibre,
        "fires_standard_ammunition": fires_standard_ammunition,
        "description": description,
        "source_maker": source_maker,
        "source_workshop": source_workshop,
        "source_route": source_route,
        "source_seller": source_seller,
        "source_notes": source_notes,
        "case_unit": case_unit,
    }
    fires: Any = YES_NO.get(fires_standard_ammunition)  # anything else: the core refuses it
    intake = FirearmIntake(
        firearm_type, make_model, serial_number, calibre, fires, _source(values), description
    )
    return _registered(
        request,
        services,
        caller,
        "firearm",
        values,
        once_token,
        lambda also: services.custody.items.register_firearm(
            caller.actor, case_no, intake, case_unit=case_unit.strip() or None, also=also
        ),
    )


@router.post("/intake/ammunition")
def register_ammunition(
    request: Request,
    caller: PageClerk,
    _form: FormChecked,
    services: ServicesDep,
    case_no: Text = "",
    calibre: Text = "",
    quantity_rounds: Text = "",
    headstamp_lot: Text = "",
    description: Text = "",
    source_maker: Text = "",
    source_workshop: Text = "",
    source_route: Text = "",
    source_seller: Text = "",
    source_notes: Text = "",
    case_unit: Text = "",
    once_token: Token = "",
) -> Response:
    """Register a seized ammunition lot to an open case (as ``POST /api/v1/items/ammunition``)."""
    values = {
        "case_no": case_no,
        "calibre": calibre,
        "quantity_rounds": quantity_rounds,
        "headstamp_lot": headstamp_lot,
        "description": description,
        "source_maker": source_maker,
        "source_workshop": source_workshop,
        "source_route": source_route,
        "source_seller": source_seller,
        "source_notes": source_notes,
        "case_unit": case_unit,
    }
    rounds: Any = whole(quantity_rounds)
    intake = AmmunitionIntake(calibre, rounds, headstamp_lot, _source(values), description)
    return _registered(
        request,
        services,
        caller,
        "ammunition",
        values,
        once_token,
        lambda also: services.custody.items.register_ammunition(
            caller.actor, case_no, intake, case_unit=case_unit.strip() or None, also=also
        ),
    )


def _registered(
    request: Request,
    services: Services,
    caller: Caller,
    kind: str,
    values: Mapping[str, str],
    once_token: str,
    register: Callable[[Also | None], Item],
) -> Response:
    """Register the item once per form (``once``) and lead to its label page; a refusal shows the
    ``kind`` form again with what was typed."""
    try:
        target = once(
            request,
            services,
            caller,
            once_token,
            values,
            register,
            lambda item: item_link(item) + "?registered=true",
        )
    except CustodyError as error:
        context = _desk(request, services, caller, kind, values, token=once_token)
        return refused_form(request, error, "intake.html", **context)
    return RedirectResponse(target, status_code=303)


# --------------------------------------------------------------------------------------------- labels


def label_context(request: Request, services: Services, caller: Caller, evidence_no: str) -> dict[str, Any]:
    """What the item's label page shows: the item, its firearm (a sample), the printer if any, and
    whether the user may register more items (the intake desk's page admits them)."""
    item = services.custody.items.item(caller.actor, evidence_no)
    unit = {"unit": item.unit_code} if item.unit_code != caller.actor.unit_code else {}
    return {
        "item": item,
        "sample_of": services.custody.samples.firearm_of(item),
        "label_printer": Settings().label_printer,
        "case_query": urlencode({"case": item.case_no or "", **unit}),
        "can_register": admits(caller, "/intake"),
    }


@router.get("/intake/item/{evidence_no}")
def item_label_page(
    request: Request,
    evidence_no: str,
    caller: PageLabelReader,
    services: ServicesDep,
    registered: bool = False,
    printed: Annotated[int, Query(ge=0, le=100)] = 0,
) -> Response:
    """An item just registered: its particulars, its label (download or print), and what comes next."""
    context = label_context(request, services, caller, evidence_no)
    return page(request, "intake_item.html", registered=registered, printed=printed, **context)


@router.get("/item/{evidence_no}/label")
def label_file(
    evidence_no: str,
    caller: PageLabelReader,
    services: ServicesDep,
    fmt: Annotated[LabelFormat, Query(alias="format")] = "pdf",
    layout: LayoutName = "60x40",
) -> Response:
    """The item's label to download (as ``GET /api/v1/items/{evidence_no}/label``)."""
    return label_download(services, caller, evidence_no, fmt, layout)


@router.post("/item/{evidence_no}/label/print")
def print_label(
    request: Request,
    evidence_no: str,
    caller: PageLabelReader,
    _form: FormChecked,
    services: ServicesDep,
    copies: Annotated[int, Form(ge=1, le=MAX_COPIES)] = 1,
) -> Response:
    """Send the item's label to the service's printer (as ``POST /api/v1/items/{no}/label/print``)."""
    try:
        done = print_item_label(services, caller, evidence_no, copies)
    except NotFound:
        raise
    except CustodyError as error:
        context = label_context(request, services, caller, evidence_no)
        return refused(request, error, "intake_item.html", registered=False, printed=0, **context)
    target = f"/intake/item/{quote(done.evidence_no)}?printed={done.copies}"
    return RedirectResponse(target, status_code=303)
