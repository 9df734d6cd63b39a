"""Secrets and the login throttle, without a database."""

from __future__ import annotations

import hashlib
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.credentials import SESSION_PREFIX, STATION_KEY_PREFIX, digest, looks_like, mint, password_hasher
from custody.errors import InvalidInput
from custody.passwords import LoginPolicy, Passwords, retry_after_s
from custody.queries import after_cursor, encode_cursor

SECOND = 1_000_000


def test_passwords_are_hashed_with_argon2id_at_the_documented_parameters():
    hashed = password_hasher().hash("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert password_hasher().verify(hashed, "correct horse battery staple")


def test_tokens_and_keys_are_256_random_bits_behind_a_prefix():
    tokens = {mint(SESSION_PREFIX) for _ in range(100)}
    assert len(tokens) == 100
    assert all(t.startswith("cst_") and len(t) == 47 for t in tokens)
    assert mint(STATION_KEY_PREFIX, bytes) == "csk_" + "A" * 43


def test_what_is_stored_of_a_token_is_its_sha256():
    token = mint(SESSION_PREFIX)
    assert digest(token) == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.parametrize("candidate", ["", "csk_abc", "cst_" + "a" * 61, "cst_é", None, 42])
def test_anything_not_shaped_like_a_session_token_is_refused_before_a_lookup(candidate):
    assert not looks_like(candidate, SESSION_PREFIX)


def test_a_throttled_address_waits_until_its_oldest_attempt_leaves_the_window():
    assert retry_after_s(0, 300 * SECOND, 10 * SECOND) == 290
    assert retry_after_s(0, 300 * SECOND, 299 * SECOND + 1) == 1  # a part of a second is a whole one
    assert retry_after_s(0, 300 * SECOND, 300 * SECOND) == 1  # never "retry after 0"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 10"),
        ("x" * 257, "at most 256"),
        (" Clerk-One ", "username"),
        (b"bytes-pass", "text"),
    ],
)
def test_a_password_must_be_reasonable(password, problem):
    passwords = Passwords(cast(Any, None), LoginPolicy(), hasher=password_hasher(memory_kib=1024, passes=1))
    with pytest.raises(InvalidInput, match=problem) as refused:
        passwords.check_password(password, "clerk-one")
    assert refused.value.field == "password"


@given(st.integers(min_value=0, max_value=10**18 - 1))
def test_a_cursor_stands_for_the_last_id_seen(last_id):
    assert after_cursor(encode_cursor(last_id)) == last_id


@given(st.text(max_size=40))
def test_any_other_cursor_is_invalid_input_naming_the_cursor(text):
    try:
        found = after_cursor(text)
    except InvalidInput as refused:
        assert refused.field == "cursor"
    else:
        assert (found is None) == (text == "") and (found is None or found >= 0)
