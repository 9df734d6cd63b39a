"""Reading the access log: auditors and administrators, for callers of their unit and below; and a
verification of its whole hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import API_PREFIX, Inspector, ServicesDep
from api.errors import responses
from api.routes.ledger import ExpectedHead
from api.schemas import AccessEntryOut, AccessLogPage, VerificationOut
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


@router.get("/verification", response_model=VerificationOut, responses=responses(401, 403, 422))
def verify(caller: Inspector, services: ServicesDep, expected: ExpectedHead) -> VerificationOut:
    """Recompute the access log's whole hash chain (every entry, whoever made it: the chain is one);
    ``ok`` is false and ``first_bad_seq`` names the first bad entry if anything was altered or removed.
    The encoding is documented in ``custody.access_chain`` (version 1)."""
    return VerificationOut.model_validate(services.access_log.verify(expected).as_dict())
