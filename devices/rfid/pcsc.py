"""PC/SC transport: a context with pcscd, reader states, and card connections that move APDUs.

This layer moves bytes and maps PC/SC return codes to the driver's errors; it knows nothing of
readers' pseudo-APDUs or tags. It uses pyscard's thin ``smartcard.scard`` binding, which releases the
interpreter lock while it waits in pcscd, so a monitor thread can block here without stopping others.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from smartcard import scard

from devices.rfid.errors import (
    CommunicationError,
    NoTagPresent,
    PcscUnavailable,
    ReaderUnavailable,
    RfidError,
    TagLeftField,
)

#: The pseudo-reader whose state changes when readers are added or removed.
PNP_NOTIFICATION = "\\\\?PnP?\\Notification"

STATE_CHANGED = scard.SCARD_STATE_CHANGED
STATE_UNKNOWN = scard.SCARD_STATE_UNKNOWN
STATE_UNAVAILABLE = scard.SCARD_STATE_UNAVAILABLE
STATE_EMPTY = scard.SCARD_STATE_EMPTY
STATE_PRESENT = scard.SCARD_STATE_PRESENT
STATE_MUTE = scard.SCARD_STATE_MUTE

_OK = scard.SCARD_S_SUCCESS
_TIMEOUT = scard.SCARD_E_TIMEOUT
_CANCELLED = scard.SCARD_E_CANCELLED
_NO_READERS = scard.SCARD_E_NO_READERS_AVAILABLE

_SERVICE_GONE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_F_COMM_ERROR,
}
_ACCESS_DENIED = scard.SCARD_W_SECURITY_VIOLATION
_READER_GONE = {scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE, _NO_READERS}
_TAG_GONE = {scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD}


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


def error_for(hresult: int, action: str, *, reader: str | None = None, connected: bool = False) -> RfidError:
    """The driver error for a failed PC/SC call.

    ``connected`` says whether a card connection existed: a card missing then means it left the field
    (:class:`TagLeftField`); before connecting it means there was none (:class:`NoTagPresent`).
    """
    code = _code(hresult)
    text = f"{action}: {scard.SCardGetErrorMessage(hresult)} (0x{code:08X})"
    if code in _SERVICE_GONE:
        return PcscUnavailable(f"{text}; is pcscd running?", reader=reader)
    if code == _ACCESS_DENIED and not connected:
        # pcsc-lite answers a call blocked while pcscd exits with this too, not only a polkit refusal.
        return PcscUnavailable(f"{text}; pcscd went away or refuses this user", reader=reader)
    if code in _READER_GONE:
        return ReaderUnavailable(text, reader=reader)
    if code in _TAG_GONE:
        return (TagLeftField if connected else NoTagPresent)(text, reader=reader)
    return CommunicationError(text, reader=reader)


@dataclass(frozen=True, slots=True)
class ReaderState:
    """One reader as pcscd last described it: state bits (with pcsc-lite's event counter in the upper
    16 bits, which changes on every insertion and removal) and the ATR of the card present."""

    name: str
    state: int
    atr: bytes = b""

    @property
    def present(self) -> bool:
        return bool(self.state & STATE_PRESENT) and not self.state & STATE_MUTE

    @property
    def mute(self) -> bool:
        return bool(self.state & STATE_MUTE)

    @property
    def gone(self) -> bool:
        return bool(self.state & (STATE_UNKNOWN | STATE_UNAVAILABLE))

    @property
    def event_count(self) -> int:
        return (self.state >> 16) & 0xFFFF

    def settled(self) -> ReaderState:
        """The same state without the CHANGED flag, ready to be passed back as the current state."""
        return ReaderState(self.name, self.state & ~STATE_CHANGED, self.atr)


class CardConnection:
    """A shared connection to the card on one reader. Closing it leaves the card powered."""

    __slots__ = ("_handle", "_protocol", "atr", "reader")

    def __init__(self, reader: str, handle: int, protocol: int, atr: bytes) -> None:
        self.reader = reader
        self.atr = atr
        self._handle = handle
        self._protocol = protocol

    def transmit(self, apdu: bytes) -> bytes:
        """Send one APDU and return the whole response, status word included.

        A response shorter than a status word is a removal: vpcd (and some real readers) answer the
        APDU in flight with success and no bytes when the tag leaves during the exchange.
        """
        hresult, response = scard.SCardTransmit(self._handle, self._protocol, list(apdu))
        if hresult != _OK:
            raise error_for(hresult, "transmit", reader=self.reader, connected=True)
        if len(response) < 2:
            raise TagLeftField(
                f"transmit: response of {len(response)} bytes, without a status word", reader=self.reader
            )
        return bytes(response)

    def reset(self) -> None:
        """Reset the card and stay connected: a reader re-activates (re-selects) a contactless tag."""
        hresult, protocol = scard.SCardReconnect(
            self._handle,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
            scard.SCARD_RESET_CARD,
        )
        if hresult != _OK:
            raise error_for(hresult, "reset", reader=self.reader, connected=True)
        self._protocol = protocol

    def close(self) -> None:
        scard.SCardDisconnect(self._handle, scard.SCARD_LEAVE_CARD)

    def __enter__(self) -> CardConnection:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class PcscContext:
    """A context with pcscd. One thread uses it; :meth:`cancel` may be called from any thread."""

    def __init__(self) -> None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != _OK:
            raise error_for(hresult, "establish context")
        self._context = context
        self._closed = False

    def readers(self) -> list[str]:
        hresult, readers = scard.SCardListReaders(self._context, [])
        if _code(hresult) == _NO_READERS:
            return []
        if hresult != _OK:
            raise error_for(hresult, "list readers")
        return list(readers)

    def wait_for_change(self, states: list[ReaderState], timeout: float) -> list[ReaderState] | None:
        """Block until a reader's state differs from ``states`` or ``timeout`` seconds pass.

        Returns the new states in the same order, or None on timeout or :meth:`cancel`.
        """
        request = [(s.name, s.state, list(s.atr)) if s.atr else (s.name, s.state) for s in states]
        hresult, changed = scard.SCardGetStatusChange(self._context, max(0, int(timeout * 1000)), request)
        code = _code(hresult)
        if code in (_TIMEOUT, _CANCELLED):
            return None
        if hresult != _OK:
            raise error_for(hresult, "wait for a reader state change")
        return [ReaderState(name, state, bytes(atr)) for name, state, atr in changed]

    def state_of(self, reader: str) -> ReaderState:
        """The reader's current state, without waiting."""
        result = self.wait_for_change([ReaderState(reader, scard.SCARD_STATE_UNAWARE)], 0)
        if result is None:
            raise CommunicationError("reader state not available", reader=reader)
        return result[0].settled()

    def connect(self, reader: str) -> CardConnection:
        hresult, handle, protocol = scard.SCardConnect(
            self._context, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        if hresult != _OK:
            raise error_for(hresult, "connect", reader=reader)
        hresult, _name, _state, _protocol, atr = scard.SCardStatus(handle)
        if hresult != _OK:
            scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)
            raise error_for(hresult, "card status", reader=reader, connected=True)
        return CardConnection(reader, handle, protocol, bytes(atr))

    def cancel(self) -> None:
        """Make a blocked :meth:`wait_for_change` return at once."""
        if not self._closed:
            scard.SCardCancel(self._context)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            scard.SCardReleaseContext(self._context)

    def __enter__(self) -> PcscContext:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
