"""`custody demo`: load the demo data (once); with --live, the whole product on simulated devices."""

from __future__ import annotations

import threading

import click

from custody_cli.context import demo_services, reports_errors


@click.command()
@click.option(
    "--live",
    is_flag=True,
    help="Also start the service, a simulated scanner and tags and a station agent, and keep scanning "
    "demo items (JSON lines) until Ctrl-C.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the service listens on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Its TCP port.")
@click.option(
    "--interval",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds between two simulated scans.",
)
@click.option("--scans", type=click.IntRange(1), help="Stop after this many accepted scans (default: never).")
@reports_errors
def demo(live: bool, host: str, port: int, interval: float, scans: int | None) -> None:
    """Load demo units, users, cases and items into the demo's own database (data/demo.sqlite, or
    CUSTODY_DATABASE_URL if it holds nothing but demo data); a second run changes nothing. Demo users
    log in with the password 'custody-demo' (e.g. `custody login cc-clerk`).

    With --live, on the same database: the service under uvicorn, the scanner simulator on a
    pseudo-terminal, virtual tags behind vpcd (pcscd is started when none runs) and a station agent
    wired to them; every INTERVAL seconds a demo label is scanned or a tag presented, and each step
    prints as a JSON line. Ctrl-C (or SIGTERM) stops everything cleanly.
    """
    if live:
        from custody_cli.live_demo import run_live_demo
        from custody_cli.station import run_until_signalled

        stop = threading.Event()
        run_until_signalled(lambda: run_live_demo(host, port, interval, scans, stop), stop.set)
        return
    from custody_cli.serve import prepare_demo

    with demo_services() as custody:
        summary = prepare_demo(custody)
    click.echo(f"demo database: {custody.store.url}")
    if not summary.loaded:
        click.echo("the demo is already loaded; nothing changed")
        return
    click.echo(f"demo loaded: {len(summary.items)} items, e.g. {summary.items[0]}")
