"""Logging in and out at ``/``, the language switch, the role-aware home and the scan box.

Home lists what waits for the user, each list asked of the core with the user's own rights (a list the
user's roles may not read is left out, by the core's refusal, not by a rule here): items due back,
handovers offered to them, open discrepancies they own, sealed items whose review is due, and
destruction applications waiting for a decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from api.access import note_login_subject
from api.deps import Caller, ServicesDep, client_address
from custody.codes import classify
from custody.errors import CustodyError, LoginFailed, NotPermitted
from custody.model import ApplicationStatus, HandoverStatus, ReviewStanding
from web.i18n import LANGUAGES
from web.render import PageRoute, page, refused
from web.session import (
    ANY_PAGE_USER,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    AnyPageUser,
    FormChecked,
    set_cookie,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PUBLIC_PAGES = frozenset({("GET", "/"), ("POST", "/login"), ("GET", "/lang/{language}")})


def local_path(target: str | None) -> str:
    """``target`` when it is a path of this service (never another site), else ``/``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@dataclass(frozen=True)
class Waiting:
    """One list of the home page: a title and its rows (text and link)."""

    title: str
    rows: list[tuple[str, str]]


def _waiting(services: Any, caller: Caller) -> list[Waiting]:
    actor = caller.actor
    lists: list[tuple[str, Callable[[], list[tuple[str, str]]]]] = [
        (
            "Items due back",
            lambda: [
                (f"{i.evidence_no} · {i.checked_out_to or ''} · {i.due_date}", f"/item/{i.evidence_no}")
                for i in services.custody.items.overdue(actor)
            ],
        ),
        (
            "Handovers to accept",
            lambda: [
                (f"#{h.id} · {h.case_no} · {len(h.items)}", f"/handover/{h.id}")
                for h in services.custody.handovers.list(
                    actor, HandoverStatus.OFFERED, custodian_id=actor.id
                ).rows
            ],
        ),
        (
            "Open discrepancies you own",
            lambda: [
                (f"#{d.id} · {d.code} · {d.due_date}", f"/discrepancy/{d.id}")
                for d in services.custody.discrepancies.list(actor)
                if d.owner == actor.username
            ],
        ),
        (
            "Reviews due",
            lambda: [
                (f"{r.evidence_no} · {r.review_due}", f"/item/{r.evidence_no}")
                for r in services.custody.reviews.queue(actor)
                if r.standing in (ReviewStanding.OVERDUE, ReviewStanding.DUE)
            ],
        ),
        (
            "Destruction applications waiting",
            lambda: [
                (f"#{a.id} · {a.applicant} · {len(a.items)}", f"/application/{a.id}")
                for a in services.custody.applications.list(actor, status=ApplicationStatus.OPEN)
            ],
        ),
    ]
    found: list[Waiting] = []
    for title, read in lists:
        try:
            found.append(Waiting(title, read()))
        except NotPermitted:
            continue  # not this user's to read
    return found


@router.get("/")
async def home(
    request: Request, services: ServicesDep, next: Annotated[str | None, Query(max_length=512)] = None
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            caller = await ANY_PAGE_USER(request)
        except CustodyError:
            caller = None
        if caller is not None:
            waiting = await run_in_threadpool(_waiting, services, caller)
            return page(request, "home.html", waiting=waiting)
    return page(request, "login.html", next=local_path(next))


@router.post("/login")
def login(
    request: Request,
    _form: FormChecked,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=512)] = "/",
) -> Response:
    try:
        session = services.sessions.login(username, password, client_address(request))
    except LoginFailed as failed:
        note_login_subject(request, failed.user_id, failed.unit_code)
        return refused(request, failed, "login.html", next=local_path(next))
    except CustodyError as error:
        return refused(request, error, "login.html", next=local_path(next))
    request.state.caller = Caller(session.actor, session.session_id, session.expires_at_us)
    answer = RedirectResponse(local_path(next), status_code=303)
    set_cookie(answer, request, SESSION_COOKIE, session.token)
    answer.delete_cookie("custody_login_csrf", path="/")
    return answer


@router.post("/logout")
def logout(caller: AnyPageUser, _form: FormChecked, services: ServicesDep) -> Response:
    assert caller.session_id is not None
    services.sessions.logout(caller.session_id)
    answer = RedirectResponse("/", status_code=303)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


@router.get("/lang/{language}")
def switch_language(
    request: Request,
    language: Annotated[str, Path(max_length=8)],
    next: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    answer = RedirectResponse(local_path(next), status_code=303)
    if language in LANGUAGES:
        set_cookie(answer, request, LANGUAGE_COOKIE, language, max_age=365 * 86400)
    return answer


@router.get("/find")
def find(caller: AnyPageUser, code: Annotated[str, Query(max_length=64)] = "") -> Response:
    """A scanned or typed code: an evidence number opens the item, a seal number the seal, a location
    code the location; anything else is refused with the reason."""
    scanned = classify(code)
    if scanned.error is not None:
        raise scanned.error
    where = {"evidence": "item", "seal": "seal", "location": "location"}[scanned.kind]
    return RedirectResponse(f"/{where}/{scanned.value}", status_code=303)
