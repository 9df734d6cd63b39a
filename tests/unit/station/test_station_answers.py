"""Which answers of the scan intake end a scan, which hold delivery, which are retried; the held loop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from station.agent import Delivery
from station.answers import HoldReason, Verdict, judge
from station.config import OutboxConfig, ServiceConfig, StationConfig
from station.outbox import Outbox


def problem(code: str, status: int) -> dict:
    return {"type": f"/problems/{code}", "status": status, "title": code, "detail": code}


@pytest.mark.parametrize(
    ("status", "answer", "verdict", "hold"),
    [
        (201, {"seq": 4}, Verdict.ACCEPTED, None),
        (200, {"seq": 4, "replayed": True}, Verdict.ACCEPTED, None),
        (404, problem("unknown-item", 404), Verdict.REFUSED, None),
        (404, {"type": "https://custody.example/problems/unknown-item"}, Verdict.REFUSED, None),
        (422, problem("invalid-evidence-number", 422), Verdict.REFUSED, None),
        (422, problem("invalid-seal-number", 422), Verdict.REFUSED, None),
        (422, problem("invalid-location-code", 422), Verdict.REFUSED, None),
        (404, problem("not-found", 404), Verdict.REFUSED, None),
        (422, problem("invalid-input", 422), Verdict.REFUSED, None),
        (409, problem("idempotency-conflict", 409), Verdict.REFUSED, None),
        (409, problem("transition-refused", 409), Verdict.REFUSED, None),
        (401, problem("unauthenticated", 401), Verdict.HELD, HoldReason.CREDENTIALS),
        (401, {}, Verdict.HELD, HoldReason.CREDENTIALS),
        (403, problem("device-not-bound", 403), Verdict.HELD, HoldReason.BINDING),
        (403, problem("not-permitted", 403), Verdict.HELD, HoldReason.PERMISSION),
        (403, {"detail": "<html>forbidden by proxy</html>"}, Verdict.HELD, HoldReason.PERMISSION),
        (404, problem("no-such-route", 404), Verdict.HELD, HoldReason.SERVICE),
        (404, {"detail": "<html>not found</html>"}, Verdict.HELD, HoldReason.SERVICE),
        (405, problem("method-not-allowed", 405), Verdict.HELD, HoldReason.SERVICE),
        (308, {"detail": "moved to https"}, Verdict.HELD, HoldReason.SERVICE),
        (404, problem("unknown-item", 422), Verdict.REFUSED, None),
        (400, problem("unknown-item", 404), Verdict.HELD, HoldReason.SERVICE),
        (503, problem("service-unavailable", 503), Verdict.RETRY, None),
        (500, {}, Verdict.RETRY, None),
        (429, {}, Verdict.RETRY, None),
        (408, {}, Verdict.RETRY, None),
    ],
)
def test_each_answer_has_one_verdict(status, answer, verdict, hold):
    judgement = judge(status, answer)
    assert (judgement.verdict, judgement.hold) == (verdict, hold)


class Service:
    """A scan intake that refuses the station key until told otherwise; counts what it was sent."""

    def __init__(self, good_key: str) -> None:
        self.good_key = good_key
        self.posts: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["x-station-key"]
        self.posts.append(key)
        if key != self.good_key:
            return httpx.Response(401, json=problem("unauthenticated", 401))
        return httpx.Response(201, json={"seq": len(self.posts)})


def until(condition, what: str, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_a_held_loop_sends_nothing_more_and_sends_everything_after_a_resume(tmp_path: Path):
    service = Service("csk_right")
    config = StationConfig(
        service=ServiceConfig(url="http://service", key="csk_wrong", retry_max=0.05),
        outbox=OutboxConfig(path=tmp_path / "o.sqlite"),
    )
    outbox = Outbox(config.outbox.path)
    printed: list[dict] = []
    warned: list[str] = []
    client = httpx.Client(transport=httpx.MockTransport(service.handler), base_url="http://service")
    delivery = Delivery(config, outbox, printed.append, client, warned.append, reread=lambda: "csk_right")
    for n in range(3):
        outbox.put(f"k{n}", {"device": "scanner-1", "idempotency_key": f"k{n}", "code": "F1"})
    loop = threading.Thread(target=delivery.run)
    loop.start()
    try:
        until(lambda: delivery.held is not None, "the hold")
        outbox.put("k3", {"device": "scanner-1", "idempotency_key": "k3", "code": "F1"})
        time.sleep(0.5)  # the loop keeps running, held: it must not send in this time
        assert service.posts == ["csk_wrong"]
        assert [p["event"] for p in printed] == ["held"] and len(warned) == 1
        assert outbox.counts() == {"pending": 4, "answered": 0}

        delivery.request_resume()
        until(lambda: outbox.counts()["pending"] == 0, "every scan sent")
    finally:
        delivery.stop()
        loop.join(10)
    assert service.posts == ["csk_wrong"] + ["csk_right"] * 4
    assert [p["event"] for p in printed] == ["held", "resumed"] + ["accepted"] * 4
    assert len(warned) == 1


def test_scans_an_earlier_agent_dropped_on_a_401_or_403_are_queued_again(tmp_path: Path):
    """An outbox as the agent that took 401 and 403 for final answers left it."""
    from station.agent import StationAgent

    config = StationConfig(
        service=ServiceConfig(url="http://service", key="csk_right"),
        outbox=OutboxConfig(path=tmp_path / "o.sqlite"),
    )
    outbox = Outbox(config.outbox.path)
    answers = {
        "revoked": (401, problem("unauthenticated", 401)),
        "unbound": (403, problem("device-not-bound", 403)),
        "unknown": (404, problem("unknown-item", 404)),
        "accepted": (201, {"seq": 9}),
    }
    for key, (status, answer) in answers.items():
        outbox.put(key, {"device": "scanner-1", "idempotency_key": key, "code": "F1"})
        pending = outbox.wait(0)
        outbox.answered(pending.id, status, answer)
    outbox.close()
    printed: list[dict] = []
    agent = StationAgent(config, printed.append)
    try:
        assert agent.requeue_station_refusals() == 2
        assert printed == [{"event": "requeued", "count": 2}]
        assert agent.outbox.counts() == {"pending": 2, "answered": 2}
        assert agent.outbox.wait(0).idempotency_key == "revoked"
        assert agent.requeue_station_refusals() == 0  # nothing more on the next start
    finally:
        agent.close()
