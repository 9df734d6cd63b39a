"""`custody login`, `custody logout`, `custody whoami`: the command line's session, as the API's."""

from __future__ import annotations

import contextlib

import click

from custody_cli.context import emit, reports_errors, services


@click.command()
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)
@reports_errors
def login(username: str, password_stdin: bool) -> None:
    """Log in: later commands act as USERNAME until the session ends (8 hours, logout, a password
    reset or deactivation). The token is kept in CUSTODY_SESSION_FILE (default
    ~/.config/custody/session.json), readable by you only; the password is never stored."""
    from custody.clock import from_us
    from custody.settings import Settings
    from custody_cli.context import password_stdin as global_password_stdin
    from custody_cli.session import (
        StoredSession,
        cli_client,
        database_name,
        read_password,
        save_session,
    )

    password = read_password(f"password of {username}", password_stdin or global_password_stdin())
    path = Settings().resolved_session_file()
    with services() as custody:
        opened = custody.sessions.login(username, password, cli_client())
        save_session(
            path, StoredSession(username, opened.token, opened.expires_at_us, database_name(custody))
        )
    click.echo(f"logged in as {username} until {from_us(opened.expires_at_us):%Y-%m-%d %H:%M} UTC", err=True)


@click.command()
@reports_errors
def logout() -> None:
    """End the kept session (its token stops working at once) and remove the session file."""
    from custody.errors import NotAuthenticated
    from custody.settings import Settings
    from custody_cli.session import database_name, load_session

    path = Settings().resolved_session_file()
    stored = load_session(path)
    if stored is None:
        click.echo("not logged in", err=True)
        return
    with services() as custody:
        if stored.database == database_name(custody):
            sessions = custody.sessions
            with contextlib.suppress(NotAuthenticated):  # already ended: the file goes all the same
                sessions.logout(sessions.authenticate(stored.token).session_id)
    path.unlink(missing_ok=True)
    click.echo(f"logged out {stored.username}", err=True)


@click.command()
@reports_errors
def whoami() -> None:
    """The acting user: name, unit, department, roles (from the session, or --as)."""
    from custody_cli.context import acting_user

    with services() as custody:
        actor = acting_user(custody)
    emit(
        {
            "username": actor.username,
            "full_name": actor.full_name,
            "unit_code": actor.unit_code,
            "department": actor.department.value,
            "roles": sorted(r.value for r in actor.roles),
        }
    )
