"""What a serial line does to a scanner's bytes when things go wrong, for the scanner simulator.

:func:`misread_baud` is a bit-level model of a UART receiving at the wrong rate: the transmitter
sends each byte as a start bit (0), eight data bits LSB first and a stop bit (1), the line idles high
between frames; the receiver waits for a falling edge, samples the middle of each of its own bit
times and hands over whatever it sampled. Linux delivers bytes with framing errors as sampled (input
parity checking is off at 8N1, as pyserial sets it) and a break as NUL, so a mismatched baud rate
turns a frame into runs of NULs and 8-bit bytes, sometimes sprinkled with printable characters and
line ends: exactly what the driver must refuse to deliver.

:func:`line_noise` is the kind of burst a long unshielded cable picks up: mostly NULs and 8-bit
bytes, a printable byte here and there, never a line end.
"""

from __future__ import annotations

import random


def _bits(data: bytes) -> list[int]:
    line: list[int] = []
    for byte in data:
        line.append(0)
        line.extend((byte >> i) & 1 for i in range(8))
        line.append(1)
    return line


def misread_baud(data: bytes, sent_at: int, read_at: int) -> bytes:
    """The bytes a receiver set to ``read_at`` baud makes of ``data`` sent at ``sent_at`` baud.

    ``data`` is sent in one go after an idle line (one frame of a scanner). At equal rates it is
    returned unchanged.
    """
    line = _bits(data)
    width = sent_at / read_at  # one receiver bit, in transmitter bits

    def level(t: float) -> int:
        k = int(t)
        return line[k] if 0 <= k < len(line) else 1

    out = bytearray()
    t = 0.0
    while True:
        # The next falling edge at or after t (transitions only happen on transmitter bit edges).
        k = max(int(t) + (t > int(t)), 0)
        while k < len(line) and not (line[k] == 0 and (k == 0 or line[k - 1] == 1)):
            k += 1
        if k >= len(line):
            return bytes(out)
        start = float(k)
        if level(start + 0.5 * width):  # a glitch, not a start bit: keep hunting
            t = start + 0.5 * width
            continue
        out.append(sum(level(start + (1.5 + i) * width) << i for i in range(8)))
        t = start + 9.5 * width  # the stop bit's sample; the next start bit comes after it


NOISE_BYTES = bytes([0x00] * 8 + list(range(0x80, 0x100)) + list(b"~!#%&*+?"))


def line_noise(rng: random.Random, length: int) -> bytes:
    """A burst of ``length`` noise bytes (at least one of them outside printable ASCII)."""
    noise = bytearray(rng.choice(NOISE_BYTES) for _ in range(length))
    noise[rng.randrange(length)] = rng.choice([0x00, 0xFF, 0xFE, 0x80])
    return bytes(noise)


def with_noise(payload: bytes, rng: random.Random, length: int) -> bytes:
    """``payload`` with a burst of noise dropped in at a random place (or replacing bytes)."""
    at = rng.randrange(len(payload) + 1)
    overwrite = rng.randrange(0, min(length, len(payload) - at) + 1)
    return payload[:at] + line_noise(rng, length) + payload[at + overwrite :]
