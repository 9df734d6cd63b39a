"""Line commands for a virtual tag run by hand (``custody sim tag``), answered with JSON lines.

The demo types them; the benchmark and the tests send them on stdin and read the answers, whose
``at`` is the monotonic clock (the same on the whole machine) when the act happened.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TextIO

from simulators.tag import VirtualTag

HELP = (
    "commands: on | off | tamper (cut the seal loop) | mend (close it) | cut-read [N] | cut-write [N] "
    "(leave the field at the N+1th read/write) | status | quit"
)


class TagConsole:
    """Turns command lines into scripted events on one :class:`VirtualTag`."""

    def __init__(self, tag: VirtualTag, out: TextIO, stop: Callable[[], None]) -> None:
        self.tag = tag
        self.out = out
        self.stop = stop

    def say(self, event: str, **fields: object) -> None:
        self.out.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
        self.out.flush()

    def announce(self) -> None:
        tag = self.tag
        self.say(
            "ready",
            type=tag.tag.model.name,
            uid=tag.uid.hex().upper(),
            port=tag.port,
            reader=tag.firmware.family,
            help=HELP,
        )

    def handle(self, line: str) -> None:
        words = line.split()
        if not words:
            return
        command, args = words[0].lower(), words[1:]
        count = int(args[0]) if args and args[0].isdigit() else 0
        if command in ("on", "present"):
            self.say("on_reader", at=self.tag.put_on_reader())
        elif command in ("off", "remove"):
            self.say("off_reader", at=self.tag.take_off_reader())
        elif command == "tamper":
            self.tag.open_tamper_loop()
            self.say("tamper_loop_opened", present=self.tag.present)
        elif command == "mend":
            self.tag.close_tamper_loop()
            self.say("tamper_loop_closed")
        elif command == "cut-read":
            self.tag.leave_during_read(count)
            self.say("armed", action="leave_during_read", after=count)
        elif command == "cut-write":
            self.tag.leave_during_write(count)
            self.say("armed", action="leave_during_write", after=count)
        elif command == "status":
            self.say("status", present=self.tag.present, apdus=self.tag.apdu_count)
        elif command in ("quit", "exit"):
            self.stop()
        else:
            self.say("error", message=f"unknown command {command!r}; {HELP}")

    def serve(self, lines: TextIO) -> None:
        """Handle lines until the input ends (then the tag stays as it is until stopped)."""
        for line in lines:
            self.handle(line)
