"""Ballistic samples at the desk (弹头、弹壳样本): a firearm's test-fires with the samples each made, the
form to record one (an investigator, the firearm checked out to the lab), and an ammunition lot's splits
with the form to split rounds off it. Each form calls the core as its API twin does
(``POST /api/v1/items/{no}/test-fires``, ``/split``), once per form token (:func:`web.intake.once`).

What the page lists is read from the item's own custody events: every test-fire names the samples it
made, every split the lot it made, so the page shows what the ledger says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.deps import Caller, ReaderOrStation, Services, ServicesDep
from api.routes.samples import Examiner, LotHolder
from custody.errors import CustodyError, InvalidInput
from custody.model import EventType
from custody.numbers import ItemKind
from custody.records import Item
from custody.samples import TestFire
from web.desks import admits
from web.intake import Text, Token, new_token, once, refused_form, whole
from web.render import PageRoute, page
from web.session import FormChecked, like

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PageItemReader = Annotated[Caller, like(ReaderOrStation)]
PageExaminer = Annotated[Caller, like(Examiner)]
PageLotHolder = Annotated[Caller, like(LotHolder)]

# refusals of a test-fire or a split without a field of their own, and the field they are about
FIRE_FIELDS = {
    "sample.date_in_future": "date",
    "consume.not_enough_rounds": "rounds",
    "consume.rounds_invalid": "rounds",
}
SPLIT_FIELDS = {"lot.split_rounds": "rounds"}


@dataclass(frozen=True)
class Fired:
    """One test-fire of the firearm, as its event records it."""

    date: str
    lab: str
    examiner: str
    ammunition: str  # a lot's evidence number, or the lab's own stock
    rounds: int | None
    samples: tuple[str, ...]
    recorded_at: str


@dataclass(frozen=True)
class Split:
    """Rounds of the lot split off into a new lot, or taken off it (consumed at a test-fire)."""

    event_type: str
    rounds: int | None
    other: str  # the lot split off, or the lot this one was split from
    note: str
    recorded_at: str


def _fired(item: Item) -> list[Fired]:
    found = []
    for event in reversed(item.history):
        if event.event_type == EventType.TEST_FIRED.value:
            p = event.payload
            found.append(
                Fired(
                    str(p.get("date", "")),
                    str(p.get("lab", "")),
                    str(p.get("examiner", "")),
                    str(p.get("ammunition_lot") or p.get("lab_stock") or ""),
                    p.get("rounds"),
                    tuple(str(n) for n in p.get("samples", ())),
                    event.recorded_at,
                )
            )
    return found


def _splits(item: Item) -> list[Split]:
    shown = {EventType.LOT_SPLIT.value, EventType.SPLIT_OFF.value, EventType.CONSUMED.value}
    found = []
    for event in reversed(item.history):
        if event.event_type in shown:
            p = event.payload
            other = p.get("split_off") or p.get("split_from") or ""
            found.append(
                Split(
                    event.event_type,
                    p.get("rounds"),
                    str(other),
                    str(p.get("reason") or ""),
                    event.recorded_at,
                )
            )
    return found


def samples_context(
    services: Services, caller: Caller, evidence_no: str, values: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    """What the samples page shows of the item, and the forms the user's roles may send."""
    item = services.custody.items.item(caller.actor, evidence_no)
    return {
        "item": item,
        "sample_of": services.custody.samples.firearm_of(item),
        "fired": _fired(item) if item.kind is ItemKind.FIREARM else [],
        "splits": _splits(item) if item.kind is ItemKind.AMMUNITION else [],
        "may_fire": item.kind is ItemKind.FIREARM
        and admits(caller, "/item/{evidence_no}/samples/test-fire", "POST"),
        "may_split": item.kind is ItemKind.AMMUNITION
        and admits(caller, "/item/{evidence_no}/samples/split", "POST"),
        "may_label": admits(caller, "/item/{evidence_no}/label"),
        "values": values or {},
        "token": extra.pop("token", "") or new_token(),
        "fired_now": (),
        "split_now": "",
        **extra,
    }


