"""Public documentation of the problem types, and a health check. No credentials, not logged."""

from __future__ import annotations

from fastapi import APIRouter

from api.errors import PROBLEMS, ProblemType, responses
from api.schemas import HealthOut, ProblemTypeOut
from custody.errors import NotFound

router = APIRouter(tags=["meta"])


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
        raise NotFound(f"no problem type {code!r}")
    return _out(kind)


@router.get("/health", response_model=HealthOut)
def health() -> HealthOut:
    return HealthOut(status="ok")
