"""A streaming replica of the test PostgreSQL server, as a province runs one beside its primary: a base
backup of the primary (`pg_basebackup -R`, connecting as `custody`, which scripts/postgres-up allows to
replicate) started as a hot standby on a port of its own with Debian's PostgreSQL binaries, as the
`postgres` user. Stopped and removed afterwards."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

_DROP_SLOT = text(
    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = :slot"
)
_LIMITS = text(
    "SELECT name, setting FROM pg_settings WHERE name IN ('max_connections', 'max_worker_processes', "
    "'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction')"
)
_BEHIND = text("SELECT pg_wal_lsn_diff(:wanted, pg_last_wal_replay_lsn()) > 0")


def _bin(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql")
    return str(versions[-1] / name)


def _as_postgres(*command: str, timeout: float = 120) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=timeout
    )


class Replica:
    """A hot standby of the primary at ``primary_url``, answering on ``port``."""

    def __init__(self, primary_url: str, port: int) -> None:
        self.primary = make_url(primary_url)
        self.port = port
        self.directory = Path(tempfile.mkdtemp(prefix="custody-replica-", dir="/tmp"))
        shutil.chown(self.directory, "postgres", "postgres")
        self.directory.chmod(0o700)
        self.data = self.directory / "data"
        self.slot = f"custody_replica_{port}"

    def start(self) -> Replica:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> Replica:
        primary = self.primary
        conninfo = (
            f"host={primary.host} port={primary.port} user={primary.username} password={primary.password}"
        )
        # a slot of its own keeps the primary's WAL until the replica has it (a busy primary recycles fast)
        backup = [_bin("pg_basebackup"), "-D", str(self.data), "-R", "-X", "stream", "-C", "-S", self.slot]
        _as_postgres(*backup, "-d", conninfo)
        settings = {
            "postgresql.conf": (
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.directory}'\nhot_standby = on\n"
                "shared_buffers = 32MB\n" + self._primary_limits()
            ),
            "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            "pg_ident.conf": "",
        }
        for name, content in settings.items():
            path = self.data / name
            path.write_text(content)
            shutil.chown(path, "postgres", "postgres")
        _as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "log"), "-w", "start")
        return self

    def _primary_limits(self) -> str:
        """A standby must allow at least what its primary does, or it refuses to replay."""
        engine = create_engine(self.primary, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                rows = conn.execute(_LIMITS).all()
        finally:
            engine.dispose()
        return "".join(f"{name} = {setting}\n" for name, setting in rows)

    def url(self, database: str) -> str:
        return self.primary.set(port=self.port, database=database).render_as_string(hide_password=False)

    def wait_for(self, primary_database_url: str, timeout: float = 60) -> None:
        """Until the replica has replayed everything the primary had written when this was called."""
        primary = create_engine(primary_database_url, poolclass=NullPool)
        with primary.connect() as conn:
            wanted = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
        primary.dispose()
        database = make_url(primary_database_url).database or "postgres"
        replica = create_engine(self.url(database), poolclass=NullPool)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    with replica.connect() as conn:
                        behind = conn.execute(
                            text("SELECT pg_wal_lsn_diff(:wanted, pg_last_wal_replay_lsn()) > 0"),
                            {"wanted": wanted},
                        ).scalar_one()
                    if not behind:
                        return
                except Exception:  # noqa: BLE001 - the database may not be replayed onto the replica yet
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the replica did not reach {wanted} within {timeout:g} s")
                time.sleep(0.1)
        finally:
            replica.dispose()

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                _as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
            engine = create_engine(self.primary, poolclass=NullPool)  # the primary keeps no WAL for it now
            try:
                with engine.begin() as conn:
                    conn.execute(_DROP_SLOT, {"slot": self.slot})
            finally:
                engine.dispose()
