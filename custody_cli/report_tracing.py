"""`custody report tracing`: a source-and-flow tracing letter (涉枪案件枪弹来源流向协查函) about a firearm
or an ammunition lot, to another bureau: issued (an event of the item, with its reference number) and
written as PDF, or an issued letter printed again from its event."""

from __future__ import annotations

from pathlib import Path

import click

from custody_cli.context import acting_user, emit, fail, reports_errors, services


@click.command("tracing")
@click.argument("evidence_no", required=False, metavar="[EVIDENCE_NO]")
@click.option("--to", "addressee", metavar="BUREAU", help="The bureau asked (issues a new letter).")
@click.option("--request", default="", help="What is asked (default: its source and flow).")
@click.option("--reply-by", metavar="YYYY-MM-DD", help="Reply asked by this date.")
@click.option("--letter", "letter_seq", type=int, metavar="SEQ", help="Print again the letter of event SEQ.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), help="Its fields as CSV.")
@reports_errors
def tracing(
    evidence_no: str | None,
    addressee: str | None,
    request: str,
    reply_by: str | None,
    letter_seq: int | None,
    out: Path,
    csv_out: Path | None,
) -> None:
    """Issue a tracing letter about EVIDENCE_NO to the bureau --to (a ledger event of the item, with its
    reference number), or print again the letter of ledger event --letter SEQ; write it as PDF to --out."""
    from reports.errors import ReportError
    from reports.tracing import render_tracing, tracing_csv

    issuing = evidence_no is not None
    if (letter_seq is None) != issuing or issuing != (addressee is not None):
        raise click.UsageError(
            "give EVIDENCE_NO with --to to issue a letter, or --letter SEQ to print one again"
        )
    with services() as custody:
        actor = acting_user(custody)
        letters = custody.tracing_letters
        if letter_seq is not None:
            letter = letters.get(actor, letter_seq)
        else:
            assert evidence_no is not None and addressee is not None
            letter = letters.issue(actor, evidence_no, addressee, request, reply_by)
    try:
        pdf = render_tracing(letter)
        rows = tracing_csv(letter) if csv_out is not None else None
    except ReportError as refused:
        fail(f"no letter written: {refused} (the letter stays recorded as ledger event {letter.point.seq})")
        return
    out.write_bytes(pdf)
    if csv_out is not None and rows is not None:
        csv_out.write_bytes(rows)
    emit(
        {
            "reference": letter.reference,
            "letter": letter.point.seq,
            "evidence_no": dict(letter.item)["evidence_no"],
            "addressee": letter.addressee,
            "out": str(out),
            "csv": None if csv_out is None else str(csv_out),
            "head": letter.point.text,
        }
    )
