"""`custody checkpoint …`: signed checkpoints of the ledger, and proofs against them.

A checkpoint is the ledger's Merkle tree head, signed by the province's key (the file that
``CUSTODY_CHECKPOINT_KEY`` names, mode 0600; `checkpoint keygen` makes one). Whoever holds the key makes
checkpoints (on demand or from a timer); everything else here prints hashes and signatures only, never a
record's content. An auditor checks an export against them offline: `custody-verify-export` (or
``python -m custody.verify_export``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from custody_cli.context import emit, fail, reports_errors, services


@click.group()
def checkpoint() -> None:
    """Signed checkpoints of the ledger (RFC 6962 tree heads in C2SP signed notes)."""


@checkpoint.command("keygen")
@click.argument("name")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="A new key file (0600)")
@reports_errors
def keygen(name: str, out: Path) -> None:
    """Make a signing key named NAME (e.g. the province's service address) in a new file, readable by
    its owner only; print the public key to publish (README, reports)."""
    from custody.tlog import NoteSigner

    signer = NoteSigner.generate(name)
    try:
        signer.write(out)
    except FileExistsError:
        fail(f"{out} exists: a key is never overwritten", 2)
    emit({"key_file": str(out), "verifier_key": str(signer.verifier)})


@checkpoint.command("make")
@click.option("--from-scratch", is_flag=True, help="Rebuild the tree from the first event")
@reports_errors
def make(from_scratch: bool) -> None:
    """Sign the ledger's tree head as it stands (checking every new event's hash chain first)."""
    from custody.settings import Settings
    from custody.tlog import NoteSigner

    path = Settings().checkpoint_key
    if path is None:
        fail("CUSTODY_CHECKPOINT_KEY names no key file: checkpoints are signed with the province's key", 2)
        return
    signer = NoteSigner.from_file(path)
    with services() as custody:
        made = custody.checkpoints.make(signer, from_scratch)
    emit({"tree_size": made.tree_size, "root_hash": made.root_hash, "note": made.note})


@checkpoint.command("list")
@reports_errors
def list_checkpoints() -> None:
    """Every checkpoint, oldest first."""
    with services() as custody:
        for made in custody.checkpoints.issued():
            emit({"tree_size": made.tree_size, "root_hash": made.root_hash, "note": made.note})


@checkpoint.command("show")
@click.option("--size", type=click.IntRange(min=0), default=None, help="The checkpoint of this size")
@click.option("--note", "note_only", is_flag=True, help="Print the signed note alone (to keep in a file)")
@reports_errors
def show(size: int | None, note_only: bool) -> None:
    """The latest checkpoint (or the one of ``--size``)."""
    with services() as custody:
        made = custody.checkpoints.latest() if size is None else custody.checkpoints.get(size)
    if made is None:
        fail(f"no checkpoint of size {size}")
        return
    if note_only:
        sys.stdout.write(made.note)
        return
    emit({"tree_size": made.tree_size, "root_hash": made.root_hash, "note": made.note})


@checkpoint.command("prove")
@click.argument("seq", type=click.IntRange(min=1))
@click.option(
    "--size", type=click.IntRange(min=1), default=None, help="Tree size (default: latest checkpoint)"
)
@reports_errors
def prove(seq: int, size: int | None) -> None:
    """The inclusion proof of event SEQ in the tree of the latest checkpoint (or of ``--size``)."""
    with services() as custody:
        proof = custody.checkpoints.inclusion(seq, size)
    emit({**proof.__dict__, "proof": list(proof.proof)})


@checkpoint.command("consistency")
@click.argument("first", type=click.IntRange(min=1))
@click.option(
    "--size", type=click.IntRange(min=1), default=None, help="Tree size (default: latest checkpoint)"
)
@reports_errors
def consistency(first: int, size: int | None) -> None:
    """The consistency proof: the tree of FIRST events is a prefix of the latest checkpoint's (or of
    ``--size``)."""
    with services() as custody:
        proof = custody.checkpoints.consistency(first, size)
    emit({**proof.__dict__, "proof": list(proof.proof)})
