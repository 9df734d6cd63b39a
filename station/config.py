"""The station's configuration file (TOML), validated with pydantic.

[service]
url = "http://127.0.0.1:8000"
key = "…"                      # the station key `custody station add` printed (or CUSTODY_STATION_KEY)
timeout = 10                   # seconds a delivery waits for its answer
retry_max = 10                 # longest pause between retries (backoff doubles from 0.2 s up to it)

[outbox]
path = "data/station-outbox.sqlite"

[scanner]                      # optional: a barcode scanner on a serial port
url = "/dev/ttyUSB0"           # any pyserial URL: a device, a pty, socket://host:port
baud = 9600
aim = false                    # the scanner sends AIM symbology identifiers
suffix = "CR"                  # CR, LF, CRLF, TAB or hex bytes; default: CR, LF or CRLF
device = "scanner-1"

[reader]                       # optional: an RFID/NFC reader over PC/SC
name = "Virtual PCD"           # part of the reader's name; default: every reader
device = "reader-1"

[tag_jobs]                     # optional (needs [reader]): write tags for the desks' pages
station = "ng-desk"            # this station's name at the service
poll = 25                      # seconds one request for jobs waits at the service for a job
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceConfig(_Section):
    url: str
    key: str = ""
    timeout: float = Field(default=10.0, gt=0)
    retry_max: float = Field(default=10.0, gt=0)


class OutboxConfig(_Section):
    path: Path = Path("data/station-outbox.sqlite")


class ScannerConfig(_Section):
    url: str
    baud: int = Field(default=9600, gt=0)
    aim: bool = False
    suffix: str | None = None
    device: str = "scanner-1"


class ReaderConfig(_Section):
    name: str | None = None
    device: str = "reader-1"


class TagJobsConfig(_Section):
    station: str = Field(min_length=1, max_length=64)
    poll: float = Field(default=25.0, gt=0, le=60)


class StationConfig(_Section):
    service: ServiceConfig
    outbox: OutboxConfig = OutboxConfig()
    scanner: ScannerConfig | None = None
    reader: ReaderConfig | None = None
    tag_jobs: TagJobsConfig | None = None


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message says where."""


def load_config(path: Path) -> StationConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    try:
        config = StationConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
    if not config.service.key:
        config.service.key = os.environ.get("CUSTODY_STATION_KEY", "")
    if not config.service.key:
        raise ConfigError(f"{path}: service.key is missing (or set CUSTODY_STATION_KEY)")
    if config.scanner is None and config.reader is None:
        raise ConfigError(f"{path}: configure a [scanner], a [reader] or both")
    if config.tag_jobs is not None and config.reader is None:
        raise ConfigError(f"{path}: [tag_jobs] writes tags on the [reader]: configure one")
    return config
