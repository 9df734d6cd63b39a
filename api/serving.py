"""An app factory for running the service under any ASGI server: ``uvicorn api.serving:app --factory``.

The database comes from ``CUSTODY_DATABASE_URL`` (default: the embedded SQLite file); its schema must be
current (``custody db upgrade``). ``custody serve`` is the usual way to start the service.
"""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from api.deps import Services
from custody.services import Custody
from custody.settings import Settings


def app() -> FastAPI:
    custody = Custody.open(Settings().resolved_database_url())
    return create_app(Services.over(custody), close_on_shutdown=True)
