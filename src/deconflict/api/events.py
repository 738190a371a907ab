"""Routes for events (short notice, escalations, conflicts, acknowledgements), listed or pushed.

`GET /events/stream` is Server-Sent Events: each event is sent as `id`, `event` (its kind) and
`data` (the event as JSON); a comment line keeps the connection alive when nothing happens. A
client that reconnects with `Last-Event-ID` (or `?after=`) misses nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from deconflict.api.deps import CallerDep, ServiceDep, set_next_link
from deconflict.api.edge import StrictJSONRoute
from deconflict.api.render import render_event
from deconflict.api.schemas import EventPage
from deconflict.domain import Event, EventKind
from deconflict.limits import MAX_INT32
from deconflict.service import Caller, Service

__all__ = ["router"]

router = APIRouter(route_class=StrictJSONRoute, tags=["events"])


@router.get("/events", response_model=EventPage)
def list_events(
    caller: CallerDep,
    service: ServiceDep,
    request: Request,
    response: Response,
    after: Annotated[
        int, Query(ge=0, le=MAX_INT32, description="only events with a larger id")
    ] = 0,
    kind: EventKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Events visible to the caller, oldest first; `next_cursor` is the `after` of the next page."""
    page = service.list_events(caller, after_id=after, kind=kind, limit=limit)
    set_next_link(request, response, "after", page.next_cursor)
    return {"items": [render_event(e) for e in page.items], "next_cursor": page.next_cursor}


def _sse(event: Event) -> bytes:
    data = orjson.dumps(render_event(event), option=orjson.OPT_UTC_Z)
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event.id, event.kind.value.encode(), data)


async def _stream(
    request: Request,
    service: Service,
    caller: Caller,
    after_id: int,
    kind: EventKind | None,
    heartbeat_s: float,
    max_events: int | None,
    pushed: Callable[[], None],
) -> AsyncIterator[bytes]:
    sent = 0
    yield b"retry: 2000\n\n"
    while max_events is None or sent < max_events:
        if await request.is_disconnected():
            return
        events = await run_in_threadpool(service.wait_for_events, caller, after_id, heartbeat_s)
        if not events:
            yield b": keep-alive\n\n"
            continue
        for event in events:
            after_id = max(after_id, event.id)
            if kind is not None and event.kind != kind:
                continue
            yield _sse(event)
            pushed()
            sent += 1
            if max_events is not None and sent >= max_events:
                return


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
)
def stream_events(
    caller: CallerDep,
    service: ServiceDep,
    request: Request,
    after: Annotated[int | None, Query(ge=0, le=MAX_INT32)] = None,
    kind: EventKind | None = None,
    max_events: Annotated[
        int | None, Query(ge=1, description="close the stream after this many events")
    ] = None,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0, le=MAX_INT32)] = None,
) -> StreamingResponse:
    """Push events to the caller as they happen (Server-Sent Events)."""
    start = after if after is not None else (last_event_id or 0)
    heartbeat_s: float = request.app.state.sse_heartbeat_s
    pushed = request.app.state.metrics.events_pushed.inc
    return StreamingResponse(
        _stream(request, service, caller, start, kind, heartbeat_s, max_events, pushed),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
