"""The destruction site desk: scan-out progress, discrepancies, witnesses, photos."""

from __future__ import annotations

from fastapi import APIRouter

from web.render import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
