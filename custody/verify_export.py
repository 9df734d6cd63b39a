"""Verify a custody ledger export offline, against signed checkpoints: one module, the standard library
and ``cryptography`` only, so that an outside auditor can read all of it and run it anywhere::

    python -m custody.verify_export EXPORT.jsonl --key VERIFIER_KEY [--checkpoint FILE ...]

``EXPORT.jsonl`` is the output of ``custody ledger export`` (one JSON object per event, every column as
stored). The export is checked event by event: seq starts at 1 and has no gap, each ``prev_hash`` is the
previous event's ``hash``, and each ``hash`` is the SHA-256 of the event's canonical encoding (version 1,
below). Then each checkpoint's signature is checked with the verifier key, and its tree (RFC 6962
§2.1 over the first ``tree size`` events) is recomputed from the export and compared. The first bad seq
is named; for a history that is consistent in itself but differs from what a checkpoint signed (a
rewrite), the report names the checkpoint it contradicts and the range of seqs the rewrite lies in.

**Canonical encoding, version 1** (the ledger's, :mod:`custody.ledger`): the columns ``seq, prev_hash,
recorded_at_us, event_type, item_id, case_id, actor_id, unit_code, station, device, witness_id,
item_version, payload``, each as text (integers in decimal, a NULL as ``None``), joined with U+001F and
encoded as UTF-8. The event's leaf in the Merkle tree is these bytes; leaf index = seq − 1.

**Merkle tree** (RFC 6962 §2.1): leaf hash = SHA-256(0x00 ‖ leaf), node = SHA-256(0x01 ‖ left ‖ right);
inclusion and consistency proofs are checked as RFC 9162 §2.1.3.2 and §2.1.4.2 say.

**Checkpoints**: a C2SP tlog-checkpoint (origin line, tree size, base64 root hash) in a C2SP signed note:
the text, a blank line, then lines ``— <key name> <base64(key ID ‖ Ed25519 signature)>``; key ID = the first
four bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key). The verifier key is given in the note-verifier
format ``<name>+<key ID in hex>+<base64(0x01 ‖ public key)>``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# ----------------------------------------------------------------------------- the event encoding

SEPARATOR = "\x1f"
GENESIS_HASH = "0" * 64
HASHED_COLUMNS = (
    "seq",
    "prev_hash",
    "recorded_at_us",
    "event_type",
    "item_id",
    "case_id",
    "actor_id",
    "unit_code",
    "station",
    "device",
    "witness_id",
    "item_version",
    "payload",
)
ENCODING_VERSION = 1


def encode_event(values: Sequence[object]) -> bytes:
    """Canonical bytes of one event (version 1); ``values`` in :data:`HASHED_COLUMNS` order."""
    return SEPARATOR.join(map(str, values)).encode("utf-8")


# ----------------------------------------------------------------------------------- the tree

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_of(hashes: Sequence[bytes]) -> bytes:
    """The tree head of leaf hashes (MTH of RFC 6962 §2.1), level by level: a level's odd last node
    moves up as it is, which builds the same left-balanced tree as the RFC's recursive split."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


@dataclass
class CompactRange:
    """The roots of the perfect subtrees a tree of ``size`` leaves splits into, largest first: enough
    to append leaves and compute every later tree head without the earlier leaves."""

    size: int = 0
    roots: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> None:
        """Append a leaf hash."""
        merged = leaf
        size = self.size
        while size & 1:  # the rightmost perfect subtree is as big as the new one: merge them
            merged = node_hash(self.roots.pop(), merged)
            size >>= 1
        self.roots.append(merged)
        self.size += 1

    def root(self) -> bytes:
        if not self.roots:
            return EMPTY_ROOT
        head = self.roots[-1]
        for left in reversed(self.roots[:-1]):
            head = node_hash(left, head)
        return head


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: the leaf hash ``leaf`` is at ``index`` of the tree of ``size`` with ``root``."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> bool:
    """RFC 9162 §2.1.4.2: the tree of ``first`` leaves (``first_root``) is a prefix of the tree of
    ``second`` leaves (``second_root``)."""
    if not 1 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the first tree is a subtree of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


# ------------------------------------------------------------------------- notes and checkpoints

EM_DASH = "\u2014"


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + public_key).digest()[:4]


def valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


