"""The reports page's entries of the pages' authorisation matrix (:mod:`test_web_matrix`): each download
stands beside its API route (the same roles, the same answers in and out of scope, asked of the same
object); the page itself admits whoever may read one of them; a tracing letter is issued by the roles
that may issue one through the API, and answers with the page that offers it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

from page_matrix import PageEntry
from test_api_matrix import LETTER_WRITERS, MATRIX, World

from custody.model import Role

TWINS = {
    "/reports/custody": (("GET", "/api/v1/reports/custody/{evidence_no}"), "evidence_no", -1),
    "/reports/handover-slip": (("GET", "/api/v1/handovers/{handover_id}/slip"), "handover_id", -2),
    "/reports/tracing-letter": (("GET", "/api/v1/reports/tracing-letters/{seq}"), "letter", -1),
    "/reports/batch": (("GET", "/api/v1/reports/batches/{batch_id}"), "batch_id", -1),
    "/reports/monthly": (("GET", "/api/v1/reports/monthly"), None, 0),
    "/reports/quarterly": (("GET", "/api/v1/reports/quarterly"), None, 0),
}


def _twin_path(page: str) -> Callable[[World, str], str]:
    """The page's address for the object its API twin's matrix entry asks for: the twin's path
    parameter as a query parameter of the page's form, and the twin's own query as it is."""
    twin, name, at = TWINS[page]

    def path(w: World, scope: str) -> str:
        url = urlsplit(MATRIX[twin].build(w, scope, False).path)
        query = parse_qsl(url.query)
        if name is not None:
            query.insert(0, (name, url.path.split("/")[at]))
        return f"{page}?{urlencode(query)}"

    return path


READERS = frozenset[Role]().union(*(MATRIX[twin].roles for twin, _name, _at in TWINS.values()))

PAGES: dict[tuple[str, str], PageEntry] = {
    ("GET", "/reports"): PageEntry(READERS | LETTER_WRITERS, lambda _w, _s: "/reports", out=None),
    ("POST", "/reports/tracing-letters"): PageEntry(
        LETTER_WRITERS,
        lambda _w, _s: "/reports/tracing-letters",
        ok=303,
        form=lambda w, s: {"evidence_no": w.item[s], "addressee": "吉林市公安局刑侦支队"},
    ),
    **{
        ("GET", page): PageEntry(None, _twin_path(page), twin=twin)
        for page, (twin, _name, _at) in TWINS.items()
    },
}
