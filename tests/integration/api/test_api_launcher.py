"""The service's launcher: a child uvicorn on any free port, answering once started, stopped cleanly."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from api.launcher import LaunchError, ServiceProcess


def test_an_app_started_on_any_free_port_answers_there_and_stops_on_sigterm():
    service = ServiceProcess("bench._bare_api:app", factory=False, log_level="warning")
    with service.start(timeout=60):
        assert service.port != 0 and service.url == f"http://127.0.0.1:{service.port}"
        assert httpx.get(service.url + "/docs").status_code == 200
        process = service.process
    assert process is not None and process.poll() is not None  # stopped on leaving the block
    again = service.start(timeout=60)  # started again: the same port
    try:
        assert again.url == service.url and httpx.get(service.url + "/docs").status_code == 200
    finally:
        service.stop()


def test_an_app_that_cannot_start_is_reported_not_waited_for():
    broken = ServiceProcess("bench.no_such_module:app", factory=False, stderr=subprocess.DEVNULL)
    with pytest.raises(LaunchError, match="ended at start"):
        broken.start(timeout=60)
