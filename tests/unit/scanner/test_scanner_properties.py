"""Properties of the frame parser over any byte stream, cut into reads anywhere, at any times.

1. Every scan is one complete frame of the stream: its bytes start at a frame boundary (the stream's
   start, a line end, or a pause of at least the idle timeout) and run to the next line end, and each
   frame is delivered at most once, in order.
2. Frames among noise, over-long and too-short frames and pauses, with or without AIM identifiers and
   just after the port opens: exactly the frames a simple model says are synchronised are delivered,
   each once; a batch upload loses only its noisy frame (and, without AIM, the one after it).
3. Where the stream is cut into reads changes nothing.
4. Checking a burst in bulk and frame by frame give the same events.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.scanner import DeviceError, FrameParser, Framing, Scan

UTC_NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
FRAMING = Framing(min_length=2, max_length=40, idle_timeout=0.5, quiet_gap=0.05)
STRICT = Framing(min_length=4, max_length=40, idle_timeout=0.5, quiet_gap=0.05)
ENDS = b"\r\n"

# Pieces that make frames likely (printable runs ended by a line end), some with GS, noise or any
# byte at all in them, some without an end.
_printable_run = st.binary(min_size=1, max_size=12).map(lambda b: bytes(0x20 + x % 0x5F for x in b))
_odd_bytes = st.one_of(
    st.sampled_from([b"\x1d", b"\x00", b"\xff", b"\x80"]), st.binary(min_size=1, max_size=3)
)
_line_end = st.sampled_from([b"\r", b"\n", b"\r\n"])
_piece = st.tuples(
    st.one_of(_printable_run, _printable_run, _printable_run, _odd_bytes),
    st.one_of(_line_end, _line_end, st.just(b"")),
)
stream_bytes = st.lists(_piece.map(b"".join), max_size=25).map(b"".join)


@st.composite
def reads(draw: st.DrawFn, stream: bytes) -> list[tuple[int, float]]:
    """Cut points and arrival gaps: (end offset of the read, seconds since the previous read)."""
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(stream))), max_size=12))) | {len(stream)})
    gaps = draw(st.lists(st.sampled_from([0.0, 0.001, 0.1, 1.0]), min_size=len(cuts), max_size=len(cuts)))
    return list(zip(cuts, gaps, strict=True))


def run(parser: FrameParser, stream: bytes, cuts: list[tuple[int, float]]) -> tuple[list, set[int]]:
    """Feed ``stream`` as cut; answer the events and the offsets where an idle pause began a read."""
    events: list = []
    now, start, paused_at = 1.0, 0, set()
    for end, gap in cuts:
        now += gap
        if gap >= parser.framing.idle_timeout:
            paused_at.add(start)
        events += parser.feed(stream[start:end], now, UTC_NOW)
        start = end
    return events, paused_at


def frames_of(stream: bytes, paused_at: set[int]) -> list[bytes]:
    """Each line end closes the frame that began at the last boundary before it."""
    frames, begin = [], 0
    for i, byte in enumerate(stream):
        if i in paused_at:
            begin = max(begin, i)
        if byte in ENDS:
            frames.append(stream[begin:i])
            begin = i + 1
    return [frame for frame in frames if frame]


@settings(max_examples=400)
@given(st.data(), stream_bytes)
def test_every_scan_is_one_complete_frame_delivered_once_in_order(data, stream):
    events, paused_at = run(FrameParser(FRAMING), stream, data.draw(reads(stream)))
    frames = frames_of(stream, paused_at)
    position = 0
    for scan in (event for event in events if isinstance(event, Scan)):
        assert scan.raw in frames[position:], f"{scan.raw!r} is not a complete frame of {stream!r}"
        position = frames.index(scan.raw, position) + 1
        assert scan.code.encode() == scan.raw


codes = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=4, max_size=30)
noise = st.binary(min_size=1, max_size=12).filter(
    lambda b: not set(b) & set(ENDS) and b.translate(None, STRICT.charset)
)
segment = st.one_of(
    st.tuples(st.just("frame"), codes.map(str.encode)),
    st.tuples(st.just("noise"), noise),
    st.tuples(
        st.just("long"), st.binary(min_size=41, max_size=60).map(lambda b: bytes(0x41 + x % 26 for x in b))
    ),
    st.tuples(st.just("short"), st.text("ABC123", min_size=1, max_size=3).map(str.encode)),
)


def expected_scans(segments, aim: bool, opened: bool) -> tuple[bytes, set[int], list[str]]:
    """The stream the segments make, where its pauses are, and the codes a simple model delivers.

    Model: a rejected frame makes the line unsynchronised for the one frame after it (withheld
    unless a pause comes first, or, with AIM identifiers, always delivered: a frame end followed by
    an AIM identifier is a known frame start). After the port opens, the first frame is withheld
    unless a pause comes first, AIM or not.
    """
    stream, pauses, expected = b"", set() if opened else {0}, []
    suspect, unanchored = False, opened
    for index, ((kind, body), pause, end) in enumerate(segments):
        if pause:
            pauses.add(len(stream))
            suspect = unanchored = False
        if kind == "frame":
            code = f"{index:02d}".encode() + body  # every frame different
            frame = b"]C0" + code if aim else code
            if not unanchored and (aim or not suspect):
                expected.append(code.decode())
            suspect = False
        else:
            frame, suspect = body, True
        unanchored = False
        stream += frame + end
    return stream, pauses, expected


@settings(max_examples=300)
@given(
    st.data(),
    st.lists(st.tuples(segment, st.booleans(), st.sampled_from([b"\r", b"\n", b"\r\n"])), max_size=20),
    st.booleans(),
    st.booleans(),
)
def test_synchronised_frames_among_faults_are_each_delivered_once(data, segments, aim, opened):
    """Every frame the model says is in step is delivered, once, in order; nothing else is."""
    stream, pauses, expected = expected_scans(segments, aim, opened)
    # Cut anywhere between pauses; a pause (0.1 s: over the quiet gap, under the idle timeout)
    # begins a read of its own.
    cuts = set(data.draw(st.lists(st.integers(1, max(1, len(stream))), max_size=15))) | {len(stream)}
    framing = Framing(min_length=4, max_length=43 if aim else 40, aim=aim, idle_timeout=0.5, quiet_gap=0.05)
    parser, now, start, events = FrameParser(framing), 1.0, 0, []
    if opened:
        parser.opened(now)
    for end in sorted(cuts | pauses - {0}):
        now += 0.1 if start in pauses else 0.001
        events += parser.feed(stream[start:end], now, UTC_NOW)
        start = end
    assert [event.code for event in events if isinstance(event, Scan)] == expected


@settings(max_examples=50)
@given(st.integers(0, 1999), st.sampled_from([b"\r", b"\r\n"]), st.integers(512, 8192), st.booleans())
def test_a_batch_upload_with_one_noisy_frame_loses_only_that_frame_with_aim(noisy, suffix, read_size, long):
    """2,000 codes back to back, one of them hit by noise (or run on past the maximum length): with AIM
    every other code arrives; without, also the one right after the noisy frame is withheld."""
    codes = [f"F2201002026{n:06d}" for n in range(2000)]
    damaged = b"A" * 600 if long else b"]C0F22\x00\xff\x8001002026"
    for aim in (True, False):
        frames = [(b"]C0" if aim else b"") + code.encode() + suffix for code in codes]
        frames[noisy] = damaged + suffix
        stream = b"".join(frames)
        parser = FrameParser(Framing(aim=aim, max_length=40))
        events = [
            e
            for i in range(0, len(stream), read_size)
            for e in parser.feed(stream[i : i + read_size], 1.0 + i * 1e-6, UTC_NOW)
        ]
        lost = {noisy} if aim else {noisy, noisy + 1}
        assert [e.code for e in events if isinstance(e, Scan)] == [
            code for n, code in enumerate(codes) if n not in lost
        ]


@settings(max_examples=300)
@given(st.data(), stream_bytes)
def test_where_the_stream_is_cut_changes_nothing(data, stream):
    cuts = [(end, 0.0) for end, _ in data.draw(reads(stream))]
    whole, _ = run(FrameParser(FRAMING), stream, [(len(stream), 0.0)])
    pieces, _ = run(FrameParser(FRAMING), stream, cuts)
    assert [e for e in whole if isinstance(e, Scan)] == [e for e in pieces if isinstance(e, Scan)]
    assert len([e for e in whole if isinstance(e, DeviceError)]) == len(
        [e for e in pieces if isinstance(e, DeviceError)]
    )


@settings(max_examples=300)
@given(
    st.data(),
    stream_bytes,
    st.sampled_from([None, b"\r", b"\n", b"\r\n", b"\t"]),
    st.booleans(),
)
def test_bulk_checking_agrees_with_frame_by_frame_checking(data, stream, suffix, opened):
    """Also just after the port opens and around rejected frames, where one frame may be withheld."""
    framing = Framing(suffix=suffix, min_length=4, max_length=40, idle_timeout=0.5, quiet_gap=0.05)
    cuts = data.draw(reads(stream))
    parsers = FrameParser(framing, bulk=True), FrameParser(framing, bulk=False)
    if opened:
        for parser in parsers:
            parser.opened(1.0)
    bulk, _ = run(parsers[0], stream, cuts)
    one_by_one, _ = run(parsers[1], stream, cuts)
    assert bulk == one_by_one


@settings(max_examples=100)
@given(
    st.lists(codes, min_size=1, max_size=300), st.sampled_from([None, b"\r", b"\r\n"]), st.integers(1, 4096)
)
def test_a_clean_burst_is_delivered_whole_whatever_the_read_size(burst, suffix, read_size):
    framing = Framing(suffix=suffix, max_length=40)
    stream = b"".join(code.encode() + (suffix or b"\r\n") for code in burst)
    parser = FrameParser(framing)
    events = [
        e
        for i in range(0, len(stream), read_size)
        for e in parser.feed(stream[i : i + read_size], 1.0, UTC_NOW)
    ]
    assert [event.code for event in events] == burst
