"""Raw printing to TCP 9100 against a local listener that captures what a printer would receive."""

import socket
import struct
import threading
from datetime import date

import pytest

from labels import THERMAL_60X40, ItemLabel, PrinterError, RawTcpPrinter, printer_for, render_zpl

JOB = render_zpl(
    ItemLabel(
        "F220100202600012787", "J2201002026001", "长春市公安局", date(2026, 3, 1), ("五四式手枪 7.62mm",)
    ),
    THERMAL_60X40,
)


class Listener:
    """A one-port printer stand-in: each accepted connection is handled by the next behaviour."""

    def __init__(self, *behaviours: str) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(behaviours,), daemon=True)
        self.thread.start()

    def _serve(self, behaviours) -> None:
        for behaviour in behaviours:
            connection, _ = self.server.accept()
            with connection:
                if behaviour == "reset":  # drop the connection: RST, nothing read
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    continue
                data = b""
                while chunk := connection.recv(65536):
                    data += chunk
                self.received.append(data)
                if behaviour == "hold":  # keep the connection open after the job
                    self.release.wait(10)

    def close(self) -> None:
        self.release.set()
        self.thread.join(10)
        self.server.close()


@pytest.fixture
def listener(request):
    started = Listener(*request.param)
    yield started
    started.close()


@pytest.mark.parametrize("listener", [["capture"]], indirect=True)
def test_the_printer_receives_exactly_the_job(listener):
    printer_for(f"tcp://127.0.0.1:{listener.port}").send(JOB)
    listener.thread.join(10)
    assert listener.received == [JOB]


@pytest.mark.parametrize("listener", [["capture"]], indirect=True)
def test_a_large_job_arrives_whole(listener):
    job = JOB * 2000
    RawTcpPrinter("127.0.0.1", listener.port).send(job)
    listener.thread.join(10)
    assert listener.received == [job]


def test_a_refused_connection_is_a_clear_error():
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        with pytest.raises(
            PrinterError, match=f"127.0.0.1:{port} refused the connection; the job was not sent"
        ):
            RawTcpPrinter("127.0.0.1", port).send(JOB)


@pytest.mark.parametrize("listener", [["reset", "capture"]], indirect=True)
def test_a_dropped_connection_is_an_error_and_the_job_can_be_sent_again(listener):
    printer = RawTcpPrinter("127.0.0.1", listener.port)
    with pytest.raises(PrinterError, match=r"dropped|reset"):  # during connect or after, by timing
        printer.send(JOB)
    printer.send(JOB)
    listener.thread.join(10)
    assert listener.received == [JOB]


@pytest.mark.parametrize("listener", [["hold"]], indirect=True)
def test_a_printer_that_never_confirms_is_reported_not_assumed(listener):
    with pytest.raises(PrinterError, match="did not close the connection"):
        RawTcpPrinter("127.0.0.1", listener.port, timeout=0.5).send(JOB)
    listener.release.set()
    listener.thread.join(10)
    assert listener.received == [JOB]
