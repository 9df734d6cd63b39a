"""An app factory for running the service under any ASGI server: ``uvicorn api.serving:app --factory``.

The database comes from ``CUSTODY_DATABASE_URL`` (default: the embedded SQLite file); its schema must be
current (``custody db upgrade``). ``custody serve`` is the usual way to start the service.
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from api.app import create_app
from api.deps import Services
from custody.services import Custody
from custody.settings import Settings


def service_app(custody: Custody, docs: bool | None = None) -> FastAPI:
    """The service's app over ``custody``, which it closes on shutdown.

    Everything built so far (modules, the route table, the schema) lives as long as the process: it is
    moved out of the garbage collector's sight (``gc.freeze``), so a full collection under load scans
    only what requests create, not the whole heap (otherwise a pause of tens of milliseconds now and
    then, the service's slowest answers). ``docs``: serve ``/docs`` and ``/openapi.json`` (default:
    ``CUSTODY_API_DOCS``, on unless set to false)."""
    if docs is None:
        docs = Settings().api_docs
    made = create_app(Services.over(custody), close_on_shutdown=True, docs=docs)
    gc.collect()
    gc.freeze()
    return made


def app() -> FastAPI:
    return service_app(Custody.open(Settings().resolved_database_url()))
