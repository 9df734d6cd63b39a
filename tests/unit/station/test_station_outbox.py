"""The station's outbox and delivery loop: nothing lost, nothing doubled, refusals not retried."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from station.agent import Delivery, event_key
from station.config import OutboxConfig, ServiceConfig, StationConfig
from station.outbox import Outbox


def body(key: str, code: str = "F220100202600012787") -> dict:
    return {"device": "scanner-1", "idempotency_key": key, "code": code}


def test_an_event_is_queued_once_per_key_and_survives_a_restart(tmp_path: Path):
    path = tmp_path / "outbox.sqlite"
    outbox = Outbox(path)
    assert outbox.put("k1", body("k1")) is True
    assert outbox.put("k1", body("k1")) is False
    outbox.put("k2", body("k2"))
    outbox.close()
    reopened = Outbox(path)
    first = reopened.wait(0)
    assert first is not None and first.idempotency_key == "k1" and first.body == body("k1")
    reopened.answered(first.id, 201, {"seq": 7})
    assert reopened.wait(0).idempotency_key == "k2"
    assert reopened.counts() == {"pending": 1, "answered": 1}
    assert reopened.put("k1", body("k1")) is False  # answered keys are not queued again


def test_wait_returns_none_when_nothing_is_pending(tmp_path: Path):
    assert Outbox(tmp_path / "o.sqlite").wait(0.01) is None


def test_keys_differ_for_different_device_events():
    now = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert event_key("scanner-1", now, b"A") == event_key("scanner-1", now, b"A")
    assert (
        len(
            {
                event_key("scanner-1", now, b"A"),
                event_key("scanner-2", now, b"A"),
                event_key("scanner-1", now, b"B"),
            }
        )
        == 3
    )


def config(tmp_path: Path) -> StationConfig:
    return StationConfig(
        service=ServiceConfig(url="http://service", key="k"), outbox=OutboxConfig(path=tmp_path / "o")
    )


def test_server_errors_and_outages_are_retried_refusals_are_not(tmp_path: Path):
    answers = iter(
        [
            httpx.ConnectError("refused"),
            httpx.Response(503),
            httpx.Response(201, json={"seq": 3}),
            httpx.Response(
                404, json={"type": "https://custody/problems/unknown-item", "detail": "unknown item"}
            ),
        ]
    )
    sent: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(
            {
                "auth": request.headers["x-station-key"],
                "device": request.headers["x-station-device"],
                "body": request.content,
            }
        )
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    printed: list[dict] = []
    outbox = Outbox(tmp_path / "o.sqlite")
    delivery = Delivery(
        config(tmp_path),
        outbox,
        printed.append,
        httpx.Client(transport=httpx.MockTransport(handler), base_url="http://service"),
    )
    outbox.put("a", body("a"))
    outbox.put("b", body("b"))
    assert delivery.deliver(outbox.wait(0)) is False  # outage
    assert delivery.deliver(outbox.wait(0)) is False  # 503
    assert delivery.deliver(outbox.wait(0)) is True  # accepted
    assert delivery.deliver(outbox.wait(0)) is True  # refused: answered, not retried
    assert outbox.wait(0) is None
    assert [p["event"] for p in printed] == ["retrying", "retrying", "accepted", "refused"]
    assert printed[3]["reason"] == "unknown item" and printed[2]["seq"] == 3
    assert {(s["auth"], s["device"]) for s in sent} == {("k", "scanner-1")}
    assert [s["body"] for s in sent[:3]] == [sent[0]["body"]] * 3  # the same key and body each time
