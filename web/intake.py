"""The intake desk: open a case, register a firearm or an ammunition lot, print its label."""

from __future__ import annotations

from fastapi import APIRouter

from web.render import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
