"""`custody report monthly|quarterly`: the statistics of a month (涉枪案件及枪支弹药统计月报表) or a
quarter (季度汇总) for a unit and the units below it, as PDF (and CSV), computed as of one ledger point."""

from __future__ import annotations

from pathlib import Path

import click

from custody_cli.context import acting_user, emit, fail, reports_errors, services

_OUT = click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
_CSV = click.option(
    "--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), help="The rows as CSV."
)
_AS_OF = click.option("--as-of", "as_of", type=int, help="Ledger seq to compute at (default: the head).")
_UNIT = click.option("--unit", "unit_code", help="The unit (default: the acting user's); units below it too.")


def _write(
    period_text: str,
    quarterly: bool,
    unit_code: str | None,
    out: Path,
    csv_out: Path | None,
    as_of: int | None,
) -> None:
    from custody.statistics import Period, Statistics
    from reports.errors import ReportError
    from reports.statistics import render_statistics, statistics_csv

    period = Period.quarter(period_text) if quarterly else Period.month(period_text)
    with services() as custody:
        data = Statistics(custody.store).figures(acting_user(custody), period, unit_code, as_of)
    try:
        pdf = render_statistics(data)
        rows = statistics_csv(data) if csv_out is not None else None
    except ReportError as refused:
        fail(f"no report written: {refused}")
        return
    out.write_bytes(pdf)
    if csv_out is not None and rows is not None:
        csv_out.write_bytes(rows)
    emit(
        {
            "period": period.label,
            "unit_code": data.unit_code,
            "units": len(data.units),
            "out": str(out),
            "csv": None if csv_out is None else str(csv_out),
            "point": data.point.text,
        }
    )


@click.command("monthly")
@click.option("--month", required=True, help="YYYY-MM (China Standard Time).")
@_UNIT
@_OUT
@_CSV
@_AS_OF
@reports_errors
def monthly(month: str, unit_code: str | None, out: Path, csv_out: Path | None, as_of: int | None) -> None:
    """The monthly statistics (涉枪案件及枪支弹药统计月报表) as PDF to FILE."""
    _write(month, False, unit_code, out, csv_out, as_of)


@click.command("quarterly")
@click.option("--quarter", required=True, help="YYYY-QN, e.g. 2026-Q4.")
@_UNIT
@_OUT
@_CSV
@_AS_OF
@reports_errors
def quarterly(
    quarter: str, unit_code: str | None, out: Path, csv_out: Path | None, as_of: int | None
) -> None:
    """The quarterly roll-up (季度汇总) of the statistics as PDF to FILE."""
    _write(quarter, True, unit_code, out, csv_out, as_of)
