"""The reports page: produce and download every PDF and CSV report."""

from __future__ import annotations

from fastapi import APIRouter

from web.render import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
