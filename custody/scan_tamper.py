"""What the answer to a tag read warns of the seal it closes: an NTAG 213 TT's tamper loop found open,
or found closed by a tag that recorded it open at an earlier power-up."""

from __future__ import annotations

from custody.errors import Message

TAMPER_OPEN = Message(
    "scan.tamper_open", "the tamper loop of tag {uid} is open: the seal it closes has been broken"
)
TAMPER_OPENED_BEFORE = Message(
    "scan.tamper_opened_before",
    "the tamper loop of tag {uid} reads closed, but the tag recorded it open before: the seal was broken",
)


def tamper_warnings(uid: str | None, tamper: str | None, opened_before: bool | None) -> list[dict[str, str]]:
    """What an answer warns of a tag's tamper status: its loop open, or found open once before."""
    if uid is None:
        return []
    if tamper == "open":
        return [_warning(TAMPER_OPEN, uid=uid)]
    if opened_before:
        return [_warning(TAMPER_OPENED_BEFORE, uid=uid)]
    return []


def _warning(message: Message, **params: str) -> dict[str, str]:
    return {"key": message.key, "text": message.render(params)}
