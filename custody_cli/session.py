"""Who acts on the command line: a session kept by `custody login`, or a password asked for at once.

`custody login USER` opens a session exactly as the API does (same password check, lockout, throttle,
expiry) and keeps its token in a file only its owner may read (0600, in a 0700 directory; the file is
refused when others could read it or it belongs to someone else). Every later command authenticates
that token again, so a logout, an expiry, a password reset or a deactivation ends it at once. `--as
USER` instead asks for USER's password for this one command (`--password-stdin`: one line each, for
scripts). A second person (a witness, the receiving custodian) confirms with their own password the
same way; their password is never stored.
"""

from __future__ import annotations

import getpass
import json
import os
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from custody.actors import Actor
    from custody.identity import Identity
    from custody.services import Custody


class SessionFileError(click.ClickException):
    """The session file is missing, unsafe or unreadable: one line on stderr, exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.message}", err=True)


@dataclass(frozen=True)
class StoredSession:
    username: str
    token: str
    expires_at_us: int
    database: str


def cli_client() -> str:
    """What the throttle and the session record as the client of a command-line login."""
    return f"cli:{getpass.getuser()}"[:200]


def database_name(custody: Custody) -> str:
    return custody.store.url


def save_session(path: Path, stored: StoredSession) -> None:
    """Write the session file atomically, created 0600 (never readable by anyone else, not even briefly)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600, a fresh name
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(stored.__dict__, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def load_session(path: Path) -> StoredSession | None:
    """The stored session, or None when there is none; an unsafe or damaged file is refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SessionFileError(f"cannot read the session file {path}: {error.strerror}") from None
    with os.fdopen(fd, encoding="utf-8") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise SessionFileError(
                f"the session file {path} is not a private file of yours (it must be mode 0600): "
                "remove it and log in again"
            )
        try:
            data = json.load(source)
            return StoredSession(
                str(data["username"]), str(data["token"]), int(data["expires_at_us"]), str(data["database"])
            )
        except (ValueError, KeyError, TypeError):
            raise SessionFileError(f"the session file {path} is damaged: log in again") from None


def read_password(prompt: str, from_stdin: bool, confirm: bool = False) -> str:
    """A password from the terminal (not echoed; ``confirm``: asked twice), or the next line of
    standard input."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise SessionFileError(f"--password-stdin: no line left on standard input for the {prompt}")
        return line.rstrip("\r\n")
    return str(click.prompt(prompt.capitalize(), hide_input=True, err=True, confirmation_prompt=confirm))


def identity(custody: Custody) -> Identity:
    """Acts whose second persons confirm with their own password."""
    from custody.identity import Identity

    return Identity(custody)


def session_actor(custody: Custody, path: Path) -> Actor:
    """The user of the stored session, authenticated again now (expiry, revocation, deactivation)."""
    from custody.errors import NotAuthenticated

    stored = load_session(path)
    if stored is None:
        raise SessionFileError(
            "this command needs to know who acts: log in with `custody login USER`, "
            "or name the acting user with --as USER (asks for the password)"
        )
    if stored.database != database_name(custody):
        raise SessionFileError(
            f"the session of {stored.username} is for {stored.database}: log in again on this database"
        )
    try:
        return custody.sessions.authenticate(stored.token).actor
    except NotAuthenticated:
        raise SessionFileError(
            f"the session of {stored.username} has expired or was ended: log in again (`custody login`)"
        ) from None
