"""`custody serve`: the HTTP API under uvicorn, on the configured database (embedded SQLite by default)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from custody_cli.context import fail, reports_errors

if TYPE_CHECKING:
    from custody.demo import DemoSummary
    from custody.services import Custody

DEMO_PASSWORD = "custody-demo"  # noqa: S105 - the README documents it; given only with --demo


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option(
    "--demo",
    is_flag=True,
    help="On the demo's own database: bring the schema up to date, load the demo data (once) and give "
    f"demo users without a password the demo password {DEMO_PASSWORD!r}.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Service processes on this port (PostgreSQL only: an SQLite file has one writer).",
)
@reports_errors
def serve(host: str, port: int, demo: bool, log_level: str, workers: int) -> None:
    """Start the HTTP API: one process (its group-commit writer is an SQLite file's only writer), or on
    PostgreSQL --workers N processes on one port, each with its own writer, the ledger's chain kept
    whole by PostgreSQL's advisory lock.

    Without --demo the schema must be up to date (`custody db upgrade`) and no demo account may be
    active. --demo runs on the demo's own database (data/demo.sqlite unless CUSTODY_DATABASE_URL names
    one, which must hold nothing but demo data). Forwarded headers are believed only from
    CUSTODY_TRUSTED_PROXIES. API documentation is served at /docs, the OpenAPI document at /openapi.json.
    """
    from api.launcher import serve as run_service
    from api.launcher import serve_workers as run_workers
    from api.serving import service_app
    from custody.db.migrate import schema_is_current
    from custody.services import Custody
    from custody.settings import Settings

    settings = Settings()
    url = settings.resolved_demo_database_url() if demo else settings.resolved_database_url()
    if workers > 1 and demo:
        fail("the demo runs as one process: serve --demo without --workers")
    custody = Custody.open(url)
    if settings.read_database_url and not demo:
        custody.store.use_replica(settings.read_database_url)
    if workers > 1 and custody.engine.dialect.name != "postgresql":
        custody.close()
        fail(
            f"--workers {workers}: an SQLite database file has one writer, so it is served by one process; "
            "serve several processes on PostgreSQL (CUSTODY_DATABASE_URL=postgresql+psycopg://…)"
        )
    try:
        if demo:
            prepare_demo(custody)
        elif not schema_is_current(custody.engine):
            fail("the database schema is not up to date: run `custody db upgrade` first (or serve --demo)")
        app = service_app(custody, demo)
    except BaseException:
        custody.close()
        raise
    where = custody.store.url
    processes = "" if workers == 1 else f" with {workers} processes"
    click.echo(
        f"custody: serving {where}{processes} at http://{host}:{port}/ (API documentation at /docs)", err=True
    )
    if workers > 1:  # each process opens the database itself (api.serving:app), from the same settings
        custody.close()
        run_workers(url, host, port, log_level, workers)
        return
    run_service(app, host, port, log_level)


def prepare_demo(custody: Custody) -> DemoSummary:
    """Check the database holds nothing but demo data, bring its schema up to date, load the demo
    (once) and give demo users without a password the demo password."""
    from custody.db.migrate import upgrade
    from custody.demo import USERS, check_demo_database, load_demo

    check_demo_database(custody.store)
    upgrade(custody.engine)
    summary = load_demo(custody)
    users = custody.users
    admin = custody.users.actor("admin")
    given = []
    for username, *_ in USERS:
        if not users.get(admin, username).has_password:
            users.set_password(admin, username, DEMO_PASSWORD)
            given.append(username)
    if summary.loaded:
        click.echo(f"custody: demo loaded ({len(summary.items)} items)", err=True)
    if given:
        click.echo(f"custody: demo users {', '.join(given)} log in with password {DEMO_PASSWORD!r}", err=True)
    return summary
