"""`custody tag` and `custody sim tag` where no reader is involved: arguments, and no pcscd to talk to.

The PC/SC client library reads ``PCSCLITE_CSOCK_NAME``; pointing it at a socket that does not exist
is a pcscd that is not running, for this process alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from custody_cli.main import cli


def _custody(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    command = [sys.executable, "-c", "from custody_cli.main import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)


def test_tag_group_offers_watch_and_write() -> None:
    result = CliRunner().invoke(cli, ["tag", "--help"])
    assert result.exit_code == 0
    assert "watch" in result.output and "write" in result.output


def test_write_refuses_a_mistyped_evidence_number_before_touching_a_reader() -> None:
    result = CliRunner().invoke(cli, ["tag", "write", "F220100202600012788"])
    assert result.exit_code == 2
    assert "check digits" in result.output


def test_sim_tag_refuses_a_uid_that_is_not_hexadecimal() -> None:
    result = CliRunner().invoke(cli, ["sim", "tag", "--no-pcscd", "--uid", "zz"])
    assert result.exit_code == 2
    assert "not hexadecimal" in result.output


def test_sim_tag_refuses_a_uid_of_the_wrong_length() -> None:
    result = CliRunner().invoke(
        cli, ["sim", "tag", "--no-pcscd", "--type", "classic4", "--uid", "04A1B2C3D4E5F6"]
    )
    assert result.exit_code == 1
    assert "4-byte UID" in result.output


def test_watch_without_pcscd_reports_it_as_an_error_line(tmp_path: Path) -> None:
    result = _custody("tag", "watch", "--count", "1", "--timeout", "30", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    error = json.loads(result.stdout.splitlines()[0])
    assert (error["event"], error["kind"]) == ("error", "pcscd_unavailable")


def test_write_without_pcscd_fails_with_an_error_line(tmp_path: Path) -> None:
    result = _custody("tag", "write", "F220100202600012787", "--wait", "1", tmp_path=tmp_path)
    assert result.returncode == 1
    error = json.loads(result.stdout.splitlines()[-1])
    assert (error["event"], error["kind"]) == ("error", "pcscd_unavailable")
