"""The case rows of the transition table: a case is opened, closed (案件办结) and judged (法院审判后);
it is solved (破案) on a date, and its category, filed date (立案日期) and solved date are corrected by a
new record beside the earlier one.

A case's status gates its items' hand-over to sealed storage (see :mod:`custody.lifecycle.items`). Being
solved changes no status: a case is solved while open (or found solved after closing) and recorded once;
a wrong date is corrected (``case_corrected``, with a reason), never recorded twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from custody.errors import IllegalTransition, InvalidInput, Message, TransitionRefused
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
from custody.model import CaseCategory, CaseStatus, EventType, Role
from custody.records import Case

CASE_ROLES = frozenset({Role.CLERK, Role.INVESTIGATOR})
EVERY_STATUS = frozenset(CaseStatus)
# The fields of a case a correction may change.
CASE_CORRECTABLE = ("category", "filed_date", "solved_date")

CATEGORY_UNKNOWN = Message("case.category_unknown", "category must be one of {categories}, got {value!r}")
DATE_IN_FUTURE = Message("case.date_in_future", "{name} {value} lies in the future")
ALREADY_SOLVED = Message(
    "case.already_solved", "case {case_no} is recorded solved on {solved_date}: correct the date instead"
)
SOLVED_BEFORE_FILED = Message(
    "case.solved_before_filed", "case {case_no}: solved {solved_date} before it was filed ({filed_date})"
)
CASE_CORRECTION_EMPTY = Message(
    "case.correction_empty", "a correction of a case changes at least one of: {fields}"
)
CASE_NOT_CORRECTABLE = Message(
    "case.not_correctable", "{name} is not a correctable field of a case (correctable: {fields})"
)
NOT_SOLVED = Message(
    "case.not_solved", "case {case_no} is not recorded solved: record it solved (破案) with its date"
)


def case_category(value: object) -> str | None:
    """A category as recorded (None: not given)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in {c.value for c in CaseCategory}:
        raise InvalidInput(
            CATEGORY_UNKNOWN,
            "category",
            categories=", ".join(c.value for c in CaseCategory),
            value=str(value),
        )
    return value


def _case_date(payload: Mapping[str, Any], name: str, today: date | None) -> str:
    value = parse_date(str(payload.get(name) or ""), name)
    if today is not None and value > today:
        raise TransitionRefused(DATE_IN_FUTURE, name=name, value=value.isoformat())
    return value.isoformat()


def _record_opening(attempt: CaseAttempt) -> Payload:
    return {
        "case_no": required_text(attempt.payload, "case_no"),
        "unit_code": attempt.payload["unit_code"],
        "title": optional_text(attempt.payload, "title"),
        "category": case_category(attempt.payload.get("category")),
        "filed_date": _case_date(attempt.payload, "filed_date", attempt.today),
    }


def _not_yet_solved(attempt: CaseAttempt) -> None:
    case = attempt.case
    if case.solved_date is not None:
        raise IllegalTransition(ALREADY_SOLVED, case_no=case.case_no, solved_date=case.solved_date)


def _solved_after_filing(case: Case, solved: str, filed: str | None) -> None:
    if filed is not None and solved < filed:
        raise TransitionRefused(
            SOLVED_BEFORE_FILED, case_no=case.case_no, solved_date=solved, filed_date=filed
        )


def _record_solved(attempt: CaseAttempt) -> Payload:
    solved = _case_date(attempt.payload, "solved_date", attempt.today)
    _solved_after_filing(attempt.case, solved, attempt.case.filed_date)
    return {"solved_date": solved}


def _solve(_case: Case, payload: Mapping[str, Any]) -> Changes:
    return {"solved_date": payload["solved_date"]}


def _record_case_correction(attempt: CaseAttempt) -> Payload:
    changes = attempt.payload.get("changes")
    fields = ", ".join(CASE_CORRECTABLE)
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput(CASE_CORRECTION_EMPTY, "changes", fields=fields)
    case = attempt.case
    recorded: dict[str, Any] = {}
    for name in changes:
        if name not in CASE_CORRECTABLE:
            raise InvalidInput(CASE_NOT_CORRECTABLE, "changes", name=str(name), fields=fields)
    if "category" in changes:
        recorded["category"] = case_category(changes["category"])
    for name in ("filed_date", "solved_date"):
        if name in changes:
            recorded[name] = _case_date(changes, name, attempt.today)
    if "solved_date" in recorded and case.solved_date is None:
        raise TransitionRefused(NOT_SOLVED, case_no=case.case_no)
    solved = recorded.get("solved_date", case.solved_date)
    if solved is not None:
        _solved_after_filing(case, solved, recorded.get("filed_date", case.filed_date))
    return {
        "changes": recorded,
        "previous": {name: getattr(case, name) for name in recorded},
        "reason": required_text(attempt.payload, "reason"),
    }


def _correct_case(_case: Case, payload: Mapping[str, Any]) -> Changes:
    return dict(payload["changes"])


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
        # cases opened before categories and filed dates were recorded have neither
        category=payload.get("category"),
        filed_date=payload.get("filed_date"),
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
case_transition(
    CaseTransition(
        EventType.CASE_SOLVED,
        EVERY_STATUS,
        None,
        CASE_ROLES,
        effect=_solve,
        record=_record_solved,
        guards=(_not_yet_solved,),
    )
)
case_transition(
    CaseTransition(
        EventType.CASE_CORRECTED,
        EVERY_STATUS,
        None,
        CASE_ROLES,
        effect=_correct_case,
        record=_record_case_correction,
    )
)
