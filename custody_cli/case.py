"""`custody case …`: open, close and judge cases."""

from __future__ import annotations

import click

from custody.model import CaseCategory
from custody_cli.context import CASE_UNIT, acting_user, emit, reports_errors, services


@click.group()
def case() -> None:
    """Cases (案件): open → closed, or judged."""


_CATEGORIES = click.Choice([c.value for c in CaseCategory])


@case.command("open")
@click.argument("case_no")
@click.option("--title", default="")
@click.option("--unit", "unit_code", help="Owning unit (default: the acting user's unit).")
@click.option("--category", type=_CATEGORIES, help="What the gun case is about (counted by the statistics).")
@click.option(
    "--filed", "filed_date", help="Filed (立案) on YYYY-MM-DD (default: today, China Standard Time)."
)
@reports_errors
def open_command(
    case_no: str, title: str, unit_code: str | None, category: str | None, filed_date: str | None
) -> None:
    """Open a case."""
    with services() as custody:
        opened = custody.cases.open(
            acting_user(custody), case_no, title, unit_code, category=category, filed_date=filed_date
        )
    emit(
        {
            "case_no": opened.case_no,
            "unit_code": opened.unit_code,
            "status": opened.status,
            "category": opened.category,
            "filed_date": opened.filed_date,
        }
    )


@case.command("solved")
@click.argument("case_no")
@click.option("--date", "solved_date", required=True, help="Solved (破案) on YYYY-MM-DD.")
@CASE_UNIT
@reports_errors
def solved_command(case_no: str, solved_date: str, case_unit: str | None) -> None:
    """Record that a case was solved (破案) on a date."""
    with services() as custody:
        solved = custody.cases.solved(acting_user(custody), case_no, solved_date, case_unit)
    emit({"case_no": solved.case_no, "status": solved.status, "solved_date": solved.solved_date})


@case.command("correct")
@click.argument("case_no")
@click.option("--category", type=_CATEGORIES, help="The corrected category.")
@click.option("--filed", "filed_date", help="The corrected filed date, YYYY-MM-DD.")
@click.option("--solved", "solved_date", help="The corrected solved date, YYYY-MM-DD.")
@click.option("--reason", required=True, help="Why the earlier record was wrong.")
@CASE_UNIT
@reports_errors
def correct_command(
    case_no: str,
    category: str | None,
    filed_date: str | None,
    solved_date: str | None,
    reason: str,
    case_unit: str | None,
) -> None:
    """Correct a case's category, filed or solved date (a new record; the earlier one stays)."""
    given = {"category": category, "filed_date": filed_date, "solved_date": solved_date}
    changes = {k: v for k, v in given.items() if v is not None}
    with services() as custody:
        corrected = custody.cases.correct(acting_user(custody), case_no, changes, reason, case_unit)
    emit({"case_no": corrected.case_no, **{k: getattr(corrected, k) for k in given}})


@case.command("close")
@click.argument("case_no")
@CASE_UNIT
@reports_errors
def close_command(case_no: str, case_unit: str | None) -> None:
    """Record that a case is closed (案件办结)."""
    with services() as custody:
        closed = custody.cases.close(acting_user(custody), case_no, case_unit)
    emit({"case_no": closed.case_no, "status": closed.status})


@case.command("judge")
@click.argument("case_no")
@click.option("--judgment", "judgment_no", required=True, help="Judgment number.")
@click.option("--date", "judgment_date", required=True, help="Judgment date, YYYY-MM-DD.")
@CASE_UNIT
@reports_errors
def judge_command(case_no: str, judgment_no: str, judgment_date: str, case_unit: str | None) -> None:
    """Record the court's judgment of a case."""
    with services() as custody:
        judged = custody.cases.judge(acting_user(custody), case_no, judgment_no, judgment_date, case_unit)
    emit({"case_no": judged.case_no, "status": judged.status, "judgment_no": judged.judgment_no})


@case.command("show")
@click.argument("case_no")
@CASE_UNIT
@reports_errors
def show_command(case_no: str, case_unit: str | None) -> None:
    """A case and its items, as the acting user may see them."""
    with services() as custody:
        found = custody.cases.get(acting_user(custody), case_no, case_unit)
    emit(
        {
            k: getattr(found, k)
            for k in (
                "case_no",
                "unit_code",
                "title",
                "status",
                "judgment_no",
                "judgment_date",
                "category",
                "filed_date",
                "solved_date",
            )
        }
    )
    for item in found.items:
        emit({k: getattr(item, k) for k in ("evidence_no", "kind", "state", "version", "unit_code")})
