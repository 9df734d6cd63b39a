"""`custody report custody EVIDENCE_NO --out FILE.pdf [--csv FILE.csv] [--as-of SEQ]`: the chain of
custody of one item (证据保管链报告), for court: every event of the item up to the ledger point, each with
its canonical encoding printed verbatim, and the inclusion proof of its last event in the latest signed
checkpoint."""

from __future__ import annotations

from pathlib import Path

import click

from custody_cli.context import acting_user, emit, fail, reports_errors, services


@click.command("custody")
@click.argument("evidence_no")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), help="The events as CSV.")
@click.option("--as-of", "as_of", type=int, metavar="SEQ", help="The ledger point (default: the head).")
@reports_errors
def custody_command(evidence_no: str, out: Path, csv_out: Path | None, as_of: int | None) -> None:
    """Write the chain of custody of EVIDENCE_NO as PDF to FILE (and its events as CSV)."""
    from reports.custody_chain import custody_chain_csv, render_custody_chain
    from reports.errors import ReportError

    with services() as custody:
        chain = custody.custody_reports.chain(acting_user(custody), evidence_no, as_of)
    try:
        pdf = render_custody_chain(chain)
        rows = custody_chain_csv(chain) if csv_out is not None else None
    except ReportError as refused:
        fail(f"no report written: {refused}")
        return
    out.write_bytes(pdf)
    if csv_out is not None and rows is not None:
        csv_out.write_bytes(rows)
    emit(
        {
            "evidence_no": chain.item.evidence_no,
            "out": str(out),
            "csv": None if csv_out is None else str(csv_out),
            "events": len(chain.events),
            "last_seq": None if chain.last is None else chain.last.seq,
            "proof_tree_size": None if chain.proof is None else chain.proof.tree_size,
            "point": chain.point.text,
        }
    )
