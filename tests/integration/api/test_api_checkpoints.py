"""Checkpoints and proofs over HTTP: what the API answers verifies with the offline module alone."""

from __future__ import annotations

from api_harness import Harness, problem

from custody.intake import FirearmIntake
from custody.tlog import NoteSigner
from custody.verify_export import Checkpoint, NoteVerifier, verify_consistency, verify_inclusion


def gun(i: int) -> FirearmIntake:
    return FirearmIntake("手枪", "54式", f"CPS{i}", "7.62mm", True)


def test_checkpoints_and_proofs_answer_what_the_offline_module_verifies(api: Harness):
    auditor = api.login("ng-auditor")
    problem(api.client.get("/api/v1/ledger/checkpoints/latest", headers=auditor), 404, "not-found")
    assert api.client.get("/api/v1/ledger/checkpoints", headers=auditor).json() == {"checkpoints": []}
    signer = NoteSigner.generate("api.test/ledger")
    clerk = api.custody.users.actor("ng-clerk")
    api.custody.cases.open(clerk, "K-CP-1")
    for i in range(3):
        api.custody.items.register_firearm(
            clerk, "K-CP-1", FirearmIntake("手枪", "54式", f"CPS{i}", "7.62mm", True)
        )
    first = api.custody.checkpoints.make(signer)
    for i in range(3, 6):
        api.custody.items.register_firearm(
            clerk, "K-CP-1", FirearmIntake("手枪", "54式", f"CPS{i}", "7.62mm", True)
        )
    api.custody.checkpoints.make(signer)
    latest = api.client.get("/api/v1/ledger/checkpoints/latest", headers=auditor).json()
    opened = Checkpoint.parse(NoteVerifier.parse(str(signer.verifier)).open(latest["note"]))
    assert (opened.size, opened.root.hex()) == (latest["tree_size"], latest["root_hash"])
    listed = api.client.get("/api/v1/ledger/checkpoints", headers=auditor).json()["checkpoints"]
    assert [c["tree_size"] for c in listed] == [first.tree_size, opened.size]
    for seq in (1, first.tree_size, opened.size):
        proof = api.client.get(f"/api/v1/ledger/proofs/inclusion?seq={seq}", headers=auditor).json()
        path = [bytes.fromhex(p) for p in proof["proof"]]
        assert verify_inclusion(seq - 1, opened.size, bytes.fromhex(proof["leaf_hash"]), path, opened.root)
    answer = api.client.get(f"/api/v1/ledger/proofs/consistency?first={first.tree_size}", headers=auditor)
    proof = answer.json()
    path = [bytes.fromhex(p) for p in proof["proof"]]
    assert verify_consistency(first.tree_size, opened.size, path, bytes.fromhex(first.root_hash), opened.root)
    head = api.head_seq()
    for bad in ("seq=0", f"seq={opened.size + 1}", "seq=x", f"seq=1&size={head + 10}"):
        problem(
            api.client.get(f"/api/v1/ledger/proofs/inclusion?{bad}", headers=auditor), 422, "invalid-input"
        )
    assert api.head_seq() == head
