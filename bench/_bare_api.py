"""The floor for scan intake over HTTP: a FastAPI endpoint that validates the same body and does nothing."""

from __future__ import annotations

from fastapi import FastAPI, Header
from pydantic import BaseModel, Field


class ScanBody(BaseModel):
    device: str = Field(min_length=1, max_length=128)
    idempotency_key: str = Field(min_length=1, max_length=128)
    code: str | None = Field(default=None, max_length=512)
    symbology: str | None = Field(default=None, max_length=8)
    uid: str | None = Field(default=None, max_length=32)
    text: str | None = Field(default=None, max_length=512)
    device_time: str | None = Field(default=None, max_length=64)


app = FastAPI()


@app.post("/api/v1/scans", status_code=201)
async def scan(
    body: ScanBody, x_station_key: str = Header(), x_station_device: str = Header()
) -> dict[str, str]:
    return {"device": body.device, "idempotency_key": body.idempotency_key}