@router.get("/item/{evidence_no}/samples")
def samples_page(
    request: Request,
    evidence_no: str,
    caller: PageItemReader,
    services: ServicesDep,
    made: Annotated[list[str] | None, Query(max_length=101)] = None,
    split: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """A firearm's test-fires and samples, or a lot's splits, with the forms the user may send."""
    context = samples_context(services, caller, evidence_no)
    kept = {n for fired in context["fired"] for n in fired.samples}  # only what the ledger says was made
    context["fired_now"] = tuple(n for n in made or () if n in kept)
    context["split_now"] = split if split in {s.other for s in context["splits"]} else ""
    return page(request, "samples.html", **context)


@router.post("/item/{evidence_no}/samples/test-fire")
def record_test_fire(
    request: Request,
    evidence_no: str,
    caller: PageExaminer,
    _form: FormChecked,
    services: ServicesDep,
    lab: Text = "",
    examiner: Text = "",
    date: Text = "",
    ammunition_lot: Text = "",
    rounds: Text = "",
    lab_stock: Text = "",
    bullets: Text = "",
    cases: Text = "",
    once_token: Token = "",
) -> Response:
    """Record a test-fire and its samples (as ``POST /api/v1/items/{no}/test-fires``)."""
    values = {
        "lab": lab,
        "examiner": examiner,
        "date": date,
        "ammunition_lot": ammunition_lot,
        "rounds": rounds,
        "lab_stock": lab_stock,
        "bullets": bullets,
        "cases": cases,
    }
    counts: list[Any] = [whole(bullets, 0), whole(cases, 0), whole(rounds)]
    fired = TestFire(
        lab,
        examiner,
        counts[0],
        counts[1],
        date.strip() or None,
        ammunition_lot.strip() or None,
        counts[2],
        lab_stock.strip() or None,
    )
    samples = services.custody.samples

    def leads_to(done: Any) -> str:
        made = "&".join(f"made={quote(s.evidence_no)}" for s in done.samples)
        return f"/item/{quote(done.firearm.evidence_no)}/samples?{made}"

    try:
        target = once(
            request,
            services,
            caller,
            once_token,
            values,
            lambda also: samples.test_fire(caller.actor, evidence_no, fired, also),
            leads_to,
        )
    except CustodyError as error:
        context = samples_context(services, caller, evidence_no, values, token=once_token)
        blame = _fire_blame(error, context["item"].evidence_no)
        return refused_form(request, error, "samples.html", blame, **context)
    return RedirectResponse(target, status_code=303)


def _fire_blame(error: CustodyError, firearm: str) -> str | None:
    """The test-fire field a refusal is about: a refusal of the lot fired (unknown, malformed, short of
    rounds) is the lot's or its rounds', not the firearm's."""
    if error.key in FIRE_FIELDS:
        return FIRE_FIELDS[error.key]
    if isinstance(error, InvalidInput) and error.field == "evidence_no":
        return "ammunition_lot"
    lot = error.params.get("evidence_no")
    return "ammunition_lot" if lot and lot != firearm and not isinstance(error, InvalidInput) else None


@router.post("/item/{evidence_no}/samples/split")
def split_lot(
    request: Request,
    evidence_no: str,
    caller: PageLotHolder,
    _form: FormChecked,
    services: ServicesDep,
    rounds: Text = "",
    once_token: Token = "",
) -> Response:
    """Split rounds off the lot into a new lot of the same case (as ``POST /api/v1/items/{no}/split``)."""
    values = {"rounds": rounds}
    count: Any = whole(rounds)
    samples = services.custody.samples

    def leads_to(done: Any) -> str:
        original, part = done.original.evidence_no, done.split_off.evidence_no
        return f"/item/{quote(original)}/samples?split={quote(part)}"

    try:
        target = once(
            request,
            services,
            caller,
            once_token,
            values,
            lambda also: samples.split(caller.actor, evidence_no, count, also),
            leads_to,
        )
    except CustodyError as error:
        context = samples_context(services, caller, evidence_no, values, token=once_token)
        return refused_form(request, error, "samples.html", SPLIT_FIELDS.get(error.key), **context)
    return RedirectResponse(target, status_code=303)
