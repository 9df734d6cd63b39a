"""The admission gate: the caller is admitted before anything reads the request's body.

FastAPI reads and parses a route's body before it solves the route's dependencies, so a caller
without credentials could make the service read and parse a body (up to the size limit) only to be
told 401. The gate matches the route first, runs its admission (:class:`api.deps.Admits`: credentials,
role, station) on the headers alone and answers a refusal at once, body unread; an admitted caller is
remembered in the request's state, and the route's own admission dependency takes it from there
without a second lookup.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import API_PREFIX, Admits, Services, admission_of
from api.errors import failure_response, refusal_response
from custody.db.failures import DATABASE_FAILURES
from custody.errors import CustodyError


def _api_routes(app: FastAPI) -> list[APIRoute]:
    found = (context.original_route for context in iter_route_contexts(app.routes))
    return [route for route in found if isinstance(route, APIRoute)]


class AdmissionGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: list[APIRoute] | None = None
        self._admits: dict[int, Admits | None] = {}  # per route: its admission dependency, found once

    def _route_for(self, scope: Scope) -> APIRoute | None:
        """The route that will answer (matched as the router will match it, in the same order)."""
        if self._routes is None:
            self._routes = _api_routes(scope["app"])
        for route in self._routes:
            match, _child = route.matches(scope)
            if match is Match.FULL:
                return route
        return None

    def _admission(self, route: APIRoute) -> Admits | None:
        key = id(route)
        if key not in self._admits:
            self._admits[key] = admission_of(d.call for d in route.dependant.dependencies)
        return self._admits[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        services: Services | None = getattr(scope["app"].state, "services", None)
        route = self._route_for(scope) if services is not None else None
        admits = None if route is None else self._admission(route)
        if services is None or route is None or admits is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # headers only: no receive, so nothing can read the body here
        try:
            await admits.gate(request, services)
        except CustodyError as refused:
            scope["route"] = route  # the access log names the route template
            await (await refusal_response(request, refused))(scope, receive, send)
            return
        except DATABASE_FAILURES as failed:  # credentials not looked up: as elsewhere
            scope["route"] = route
            await failure_response(request, failed)(scope, receive, send)
            return
        await self.app(scope, receive, send)
