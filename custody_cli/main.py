"""Entry point of the `custody` command.

Each command group is a module of this package, registered below by name and imported only when
called. Commands that write custody events act as the user named by the global ``--as`` option
(or ``CUSTODY_USER``).
"""

from __future__ import annotations

import click

from custody_cli.lazy import LazyGroup

COMMAND_GROUPS: dict[str, str] = {
    "db": "custody_cli.db:db",
    "unit": "custody_cli.unit:unit",
    "user": "custody_cli.user:user",
    "case": "custody_cli.case:case",
    "item": "custody_cli.item:item",
    "ledger": "custody_cli.ledger:ledger",
    "access-log": "custody_cli.ledger:access_log",
    "demo": "custody_cli.demo:demo",
    "sim": "custody_cli.sim:sim",
    "label": "custody_cli.label:label",
    "tag": "custody_cli.tag:tag",
    "scanner": "custody_cli.scanner:scanner",
    "serve": "custody_cli.serve:serve",
    "station": "custody_cli.station:station",
}


@click.group(cls=LazyGroup, lazy_subcommands=COMMAND_GROUPS)
@click.option(
    "--as",
    "acting_user",
    envvar="CUSTODY_USER",
    metavar="USER",
    help="Acting user for commands that write custody events (env CUSTODY_USER).",
)
@click.pass_context
def cli(ctx: click.Context, acting_user: str | None) -> None:
    """Custody and destruction tracking of seized firearms and ammunition."""
    ctx.ensure_object(dict)
    ctx.obj["acting_user"] = acting_user


def main() -> None:
    cli(prog_name="custody")
