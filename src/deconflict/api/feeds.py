"""Routes for the receiver feeds (admin only): show, start and stop each source."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from deconflict.api.deps import CallerDep
from deconflict.api.edge import StrictJSONRoute
from deconflict.api.tracks import LiveDep
from deconflict.ingest.feeds import FeedStatus

__all__ = ["FeedIn", "FeedList", "FeedOut", "router"]

router = APIRouter(route_class=StrictJSONRoute, tags=["feeds"])


class FeedIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    address: str = Field(
        description="beast://HOST:PORT (dump1090/readsb, port 30005) or sbs://HOST:PORT"
    )


class FeedOut(BaseModel):
    id: str
    kind: str = Field(description="beast or sbs")
    address: str
    connected: bool
    last_frame_at: datetime | None = Field(description="when the last frame or line arrived")
    frames_per_s: float = Field(description="over the last 10 s")
    counts: dict[str, int] = Field(description="frames read, and each reason one was skipped")
    connects: int


class FeedList(BaseModel):
    items: list[FeedOut]


def _render(status: FeedStatus) -> dict[str, Any]:
    return {
        "id": status.id,
        "kind": status.kind,
        "address": status.address,
        "connected": status.connected,
        "last_frame_at": status.last_frame_at,
        "frames_per_s": status.frames_per_s,
        "counts": status.counts,
        "connects": status.connects,
    }


@router.get("/feeds", response_model=FeedList)
def list_feeds(caller: CallerDep, live: LiveDep) -> dict[str, Any]:
    """Every source the live picture runs."""
    return {"items": [_render(s) for s in live.sources.statuses(caller)]}


@router.post("/feeds", status_code=201, response_model=FeedOut)
def add_feed(body: FeedIn, caller: CallerDep, live: LiveDep, response: Response) -> dict[str, Any]:
    """Start a source; it connects (and reconnects, with backoff) in the background."""
    status = live.sources.add(caller, body.address)
    response.headers["Location"] = f"/feeds/{status.id}"
    return _render(status)


@router.delete("/feeds/{feed_id}", status_code=204)
def remove_feed(feed_id: str, caller: CallerDep, live: LiveDep) -> Response:
    live.sources.remove(caller, feed_id)
    return Response(status_code=204)
