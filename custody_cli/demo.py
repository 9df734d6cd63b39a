"""`custody demo`: load the demo data (once)."""

from __future__ import annotations

import click

from custody_cli.context import reports_errors, services


@click.command()
@reports_errors
def demo() -> None:
    """Load demo units, users, cases and items; a second run changes nothing."""
    from custody.demo import load_demo

    with services() as custody:
        summary = load_demo(custody)
    if not summary.loaded:
        click.echo("the demo is already loaded; nothing changed")
        return
    click.echo(f"demo loaded: {len(summary.items)} items, e.g. {summary.items[0]}")
