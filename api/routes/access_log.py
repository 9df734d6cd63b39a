"""Reading the access log: auditors and administrators, for callers of their unit and below."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import API_PREFIX, Inspector, ServicesDep
from api.errors import responses
from api.schemas import AccessEntryOut, AccessLogPage
from custody.queries import MAX_PAGE

router = APIRouter(prefix=API_PREFIX + "/access-log", tags=["access log"])


@router.get("", response_model=AccessLogPage, responses=responses(401, 403, 404, 422))
def entries(
    caller: Inspector,
    services: ServicesDep,
    username: Annotated[str | None, Query(max_length=64)] = None,
    station: Annotated[str | None, Query(max_length=64)] = None,
    unit_code: Annotated[str | None, Query(max_length=6)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> AccessLogPage:
    """Who read or changed what, newest first."""
    page = services.access_log.entries(caller.actor, username, station, unit_code, cursor, limit)
    return AccessLogPage(entries=[AccessEntryOut(**e) for e in page.rows], next_cursor=page.next_cursor)
