"""The ledger as a transparency log: proofs over its Merkle tree and the key that signs its checkpoints.

The tree, its hashing and the checking of proofs and notes are in :mod:`custody.verify_export` (the one
module an outside auditor needs); this module makes what that one checks: inclusion proofs (RFC 6962
§2.1.1 ``PATH``), consistency proofs (§2.1.2 ``PROOF``) and signed notes (C2SP signed-note, Ed25519).

The signing key is read from a file (mode 0600, named by ``CUSTODY_CHECKPOINT_KEY``) in the signed-note
private-key format ``PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 ‖ Ed25519 seed)>``; it is never stored in
the database or a backup.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from custody.errors import InvalidInput, Message
from custody.verify_export import EM_DASH, NoteVerifier, key_id, root_of, valid_key_name

KEY_UNREADABLE = Message("checkpoint.key_unreadable", "the checkpoint key {path} cannot be read: {reason}")
KEY_TOO_OPEN = Message(
    "checkpoint.key_too_open",
    "the checkpoint key {path} is readable by others (mode {mode}): it must be 0600",
)
KEY_MALFORMED = Message(
    "checkpoint.key_malformed", "the checkpoint key {path} is not a signed-note private key"
)
BAD_KEY_NAME = Message("checkpoint.key_name", "a key name has no '+' and no white space: {name!r}")
_PREFIX = "PRIVATE+KEY+"


def _split(count: int) -> int:
    """The largest power of two smaller than ``count`` (count > 1)."""
    return 1 << ((count - 1).bit_length() - 1)


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 ``PATH(index, D[n])`` over the tree of the leaf hashes ``hashes``."""
    if len(hashes) <= 1:
        return []
    k = _split(len(hashes))
    if index < k:
        return [*inclusion_proof(hashes[:k], index), root_of(hashes[k:])]
    return [*inclusion_proof(hashes[k:], index - k), root_of(hashes[:k])]


def consistency_proof(hashes: Sequence[bytes], first: int) -> list[bytes]:
    """RFC 6962 ``PROOF(first, D[n])``: the tree of the first ``first`` leaves is a prefix of this one."""
    return _subproof(first, hashes, True)


def _subproof(first: int, hashes: Sequence[bytes], whole: bool) -> list[bytes]:
    if first == len(hashes):
        return [] if whole else [root_of(hashes)]
    k = _split(len(hashes))
    if first <= k:
        return [*_subproof(first, hashes[:k], whole), root_of(hashes[k:])]
    return [*_subproof(first - k, hashes[k:], False), root_of(hashes[:k])]


@dataclass(frozen=True)
class NoteSigner:
    """An Ed25519 key that signs notes under ``name``."""

    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        if not valid_key_name(name):
            raise InvalidInput(BAD_KEY_NAME, "name", name=name[:64])
        return cls(name, os.urandom(32))

    @classmethod
    def parse(cls, text: str, path: str = "") -> NoteSigner:
        body = text.strip()
        parts = body[len(_PREFIX) :].split("+", 2) if body.startswith(_PREFIX) else []
        try:
            name, given_id, encoded = parts
            raw = base64.b64decode(encoded, validate=True)
            expected = bytes.fromhex(given_id)
        except (ValueError, binascii.Error):
            raise InvalidInput(KEY_MALFORMED, "key", path=path) from None
        if len(raw) != 33 or raw[0] != 1 or not valid_key_name(name):
            raise InvalidInput(KEY_MALFORMED, "key", path=path)
        signer = cls(name, raw[1:])
        if signer.verifier.id != expected:
            raise InvalidInput(KEY_MALFORMED, "key", path=path)
        return signer

    @classmethod
    def from_file(cls, path: Path) -> NoteSigner:
        """The key in ``path``, refused when others may read it."""
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                raise InvalidInput(KEY_TOO_OPEN, "key", path=str(path), mode=f"{mode:04o}")
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as failed:
            raise InvalidInput(KEY_UNREADABLE, "key", path=str(path), reason=str(failed)) from None
        return cls.parse(text, str(path))

    def __str__(self) -> str:
        encoded = base64.b64encode(b"\x01" + self.seed).decode()
        return f"{_PREFIX}{self.name}+{self.verifier.id.hex()}+{encoded}"

    def write(self, path: Path) -> None:
        """Write the key to a new file readable by its owner only."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(str(self) + "\n")

    @property
    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def verifier(self) -> NoteVerifier:
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return NoteVerifier(self.name, public)

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which ends with a newline)."""
        signature = self._key.sign(text.encode("utf-8"))
        public = self.verifier.public_key
        line = base64.b64encode(key_id(self.name, public) + signature).decode()
        return f"{text}\n{EM_DASH} {self.name} {line}\n"
