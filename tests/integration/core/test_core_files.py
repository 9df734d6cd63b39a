"""The embedded database's files and folder are the owner's alone: 0600 files in a 0700 folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from custody.db.migrate import upgrade
from custody.services import Custody
from custody.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_and_database_files_are_created_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("CUSTODY_DATABASE_URL", raising=False)
    previous = os.umask(0o022)  # a usual umask: would give 0755 folders and 0644 files
    try:
        data = tmp_path / "data"
        custody = Custody.open(Settings(data_dir=data, database_url="").resolved_database_url())
        try:
            upgrade(custody.engine)
            custody.units.import_units(
                None, [{"code": "220000", "name_zh": "吉林省", "name_en": "Jilin", "level": "province"}]
            )
            files = {f.name: mode(f) for f in data.iterdir()}  # the -wal and -shm files while open
        finally:
            custody.close()
    finally:
        os.umask(previous)
    assert mode(data) == 0o700
    assert {"custody.sqlite", "custody.sqlite-wal", "custody.sqlite-shm"} <= set(files)
    assert files == dict.fromkeys(files, 0o600)


def test_an_existing_world_readable_database_is_narrowed(tmp_path):
    path = tmp_path / "old.sqlite"
    path.touch(mode=0o644)
    path.chmod(0o644)
    Custody.open(f"sqlite:///{path}").close()
    assert mode(path) == 0o600
    folder = tmp_path / "old-data"
    folder.mkdir(mode=0o755)
    Settings(data_dir=folder, database_url="").resolved_database_url()
    assert mode(folder) == 0o700
