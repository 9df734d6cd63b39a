"""The case rows of the transition table: a case is opened, closed (案件办结) and judged (法院审判后).

A case's status gates its items' hand-over to sealed storage (see :mod:`custody.lifecycle.items`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from custody.lifecycle.table import (
    CaseAttempt,
    CaseTransition,
    Changes,
    Payload,
    case_transition,
    optional_text,
    parse_date,
    required_text,
)
from custody.model import CaseStatus, EventType, Role
from custody.records import Case

CASE_ROLES = frozenset({Role.CLERK, Role.INVESTIGATOR})


def _record_opening(attempt: CaseAttempt) -> Payload:
    return {
        "case_no": required_text(attempt.payload, "case_no"),
        "unit_code": attempt.payload["unit_code"],
        "title": optional_text(attempt.payload, "title"),
    }


def _record_judgment(attempt: CaseAttempt) -> Payload:
    return judgment(attempt.payload)


def judgment(payload: Mapping[str, Any]) -> Payload:
    """A judgment as recorded: its number (text policy) and its date (ISO)."""
    number = required_text(payload, "judgment_no")
    when = parse_date(payload.get("judgment_date") or "", "judgment_date").isoformat()
    return {"judgment_no": number, "judgment_date": when}


def _judge(_case: Case, payload: Mapping[str, Any]) -> Changes:
    return {"judgment_no": payload["judgment_no"], "judgment_date": payload["judgment_date"]}


def opened_case(case_id: int, opened_at_us: int, payload: Mapping[str, Any]) -> Case:
    """A case as its opening leaves it (the service writes it; replay rebuilds it)."""
    return Case(
        id=case_id,
        case_no=payload["case_no"],
        unit_code=payload["unit_code"],
        title=payload.get("title") or "",
        status=CaseStatus.OPEN,
        opened_at_us=opened_at_us,
        version=1,
    )


OPENED = case_transition(
    CaseTransition(EventType.CASE_OPENED, frozenset(), CaseStatus.OPEN, CASE_ROLES, record=_record_opening)
)
case_transition(
    CaseTransition(EventType.CASE_CLOSED, frozenset({CaseStatus.OPEN}), CaseStatus.CLOSED, CASE_ROLES)
)
case_transition(
    CaseTransition(
        EventType.CASE_JUDGED,
        frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
        CaseStatus.JUDGED,
        CASE_ROLES,
        effect=_judge,
        record=_record_judgment,
    )
)
