"""Who is at the desk: a cookie session over the API's own session store, and the forms' CSRF tokens.

The session cookie holds a session token of ``POST /api/v1/auth/login``'s kind, made by the same
:class:`custody.sessions.Sessions` (the same lockout, expiry and revocation): ``HttpOnly``,
``SameSite=Strict``, ``Secure`` when the page is served over TLS, path ``/``, no lifetime of its own
(it ends with the browser, or earlier with the session).

Every form that changes something carries a CSRF token, checked before anything is read from the body's
other fields: for a session, an HMAC of the session token (a page that does not hold the cookie cannot
compute it); before login, a random value in a cookie of its own, repeated in the form (double submit).
A POST whose ``Origin`` names another site is refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import Admits, Caller, Services, admission_of, client_address, get_services
from custody.actors import Actor, require_role
from custody.errors import Message, NotAuthenticated, NotPermitted, SecondPersonNotConfirmed
from custody.model import Role

SESSION_COOKIE = "custody_session"
LOGIN_CSRF_COOKIE = "custody_login_csrf"
LANGUAGE_COOKIE = "custody_lang"
STATION_COOKIE = "custody_station"  # the desk's station, whose scans the pages follow
CSRF_FIELD = "csrf"

NO_SESSION = Message("page.no_session", "log in first")
BAD_CSRF = Message(
    "page.csrf_refused", "the form has expired or did not come from this service: reload the page"
)
OTHER_ORIGIN = Message("page.other_origin", "a form from another site is refused")


def is_tls(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=is_tls(request),
        httponly=True,
        samesite="strict",
    )


def session_csrf(token: str) -> str:
    """The CSRF token of the forms of the session ``token``."""
    return hmac.new(token.encode(), b"custody-page-form", hashlib.sha256).hexdigest()


def login_csrf(request: Request) -> tuple[str, bool]:
    """The login form's CSRF token, and whether it is new (then it must be set as a cookie)."""
    held = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if len(held) == 43 and held.isascii():
        return held, False
    return secrets.token_urlsafe(32), True


async def check_form(request: Request) -> None:
    """Refuse a form from elsewhere: another ``Origin``, or a missing or wrong CSRF token."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise NotPermitted(OTHER_ORIGIN)
    sent = str((await request.form()).get(CSRF_FIELD) or "")
    token = request.cookies.get(SESSION_COOKIE)
    expected = session_csrf(token) if token else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise NotPermitted(BAD_CSRF)


class PageAdmits(Admits):
    """Admit a page's user by the session cookie (never a bearer token or a station key), holding one
    of ``roles``; the authorisation matrix reads it like an API route's :class:`Admits`."""

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        services: Services = await get_services(request)
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise NotAuthenticated(NO_SESSION)
        session = await run_in_threadpool(services.sessions.authenticate, token)
        caller = Caller(session.actor, session.session_id, session.expires_at_us)
        request.state.caller = caller
        require_role(session.actor, self.roles, "use this page")
        return caller

    def describe(self) -> str:
        return "Page; " + super().describe()


def second_person(
    request: Request,
    services: Services,
    caller: Caller,
    username: str,
    password: str,
    part: str,
    *,
    field: str | None = None,
    may_be_caller: bool = False,
) -> Actor:
    """The second person of the caller's two-person act (``part``: witness, receiver, second person,
    confirmer), proven by the user name and password they typed into the same form (never a second
    cookie session): counted, throttled and locked as a login; a wrong password and a person outside the
    caller's scope are refused alike. As with the API's second-person token, the caller is not their own
    second person (``may_be_caller``: the receiver of a handover deciding it at their own desk). A
    refusal blames ``field`` (the form's password field)."""
    passwords = services.identity.passwords
    try:
        person = passwords.confirm_second_person(
            caller.actor, username, password, part, client_address(request)
        )
        if person.id == caller.actor.id and not may_be_caller:
            raise SecondPersonNotConfirmed(part)
    except SecondPersonNotConfirmed as refused:
        if field is not None:
            refused.field = field
        raise
    return person


def like(api_caller: Any) -> Any:
    """The admission of the page twin of an API route's caller (``Annotated[Caller,
    Depends(Admits(...))]``): the same roles, by the session cookie. A page and the API route it stands
    beside admit alike. Use as ``Annotated[Caller, like(SealReader)]``."""
    admits = admission_of(getattr(meta, "dependency", None) for meta in api_caller.__metadata__)
    if admits is None:
        raise TypeError(f"{api_caller} admits no one")
    return Depends(PageAdmits(*sorted(admits.roles)))


ANY_PAGE_USER = PageAdmits(*Role)
AnyPageUser = Annotated[Caller, Depends(ANY_PAGE_USER)]
FormChecked = Annotated[None, Depends(check_form)]  # after the caller, before the form's fields
