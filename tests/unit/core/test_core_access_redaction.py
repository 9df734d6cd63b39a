"""Credential-looking query parameters are redacted before the access log keeps a query string."""

from __future__ import annotations

import pytest

from custody.access_log import redact_path, redact_query


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("token=cst_abc123", "token=[redacted]"),
        ("q=54&access_token=x1&limit=5", "q=54&access_token=[redacted]&limit=5"),
        ("Password=hunter2", "Password=[redacted]"),
        ("api_key=k&station_key=s", "api_key=[redacted]&station_key=[redacted]"),
        ("Authorization=Bearer%20x", "Authorization=[redacted]"),
        ("q=cst_abc123", "q=[redacted]"),
        ("q=%63st_abc", "q=[redacted]"),
        ("cst_abc123", "[redacted]"),
        ("csk_abc123=1", "[redacted]"),
        ("session_id=77", "session_id=[redacted]"),
    ],
)
def test_credential_looking_values_are_redacted(query, kept):
    assert redact_query(query) == kept


@pytest.mark.parametrize(
    "query",
    ["", "q=54%E5%BC%8F&limit=5", "source_seller=%E7%8E%8B&cursor=djE6MTI", "kind=F&state=registered"],
)
def test_other_queries_are_kept_as_sent(query):
    assert redact_query(query) == query


def test_a_token_pasted_into_a_path_is_redacted():
    assert redact_path("/api/v1/users/cst_AbC-123/sessions") == "/api/v1/users/[redacted]/sessions"
    assert redact_path("/api/v1/items/F220100202600012787") == "/api/v1/items/F220100202600012787"
