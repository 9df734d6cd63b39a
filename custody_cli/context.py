"""What every command needs: the services over the configured database, the authenticated acting
user (and second persons), error output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

if TYPE_CHECKING:
    from custody.actors import Actor
    from custody.services import Custody

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def reports_errors(command: F) -> F:
    """Turn a domain refusal into one line on stderr and a non-zero exit; nothing was written."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from custody.errors import CustodyError

        try:
            return command(*args, **kwargs)
        except CustodyError as refused:
            fail(str(refused))
        except Exception as error:
            # the classification is imported only on a failure (it loads the drivers' errors)
            from custody.db.failures import STATEMENT_FAILED, driver_message, schema_missing

            if not isinstance(error, STATEMENT_FAILED):
                raise
            if schema_missing(error):
                fail("the database has no schema yet: run `custody db upgrade` first")
            fail(f"database error: {driver_message(error).splitlines()[0]}")
        return None

    return wrapper  # type: ignore[return-value]


@contextmanager
def services() -> Iterator[Custody]:
    from custody.settings import Settings

    with _services_on(Settings().resolved_database_url()) as custody:
        yield custody


@contextmanager
def demo_services() -> Iterator[Custody]:
    """The services over the demo's own database (``data/demo.sqlite`` unless configured)."""
    from custody.settings import Settings

    with _services_on(Settings().resolved_demo_database_url()) as custody:
        yield custody


@contextmanager
def _services_on(url: str) -> Iterator[Custody]:
    from custody.services import Custody
    from custody.settings import Settings

    custody = Custody.open(url)
    replica = Settings().read_database_url
    try:
        if replica:
            custody.store.use_replica(replica)
        yield custody
    finally:
        custody.close()


def _root_options() -> dict[str, Any]:
    root = click.get_current_context().find_root()
    root.ensure_object(dict)
    return cast(dict[str, Any], root.obj)


CASE_UNIT = click.option(
    "--case-unit",
    "case_unit",
    metavar="CODE",
    help="The unit owning the case, when units in your scope share its number (default: yours first).",
)


def password_stdin() -> bool:
    """True when the global --password-stdin asks for passwords on standard input."""
    return bool(_root_options().get("password_stdin"))


def acting_user(custody: Custody) -> Actor:
    """Who acts, authenticated: ``--as USER`` (or ``CUSTODY_USER``) asks for that user's password
    (``--password-stdin``: the first line of standard input); otherwise the session kept by
    ``custody login``. Reads use it as the viewer (scope), writes as the actor."""
    from custody.settings import Settings
    from custody_cli.session import cli_client, read_password, session_actor

    options = _root_options()
    known = options.get("authenticated")
    if known is not None:
        return cast("Actor", known)
    name = options.get("acting_user")
    if name:
        password = read_password(f"password of {name}", password_stdin())
        actor = custody.passwords.confirm(name, password, cli_client())
    else:
        actor = session_actor(custody, Settings().resolved_session_file())
    options["authenticated"] = actor
    return actor


def second_password(username: str, part: str) -> str:
    """The password a second person of a two-person act (``part``: witness, receiver) types to confirm
    it, asked for now (or the next line of standard input with ``--password-stdin``); the core checks it
    (``Identity.act``)."""
    from custody_cli.session import read_password

    return read_password(f"password of {username} ({part})", password_stdin())


def second_person(custody: Custody, actor: Actor, username: str, part: str) -> Actor:
    """The second person of ``actor``'s two-person act (``part``: witness, new custodian), authenticated
    by their own password, asked for now (or the next line of standard input with ``--password-stdin``)
    and checked as a login is (counted, throttled, locked); a wrong password, or a person outside the
    actor's scope, refuses before anything is written."""
    from custody_cli.session import cli_client

    password = second_password(username, part)
    return custody.passwords.confirm_second_person(actor, username, password, part, cli_client())


def emit(record: dict[str, Any]) -> None:
    click.echo(json.dumps(record, ensure_ascii=False, default=str))
