"""Configuration from the environment (pydantic-settings): ``CUSTODY_*`` variables."""

from __future__ import annotations

import ipaddress
import os
import stat
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from custody.errors import InvalidInput, Message

NOT_AN_ADDRESS = Message(
    "settings.trusted_proxy_not_an_address",
    "CUSTODY_TRUSTED_PROXIES: {entry!r} is not an IP address or network",
)

PRIVATE_DIRECTORY = 0o700


def _default_data_dir() -> Path:
    return Path.cwd() / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTODY_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str = ""
    # a streaming replica of the PostgreSQL primary: reports, statistics and the chain's verification
    # read there; acts (and reads of what was just written) stay on the primary
    read_database_url: str = ""
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
    # believed, comma-separated; none by default: a client's address is the TCP peer's.
    trusted_proxies: str = ""
    # Where `custody login` keeps the session token (default: in the user's configuration directory).
    session_file: Path | None = None
    # The service runs the demo (its accounts have a public password): set by `serve --demo` only.
    demo: bool = False
    api_docs: bool = True  # serve /docs and /openapi.json (CUSTODY_API_DOCS=false: not at all)
    # The file (mode 0600) holding the province's key that signs the ledger's checkpoints; never in
    # the database or a backup. Unset: checkpoints are read and checked, not made.
    checkpoint_key: Path | None = None
    checkpoint_minutes: float = Field(default=60, gt=0)  # how often the service signs one
    # The printer the service sends item labels to (labels.printer_for: cups://QUEUE,
    # cups://HOST:PORT/QUEUE, lp:QUEUE, tcp://HOST:9100, file:///path). Unset: labels are downloaded
    # (PDF or ZPL) and printed at the desk; a request to print is refused saying so.
    label_printer: str = ""
    label_format: Literal["zpl", "pdf"] = "zpl"  # what the printer takes
    label_layout: Literal["60x40", "100x50", "a4-3x8"] = "60x40"  # its labels (ZPL: thermal only)
    label_dpi: Literal[203, 300, 600] = 203  # a thermal printer's resolution (ZPL)

    def resolved_database_url(self) -> str:
        """``CUSTODY_DATABASE_URL``, or an SQLite file in the data directory, which is made (or narrowed
        to) owner-only, 0700: evidence records are no one else's to read."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self._private_data_dir() / 'custody.sqlite').resolve()}"

    def _private_data_dir(self) -> Path:
        """The data directory, made (or narrowed to) owner-only."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIRECTORY)
        if stat.S_IMODE(self.data_dir.stat().st_mode) & 0o077:
            self.data_dir.chmod(PRIVATE_DIRECTORY)
        return self.data_dir

    def resolved_demo_database_url(self) -> str:
        """The demo's database: ``CUSTODY_DATABASE_URL`` if set (the demo refuses one holding anything
        else), otherwise its own SQLite file beside the embedded one, never the embedded one itself."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self._private_data_dir() / 'demo.sqlite').resolve()}"

    def proxies(self) -> list[str]:
        """``CUSTODY_TRUSTED_PROXIES`` as a list of addresses and networks; a malformed entry is refused."""

        found = [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]
        for entry in found:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise InvalidInput(NOT_AN_ADDRESS, "CUSTODY_TRUSTED_PROXIES", entry=entry) from None
        return found

    def resolved_session_file(self) -> Path:
        """``CUSTODY_SESSION_FILE``, or ``custody/session.json`` in the user's configuration directory."""
        if self.session_file is not None:
            return self.session_file
        config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(config) / "custody" / "session.json"
