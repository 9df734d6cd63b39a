"""The service's surface: body size limit, admission before the body is read, response headers,
local documentation that can be switched off, no redirect that echoes the Host header."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import START, Harness, problem, station_headers
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import MAX_BODY_BYTES, create_app

CHUNK = 64 * 1024


@pytest.fixture
def api(module_api: Harness) -> Iterator[Harness]:
    module_api.clock.set(START)
    yield module_api


class Exchange:
    """One request made at the ASGI level: what the app read of the body and what it answered."""

    def __init__(self, chunks: int, chunk: int = CHUNK) -> None:
        self.chunks = chunks
        self.chunk = chunk
        self.read = 0
        self.messages: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.read >= self.chunks:
            await asyncio.sleep(3600)  # the client sent everything; nothing more comes
        self.read += 1
        return {"type": "http.request", "body": b" " * self.chunk, "more_body": self.read < self.chunks}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}


def post(app: FastAPI, path: str, headers: dict[str, str], exchange: Exchange) -> Exchange:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(asyncio.wait_for(app(scope, exchange.receive, exchange.send), timeout=30))
    return exchange


def test_a_body_announced_too_large_is_refused_unread(api):
    headers = {**api.login("ng-clerk"), "content-type": "application/json", "content-length": "200000000"}
    exchange = post(api.app, "/api/v1/items/firearms", headers, Exchange(chunks=3000))
    assert exchange.status == 413
    assert exchange.headers["content-type"].startswith("application/problem+json")
    assert exchange.read == 0


def test_a_chunked_body_is_refused_once_it_passes_the_limit(api):
    headers = {**api.login("ng-clerk"), "content-type": "application/json"}
    exchange = post(api.app, "/api/v1/items/firearms", headers, Exchange(chunks=3000))
    assert exchange.status == 413
    assert exchange.read * CHUNK <= MAX_BODY_BYTES + CHUNK


def test_a_caller_without_credentials_is_refused_before_the_body_is_read(api):
    headers = {"content-type": "application/json", "content-length": str(10 * CHUNK)}
    exchange = post(api.app, "/api/v1/items/firearms", headers, Exchange(chunks=10))
    assert exchange.status == 401
    assert exchange.read == 0


def test_a_caller_without_the_role_is_refused_before_the_body_is_read(api):
    station = station_headers(api.station("surface-desk", "220102"))
    headers = {**station, "content-type": "application/json", "content-length": str(10 * CHUNK)}
    exchange = post(api.app, "/api/v1/items/firearms", headers, Exchange(chunks=10))
    assert exchange.status == 403
    assert exchange.read == 0


def test_the_body_limit_answers_a_problem(api):
    big = {"case_no": "x", "description": "枪" * MAX_BODY_BYTES}
    answer = api.client.post("/api/v1/items/firearms", headers=api.login("ng-clerk"), json=big)
    problem(answer, 413, "content-too-large")


def test_answers_are_not_sniffed_nor_stored(api):
    clerk = api.login("ng-clerk")
    for answer in (
        api.client.get("/api/v1/items", headers=clerk),
        api.client.get("/api/v1/auth/me", headers=clerk),
        api.client.get("/api/v1/items"),
    ):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_a_trailing_slash_does_not_redirect_to_the_callers_host(api):
    answer = api.client.get(
        "/api/v1/items/", headers={**api.login("ng-clerk"), "Host": "evil.example"}, follow_redirects=False
    )
    assert "location" not in answer.headers
    problem(answer, 404, "no-such-route")


def test_the_documentation_loads_nothing_from_elsewhere(api):
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert "//" not in page.text.replace("<!DOCTYPE html>", "")
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        answer = api.client.get(asset)
        assert answer.status_code == 200 and answer.headers["X-Content-Type-Options"] == "nosniff"


def test_the_documentation_can_be_switched_off():
    with TestClient(create_app(docs=False)) as client:
        for path in ("/docs", "/openapi.json", "/redoc", "/docs/assets/swagger-ui.css"):
            assert client.get(path).status_code == 404, path


def test_the_openapi_document_names_the_idempotency_key_and_the_body_limit(api):
    operation = api.client.get("/openapi.json").json()["paths"]["/api/v1/items/firearms"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    assert "413" in operation["responses"]
