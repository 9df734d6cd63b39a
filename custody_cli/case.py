"""`custody case …`: open, close and judge cases."""

from __future__ import annotations

import click

from custody_cli.context import CASE_UNIT, acting_user, emit, reports_errors, services


@click.group()
def case() -> None:
    """Cases (案件): open → closed, or judged."""


@case.command("open")
@click.argument("case_no")
@click.option("--title", default="")
@click.option("--unit", "unit_code", help="Owning unit (default: the acting user's unit).")
@reports_errors
def open_command(case_no: str, title: str, unit_code: str | None) -> None:
    """Open a case."""
    with services() as custody:
        opened = custody.cases.open(acting_user(custody), case_no, title, unit_code)
    emit({"case_no": opened.case_no, "unit_code": opened.unit_code, "status": opened.status})


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
            for k in ("case_no", "unit_code", "title", "status", "judgment_no", "judgment_date")
        }
    )
    for item in found.items:
        emit({k: getattr(item, k) for k in ("evidence_no", "kind", "state", "version", "unit_code")})
