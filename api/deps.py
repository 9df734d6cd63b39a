"""What routes depend on: the services, and the caller, authenticated and admitted by role.

Every protected route names whom it admits with :class:`Admits` (users holding one of the roles) or
:class:`AdmitsStations` (those users, and stations: scan and read endpoints only). Admission runs
before the route body: no or bad credentials answer 401, a role or a station that is not admitted
403, before anything is looked up, so the answer never depends on whether the object exists. Scope
(unit and the units below) is checked by the core: a route passes ``caller.actor`` as the viewer or
actor, and an object outside it is unknown, exactly like a missing one.

Credentials: ``Authorization: Bearer <session token>`` for users (from ``POST /api/v1/auth/login``);
``X-Station-Key: <key>`` for stations, with ``X-Station-Device`` naming the device when one acts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from custody.access_log import AccessLog
from custody.actors import Actor, require_role
from custody.errors import Message, NotAuthenticated, NotPermitted, SecondPersonNotConfirmed
from custody.identity import Identity
from custody.model import Role
from custody.passwords import Passwords
from custody.queries import Queries
from custody.records import Station
from custody.services import Custody
from custody.sessions import Sessions
from custody.station_keys import StationKeys
from custody.stations import Stations
from custody.users import Users

API_PREFIX = "/api/v1"

TOKEN_AND_STATION_KEY = Message(
    "auth.token_and_station_key", "send a session token or a station key, not both"
)
NO_CREDENTIALS = Message(
    "auth.no_session_token_sent", "this endpoint needs a session token (Authorization: Bearer …)"
)
NOT_FOR_STATIONS = Message(
    "station.endpoint_not_for_stations", "a station key may be used only on scan and read endpoints"
)


@dataclass
class Services:
    """The core services one app runs on (one database, one group-commit writer): those of the
    composition root :class:`Custody`, and the access log and listings the entry point keeps."""

    custody: Custody
    users: Users
    sessions: Sessions
    stations: Stations
    station_keys: StationKeys
    identity: Identity  # acts whose second persons confirm with their own password
    queries: Queries
    access_log: AccessLog

    @classmethod
    def over(cls, custody: Custody, passwords: Passwords | None = None) -> Services:
        """The services of ``custody``; ``passwords``: users and sessions under another password policy
        or hasher than the root's (a test's cheap one)."""
        if passwords is None:
            users, sessions, passwords = custody.users, custody.sessions, custody.passwords
        else:
            users, sessions = Users(custody.store, passwords), Sessions(custody.store, passwords)
        return cls(
            custody=custody,
            users=users,
            sessions=sessions,
            stations=custody.stations,
            station_keys=custody.station_keys,
            identity=Identity(custody, passwords),
            queries=custody.queries,
            access_log=AccessLog(custody),
        )


async def get_services(request: Request) -> Services:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise RuntimeError("the app was created without services")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass(frozen=True)
class Caller:
    """Who is calling: a user with a session, or a station (reading with its unit's scope)."""

    actor: Actor
    session_id: int | None = None
    session_expires_at_us: int | None = None
    station: Station | None = None
    device: str = ""

    @property
    def is_station(self) -> bool:
        return self.station is not None


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="session",
    description="A session token from POST /api/v1/auth/login.",
)
_station_key = APIKeyHeader(
    name="X-Station-Key",
    auto_error=False,
    scheme_name="stationKey",
    description="A station's API key (custody station add, or POST /api/v1/stations).",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
StationKeyDep = Annotated[str | None, Depends(_station_key)]
StationDeviceDep = Annotated[
    str | None,
    Header(
        alias="X-Station-Device",
        max_length=128,
        description="Stations: the device that acts, one of the station's own (optional on reads).",
    ),
]


class Admits:
    """Admit users holding any of ``roles``; refuse stations (they may only scan and read).

    Admission is a coroutine: credentials are looked up in the thread pool (a database read), except a
    station key the scan route has seen before (:attr:`remembers_stations`), which it recalls from memory
    and whose sighting transaction checks it again.
    """

    stations = False
    remembers_stations = False

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("an endpoint admits at least one role")
        self.roles = frozenset(roles)

    async def __call__(self, request: Request, services: ServicesDep, bearer: BearerDep) -> Caller:
        headers = request.headers
        return await self.admit(
            request, services, bearer, headers.get("x-station-key"), headers.get("x-station-device")
        )

    async def admit(
        self,
        request: Request,
        services: Services,
        bearer: HTTPAuthorizationCredentials | None,
        station_key: str | None,
        device: str | None,
    ) -> Caller:
        admitted: Caller | None = request.scope.get("state", {}).get("admitted")
        if admitted is not None:  # by the gate, before the body was read (api.gate)
            return admitted
        if bearer is not None and station_key is not None:
            raise NotAuthenticated(TOKEN_AND_STATION_KEY)
        if station_key is not None:
            keys = services.station_keys
            station = keys.recall(station_key, device) if self.remembers_stations else None
            if station is None:
                station = await run_in_threadpool(keys.authenticate, station_key)
            caller = Caller(station.viewer(), station=station, device=device or "")
            request.state.caller = caller
            station.require_device(device)
            if not self.stations:
                raise NotPermitted(NOT_FOR_STATIONS)
            return caller
        if bearer is None:
            raise NotAuthenticated(NO_CREDENTIALS)
        session = await run_in_threadpool(services.sessions.authenticate, bearer.credentials)
        caller = Caller(session.actor, session.session_id, session.expires_at_us)
        request.state.caller = caller
        require_role(session.actor, self.roles, "use this endpoint")
        return caller

    async def gate(self, request: Request, services: Services) -> Caller:
        """Admit the caller from the request's headers alone (before its body is read) and remember
        it for the route's own admission."""
        headers = request.headers
        caller = await self.admit(
            request,
            services,
            await _bearer(request),
            headers.get("x-station-key"),
            headers.get("x-station-device"),
        )
        request.state.admitted = caller
        return caller

    def describe(self) -> str:
        who = ", ".join(sorted(r.value for r in self.roles))
        return f"Admits: {who}" + ("; stations (read and scan)" if self.stations else "") + "."


class AdmitsStations(Admits):
    """Admit users holding any of ``roles``, and stations (scan and read endpoints)."""

    stations = True

    async def __call__(  # type: ignore[override]
        self,
        request: Request,
        services: ServicesDep,
        bearer: BearerDep,
        station_key: StationKeyDep,
        device: StationDeviceDep = None,
    ) -> Caller:
        return await self.admit(request, services, bearer, station_key, device)


class AdmitsScanners(AdmitsStations):
    """As :class:`AdmitsStations`, for scan intake, the busiest route: a station key seen before is
    recalled without a database read (the sighting's own transaction checks that the key is still
    live), and the credentials are read straight from the request's headers, with no sub-dependencies
    to solve per request (the OpenAPI document names the schemes all the same, see ``api.app``)."""

    remembers_stations = True

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        headers = request.headers
        return await self.admit(
            request,
            await get_services(request),
            await _bearer(request),
            headers.get("x-station-key"),
            headers.get("x-station-device"),  # one of the station's devices, or refused (403)
        )


class StationsOnly(AdmitsStations):
    """Admit stations alone, by their key; a user, authenticated, is refused (403) with ``refusal``
    (what the route is for, and where a user posts instead). ``remembers``: a key seen before is recalled
    without a database read, for routes whose own transaction checks it again (as scan intake's does)."""

    def __init__(self, refusal: Message, who: str, remembers: bool = False) -> None:
        self.roles = frozenset()
        self.refusal, self.who, self.remembers_stations = refusal, who, remembers

    async def admit(
        self,
        request: Request,
        services: Services,
        bearer: HTTPAuthorizationCredentials | None,
        station_key: str | None,
        device: str | None,
    ) -> Caller:
        try:
            return await super().admit(request, services, bearer, station_key, device)
        except NotPermitted:
            if station_key is None:  # a user, authenticated: the role check is what refused
                raise NotPermitted(self.refusal) from None
            raise

    def describe(self) -> str:
        return f"Admits: {self.who}."


def admission_of(dependencies: Iterable[object]) -> Admits | None:
    """The :class:`Admits` among a route's dependency callables, if any (the authorisation matrix and
    the OpenAPI document read it)."""
    for call in dependencies:
        if isinstance(call, Admits):
            return call
    return None


ALL_ROLES = tuple(Role)
READERS = (
    Role.CLERK,
    Role.INVESTIGATOR,
    Role.CUSTODIAN,
    Role.AUDITOR,
    Role.DESTRUCTION_OFFICER,
    Role.STATISTICS,
)

AnyUser = Annotated[Caller, Depends(Admits(*ALL_ROLES))]
AnyCaller = Annotated[Caller, Depends(AdmitsStations(*ALL_ROLES))]
Reader = Annotated[Caller, Depends(Admits(*READERS))]
ReaderOrStation = Annotated[Caller, Depends(AdmitsStations(*READERS))]
Administrator = Annotated[Caller, Depends(Admits(Role.ADMIN))]
CaseKeeper = Annotated[Caller, Depends(Admits(Role.CLERK, Role.INVESTIGATOR))]
Clerk = Annotated[Caller, Depends(Admits(Role.CLERK))]
UserReader = Annotated[Caller, Depends(Admits(Role.ADMIN, Role.AUDITOR, Role.CLERK))]
LedgerReader = Annotated[Caller, Depends(Admits(*READERS, Role.ADMIN))]
Inspector = Annotated[Caller, Depends(Admits(Role.AUDITOR, Role.ADMIN))]


class SecondPerson:
    """The second person of a two-person act, proved by their own session token in a header of the same
    request (they log in at the same desk: ``POST /api/v1/auth/login``), never by a bare name. ``None``
    when the header is absent (the core refuses an act that needs them); a token that is not a live
    session, or the caller's own, answers 422 ``second-person-not-confirmed`` naming the header."""

    def __init__(self, header: str, part: str) -> None:
        self.header = header
        self.part = part
        self.scheme = APIKeyHeader(
            name=header,
            auto_error=False,
            scheme_name=header.lower().replace("-", ""),
            description=f"The {part}'s own session token (they log in at the same desk).",
        )

    async def __call__(self, request: Request, services: ServicesDep) -> Actor | None:
        token = await self.scheme(request)
        if token is None:
            return None
        try:
            session = await run_in_threadpool(services.sessions.authenticate, token)
        except NotAuthenticated:
            raise SecondPersonNotConfirmed(self.part, field=self.header) from None
        caller: Caller | None = getattr(request.state, "caller", None)
        if caller is not None and caller.actor.id == session.actor.id:
            raise SecondPersonNotConfirmed(self.part, field=self.header)
        return session.actor


WitnessDep = Annotated[Actor | None, Depends(SecondPerson("X-Witness-Token", "witness"))]
SecondPersonDep = Annotated[Actor | None, Depends(SecondPerson("X-Second-Token", "second person"))]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""
