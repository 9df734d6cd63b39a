"""The desks a user's menu offers: each desk's page, shown to the users its route admits (the
authorisation matrix decides, not the menu)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute, iter_route_contexts

from api.deps import Caller, admission_of
from custody.model import Role

# (path, title): the menu, in the order of the work
DESKS = (
    ("/intake", "Intake desk"),
    ("/scans", "Live scans"),
    ("/store", "Handover and sealing"),
    ("/audit", "Audit desk"),
    ("/destruction", "Destruction site"),
    ("/reports", "Reports"),
)


FEED = "/scans/feed"  # the desk's station's sightings (web.scans_page)


def admits(request: Request, caller: Caller | None, path: str) -> bool:
    """Whether the page at ``path`` (a GET) admits ``caller``, by its route's declared admission."""
    if caller is None:
        return False
    roles = _page_admissions(request.app).get(path)
    return roles is not None and bool(set(caller.actor.roles) & roles)


def _page_admissions(app: Any) -> dict[str, frozenset[Role]]:
    """The roles each GET route of ``app`` admits, by path (read once per app)."""
    known: dict[str, frozenset[Role]] | None = getattr(app.state, "page_admissions", None)
    if known is None:
        known = {}
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if isinstance(route, APIRoute) and "GET" in (context.methods or ()):
                admission = admission_of(d.call for d in route.dependant.dependencies)
                if admission is not None and context.path_format is not None:
                    known[context.path_format] = admission.roles
        app.state.page_admissions = known
    return known


def desks_for(request: Request, caller: Caller | None) -> list[tuple[str, str]]:
    """The desks whose page admits ``caller`` (none without one)."""
    return [(path, title) for path, title in DESKS if admits(request, caller, path)]
