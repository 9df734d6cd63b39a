"""Entry point of the `custody` command.

Each command group is a module of this package, registered below by name and imported only when
called. Commands that act or read custody records authenticate their user: the session of ``custody
login``, or the global ``--as USER`` (``CUSTODY_USER``) with USER's password (see ``session.py``).
"""

from __future__ import annotations

import click

from custody_cli.lazy import LazyGroup

COMMAND_GROUPS: dict[str, str] = {
    "login": "custody_cli.login:login",
    "logout": "custody_cli.login:logout",
    "whoami": "custody_cli.login:whoami",
    "db": "custody_cli.db:db",
    "unit": "custody_cli.unit:unit",
    "user": "custody_cli.user:user",
    "case": "custody_cli.case:case",
    "item": "custody_cli.item:item",
    "handover": "custody_cli.handover:handover",
    "ledger": "custody_cli.ledger:ledger",
    "access-log": "custody_cli.ledger:access_log",
    "demo": "custody_cli.demo:demo",
    "sim": "custody_cli.sim:sim",
    "label": "custody_cli.label:label",
    "location": "custody_cli.location:location",
    "seal": "custody_cli.seal:seal",
    "custodian": "custody_cli.custodian:custodian",
    "tag": "custody_cli.tag:tag",
    "scanner": "custody_cli.scanner:scanner",
    "serve": "custody_cli.serve:serve",
    "station": "custody_cli.station:station",
    "audit": "custody_cli.audit:audit",
    "discrepancy": "custody_cli.discrepancy:discrepancy",
    "checkpoint": "custody_cli.checkpoint:checkpoint",
    "backup": "custody_cli.backup:backup",
    "restore": "custody_cli.backup:restore",
    "sample": "custody_cli.sample:sample",
    "lot": "custody_cli.lot:lot",
    "review": "custody_cli.review:review",
    "destruction": "custody_cli.destruction:destruction",
    "batch": "custody_cli.batch:batch",
    "report": "custody_cli.report:report",
}


@click.group(cls=LazyGroup, lazy_subcommands=COMMAND_GROUPS)
@click.option(
    "--as",
    "acting_user",
    envvar="CUSTODY_USER",
    metavar="USER",
    help="Act as USER for this command, proving it with USER's password (asked for; env CUSTODY_USER). "
    "Without it, the user of `custody login` acts.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read passwords from standard input, one line each: the acting user's (with --as), then each "
    "second person's (a witness) in that order.",
)
@click.pass_context
def cli(ctx: click.Context, acting_user: str | None, password_stdin: bool) -> None:
    """Custody and destruction tracking of seized firearms and ammunition."""
    ctx.ensure_object(dict)
    ctx.obj["acting_user"] = acting_user
    ctx.obj["password_stdin"] = password_stdin


def main() -> None:
    cli(prog_name="custody")