@dataclass(frozen=True)
class NoteVerifier:
    """A public key in the note-verifier format ``<name>+<key ID hex>+<base64(0x01 ‖ key)>``."""

    name: str
    public_key: bytes

    @classmethod
    def parse(cls, text: str) -> NoteVerifier:
        parts = text.strip().split("+", 2)  # base64 may hold a "+"
        if len(parts) != 3 or not valid_key_name(parts[0]):
            raise ValueError("a verifier key reads NAME+KEYID+BASE64")
        name, given_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
            expected_id = bytes.fromhex(given_id)
        except (binascii.Error, ValueError):
            raise ValueError("the verifier key is not hex and base64 where it should be") from None
        if len(raw) != 33 or raw[0] != 1:
            raise ValueError("the verifier key is not an Ed25519 key (algorithm 0x01, 32 bytes)")
        if key_id(name, raw[1:]) != expected_id:
            raise ValueError("the verifier key's ID does not match its name and key")
        return cls(name, raw[1:])

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def __str__(self) -> str:
        encoded = base64.b64encode(b"\x01" + self.public_key).decode()
        return f"{self.name}+{self.id.hex()}+{encoded}"

    def open(self, note: str) -> str:
        """The note's text, once a signature by this key verifies; ``ValueError`` (saying why)
        otherwise: a malformed note or key, or no good signature."""
        text, sep, signatures = note.partition("\n\n")
        if not sep or not text or "\n\n" in signatures.rstrip("\n") or not note.endswith("\n"):
            raise ValueError("a signed note is its text, a blank line, then signature lines")
        text += "\n"
        public = Ed25519PublicKey.from_public_bytes(self.public_key)
        for line in signatures.splitlines():
            prefix, _, rest = line.partition(" ")
            name, _, encoded = rest.partition(" ")
            if prefix != EM_DASH or not name or not encoded:
                raise ValueError(f"not a signature line: {line[:80]!r}")
            if name != self.name:
                continue
            try:
                signed = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise ValueError("a signature is not base64") from None
            if len(signed) != 68 or signed[:4] != self.id:
                continue
            try:
                public.verify(signed[4:], text.encode("utf-8"))
            except InvalidSignature:
                raise ValueError(f"the signature of {self.name} does not verify") from None
            return text
        raise ValueError(f"the note has no signature by {self.name}")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head as a C2SP tlog-checkpoint: its origin, its tree size and its root hash."""

    origin: str
    size: int
    root: bytes

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0]:
            raise ValueError("a checkpoint is an origin line, a tree size and a base64 root hash")
        origin, size, encoded = lines[0], lines[1], lines[2]
        if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise ValueError(f"the tree size {size[:40]!r} is not a decimal number")
        try:
            root = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ValueError("the root hash is not base64") from None
        if len(root) != 32:
            raise ValueError("the root hash is not 32 bytes")
        return cls(origin, int(size), root)

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


# ------------------------------------------------------------------------------- the export


@dataclass
class Report:
    """What the export and the checkpoints say: ``first_bad_seq`` is the first event that is wrong in
    itself (a hash, a link, a gap, an unreadable line) or missing before a checkpoint's size;
    ``contradicted`` names a checkpoint whose tree the export does not rebuild, and ``rewritten_after``
    the size of the last checkpoint it does rebuild (the rewrite lies after it)."""

    ok: bool = True
    events: int = 0
    first_bad_seq: int | None = None
    reason: str | None = None
    checkpoints: int = 0
    contradicted: int | None = None
    rewritten_after: int | None = None

    def fail(self, seq: int | None, reason: str) -> Report:
        self.ok, self.first_bad_seq, self.reason = False, seq, reason
        return self

    def as_dict(self) -> dict[str, object]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


def verify_export(lines: Iterable[str], checkpoints: Sequence[Checkpoint]) -> Report:
    """Check the export's chain and rebuild the tree of each checkpoint (their signatures checked
    already); the first problem found is reported."""
    report = Report(checkpoints=len(checkpoints))
    wanted = sorted(checkpoints, key=lambda c: c.size)
    tree = CompactRange()
    prev, matched = GENESIS_HASH, 0
    for number, line in enumerate(lines, 1):
        expected_seq = number
        try:
            event = json.loads(line)
            values = [event[column] for column in HASHED_COLUMNS]
            seq, stored = event["seq"], event["hash"]
        except (ValueError, KeyError, TypeError):
            return report.fail(expected_seq, f"line {number} is not an exported event")
        if seq != expected_seq:
            return report.fail(expected_seq, f"seq {expected_seq} is missing (line {number} holds {seq})")
        if event["prev_hash"] != prev:
            return report.fail(seq, "its prev_hash is not the previous event's hash")
        leaf = encode_event(values)
        if hashlib.sha256(leaf).hexdigest() != stored:
            return report.fail(seq, "its hash does not match its contents")
        prev = stored
        tree.append(leaf_hash(leaf))
        report.events = seq
        while wanted and wanted[0].size == tree.size:
            checkpoint = wanted.pop(0)
            if tree.root() != checkpoint.root:
                report.ok, report.contradicted, report.rewritten_after = False, checkpoint.size, matched
                report.reason = (
                    f"the export does not rebuild the tree of the checkpoint of size {checkpoint.size}: "
                    f"the history after seq {matched} was rewritten"
                )
                return report
            matched = checkpoint.size
    for checkpoint in wanted:
        if checkpoint.size == 0 and checkpoint.root == EMPTY_ROOT:
            continue
        return report.fail(
            report.events + 1, f"the export ends at seq {report.events}; a checkpoint has {checkpoint.size}"
        )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m custody.verify_export", description="Verify a custody ledger export offline."
    )
    parser.add_argument("export", help="the output of `custody ledger export` (JSON lines)")
    parser.add_argument("--key", required=True, help="the checkpoint verifier key (NAME+ID+BASE64)")
    parser.add_argument("--checkpoint", action="append", default=[], help="a signed checkpoint file")
    args = parser.parse_args(argv)
    try:
        verifier = NoteVerifier.parse(args.key)
        checkpoints = []
        for path in args.checkpoint:
            with open(path, encoding="utf-8") as note:
                checkpoints.append(Checkpoint.parse(verifier.open(note.read())))
        with open(args.export, encoding="utf-8") as export:
            report = verify_export(export, checkpoints)
    except (ValueError, OSError) as bad:
        print(json.dumps({"ok": False, "error": str(bad)}, ensure_ascii=False))
        return 2
    print(json.dumps(report.as_dict(), ensure_ascii=False))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
