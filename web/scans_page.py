"""Live scans from the desk's station: the desk names its station once (a cookie of this browser), and
from then on every page it shows listens to that station's sightings (server-sent events, the API's own
feed) and opens what a scan names: an item, a seal, a location. A keyboard-wedge scanner typing into the
page does the same through the scan box (``desk.js``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api.deps import Caller, ServicesDep
from api.routes.scans import FeedReader, feed_of
from custody.errors import CustodyError
from web.render import PageRoute, page, refused
from web.session import STATION_COOKIE, FormChecked, like, set_cookie

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PageFeedReader = Annotated[Caller, like(FeedReader)]


@router.get("/scans")
def scans(request: Request, caller: PageFeedReader, services: ServicesDep) -> Response:
    """The desk's station, the stations to choose from, and the sightings as they arrive."""
    stations = services.stations.list(caller.actor, limit=200).rows
    return page(request, "scans.html", stations=stations, chosen=request.cookies.get(STATION_COOKIE, ""))


@router.post("/scans/station")
def choose_station(
    request: Request,
    caller: PageFeedReader,
    _form: FormChecked,
    services: ServicesDep,
    station: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """This desk's station (none: stop listening)."""
    answer = RedirectResponse("/scans", status_code=303)
    if not station:
        answer.delete_cookie(STATION_COOKIE, path="/")
        return answer
    try:
        services.stations.get(caller.actor, station)
    except CustodyError as error:
        stations = services.stations.list(caller.actor, limit=200).rows
        return refused(request, error, "scans.html", stations=stations, chosen="")
    set_cookie(answer, request, STATION_COOKIE, station, max_age=365 * 86400)
    return answer


def desk_station(request: Request, caller: PageFeedReader, services: ServicesDep) -> str:
    """The desk's station, checked before the stream starts (404 outside the user's scope)."""
    name = request.cookies.get(STATION_COOKIE, "")
    services.stations.get(caller.actor, name)
    return name


@router.get("/scans/feed", response_class=EventSourceResponse)
async def feed(
    request: Request,
    _caller: PageFeedReader,  # the admission, declared on the route itself
    name: Annotated[str, Depends(desk_station)],
    seconds: Annotated[float | None, Query(gt=0, le=86400)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """The sightings of the desk's station, from now on (``seconds``: close the stream after this). The
    first event, ``ready``, says the desk is heard: a scan from then on reaches it."""
    first = True
    async for event in feed_of(request).listen(name, seconds, None):
        yield event
        if first:  # the feed's opening comment: its listener is in place
            first = False
            yield ServerSentEvent(event="ready", data=name)
