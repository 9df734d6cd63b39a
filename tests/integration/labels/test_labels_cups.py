"""Printing through a real, private cupsd to a queue that writes each job to a file."""

import os
from datetime import date

import pytest
from cupsd_harness import QUEUE, Cupsd

from labels import (
    THERMAL_60X40,
    CupsPrinter,
    ItemLabel,
    PrinterError,
    printer_for,
    render_pdf,
    render_zpl,
)

pytestmark = [pytest.mark.devices, pytest.mark.xdist_group("labels-cupsd")]

LABEL = ItemLabel(
    "F220100202600012787", "J2201002026001", "长春市公安局", date(2026, 3, 1), ("五四式手枪 7.62mm",)
)


@pytest.fixture(scope="module")
def cupsd_server():
    server = Cupsd()
    yield server
    server.stop()


@pytest.fixture
def cupsd(cupsd_server):
    """The private cupsd, its queue's output emptied for this test's job."""
    cupsd_server.fresh_output()
    return cupsd_server


def test_a_zpl_job_reaches_the_queues_device_byte_for_byte(cupsd):
    job = render_zpl(LABEL, THERMAL_60X40, 203)
    CupsPrinter(QUEUE, server=cupsd.socket).send(job)
    assert cupsd.printed(job) == job


def test_a_pdf_job_sent_by_uri_over_tcp_arrives_intact(cupsd):
    job = render_pdf([LABEL], THERMAL_60X40)
    printer_for(f"cups://127.0.0.1:{cupsd.port}/{QUEUE}").send(job)
    assert cupsd.printed(job) == job


def test_the_default_server_comes_from_the_cups_environment(cupsd, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", cupsd.socket)
    job = render_zpl(LABEL, THERMAL_60X40, 300)
    printer_for(f"lp:{QUEUE}").send(job)
    assert cupsd.printed(job) == job


def test_an_unknown_queue_is_refused_with_cups_reason(cupsd):
    with pytest.raises(PrinterError, match=r"queue no_such_queue: lp: .*does not exist"):
        CupsPrinter("no_such_queue", server=cupsd.socket).send(b"^XA^XZ")
    assert os.path.exists(cupsd.socket)


def test_a_short_job_after_a_long_one_arrives_without_the_long_ones_tail(cupsd):
    long_job = render_pdf([LABEL], THERMAL_60X40)
    CupsPrinter(QUEUE, server=cupsd.socket).send(long_job)
    assert cupsd.printed(long_job) == long_job
    cupsd.fresh_output()
    short_job = render_zpl(LABEL, THERMAL_60X40, 203)
    assert len(short_job) < len(long_job)
    CupsPrinter(QUEUE, server=cupsd.socket).send(short_job)
    assert cupsd.printed(short_job) == short_job
