"""Tag writing at the desk's reader: a job for the station agent, its result shown live."""

from __future__ import annotations

from fastapi import APIRouter

from web.render import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
