"""Interactive API documentation served by the service itself, and the response headers of every answer.

``/docs`` is Swagger UI from the ``swagger-ui-bundle`` package, its script and style served from
``/docs/assets`` (no CDN: a police LAN has no internet, and nothing is loaded from a third party).
``/docs`` and ``/openapi.json`` exist only when the app is made with ``docs=True``
(``CUSTODY_API_DOCS``, on by default).

Every answer says ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY`` and
``Referrer-Policy: no-referrer``; every answer but the documentation's static assets says
``Cache-Control: no-store`` (case, item and user data stays out of browser and proxy caches); every
answer but the documentation's and the desks' says ``Content-Security-Policy: default-src 'none';
frame-ancestors 'none'`` (JSON is never a page that runs anything). The desks' pages (:mod:`web`) say
:data:`PAGE_CSP`: their own scripts, styles and images only, no inline script or style, forms posted to
this service only, and ``Referrer-Policy: same-origin``; their static files may be cached.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
OPENAPI_URL = "/openapi.json"


def serve_docs(app: FastAPI) -> None:
    """Swagger UI at ``/docs``, from local assets."""
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
        )


_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_NO_STORE = ((b"cache-control", b"no-store"),)
_CSP = ((b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),)
_HEADERS = _COMMON + _NO_STORE + _CSP  # every answer but the documentation's
_DOCUMENTATION_HEADERS = _COMMON + _NO_STORE  # the Swagger UI page runs its own script
_ASSET_HEADERS = _COMMON  # the Swagger UI's and the desks' static files may be cached
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# the pages send their referrer to this service only, so that a browser names their origin on a form it
# posts (with ``no-referrer`` Chromium sends ``Origin: null``, which the pages refuse)
_PAGE_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    *_NO_STORE,
    (b"content-security-policy", PAGE_CSP.encode()),
)


class ResponseHeaders:
    """The headers above, on every answer."""

    def __init__(
        self, app: ASGIApp, pages: Callable[[str], bool] = lambda _p: False, assets: tuple[str, ...] = ()
    ) -> None:
        """``pages``: whether a path is one of the desks' pages; ``assets``: the prefixes of their
        static files."""
        self.app = app
        self._is_page = pages
        self._assets = (ASSETS_URL + "/", *assets)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra: tuple[tuple[bytes, bytes], ...]
        if path.startswith(self._assets):
            extra = _ASSET_HEADERS
        elif path == DOCS_URL:
            extra = _DOCUMENTATION_HEADERS
        elif self._is_page(path):
            extra = _PAGE_HEADERS
        else:
            extra = _HEADERS
        names = {name for name, _value in extra}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", ()) if bytes(h[0]).lower() not in names]
                message["headers"] = [*kept, *extra]  # these values win over any a route set
            await send(message)

        await self.app(scope, receive, with_headers)
