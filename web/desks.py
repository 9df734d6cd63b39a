"""The desks a user's menu offers: each desk's page, shown to the users its route admits (the
authorisation matrix decides, not the menu)."""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import APIRoute

from api.deps import Caller, admission_of

# (path, title): the menu, in the order of the work
DESKS = (
    ("/intake", "Intake desk"),
    ("/scans", "Live scans"),
    ("/store", "Handover and sealing"),
    ("/audit", "Audit desk"),
    ("/destruction", "Destruction site"),
    ("/reports", "Reports"),
)


def desks_for(request: Request, caller: Caller | None) -> list[tuple[str, str]]:
    """The desks whose page admits ``caller`` (none without one)."""
    if caller is None:
        return []
    held = set(caller.actor.roles)
    routes = {r.path: r for r in request.app.routes if isinstance(r, APIRoute) and "GET" in (r.methods or ())}
    shown = []
    for path, title in DESKS:
        route = routes.get(path)
        admits = None if route is None else admission_of(d.call for d in route.dependant.dependencies)
        if admits is not None and held & {r.value for r in admits.roles}:
            shown.append((path, title))
    return shown
