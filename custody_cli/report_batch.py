"""`custody report batch BATCH --out FILE.pdf [--csv FILE.csv] [--as-of SEQ]`: the destruction batch
report (枪支弹药销毁报告) of a provincial batch, as of its closing point (the head while it is open) or
``--as-of``."""

from __future__ import annotations

from pathlib import Path

import click

from custody_cli.context import acting_user, emit, fail, reports_errors, services


@click.command("batch")
@click.argument("batch_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), help="The rows as CSV.")
@click.option("--as-of", "as_of", type=int, metavar="SEQ", help="Compute as of this ledger seq.")
@reports_errors
def batch_command(batch_id: int, out: Path, csv_out: Path | None, as_of: int | None) -> None:
    """Write the report of destruction batch BATCH (销毁报告) as PDF to FILE, and its rows as CSV."""
    from reports.batch import batch_csv, render_batch
    from reports.errors import ReportError

    with services() as custody:
        data = custody.batch_reports.report(acting_user(custody), batch_id, as_of)
    try:
        pdf = render_batch(data)
        rows = batch_csv(data) if csv_out is not None else None
    except ReportError as refused:
        fail(f"no report written: {refused}")
        return
    out.write_bytes(pdf)
    if csv_out is not None and rows is not None:
        csv_out.write_bytes(rows)
    totals = data.totals
    emit(
        {
            "batch_id": batch_id,
            "out": str(out),
            "csv": None if csv_out is None else str(csv_out),
            "status": data.status,
            "items": totals.batched,
            "destroyed": totals.destroyed,
            "withdrawn": totals.withdrawn,
            "photos": len(data.photos),
            "findings": len(data.findings),
            "point": data.point.text,
        }
    )
