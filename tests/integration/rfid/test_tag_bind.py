"""`custody --as USER tag write`: the number goes on the tag through pcscd, and the tag is bound."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable

import pytest
from rfid_stack import WAIT, EventLog, custody_command

from custody.intake import FirearmIntake
from custody.numbers import EvidenceNumber, ItemKind
from devices.rfid import TagArrived
from simulators.tag import VirtualTag

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("pcscd")]
MakeTag = Callable[..., VirtualTag]


def write(database_url: str, *args: str, password: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CUSTODY_DATABASE_URL": database_url}
    return subprocess.run(
        custody_command(*args),
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=WAIT * 2,
        env=env,
        check=False,
    )


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path, sqlite_template):  # one back end: the binding itself is tested on both
    import shutil

    path = tmp_path / "custody.sqlite"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def test_written_tag_is_bound_to_its_item(custody, monitor: EventLog, tags: MakeTag, database_url, passwords):
    clerk = custody.users.actor("ng-clerk")
    custody.cases.open(clerk, "K-TAG")
    gun = custody.items.register_firearm(clerk, "K-TAG", FirearmIntake("手枪", "54式", "1", "7.62mm", True))
    tags("ntag215", uid=bytes.fromhex("04C0FFEE000001")).put_on_reader()
    monitor.expect(TagArrived)
    result = write(
        database_url,
        *("--as", "ng-clerk", "--password-stdin", "tag", "write", gun.evidence_no, "--reader", "00 00"),
        password=passwords,
    )
    assert result.returncode == 0, result.stderr
    written = json.loads(result.stdout.splitlines()[-1])
    assert (written["text"], written["bound"], written["item_version"]) == (gun.evidence_no, True, 2)
    event = custody.items.item(None, gun.evidence_no).history[-1]
    assert event.event_type == "tag_bound" and event.payload["uid"] == "04C0FFEE000001"
    assert custody.items.item(None, gun.evidence_no).tag_uid == "04C0FFEE000001"


def test_an_unknown_item_is_refused_before_the_tag_is_touched(
    custody, monitor: EventLog, tags: MakeTag, database_url, passwords
):
    tag = tags("ntag213")
    tag.put_on_reader()
    monitor.expect(TagArrived)
    before = tag.tag.read(4)
    unknown = str(EvidenceNumber(ItemKind.FIREARM, "220102", 2026, 777))
    result = write(
        database_url,
        *("--as", "ng-clerk", "--password-stdin", "tag", "write", unknown, "--reader", "00 00"),
        password=passwords,
    )
    assert result.returncode == 1 and "unknown item" in result.stderr
    assert tag.tag.read(4) == before


def test_a_wrong_password_binds_nothing_and_leaves_the_tag_alone(
    custody, monitor: EventLog, tags: MakeTag, database_url, passwords
):
    clerk = custody.users.actor("ng-clerk")
    custody.cases.open(clerk, "K-TAG-PW")
    gun = custody.items.register_firearm(
        clerk, "K-TAG-PW", FirearmIntake("手枪", "54式", "2", "7.62mm", True)
    )
    tag = tags("ntag213")
    tag.put_on_reader()
    monitor.expect(TagArrived)
    before = tag.tag.read(4)
    result = write(
        database_url,
        *("--as", "ng-clerk", "--password-stdin", "tag", "write", gun.evidence_no, "--reader", "00 00"),
        password="not the password",
    )
    assert result.returncode != 0
    assert tag.tag.read(4) == before
    assert custody.items.item(None, gun.evidence_no).version == gun.version
