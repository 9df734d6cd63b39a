"""Public documentation of the problem types, and a health check (storage included). No credentials,
not logged."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.errors import PROBLEMS, ProblemType, responses
from api.schemas import HealthOut, ProblemTypeOut
from api.storage import RETRY_AFTER_S, storage_of
from custody.errors import Message, NotFound

router = APIRouter(tags=["meta"])

UNKNOWN_PROBLEM_TYPE = Message("problem.unknown_type", "no problem type {code!r}")


def _out(kind: ProblemType) -> ProblemTypeOut:
    return ProblemTypeOut(
        type=kind.uri, code=kind.code, status=kind.status, title=kind.title, description=kind.description
    )


@router.get("/problems", response_model=list[ProblemTypeOut])
def problem_types() -> list[ProblemTypeOut]:
    """Every problem type this API answers with, by code."""
    return [_out(kind) for kind in PROBLEMS.values()]


@router.get("/problems/{code}", response_model=ProblemTypeOut, responses=responses(404))
def problem_type(code: str) -> ProblemTypeOut:
    """What a problem ``type`` means (its URI resolves here)."""
    kind = PROBLEMS.get(code)
    if kind is None:
        raise NotFound(UNKNOWN_PROBLEM_TYPE, code=code)
    return _out(kind)


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"description": "The database's disk is full", "model": HealthOut}},
)
def health(request: Request) -> Response:
    """``ok``, or 503 ``storage-full`` while the last write found the database's disk full."""
    storage = storage_of(request.scope)
    since = storage.full_since
    if since is None:
        return JSONResponse(HealthOut(status="ok").model_dump(mode="json", exclude_none=True))
    body = HealthOut(status="storage-full", storage_full_since=datetime.fromtimestamp(since, UTC))
    return JSONResponse(
        body.model_dump(mode="json"), status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
    )
