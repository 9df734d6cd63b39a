"""An app factory for running the service under any ASGI server: ``uvicorn api.serving:app --factory``.

The database comes from ``CUSTODY_DATABASE_URL`` (default: the embedded SQLite file); its schema must be
current (``custody db upgrade``). ``custody serve`` is the usual way to start the service.

**Client addresses.** The access log and the login throttle key on the client's address, so forwarded
headers (``X-Forwarded-For``, ``X-Forwarded-Proto``) are believed only from the reverse proxies named in
``CUSTODY_TRUSTED_PROXIES`` (addresses or networks, comma-separated; none by default). ``custody serve``
configures uvicorn so; uvicorn run by hand trusts 127.0.0.1 unless told otherwise, so pass it the flags of
:func:`uvicorn_proxy_flags`: ``--no-proxy-headers``, or ``--forwarded-allow-ips`` with the proxies.

**Demo accounts.** A service started without the demo refuses to start while an account the demo created
is active (their password is public); ``CUSTODY_DEMO=true`` (set by the demo's own launchers) serves the
demo instead, and only on a database holding nothing but demo data.
"""

from __future__ import annotations

import gc
from typing import Any

from fastapi import FastAPI

from api.app import create_app
from api.deps import Services
from custody.checkpoint_schedule import CheckpointSchedule
from custody.demo import check_demo_database, refuse_demo_accounts
from custody.services import Custody
from custody.settings import Settings
from custody.tlog import NoteSigner


def service_app(custody: Custody, demo: bool = False, docs: bool | None = None) -> FastAPI:
    """The service's app over ``custody``, which it closes on shutdown.

    Without ``demo`` it refuses a database where demo accounts are active (one query, no hashing);
    with it, a database holding anything the demo did not create.

    Everything built so far (modules, the route table, the schema) lives as long as the process: it is
    moved out of the garbage collector's sight (``gc.freeze``), so a full collection under load scans
    only what requests create, not the whole heap (otherwise a pause of tens of milliseconds now and
    then, the service's slowest answers). ``docs``: serve ``/docs`` and ``/openapi.json`` (default:
    ``CUSTODY_API_DOCS``, on unless set to false)."""
    if demo:
        check_demo_database(custody.store)
    else:
        refuse_demo_accounts(custody.store)
    settings = Settings()
    if docs is None:
        docs = settings.api_docs
    schedules = []
    if settings.checkpoint_key is not None:  # a bad key stops the start, with the reason
        signer = NoteSigner.from_file(settings.checkpoint_key)
        every = settings.checkpoint_minutes * 60
        schedules.append(CheckpointSchedule(custody.checkpoints, signer, every))
    made = create_app(Services.over(custody), close_on_shutdown=True, docs=docs, schedules=schedules)
    gc.collect()
    gc.freeze()
    return made


def uvicorn_proxy_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of ``uvicorn.run``: forwarded headers believed from the trusted proxies only."""
    trusted = settings.proxies()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def uvicorn_proxy_flags(settings: Settings) -> list[str]:
    """The same as command-line flags of ``uvicorn``."""
    trusted = settings.proxies()
    return ["--forwarded-allow-ips", ",".join(trusted)] if trusted else ["--no-proxy-headers"]


def app() -> FastAPI:
    settings = Settings()
    custody = Custody.open(settings.resolved_database_url())
    try:
        if settings.read_database_url:
            custody.store.use_replica(settings.read_database_url)
        return service_app(custody, settings.demo)
    except BaseException:
        custody.close()
        raise
