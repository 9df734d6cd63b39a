"""A tamper-evident tag's read carries its tamper loop into the sighting and the answer."""

from __future__ import annotations

import pytest

from custody.errors import IdempotencyConflict, InvalidInput
from custody.scans import Scan, ScanSource

DESK = ScanSource("ng-desk-1", "220102")
UID = "04A1B2C3D4E5F6"


def tag_read(key: str, text: str, **tamper) -> Scan:
    return Scan("reader-1", key, uid=UID, text=text, **tamper)


def test_an_open_loop_is_recorded_and_answered_with_a_warning(custody, gun):
    answer = custody.scans.record(DESK, tag_read("t-1", gun.evidence_no, tamper="open"))
    assert answer["tamper"] == "open"
    assert [w["key"] for w in answer["warnings"]] == ["scan.tamper_open"]
    assert UID in answer["warnings"][0]["text"]
    sighting = custody.items.item(None, gun.evidence_no).history[-1]
    assert (sighting.event_type, sighting.payload["tamper"]) == ("sighted", "open")
    assert custody.scans.record(DESK, tag_read("t-1", gun.evidence_no, tamper="open")) == {
        **answer,
        "replayed": True,
    }


def test_a_loop_found_open_before_warns_though_it_reads_closed(custody, gun):
    answer = custody.scans.record(
        DESK, tag_read("t-1", gun.evidence_no, tamper="closed", tamper_opened_before=True)
    )
    assert answer["tamper"] == "closed"
    assert [w["key"] for w in answer["warnings"]] == ["scan.tamper_opened_before"]
    payload = custody.items.item(None, gun.evidence_no).history[-1].payload
    assert (payload["tamper"], payload["tamper_opened_before"]) == ("closed", True)


def test_a_closed_loop_and_a_tag_without_a_loop_warn_of_nothing(custody, gun):
    closed = custody.scans.record(
        DESK, tag_read("t-1", gun.evidence_no, tamper="closed", tamper_opened_before=False)
    )
    plain = custody.scans.record(DESK, tag_read("t-2", gun.evidence_no))
    assert closed["tamper"] == "closed" and "warnings" not in closed
    assert "tamper" not in plain and "warnings" not in plain
    history = custody.items.item(None, gun.evidence_no).history
    assert history[-2].payload["tamper"] == "closed"
    assert "tamper" not in history[-1].payload and "tamper_opened_before" not in history[-1].payload


def test_the_tamper_status_is_part_of_the_scan_but_absent_fields_leave_old_digests_alone(custody, gun):
    plain = Scan("reader-1", "t-1", uid=UID, text=gun.evidence_no)
    assert plain.digest() == _digest_without_tamper_fields(plain)
    opened = Scan("reader-1", "t-1", uid=UID, text=gun.evidence_no, tamper="open")
    assert opened.digest() != plain.digest()
    custody.scans.record(DESK, plain)
    head = custody.ledger.head()
    with pytest.raises(IdempotencyConflict):
        custody.scans.record(DESK, opened)
    assert custody.ledger.head() == head


def _digest_without_tamper_fields(scan: Scan) -> str:
    import hashlib

    from custody.ledger import canonical_payload

    body = {k: v for k, v in scan.fields().items() if k not in ("tamper", "tamper_opened_before")}
    return hashlib.sha256(canonical_payload(body).encode()).hexdigest()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"uid": UID, "tamper": "broken"}, "tamper"),
        ({"uid": UID, "tamper": "open", "tamper_opened_before": "yes"}, "tamper_opened_before"),
        ({"code": "F220100202600012787", "tamper": "open"}, "tamper"),
    ],
)
def test_a_tamper_status_the_reader_cannot_report_is_refused(custody, gun, fields, field):
    head = custody.ledger.head()
    with pytest.raises(InvalidInput) as refused:
        custody.scans.record(DESK, Scan("reader-1", "t-1", **fields))
    assert refused.value.field == field
    assert custody.ledger.head() == head
