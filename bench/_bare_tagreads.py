"""The floor for audit reads over HTTP: a FastAPI endpoint that parses the same batch of reads and inserts
them with the raw driver in one transaction (SQLite, WAL, ``synchronous=FULL``: the service's durability),
answering once they are committed. ``BARE_TAGREADS_DB`` names its database file."""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Literal

from fastapi import FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field


class ReadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, max_length=64)
    uid: str | None = Field(default=None, max_length=32)
    text: str | None = Field(default=None, max_length=512)
    tamper: Literal["closed", "open", "not_measured", "unreadable"] | None = None
    opened_before: bool | None = None
    location_code: str | None = Field(default=None, max_length=64)
    source: Literal["scan", "tag", "manual"] = "scan"
    reason: str | None = Field(default=None, max_length=2000)


class BatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reads: list[ReadBody] = Field(min_length=1, max_length=50)


_lock = threading.Lock()
_con = sqlite3.connect(
    os.environ.get("BARE_TAGREADS_DB", ":memory:"), isolation_level=None, check_same_thread=False
)
_con.execute("PRAGMA journal_mode = WAL")
_con.execute("PRAGMA synchronous = FULL")
_con.execute(
    "CREATE TABLE IF NOT EXISTS reads "
    "(id INTEGER PRIMARY KEY, uid TEXT, code TEXT, tamper TEXT, location_code TEXT)"
)

app = FastAPI()


@app.post("/api/v1/audits/reads")
def reads(body: BatchBody, x_station_key: str = Header(), x_station_device: str = Header()) -> dict[str, int]:
    rows = [(r.uid, r.code, r.tamper, r.location_code) for r in body.reads]
    with _lock:
        _con.execute("BEGIN")
        _con.executemany("INSERT INTO reads (uid, code, tamper, location_code) VALUES (?, ?, ?, ?)", rows)
        _con.execute("COMMIT")
    return {"reads": len(rows)}
