"""The desks: server-rendered pages for clerks, custodians, auditors and the province, on the same core
and rules as the API (no rule lives in a page), served by the same app at ``/``.

Pages are Jinja2 templates (:mod:`web.render`), in Chinese by default and in English (:mod:`web.i18n`),
with a cookie session over the API's session store and CSRF tokens on every form (:mod:`web.session`).
Their only scripts are files of this service (``/static``: htmx, vendored, and ``desk.js``): the pages'
Content-Security-Policy admits no inline script and nothing from another site.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from web import (
    audit_desk,
    destruction,
    destruction_site,
    intake,
    item_acts,
    item_pages,
    pages,
    reports_page,
    samples_page,
    scans_page,
    store,
    tag_pages,
)

STATIC_URL = "/static"
STATIC = Path(__file__).parent / "static"
PAGE_ROUTERS = (
    pages.router,
    item_pages.router,
    item_acts.router,
    scans_page.router,
    intake.router,
    samples_page.router,
    tag_pages.router,
    store.router,
    audit_desk.router,
    destruction.router,
    destruction_site.router,
    reports_page.router,
)
PUBLIC_PAGES = pages.PUBLIC_PAGES
# the first segment of every page's path ("" for "/"): what the access log records as a page
_SEGMENTS = frozenset(
    route.path.split("/")[1] for r in PAGE_ROUTERS for route in r.routes if hasattr(route, "path")
)


def is_page(path: str) -> bool:
    """Whether ``path`` is one of the pages (the access log records them like API requests)."""
    return path.split("/", 2)[1] in _SEGMENTS if path.startswith("/") else False


def mount(app: FastAPI) -> None:
    """The pages and their static files, on ``app``."""
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="static")
