"""`custody user …`: users and their roles."""

from __future__ import annotations

import click

from custody.model import Department, Role
from custody_cli.context import acting_user, fail, reports_errors, services


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
    """Add a user. Needs an administrator, except for the very first administrator."""
    wanted = {Role(r) for r in roles} | ({Role.ADMIN} if admin else set())
    if not wanted:
        fail("name at least one --role (or --admin)")
    with services() as custody:
        if not (admin and custody.user_count() == 0):
            from custody.actors import require_role

            require_role(acting_user(custody), {Role.ADMIN}, "add users")
        added = custody.add_user(username, full_name, unit_code, Department(department), wanted)
    click.echo(
        f"user {added.username} added to unit {added.unit_code} with roles "
        f"{', '.join(sorted(r.value for r in added.roles))}"
    )


@user.command("password")
@click.argument("username")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the new password from standard input.")
@reports_errors
def password_command(username: str, from_stdin: bool) -> None:
    """Set a user's password (administrator; it may be their own). Ends the user's sessions."""
    import sys

    from custody.identity import Identity

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    with services() as custody:
        Identity(custody).set_password(acting_user(custody), username, password)
    click.echo(f"password of {username} set; their sessions have ended")
