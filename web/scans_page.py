"""Live scans from the desk's station (server-sent events)."""

from __future__ import annotations

from fastapi import APIRouter

from web.render import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
