"""Pages from Jinja2 templates, in the reader's language, and refusals as pages.

Every page route is a :class:`PageRoute`: a refusal of the core becomes the page it was asked from (or
an error page) with the core's reason in the reader's language and the refusal's HTTP status; a request
without a live session is sent to the login page (a GET) or refused with 401 (a form). Templates are
autoescaped; they get ``_`` (the page's words), ``label`` (states, roles, events, kinds), the caller,
the language and the form's CSRF token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from api.deps import Caller
from api.errors import problem_type_of
from custody.clock import CHINA
from custody.errors import CustodyError, InvalidInput, ListRefused, NotAuthenticated
from custody.records import TimelineRow
from web.desks import FEED, admits, desks_for
from web.i18n import Translator, translator
from web.session import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    STATION_COOKIE,
    login_csrf,
    session_csrf,
    set_cookie,
)

TEMPLATES = Path(__file__).parent / "templates"
CHINA_OFFSET_S = 8 * 3600

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates are part of the release: no file check on every page
)


def china_time(moment: str | int | datetime | None) -> str:
    """A moment (ISO 8601 text, µs since the epoch, or a datetime) in China Standard Time, to the
    minute's second: ``2026-03-02 09:30:00``."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, int):  # the fast way, for long lists: China keeps no daylight saving time
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment // 1_000_000 + CHINA_OFFSET_S))
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def timeline_rows(rows: Iterable[TimelineRow], label: Callable[[str, str], str]) -> Markup:
    """The rows of an item's timeline table (``<tr>`` elements). An item may have thousands of events, so
    they are written here rather than by the template's loop: every text from the records (event labels,
    user, station and device names, hashes) is escaped, each distinct act, people and place once; times
    are made here."""
    middles: dict[tuple[str, str | None, str | None, str, str], str] = {}
    minutes: dict[int, str] = {}  # China Standard Time to the minute, by minute since the epoch

    def text(value: str | None) -> str:
        return str(escape(value)) if value else "—"

    parts = []
    for seq, at_us, kind, actor, witness, station, device, digest in rows:
        key = (kind, actor, witness, station, device)
        middle = middles.get(key)
        if middle is None:
            where = f"{text(station)} · {text(device)}" if device else text(station)
            middle = middles[key] = (
                f"<td>{escape(label('event', kind))}</td><td>{text(actor)}</td><td>{text(witness)}</td>"
                f"<td>{where}</td>"
            )
        minute, second = divmod(at_us // 1_000_000 + CHINA_OFFSET_S, 60)
        when = minutes.get(minute)
        if when is None:
            when = minutes[minute] = time.strftime("%Y-%m-%d %H:%M", time.gmtime(minute * 60))
        hashed = digest if digest.isalnum() else str(escape(digest))  # a hex digest needs no escaping
        parts.append(
            f"<tr><td>{seq}</td><td>{when}:{second:02d}</td>{middle}"
            f'<td><code class="hash" title="{hashed}">{hashed[:16]}…</code></td></tr>'
        )
    return Markup("\n".join(parts))  # noqa: S704 - every value above is escaped or made here


environment.filters["cst"] = china_time
environment.filters["pair"] = lambda value: (value, value)


def words(request: Request) -> Translator:
    return translator(request.cookies.get(LANGUAGE_COOKIE))


def page(
    request: Request,
    template: str,
    status: int = 200,
    *,
    error: str | None = None,
    field: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """``template`` rendered for this request: ``error`` is a refusal to show, next to ``field``."""
    speak = words(request)
    caller: Caller | None = getattr(request.state, "caller", None)
    token = request.cookies.get(SESSION_COOKIE)
    fresh_login_token = ""
    if caller is not None and token:
        csrf = session_csrf(token)
    else:
        csrf, new = login_csrf(request)
        fresh_login_token = csrf if new else ""
    body = environment.get_template(template).render(
        _=speak.gettext,
        label=speak.label,
        lang=speak.language,
        caller=caller,
        desks=desks_for(caller),
        admitted=lambda route, method="GET": admits(caller, route, method),  # its route admits the user
        desk_station=request.cookies.get(STATION_COOKIE, "") if admits(caller, FEED) else "",
        csrf=csrf,
        error=error,
        field=field,
        path=request.url.path,
        here=quote(request.url.path),
        **context,
    )
    response = HTMLResponse(body, status_code=status)
    if fresh_login_token:
        set_cookie(response, request, "custody_login_csrf", fresh_login_token)
    return response


def refused(request: Request, error: CustodyError, template: str = "error.html", **context: Any) -> Response:
    """The page answering a refusal of the core: the reason in the reader's language, the field it blames
    (``field``) and, for a list act, each refused item's reason by its number (``item_refusals``)."""
    status = problem_type_of(error).status
    request.state.access_note = error.audit_note()
    if isinstance(error, NotAuthenticated):
        if request.method == "GET":
            return RedirectResponse("/?next=" + quote(request.url.path), status_code=303)
        template = "login.html"
        context = {"next": "/"}
    field = error.field if isinstance(error, InvalidInput) else None
    speak = words(request)
    if isinstance(error, ListRefused):  # each refused item of a list act, with its own reason
        context.setdefault("item_refusals", {r.evidence_no: speak.item_refusal(r) for r in error.refusals})
    return page(request, template, status, error=speak.refusal(error), field=field, **context)


class PageRoute(APIRoute):
    """A page: refusals and malformed forms answer as pages, not as problem documents."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except CustodyError as error:
                return refused(request, error)
            except RequestValidationError as invalid:
                first: Mapping[str, Any] = next(iter(invalid.errors()), {})
                location = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
                speak = words(request)
                detail = f"{'.'.join(location)}: {speak.gettext('this value is not accepted')}"
                return page(request, "error.html", 422, error=detail, field=".".join(location) or None)

        return answer
