"""What every command needs: the services over the configured database, the acting user, error output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

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
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from custody.errors import CustodyError

        try:
            return command(*args, **kwargs)
        except CustodyError as refused:
            fail(str(refused))
        except (OperationalError, ProgrammingError) as error:
            text = str(error.orig) if error.orig is not None else str(error)
            if "no such table" in text or "does not exist" in text:
                fail("the database has no schema yet: run `custody db upgrade` first")
            fail(f"database error: {text.splitlines()[0]}")
        return None

    return wrapper  # type: ignore[return-value]


@contextmanager
def services() -> Iterator[Custody]:
    from custody.services import Custody
    from custody.settings import Settings

    custody = Custody.open(Settings().resolved_database_url())
    try:
        yield custody
    finally:
        custody.close()


def acting_user(custody: Custody) -> Actor:
    """The user named by ``--as`` / ``CUSTODY_USER``; commands that write events call this first."""
    name = click.get_current_context().find_root().obj.get("acting_user")
    if not name:
        fail("this command records custody events: name the acting user with --as USER or CUSTODY_USER")
    return custody.actor(name)


def emit(record: dict[str, Any]) -> None:
    click.echo(json.dumps(record, ensure_ascii=False, default=str))
