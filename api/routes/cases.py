"""Cases (案件): opened by clerks and investigators, closed or judged; read within the caller's scope.

A case number is the last path segment, percent-encoded as needed (it may hold any character but a
control character, a ``/`` included).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import API_PREFIX, CaseKeeper, ReaderOrStation, ServicesDep
from api.errors import responses
from api.idempotency import IdempotencyKeyHeader, create_once
from api.schemas import (
    CaseCorrectionIn,
    CaseDetail,
    CaseIn,
    CaseOut,
    CasePage,
    CaseUnit,
    JudgmentIn,
    SearchText,
    SolvedIn,
)
from custody.model import CaseStatus
from custody.queries import MAX_PAGE
from custody.units import UNIT_CODE_LENGTH

router = APIRouter(prefix=API_PREFIX + "/cases", tags=["cases"])


# Case numbers are unique per owning unit: a number resolves within the caller's scope (its own unit's
# case first); when several units in the scope use it, ``unit_code`` says whose.
@router.get("", response_model=CasePage, responses=responses(401, 403, 404, 422))
def list_cases(
    caller: ReaderOrStation,
    services: ServicesDep,
    status: CaseStatus | None = None,
    unit_code: Annotated[
        str | None, Query(max_length=UNIT_CODE_LENGTH, description="That unit and the units below")
    ] = None,
    q: Annotated[SearchText | None, Query(description="Part of the case number or title")] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> CasePage:
    """Cases of the caller's unit and below, newest first."""
    page = services.queries.cases(caller.actor, status, unit_code, q, cursor, limit)
    return CasePage(cases=[CaseOut.model_validate(c) for c in page.rows], next_cursor=page.next_cursor)


@router.post("", status_code=201, response_model=CaseOut, responses=responses(401, 403, 404, 409, 422))
def open_case(
    body: CaseIn,
    caller: CaseKeeper,
    services: ServicesDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Open a case for the caller's unit, or for a unit below it (``Idempotency-Key``: a retry gets the
    first answer). A case number is unique within its owning unit: another unit's case of the same
    number is no conflict (and is never hinted at)."""
    return create_once(
        request,
        services,
        caller,
        idempotency_key,
        body,
        lambda also: services.custody.cases.open(
            caller.actor,
            body.case_no,
            body.title,
            body.unit_code,
            also=also,
            category=None if body.category is None else body.category.value,
            filed_date=None if body.filed_date is None else body.filed_date.isoformat(),
        ),
        CaseOut.model_validate,
    )


@router.get("/{case_no:path}", response_model=CaseDetail, responses=responses(401, 403, 404, 422))
def show_case(
    case_no: str, caller: ReaderOrStation, services: ServicesDep, unit_code: CaseUnit = None
) -> CaseDetail:
    """A case with the items of it that the caller may see (an item transferred to a unit outside the
    caller's scope is not listed)."""
    found = services.custody.cases.get(caller.actor, case_no, unit_code)
    return CaseDetail.model_validate(found)


@router.post("/{case_no:path}/close", response_model=CaseOut, responses=responses(401, 403, 404, 409, 422))
def close_case(
    case_no: str, caller: CaseKeeper, services: ServicesDep, unit_code: CaseUnit = None
) -> CaseOut:
    """Record that the case is closed (案件办结): its items may then be handed over to sealed storage."""
    return CaseOut.model_validate(services.custody.cases.close(caller.actor, case_no, unit_code))


@router.post("/{case_no:path}/judgment", response_model=CaseOut, responses=responses(401, 403, 404, 409, 422))
def judge_case(
    case_no: str, body: JudgmentIn, caller: CaseKeeper, services: ServicesDep, unit_code: CaseUnit = None
) -> CaseOut:
    """Record the court's judgment (法院审判后)."""
    judged = services.custody.cases.judge(
        caller.actor, case_no, body.judgment_no, body.judgment_date.isoformat(), unit_code
    )
    return CaseOut.model_validate(judged)


@router.post("/{case_no:path}/solved", response_model=CaseOut, responses=responses(401, 403, 404, 409, 422))
def solve_case(
    case_no: str, body: SolvedIn, caller: CaseKeeper, services: ServicesDep, unit_code: CaseUnit = None
) -> CaseOut:
    """Record that the case was solved (破案) on a date; once only (a wrong date is corrected)."""
    solved = services.custody.cases.solved(caller.actor, case_no, body.solved_date.isoformat(), unit_code)
    return CaseOut.model_validate(solved)


@router.post(
    "/{case_no:path}/correction", response_model=CaseOut, responses=responses(401, 403, 404, 409, 422)
)
def correct_case(
    case_no: str,
    body: CaseCorrectionIn,
    caller: CaseKeeper,
    services: ServicesDep,
    unit_code: CaseUnit = None,
) -> CaseOut:
    """Correct the case's category, filed or solved date, with a reason: a new record in the ledger
    beside the earlier one."""
    corrected = services.custody.cases.correct(caller.actor, case_no, body.changes(), body.reason, unit_code)
    return CaseOut.model_validate(corrected)
