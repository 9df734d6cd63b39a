"""Configuration from the environment (pydantic-settings): ``CUSTODY_*`` variables."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PRIVATE_DIRECTORY = 0o700


def _default_data_dir() -> Path:
    return Path.cwd() / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTODY_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str = ""
    api_docs: bool = True  # serve /docs and /openapi.json (CUSTODY_API_DOCS=false: not at all)

    def resolved_database_url(self) -> str:
        """``CUSTODY_DATABASE_URL``, or an SQLite file in the data directory, which is made (or narrowed
        to) owner-only, 0700: evidence records are no one else's to read."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIRECTORY)
        if stat.S_IMODE(self.data_dir.stat().st_mode) & 0o077:
            self.data_dir.chmod(PRIVATE_DIRECTORY)
        return f"sqlite:///{(self.data_dir / 'custody.sqlite').resolve()}"
