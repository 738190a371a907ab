"""Routes for the live picture: parties push tracks, every caller reads and follows what it may
see.

`POST /tracks` has its own body limit (`TRACKS_BODY_BYTES`, let through by the edge for this
route only) and reads its body itself: the admin is refused before the body is read, and a
batch of too many tracks is refused before any is validated. `GET /tracks/stream` is
Server-Sent Events of `track` and `track_lost`, each one state in the push format; they are
not stored, so a stream that reconnects starts from the present (`GET /tracks` gives it).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from deconflict.api.deps import CallerDep, ServiceDep
from deconflict.api.edge import is_json_media_type, parse_json_strict
from deconflict.api.problems import MalformedBodyError, problem_response
from deconflict.api.track_schemas import (
    PUSH_SCHEMA,
    FeatureCollectionOut,
    PushOut,
    TracksOut,
    pushed_tracks,
    render_feature,
    render_state,
)
from deconflict.live import MAX_TRACKS, LivePicture, Subscription
from deconflict.service import Caller, Service
from deconflict.service.visibility import TrackAudience, require_party
from deconflict.tracks import TrackState

__all__ = ["TRACKS_BODY_BYTES", "LiveDep", "router"]

TRACKS_BODY_BYTES = 16 * 1024 * 1024
AUDIENCE_REFRESH_S = 5.0
"""How often a stream asks again whose tracks its caller sees (agreements change)."""

router = APIRouter(tags=["tracks"])


def get_live(request: Request) -> LivePicture:
    live: LivePicture = request.app.state.live
    return live


LiveDep = Annotated[LivePicture, Depends(get_live)]

_PUSH_BODY = {
    "required": True,
    "content": {"application/json": {"schema": PUSH_SCHEMA}},
}


@router.post(
    "/tracks",
    status_code=202,
    response_model=PushOut,
    openapi_extra={"requestBody": _PUSH_BODY},
    responses={413: {"description": f"over {TRACKS_BODY_BYTES} bytes or {MAX_TRACKS} tracks"}},
)
async def push_tracks(request: Request, caller: CallerDep, live: LiveDep) -> Any:
    """Push states of the caller's own tracks (a party token; the admin may not push). A batch
    with any invalid field is refused whole (422, each field by pointer); NaN is 400."""
    require_party(caller)
    raw = await request.body()
    content_type = request.headers.get("content-type")

    def push() -> Any:
        if not is_json_media_type(content_type):
            raise MalformedBodyError(f"body must be JSON (application/json), not {content_type}")
        body = parse_json_strict(raw)
        count = (
            len(body["tracks"])
            if isinstance(body, dict) and isinstance(body.get("tracks"), list)
            else 0
        )
        if count > MAX_TRACKS:
            return problem_response(
                status=413,
                slug="too-many-tracks",
                title="Too many tracks",
                detail=f"a batch holds at most {MAX_TRACKS} tracks, not {count}",
                instance=request.url.path,
                extensions={"limit_tracks": MAX_TRACKS},
            )
        result = live.push(caller, pushed_tracks(body))
        return {"accepted": result.accepted, "stale": result.stale}

    return await run_in_threadpool(push)


@router.get(
    "/tracks",
    response_model=FeatureCollectionOut | TracksOut,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def list_tracks(
    caller: CallerDep,
    service: ServiceDep,
    live: LiveDep,
    format: Annotated[
        Literal["geojson", "states"], Query(description="GeoJSON, or the push format")
    ] = "geojson",
) -> Response:
    """The latest state of every track the caller may see: its own, unattributed traffic, and
    the tracks of members of agreements that share tracks with all members (all, for the
    admin)."""
    states = live.visible(service.track_audience(caller))
    if format == "states":
        body: dict[str, Any] = {"tracks": [render_state(s) for s in states]}
        return Response(orjson.dumps(body), media_type="application/json")
    now_s = live.now_s()
    collection = {
        "type": "FeatureCollection",
        "features": [render_feature(s, now_s) for s in states],
    }
    return Response(orjson.dumps(collection), media_type="application/geo+json")


def _sse(kind: str, states: list[TrackState]) -> bytes:
    return b"".join(
        b"event: %s\ndata: %s\n\n" % (kind.encode(), orjson.dumps(render_state(s))) for s in states
    )


async def _stream(
    request: Request,
    service: Service,
    caller: Caller,
    audience: TrackAudience,
    subscription: Subscription,
    heartbeat_s: float,
    max_events: int | None,
) -> AsyncIterator[bytes]:
    sent = dropped = 0
    asked = time.monotonic()
    try:
        yield b"retry: 2000\n\n"
        while max_events is None or sent < max_events:
            if await request.is_disconnected():
                return
            updates = await run_in_threadpool(subscription.get, heartbeat_s)
            if subscription.closed and not updates:
                return
            if time.monotonic() - asked > AUDIENCE_REFRESH_S:
                audience = await run_in_threadpool(service.track_audience, caller)
                service.heard_from(caller)
                asked = time.monotonic()
            if subscription.dropped != dropped:
                dropped = subscription.dropped
                yield b"event: overflow\ndata: %s\n\n" % orjson.dumps({"dropped": dropped})
            if not updates:
                yield b": keep-alive\n\n"
                continue
            for update in updates:
                shown = [s for s in update.states if audience.admits(s.key)]
                if max_events is not None:
                    shown = shown[: max_events - sent]
                if shown:
                    yield _sse(update.kind, shown)
                    sent += len(shown)
                if max_events is not None and sent >= max_events:
                    return
    finally:
        subscription.close()


@router.get(
    "/tracks/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "track updates"}},
)
def stream_tracks(
    caller: CallerDep,
    service: ServiceDep,
    live: LiveDep,
    request: Request,
    max_events: Annotated[
        int | None, Query(ge=1, description="close the stream after this many track events")
    ] = None,
) -> StreamingResponse:
    """Track updates (`track`) and lost tracks (`track_lost`) the caller may see, as they
    happen (Server-Sent Events); `overflow` says how many a slow reader has lost."""
    audience = service.track_audience(caller)
    subscription = live.subscribe()
    heartbeat_s: float = request.app.state.sse_heartbeat_s
    return StreamingResponse(
        _stream(request, service, caller, audience, subscription, heartbeat_s, max_events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
