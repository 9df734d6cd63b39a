"""What the checkpoint routes answer: signed tree heads and proofs, hashes in lowercase hex."""

from __future__ import annotations

from pydantic import BaseModel, Field

from custody.checkpoints import Checkpoint, ConsistencyProof, InclusionProof


class CheckpointOut(BaseModel):
    tree_size: int
    root_hash: str
    origin: str
    key_name: str
    note: str = Field(description="The C2SP signed note, verbatim: check it with the province's verifier key")


class CheckpointList(BaseModel):
    checkpoints: list[CheckpointOut]


class InclusionOut(BaseModel):
    seq: int
    tree_size: int
    leaf_hash: str = Field(description="SHA-256(0x00 ‖ the event's canonical encoding)")
    root_hash: str
    proof: list[str] = Field(description="RFC 6962 audit path, leaf to root")


class ConsistencyOut(BaseModel):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str] = Field(description="RFC 6962 consistency proof")


def checkpoint_out(made: Checkpoint) -> CheckpointOut:
    return CheckpointOut(
        tree_size=made.tree_size,
        root_hash=made.root_hash,
        origin=made.origin,
        key_name=made.key_name,
        note=made.note,
    )


def inclusion_out(proof: InclusionProof) -> InclusionOut:
    return InclusionOut(
        seq=proof.seq,
        tree_size=proof.tree_size,
        leaf_hash=proof.leaf_hash,
        root_hash=proof.root_hash,
        proof=list(proof.proof),
    )


def consistency_out(proof: ConsistencyProof) -> ConsistencyOut:
    return ConsistencyOut(
        first=proof.first,
        second=proof.second,
        first_root=proof.first_root,
        second_root=proof.second_root,
        proof=list(proof.proof),
    )
