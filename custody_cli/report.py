"""`custody report …`: documents the province can trust, each a PDF (and its rows as CSV, UTF-8 with a
BOM), every figure computed from the ledger as of one point (``--as-of SEQ``, or the head) that the
document prints with the latest signed checkpoint.

Each report is its own module, imported only when called.
"""

from __future__ import annotations

import click

from custody_cli.lazy import LazyGroup

REPORTS: dict[str, str] = {
    "tracing": "custody_cli.report_tracing:tracing",
    "monthly": "custody_cli.report_stats:monthly",
    "quarterly": "custody_cli.report_stats:quarterly",
    "custody": "custody_cli.report_custody:custody_command",
    "batch": "custody_cli.report_batch:batch_command",
}


@click.group(cls=LazyGroup, lazy_subcommands=REPORTS)
def report() -> None:
    """Reports: destruction batches, an item's chain of custody, monthly and quarterly statistics,
    source-tracing letters."""
