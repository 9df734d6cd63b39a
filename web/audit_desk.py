"""The audit desk: live counts as tags and barcodes are read; blind mode."""

from __future__ import annotations

from fastapi import APIRouter

from web.render import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
