"""`custody seal create --tag`: the seal number goes on the NTAG 213 TT at the reader through pcscd and
vpcd, and the tag's UID is bound to the seal; a refusal, or a tag that is no seal tag, leaves the tag
untouched and seals nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable

import pytest
from rfid_stack import WAIT, EventLog, custody_command
from seal_world import SHELF_1, accepted_items, add_locations

from custody.codes import SealNumber
from custody.model import ItemState
from custody.services import Custody
from devices.rfid import TagArrived
from simulators.tag import VirtualTag

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]
MakeTag = Callable[..., VirtualTag]
UID = "04C0FFEE5EA101"


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path, sqlite_template):  # one back end: sealing itself is tested on both
    path = tmp_path / "custody.sqlite"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def seal_create(database_url: str, password: str, *numbers: str) -> subprocess.CompletedProcess[str]:
    args = ("--as", "ng-custodian", "--password-stdin", "seal", "create", "--location", SHELF_1)
    return subprocess.run(
        custody_command(*args, "--witness", "ng-auditor", "--tag", "--reader", "00 00", *numbers),
        input=f"{password}\n{password}\n",
        capture_output=True,
        text=True,
        timeout=WAIT * 2,
        env={**os.environ, "CUSTODY_DATABASE_URL": database_url},
        check=False,
    )


def test_a_seal_tag_carries_the_seal_number_and_is_bound_to_the_seal(
    custody: Custody, monitor: EventLog, tags: MakeTag, database_url, passwords
):
    add_locations(custody)
    gun, ammo = accepted_items(custody)
    tag = tags("ntag213tt", uid=bytes.fromhex(UID))
    tag.put_on_reader()
    monitor.expect(TagArrived)
    result = seal_create(database_url, passwords, gun.evidence_no, ammo.evidence_no)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.splitlines()[-1])
    seal_no = answer["seal_no"]
    SealNumber.parse(seal_no)
    assert (answer["tag_uid"], answer["tag"]["uid"], answer["tag"]["text"]) == (UID, UID, seal_no)
    assert answer["tag"]["type"] == "NTAG213 TT" and answer["tag"]["tamper"]["loop"] == "closed"
    view = custody.seals.show(None, seal_no)
    assert view.seal.tag_uid == UID
    assert {i.state for i in view.items} == {ItemState.SEALED}
    assert all(
        i.history[-1].payload["tag_uid"] == UID
        for i in map(lambda n: custody.items.item(None, n), (gun.evidence_no, ammo.evidence_no))
    )
    assert tag.tag.read(4) != b"\x00" * 16  # the NDEF message is on the tag


def test_a_refused_seal_leaves_the_tag_untouched(
    custody: Custody, monitor: EventLog, tags: MakeTag, database_url, passwords
):
    add_locations(custody)
    clerk = custody.users.actor("ng-clerk")
    custody.cases.open(clerk, "K-SEAL-OPEN")
    from custody.intake import FirearmIntake

    loose = custody.items.register_firearm(
        clerk, "K-SEAL-OPEN", FirearmIntake("手枪", "54式", "3", "7.62mm", True)
    )
    tag = tags("ntag213tt")
    tag.put_on_reader()
    monitor.expect(TagArrived)
    before = tag.tag.read(4)
    head = custody.ledger.head()
    result = seal_create(database_url, passwords, loose.evidence_no)
    assert result.returncode == 1 and loose.evidence_no in result.stderr
    assert tag.tag.read(4) == before and custody.ledger.head() == head


def test_a_tag_without_a_tamper_loop_seals_nothing(
    custody: Custody, monitor: EventLog, tags: MakeTag, database_url, passwords
):
    add_locations(custody)
    gun = accepted_items(custody, count=1)[0]
    tag = tags("ntag213")
    tag.put_on_reader()
    monitor.expect(TagArrived)
    before = tag.tag.read(4)
    head = custody.ledger.head()
    result = seal_create(database_url, passwords, gun.evidence_no)
    assert result.returncode == 1 and "NTAG 213 TT" in result.stderr
    assert tag.tag.read(4) == before and custody.ledger.head() == head
    assert custody.items.item(None, gun.evidence_no).state is ItemState.HANDED_OVER
