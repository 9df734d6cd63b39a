"""The line faults the scanner simulator can inflict, checked on their own."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from devices.scanner import DEFAULT_CHARSET
from simulators.scanner_faults import line_noise, misread_baud, with_noise


@given(st.binary(max_size=64), st.sampled_from([1200, 9600, 115200]))
def test_at_the_right_baud_rate_every_byte_arrives_intact(data, baud):
    assert misread_baud(data, baud, baud) == data


def test_a_receiver_twelve_times_too_fast_sees_mostly_breaks():
    garbled = misread_baud(b"F220100202600012787\r", 9600, 115200)
    assert len(garbled) > 20
    assert garbled.count(0) > len(garbled) // 2
    assert b"\r" not in garbled


def test_a_receiver_twice_too_slow_sees_fewer_bytes_and_foreign_ones():
    frame = b"F220100202600012787\r"
    garbled = misread_baud(frame, 19200, 9600)
    assert 0 < len(garbled) < len(frame)
    assert garbled.translate(None, DEFAULT_CHARSET + b"\r\n")


def test_a_clean_byte_after_a_long_idle_line_is_read_at_a_close_enough_rate():
    # 2 % off is within what a UART tolerates: the sampling drifts less than half a bit.
    assert misread_baud(b"U", 9600, 9792) == b"U"


@given(st.integers(0, 2**32), st.integers(1, 40))
def test_line_noise_has_no_line_end_and_never_passes_for_text(seed, length):
    noise = line_noise(random.Random(seed), length)
    assert len(noise) == length
    assert not set(noise) & set(b"\r\n")
    assert noise.translate(None, DEFAULT_CHARSET)


@given(st.integers(0, 2**32), st.binary(min_size=1, max_size=30), st.integers(1, 8))
def test_a_frame_hit_by_noise_holds_foreign_bytes(seed, payload, length):
    damaged = with_noise(payload, random.Random(seed), length)
    assert damaged.translate(None, DEFAULT_CHARSET)
    assert len(damaged) >= length
