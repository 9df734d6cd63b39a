"""The desks a user's menu offers: each desk's page, shown to the users its route admits (the
authorisation matrix decides, not the menu)."""

from __future__ import annotations

from functools import cache

from fastapi.routing import APIRoute

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


def admits(caller: Caller | None, path: str, method: str = "GET") -> bool:
    """Whether the page route ``method path`` (its path as declared: ``/batch/{batch_id}/approve``)
    admits ``caller``, by its declared admission: the menu shows a desk, and a page a form, to those
    whom its route admits (the authorisation matrix decides, not the page)."""
    if caller is None:
        return False
    roles = _page_admissions().get((method, path))
    return roles is not None and bool(set(caller.actor.roles) & roles)


@cache
def _page_admissions() -> dict[tuple[str, str], frozenset[Role]]:
    """The roles each page route admits, by method and declared path."""
    from web import PAGE_ROUTERS  # every page, once they are all defined

    known: dict[tuple[str, str], frozenset[Role]] = {}
    for router in PAGE_ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                admission = admission_of(d.call for d in route.dependant.dependencies)
                if admission is not None:
                    for method in route.methods or ():
                        known[(method, route.path)] = admission.roles
    return known


def desks_for(caller: Caller | None) -> list[tuple[str, str]]:
    """The desks whose page admits ``caller`` (none without one)."""
    return [(path, title) for path, title in DESKS if admits(caller, path)]
