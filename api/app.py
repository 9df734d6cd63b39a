"""The HTTP API of the custody service (FastAPI): ``create_app(services)``.

Desks, stations and the province talk to one service. Every ``/api/v1`` endpoint but login needs
credentials and names the roles it admits (:mod:`api.deps`); what a caller sees and changes is limited
to its unit and the units below (the core checks it); every refusal is an RFC 9457 problem document
(:mod:`api.errors`); every request is recorded in the access log before it is answered
(:mod:`api.access`). The OpenAPI document at ``/openapi.json`` lists for each operation the roles it
admits, its credentials and the problem statuses it may answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

import web
from api import errors
from api.access import AccessLogMiddleware
from api.deps import API_PREFIX, Admits, Services, admission_of
from api.docs import OPENAPI_URL, ResponseHeaders, serve_docs
from api.errors import PROBLEM_MEDIA_TYPE, Problem
from api.gate import AdmissionGate
from api.limits import MAX_BODY_BYTES, BodyLimit, PlainParameters
from api.routes import (
    access_log,
    audits,
    auth,
    cases,
    checkpoints,
    destruction,
    destruction_batches,
    destruction_sites,
    handovers,
    items,
    labels,
    ledger,
    locations,
    meta,
    report_batch,
    report_custody,
    report_stats,
    report_tracing,
    samples,
    scan_batches,
    scans,
    seals,
    stations,
    tag_jobs,
    transitions,
    units,
    users,
)
from api.routes.scans import SightingFeed
from custody.access_log import Access
from custody.checkpoint_schedule import CheckpointSchedule
from custody.db.notices import SIGHTINGS, Listener, listens

# Matched in this order: scan intake, the busiest route by far, first.
ROUTERS = (
    scans.router,
    scan_batches.router,
    auth.router,
    units.router,
    users.router,
    stations.router,
    cases.router,
    items.router,
    transitions.router,
    locations.router,
    seals.router,
    samples.router,
    labels.router,
    handovers.router,
    audits.router,
    destruction.router,
    destruction_batches.router,
    destruction_sites.router,
    report_tracing.router,
    ledger.router,
    checkpoints.router,
    access_log.router,
    report_stats.router,
    report_custody.router,
    report_batch.router,
    tag_jobs.router,
)
PUBLIC = frozenset({("POST", f"{API_PREFIX}/auth/login")})

DESCRIPTION = """\
Custody and destruction tracking of seized firearms and ammunition (涉案枪支弹药保管与销毁).

Log in with `POST /api/v1/auth/login` and send the token as `Authorization: Bearer <token>`; stations
send `X-Station-Key` (and `X-Station-Device`). Each operation says which roles it admits. Objects outside
the caller's unit and the units below it answer 404, like missing ones. Errors are
`application/problem+json` (RFC 9457); their types are listed at `/problems`.
"""


def create_app(
    services: Services | None = None,
    *,
    close_on_shutdown: bool = False,
    docs: bool = True,
    schedules: Sequence[CheckpointSchedule] = (),
) -> FastAPI:
    """The app over ``services`` (none: the route table and OpenAPI document only); ``docs``: serve
    ``/docs`` (Swagger UI, local assets) and ``/openapi.json``; ``schedules``: run while the app runs."""

    listener: Listener | None = None
    feed = SightingFeed()
    if services is not None and listens(services.custody.engine):  # several processes: hear them all
        feed = SightingFeed(heard=services.custody.scans.receipt)
        listener = Listener(services.custody.engine, (SIGHTINGS,), lambda _channel, told: feed.notice(told))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for schedule in schedules:
            schedule.start()
        if listener is not None:
            await run_in_threadpool(listener.start)
        try:
            yield
        finally:
            if listener is not None:
                await run_in_threadpool(listener.stop)
            for schedule in schedules:
                schedule.stop()
        if close_on_shutdown and services is not None:
            services.custody.close()

    app = FastAPI(
        title="Custody tracker",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL if docs else None,
        redirect_slashes=False,
    )
    app.state.services = services
    app.state.sighting_feed = feed
    errors.install(app)
    app.add_middleware(AdmissionGate)  # inside the access log: a refusal at the gate is logged too
    app.add_middleware(PlainParameters)  # no NUL or other control character in a path or query
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)  # 413 before the body is read past 1 MiB
    app.add_middleware(AccessLogMiddleware, record=_recorder(app), pages=web.is_page)
    app.add_middleware(ResponseHeaders, pages=web.is_page, assets=(web.STATIC_URL + "/",))
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(meta.router)
    web.mount(app)
    if docs:
        serve_docs(app)
    _check_admissions(app)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app


def _recorder(app: FastAPI) -> Callable[[Scope], Callable[[Access], object] | None]:
    def recorder(_scope: Scope) -> Callable[[Access], object] | None:
        services: Services | None = app.state.services
        return None if services is None else services.access_log.record

    return recorder


def admission(route: APIRoute) -> Admits | None:
    """Whom a route admits (None: public)."""
    return admission_of(dep.call for dep in route.dependant.dependencies)


def api_routes(app: FastAPI) -> list[APIRoute]:
    """The app's API routes (under ``/api/v1``), as declared."""
    found = (context.original_route for context in iter_route_contexts(app.routes))
    return [r for r in found if isinstance(r, APIRoute) and r.path.startswith(API_PREFIX)]


def _check_admissions(app: FastAPI) -> None:
    """Every API route admits someone by role, or is knowingly public."""
    for route in api_routes(app):
        if admission(route) is None:
            for method in route.methods or ():
                if (method, route.path) not in PUBLIC:
                    raise RuntimeError(f"{method} {route.path} admits no one: name its roles (api.deps)")


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = document.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        routes = {(m, r.path_format): r for r in api_routes(app) for m in r.methods or ()}
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                route = routes.get((method.upper(), path))
                if route is not None:
                    _document_route(operation, admission(route))
                for status, response in operation.get("responses", {}).items():
                    if status[0] in "45":
                        response["content"] = dict(problem)
        app.openapi_schema = document
        return document

    return build


def _document_route(operation: dict[str, Any], admits: Admits | None) -> None:
    """Whom an API operation admits, with which credentials, and the problems that follow from it."""
    responses = operation.setdefault("responses", {})
    statuses = (503,) if admits is None else (401, 403, 503)
    if "requestBody" in operation:
        statuses = (400, 413, *statuses)
    for status in statuses:
        responses.setdefault(str(status), errors.responses(status)[status])
    if admits is None:
        operation["security"] = []
        return
    alternatives: list[dict[str, list[str]]] = [{"session": []}]
    if admits.stations:
        alternatives.append({"stationKey": []})
    operation["security"] = alternatives
    operation["x-admits"] = {"roles": sorted(r.value for r in admits.roles), "stations": admits.stations}
    operation["description"] = f"{admits.describe()}\n\n{operation.get('description', '')}".strip()
