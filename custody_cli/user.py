"""`custody user …`: users and their roles."""

from __future__ import annotations

import click

from custody.model import Department, Role
from custody_cli.context import acting_user, fail, password_stdin, reports_errors, services


@click.group()
def user() -> None:
    """Users, their unit, department and roles."""


@user.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--unit", "unit_code", required=True, help="Unit code, e.g. 220102.")
@click.option("--department", type=click.Choice([d.value for d in Department]), required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]))
@click.option("--admin", is_flag=True, help="Administrator (the first user may be added without --as).")
@reports_errors
def add_command(
    username: str, full_name: str, unit_code: str, department: str, roles: tuple[str, ...], admin: bool
) -> None:
    """Add a user (no password yet: `custody user password`). Needs an administrator of the unit or a
    unit above it, except for the very first administrator of an empty database, who is asked for a
    password at once (--password-stdin: the first line of standard input)."""
    wanted = {Role(r) for r in roles} | ({Role.ADMIN} if admin else set())
    if not wanted:
        fail("name at least one --role (or --admin)")
    from custody.identity import Identity

    with services() as custody:
        users = Identity(custody)
        if admin and custody.people.user_count() == 0:
            if wanted != {Role.ADMIN}:
                fail("the first administrator has the admin role alone: add other roles to other users")
            from custody_cli.session import read_password

            password = read_password(f"password of {username}", password_stdin(), confirm=True)
            created = users.create_first_admin(
                username, full_name, unit_code, Department(department), password
            )
        else:
            created = users.create_user(
                acting_user(custody), username, full_name, unit_code, Department(department), wanted, None
            )
    roles_given = ", ".join(created["roles"])
    click.echo(f"user {created['username']} added to unit {created['unit_code']} with roles {roles_given}")


@user.command("password")
@click.argument("username")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the new password from standard input.")
@reports_errors
def password_command(username: str, from_stdin: bool) -> None:
    """Set a user's password (administrator of the user's unit or above; it may be their own). Ends the
    user's sessions. With --as and --password-stdin, the acting user's password is the first line and
    the new one the next."""
    from custody.identity import Identity
    from custody_cli.session import read_password

    with services() as custody:
        admin = acting_user(custody)
        password = read_password(f"new password of {username}", from_stdin, confirm=True)
        Identity(custody).set_password(admin, username, password)
    click.echo(f"password of {username} set; their sessions have ended")


def _administer(username: str, change: str) -> None:
    from custody.identity import Identity

    with services() as custody:
        admin, users = acting_user(custody), Identity(custody)
        if change == "unlock":
            users.unlock(admin, username)
            click.echo(f"{username} unlocked")
        elif change == "end-sessions":
            click.echo(f"{users.revoke_sessions(admin, username)} sessions of {username} ended")
        else:
            users.set_active(admin, username, change == "activate")
            click.echo(
                f"{username} {change}d" + ("; their sessions have ended" if change == "deactivate" else "")
            )


@user.command("deactivate")
@click.argument("username")
@reports_errors
def deactivate_command(username: str) -> None:
    """Deactivate an account (administrator of its unit or above): it cannot log in, its sessions end."""
    _administer(username, "deactivate")


@user.command("activate")
@click.argument("username")
@reports_errors
def activate_command(username: str) -> None:
    """Activate an account again."""
    _administer(username, "activate")


@user.command("unlock")
@click.argument("username")
@reports_errors
def unlock_command(username: str) -> None:
    """Lift a lockout after failed logins before its 15 minutes are over."""
    _administer(username, "unlock")


@user.command("end-sessions")
@click.argument("username")
@reports_errors
def end_sessions_command(username: str) -> None:
    """End every live session of a user (API and command line)."""
    _administer(username, "end-sessions")
