"""The ledger's Merkle tree, proofs and signed notes against the published RFC 6962 / certificate
transparency reference vectors, and every generated proof checked both ways (it verifies; any change to
it, its leaf or its roots makes it fail)."""

from __future__ import annotations

import base64

import pytest

from custody.tlog import NoteSigner, consistency_proof, inclusion_proof
from custody.verify_export import (
    EMPTY_ROOT,
    Checkpoint,
    CompactRange,
    NoteVerifier,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [  # MTH(D[n]) for n = 0 … 8
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {  # PATH(index, D[size])
    (0, 1): [],
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
CONSISTENCY = {  # PROOF(first, D[second])
    (1, 1): [],
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
HASHES = [leaf_hash(leaf) for leaf in LEAVES]


def hexes(values: list[bytes]) -> list[str]:
    return [v.hex() for v in values]


@pytest.mark.parametrize("size", range(9))
def test_tree_heads_are_the_reference_roots(size: int):
    assert root_of(HASHES[:size]).hex() == ROOTS[size]
    grown = CompactRange()
    for h in HASHES[:size]:
        grown.append(h)
    assert (grown.size, grown.root().hex()) == (size, ROOTS[size])


def test_the_empty_tree_is_the_hash_of_nothing():
    assert EMPTY_ROOT.hex() == ROOTS[0]


@pytest.mark.parametrize(("index", "size"), sorted(INCLUSION))
def test_inclusion_proofs_are_the_reference_paths(index: int, size: int):
    proof = inclusion_proof(HASHES[:size], index)
    assert hexes(proof) == INCLUSION[index, size]
    assert verify_inclusion(index, size, HASHES[index], proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("first", "second"), sorted(CONSISTENCY))
def test_consistency_proofs_are_the_reference_proofs(first: int, second: int):
    proof = consistency_proof(HASHES[:second], first)
    assert hexes(proof) == CONSISTENCY[first, second]
    assert verify_consistency(first, second, proof, bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second]))


def flipped(value: bytes, at: int = 0) -> bytes:
    return value[:at] + bytes([value[at] ^ 1]) + value[at + 1 :]


def test_every_proof_of_every_tree_up_to_70_verifies_and_no_altered_one_does():
    leaves = [leaf_hash(n.to_bytes(4, "big")) for n in range(70)]
    probes = 0
    for size in range(1, len(leaves) + 1):
        hashes = leaves[:size]
        root = root_of(hashes)
        for index in range(size):
            proof = inclusion_proof(hashes, index)
            assert verify_inclusion(index, size, hashes[index], proof, root)
            assert not verify_inclusion(index, size, flipped(hashes[index]), proof, root)
            assert not verify_inclusion(index, size, hashes[index], proof, flipped(root))
            assert not verify_inclusion(index, size, hashes[index], [*proof, root], root)
            for j in range(len(proof)):
                assert not verify_inclusion(
                    index, size, hashes[index], [*proof[:j], flipped(proof[j], j), *proof[j + 1 :]], root
                )
            if proof:
                assert not verify_inclusion(index, size, hashes[index], proof[:-1], root)
            if size > 1:
                assert not verify_inclusion((index + 1) % size, size, hashes[index], proof, root)
            probes += 5 + len(proof)
        for first in range(1, size + 1):
            proof = consistency_proof(hashes, first)
            first_root = root_of(hashes[:first])
            assert verify_consistency(first, size, proof, first_root, root)
            if first < size:
                assert not verify_consistency(first, size, proof, flipped(first_root), root)
                assert not verify_consistency(first, size, proof, first_root, flipped(root))
                assert not verify_consistency(first, size, proof[:-1], first_root, root)
                assert not verify_consistency(first, size, [*proof, root], first_root, root)
                for j in range(len(proof)):
                    assert not verify_consistency(
                        first, size, [*proof[:j], flipped(proof[j]), *proof[j + 1 :]], first_root, root
                    )
                probes += 4 + len(proof)
    print(f"{probes} altered proofs, every one refused")


def test_malformed_proof_parameters_are_refused():
    h = HASHES[1]
    assert not verify_inclusion(3, 3, h, [], h)
    assert not verify_inclusion(0, 0, h, [], h)
    assert not verify_consistency(0, 3, [h], h, h)
    assert not verify_consistency(4, 3, [h], h, h)
    assert not verify_consistency(3, 3, [h], h, h)
    assert not verify_consistency(3, 3, [], h, HASHES[2])
    assert not verify_consistency(2, 3, [], h, h)


def test_a_signed_checkpoint_opens_with_its_key_only_and_not_once_altered():
    signer = NoteSigner.generate("custody.example/ledger")
    verifier = NoteVerifier.parse(str(signer.verifier))
    body = Checkpoint("custody.example/ledger", 8, bytes.fromhex(ROOTS[8])).body()
    note = signer.sign(body)
    _text, blank, line = note.partition("\n\n")
    assert blank and line.startswith("\u2014 custody.example/ledger ")
    signed = base64.b64decode(line.split(" ")[2])
    assert signed[:4] == verifier.id and len(signed) == 68
    assert verifier.open(note) == body
    assert Checkpoint.parse(verifier.open(note)) == Checkpoint(
        "custody.example/ledger", 8, bytes.fromhex(ROOTS[8])
    )
    other = NoteSigner.generate("custody.example/ledger")
    with pytest.raises(ValueError, match="no signature"):
        NoteVerifier.parse(str(other.verifier)).open(note)
    tampered = note.replace("\n8\n", "\n9\n")
    with pytest.raises(ValueError, match="does not verify"):
        verifier.open(tampered)
    for broken in ("", body, note.replace("\n\n", "\n"), note + "garbage"):
        with pytest.raises(ValueError):
            verifier.open(broken)


def test_key_ids_follow_the_signed_note_rule_and_keys_round_trip():
    signer = NoteSigner.generate("prov")
    assert NoteSigner.parse(str(signer)) == signer
    text = str(signer.verifier)
    _name, key_id, encoded = text.split("+", 2)
    import hashlib

    raw = base64.b64decode(encoded)
    assert raw[0] == 1 and hashlib.sha256(b"prov\n\x01" + raw[1:]).digest()[:4].hex() == key_id
    with pytest.raises(ValueError):
        NoteVerifier.parse(text.replace(key_id, "00000000"))
    with pytest.raises(ValueError):
        NoteVerifier.parse("no plus signs")


@pytest.mark.parametrize(
    "text", ["o\n01\nAAAA\n", "o\nx\nAAAA\n", "o\n1\nnot base64!\n", "o\n1\n", "\n1\nAAAA\n"]
)
def test_malformed_checkpoints_are_refused(text: str):
    with pytest.raises(ValueError):
        Checkpoint.parse(text)


def test_the_offline_verifier_is_one_module_of_the_standard_library_and_cryptography():
    import ast
    import sys
    from pathlib import Path

    import custody.verify_export as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - sys.stdlib_module_names == {"cryptography"}
