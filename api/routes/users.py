"""Users: administrators manage the accounts of their unit and the units below it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import API_PREFIX, Administrator, ServicesDep, UserReader
from api.errors import responses
from api.idempotency import IdempotencyKeyHeader, create_once
from api.schemas import PasswordSetIn, RevokedOut, UserIn, UserOut, UserPage
from custody.db.pages import MAX_PAGE
from custody.model import Role

router = APIRouter(prefix=API_PREFIX + "/users", tags=["users"])

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get("", response_model=UserPage, responses=responses(401, 403, 404, 422))
def list_users(
    caller: UserReader,
    services: ServicesDep,
    unit_code: Annotated[str | None, Query(max_length=6)] = None,
    role: Role | None = None,
    active: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
) -> UserPage:
    """Users of the caller's unit and below (``unit_code``: of that unit and below), oldest first."""
    page = services.users.list(caller.actor, unit_code, role, active, cursor, limit)
    return UserPage(users=[UserOut.model_validate(u) for u in page.rows], next_cursor=page.next_cursor)


@router.post("", status_code=201, response_model=UserOut, responses=responses(401, 403, 404, 409, 422))
def create_user(
    body: UserIn,
    caller: Administrator,
    services: ServicesDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Add a user, with a first password, to the administrator's unit or a unit below it
    (``Idempotency-Key``: a retry gets the first answer; the password takes no part in the key's
    digest, so nothing of it is kept beside the key)."""
    return create_once(
        request,
        services,
        caller,
        idempotency_key,
        body,
        lambda also: services.users.create(
            caller.actor,
            body.username,
            body.full_name,
            body.unit_code,
            body.department,
            body.roles,
            body.password,
            also=also,
        ),
        UserOut.model_validate,
        lambda user: f"{API_PREFIX}/users/{user.username}",
        secret=("password",),
    )


@router.get("/{username}", response_model=UserOut, responses=responses(401, 403, 404))
def show_user(username: str, caller: UserReader, services: ServicesDep) -> UserOut:
    return UserOut.model_validate(services.users.get(caller.actor, username))


@router.put(
    "/{username}/password", status_code=204, response_class=Response, responses=responses(401, 403, 404, 422)
)
def set_password(username: str, body: PasswordSetIn, caller: Administrator, services: ServicesDep) -> None:
    """Set a new password: clears a lockout and ends the user's sessions."""
    services.users.set_password(caller.actor, username, body.password)


@router.post("/{username}/unlock", response_model=UserOut, responses=responses(401, 403, 404))
def unlock(username: str, caller: Administrator, services: ServicesDep) -> UserOut:
    """Lift a lockout after failed logins before it runs out."""
    return UserOut.model_validate(services.users.unlock(caller.actor, username))


@router.post("/{username}/deactivate", response_model=UserOut, responses=responses(401, 403, 404, 409))
def deactivate(username: str, caller: Administrator, services: ServicesDep) -> UserOut:
    """Deactivate an account: it cannot log in, and its sessions end at once."""
    return UserOut.model_validate(services.users.set_active(caller.actor, username, False))


@router.post("/{username}/activate", response_model=UserOut, responses=responses(401, 403, 404))
def activate(username: str, caller: Administrator, services: ServicesDep) -> UserOut:
    return UserOut.model_validate(services.users.set_active(caller.actor, username, True))


@router.delete("/{username}/sessions", response_model=RevokedOut, responses=responses(401, 403, 404))
def revoke_sessions(username: str, caller: Administrator, services: ServicesDep) -> RevokedOut:
    """End every live session of a user (e.g. a lost or stolen desk PC)."""
    return RevokedOut(revoked=services.users.revoke_sessions(caller.actor, username))
