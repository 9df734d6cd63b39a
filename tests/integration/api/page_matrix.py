"""The entries of the pages' authorisation matrix (:mod:`test_web_matrix`). Each desk keeps its own
entries in ``web_matrix_<desk>.py`` as ``PAGES: dict[(method, path), PageEntry]``; the matrix test takes
them all, and fails for a page route of the app that none names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from custody.model import Role

if TYPE_CHECKING:
    from test_api_matrix import World

ALL = frozenset(Role)


@dataclass(frozen=True)
class PageEntry:
    """A page route: whom it admits, the path to ask (world, scope), its answers in and out of scope.

    A GET without a live session answers 303 to the login page, a POST 401, whatever the entry says."""

    roles: frozenset[Role] | set[Role] | None  # None: public (or, with ``twin``, the twin's roles)
    path: Callable[[World, str], str]
    ok: int = 200
    out: int | None = 404  # the answer out of scope (None: the page reads nothing of a unit)
    twin: tuple[str, str] | None = None  # the API route it stands beside: same roles, same answers
    # a POST: its form fields beside the session's CSRF token (world, scope) → fields
    form: Callable[[World, str], dict[str, Any]] | None = None
    # cookies of the desk beside the session's (world, scope) → cookies
    cookies: Callable[[World, str], dict[str, str]] | None = None
    # a role whose call in scope the act's own rule refuses, with that answer
    answers: dict[Role, int] = field(default_factory=dict)
