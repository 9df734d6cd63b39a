"""The composition root of the custody core: one :class:`~custody.db.unit_of_work.Store` and the services
built on it, each a class constructed with the store whose methods take the acting user first.

``custody = Custody.open(url)`` gives ``custody.units``, ``custody.cases``, ``custody.items``
(registration and lifecycle acts), ``custody.handovers``, ``custody.locations`` and ``custody.seals``
(sealed storage), ``custody.audits``, ``custody.audit_reads`` and ``custody.discrepancies`` (audits of
the store), ``custody.scans``, ``custody.ledger``, ``custody.queries``, and who acts:
``custody.passwords``, ``custody.sessions``, ``custody.users``, ``custody.stations`` and
``custody.station_keys``. Every read goes through ``store.reading()`` and every write through
``store.write(...)``: nothing here holds SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from custody.applications import Applications
from custody.audit_intake import AuditIntake
from custody.audits import Audits
from custody.batch_photos import BatchPhotos
from custody.batch_report import BatchReports
from custody.batch_site import BatchSite
from custody.batches import Batches
from custody.cases import Cases
from custody.checkpoints import Checkpoints
from custody.clock import Clock
from custody.custody_report import CustodyReports
from custody.db.engine import make_engine
from custody.db.unit_of_work import Store
from custody.discrepancies import Discrepancies
from custody.handovers import Handovers
from custody.items import Items
from custody.ledger_service import Ledger
from custody.locations import Locations
from custody.passwords import Passwords
from custody.queries import Queries
from custody.reviews import Reviews
from custody.samples import Samples
from custody.scans import Scan, Scans
from custody.seals import Seals
from custody.sessions import Sessions
from custody.site_reads import SiteReads
from custody.station_keys import StationKeys
from custody.stations import Stations
from custody.tag_jobs import TagJobs
from custody.tracing import TracingLetters
from custody.units import Units
from custody.users import Users


class Custody:
    """The custody services over one database. Thread-safe; writes share commits."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.store = Store(engine, clock)
        self.engine = self.store.engine
        self.clock: Clock = self.store.clock
        self.writer = self.store.writer
        self.cases = Cases(self.store)
        self.items = Items(self.store, self.cases)
        self.handovers = Handovers(self.store, self.items, self.cases)
        self.ledger = Ledger(self.store)
        self.checkpoints = Checkpoints(self.store)
        self.custody_reports = CustodyReports(self.store, self.items, self.checkpoints)  # for court
        self.queries = Queries(self.store)
        self.passwords = Passwords(self.store)
        self.sessions = Sessions(self.store, self.passwords)
        self.users = Users(self.store, self.passwords)
        self.station_keys = StationKeys(self.store)
        self.stations = Stations(self.store, self.station_keys)
        self.units = Units(self.store, self.users)
        self.locations = Locations(self.store)
        self.seals = Seals(self.store, self.items, self.locations)
        self.audits = Audits(self.store, self.locations)
        self.audit_reads = AuditIntake(self.audits)
        self.site_reads = SiteReads(self.store, self.items)  # reads at a destruction site
        self.scans = Scans(self.store, self._station_reads)
        self.discrepancies = Discrepancies(self.store)
        self.samples = Samples(self.store, self.items)  # test-fires with ballistic samples, lot splits
        # destruction: the disposition queue and review holds, applications to the province
        self.reviews = Reviews(self.store, self.items)
        self.applications = Applications(self.store, self.items)
        self.batches = Batches(self.store, self.items)
        self.batch_site = BatchSite(self.store, self.items, self.batches)
        self.batch_photos = BatchPhotos(self.store, self.items, self.batches)
        self.tracing_letters = TracingLetters(self.store, self.items)  # source-and-flow tracing (协查函)
        self.batch_reports = BatchReports(self.store)  # the destruction batch report's figures
        self.tag_jobs = TagJobs(self.store, self.items)  # tags written at a station's reader for a desk

    def _station_reads(
        self, conn: Connection, station: str, scan: Scan, uid: str | None, place: str | None
    ) -> tuple[dict[str, Any], int] | None:
        """A station's scan taken into the open audit or destruction site it reads for, if any."""
        taken = self.audit_reads.of_scan(conn, station, scan, uid, place)
        return taken if taken is not None else self.site_reads.of_scan(conn, station, scan, uid, place)

    @classmethod
    def open(cls, url: str, clock: Clock | None = None, **engine_options: Any) -> Custody:
        return cls(make_engine(url, **engine_options), clock)

    def close(self) -> None:
        self.store.close()
