"""A CUPS ``file:`` device prepared so that either way the scheduler opens it, the job lands whole.

The scheduler up to cups 2.4.2-3+deb12u9 creates and empties the file itself; from deb12u10 it opens
only a file that exists and never shortens it. These tests check the prepared file, not a scheduler:
``test_labels_cups.py`` prints through the scheduler installed on this machine.
"""

import os
import pwd
import stat

import pytest
from cupsd_harness import empty_file_device


def owner_and_mode(path):
    info = os.lstat(path)
    return info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), stat.S_ISREG(info.st_mode)


def test_a_missing_device_file_is_created_empty_for_lp_only(tmp_path):
    lp = pwd.getpwnam("lp")
    device = tmp_path / "labels.out"
    empty_file_device(device)
    assert owner_and_mode(device) == (lp.pw_uid, lp.pw_gid, 0o600, True)
    assert device.read_bytes() == b""


def test_a_device_file_left_by_an_older_scheduler_is_emptied_and_handed_to_lp(tmp_path):
    lp = pwd.getpwnam("lp")
    device = tmp_path / "labels.out"
    device.write_bytes(b"^XA^FDlast job^FS^XZ")
    device.chmod(0o644)
    os.chown(device, 0, 0)
    empty_file_device(device)
    assert owner_and_mode(device) == (lp.pw_uid, lp.pw_gid, 0o600, True)
    assert device.read_bytes() == b""


def test_a_symbolic_link_is_refused_and_its_target_left_alone(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"not a label")
    device = tmp_path / "labels.out"
    device.symlink_to(target)
    with pytest.raises(OSError):
        empty_file_device(device)
    assert target.read_bytes() == b"not a label"
    assert owner_and_mode(target)[:2] == (os.getuid(), os.getgid())


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(OSError):
        empty_file_device(tmp_path)
