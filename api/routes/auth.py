"""Logging in and out, the caller's own identity and password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.access import note_login_subject
from api.deps import API_PREFIX, AnyCaller, AnyUser, Caller, ServicesDep, client_address
from api.errors import responses
from api.schemas import LoginIn, LoginOut, MeOut, PasswordChangeIn, UserOut, when
from custody.clock import from_us
from custody.errors import LoginFailed

router = APIRouter(prefix=API_PREFIX + "/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=LoginOut,
    responses=responses(401, 422, 429),
    summary="Log in: a session token for a username and password",
)
def login(body: LoginIn, request: Request, response: Response, services: ServicesDep) -> LoginOut:
    """Public. Failed logins are rate-limited per client address (429 with Retry-After) and lock the
    account after repeated failures; the answer to a failure never says which part was wrong."""
    try:
        session = services.sessions.login(body.username, body.password, client_address(request))
    except LoginFailed as failed:
        note_login_subject(request, failed.user_id, failed.unit_code)
        raise
    request.state.caller = Caller(session.actor, session.session_id, session.expires_at_us)
    response.headers["Cache-Control"] = "no-store"
    user = UserOut.model_validate(services.users.get(session.actor, session.actor.username))
    return LoginOut(token=session.token, expires_at=from_us(session.expires_at_us), user=user)


@router.post("/logout", status_code=204, response_class=Response, responses=responses(401, 403))
def logout(caller: AnyUser, services: ServicesDep) -> None:
    """End the caller's session: its token stops working at once."""
    assert caller.session_id is not None
    services.sessions.logout(caller.session_id)


@router.get("/me", response_model=MeOut, responses=responses(401, 403))
def me(caller: AnyCaller) -> MeOut:
    """Who the credentials belong to: a user (roles, session expiry) or a station (devices)."""
    actor = caller.actor
    if caller.station is not None:
        station = caller.station
        return MeOut(
            kind="station",
            name=station.name,
            full_name=station.name,
            unit_code=station.unit_code,
            department=station.department,
            roles=[],
            devices=list(station.devices),
            device=caller.device or None,
            session_expires_at=None,
        )
    return MeOut(
        kind="user",
        name=actor.username,
        full_name=actor.full_name,
        unit_code=actor.unit_code,
        department=actor.department,
        roles=sorted(actor.roles),
        devices=[],
        device=None,
        session_expires_at=when(caller.session_expires_at_us),
    )


@router.put("/password", status_code=204, response_class=Response, responses=responses(401, 403, 422))
def change_password(body: PasswordChangeIn, caller: AnyUser, services: ServicesDep) -> None:
    """Change one's own password (the current one is needed); the caller's other sessions end."""
    services.sessions.change_password(
        caller.actor, caller.session_id, body.current_password, body.new_password
    )
