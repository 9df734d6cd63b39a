"""What the handover-and-sealing desk and the audit desk share: which of a page's forms the user's roles
may send (by the forms' own routes, as the menu decides by the pages'), the numbers typed or scanned into
one field, and whether htmx asks for a fragment."""

from __future__ import annotations

import re

from fastapi import Request

from api.deps import Caller
from web.desks import admits

_SEPARATORS = re.compile(r"[\s,;，；、]+")


def may(request: Request, caller: Caller, method: str, path: str) -> bool:
    """Whether the page route ``method path`` admits ``caller`` (a form is shown to those who may send
    it): :func:`web.desks.admits`."""
    return admits(caller, path, method)


def numbers(typed: str) -> list[str]:
    """The codes typed or scanned into one field (a scanner ends each with Enter), in the order given
    (a code named twice is the core's to refuse)."""
    return [code for code in _SEPARATORS.split(typed.strip()) if code]


def fragment(request: Request) -> bool:
    """Whether htmx asks (it then takes a fragment, not the whole page)."""
    return request.headers.get("hx-request") == "true"
