"""The track push format at the HTTP boundary: a batch in, states and GeoJSON out.

A batch is validated whole, each bad field named by its pointer (`/tracks/3/lat`); only a
batch without one becomes `PushedTrack`s for the live picture. The names and units are the
`detect` CSV's: metres, metres per second, degrees, and RFC 3339 times with an offset.
"""

from __future__ import annotations

from typing import Annotated, Any, NotRequired

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # typing.TypedDict: pydantic needs Python 3.12

from deconflict.api.problems import json_pointer
from deconflict.errors import FieldError, InvalidInput
from deconflict.limits import ID_PATTERN, MAX_ALT_M, MIN_ALT_M
from deconflict.live import MAX_TRACKS, PushedTrack
from deconflict.times import parse_utc
from deconflict.tracks import TrackState, state_json

__all__ = [
    "PUSH_SCHEMA",
    "FeatureCollectionOut",
    "PushOut",
    "TrackIn",
    "TracksIn",
    "TracksOut",
    "pushed_tracks",
    "render_feature",
    "render_state",
]


class TrackIn(TypedDict):
    """One state of one of the pusher's tracks. A typed dict rather than a model: validating
    a batch of 1,000 builds no model objects, a third of the cost."""

    __pydantic_config__ = ConfigDict(strict=True, extra="forbid")  # type: ignore[misc]
    id: Annotated[str, Field(pattern=ID_PATTERN, description="the pusher's own track id")]
    time: Annotated[str, Field(description="RFC 3339 with an offset; at most 5 s ahead, 60 s old")]
    lat: Annotated[float, Field(ge=-90, le=90, description="degrees WGS84")]
    lon: Annotated[float, Field(ge=-180, le=180, description="degrees WGS84")]
    alt_m: Annotated[
        float, Field(ge=MIN_ALT_M, le=MAX_ALT_M, description="pressure altitude, metres")
    ]
    gs_mps: Annotated[float, Field(ge=0, le=1500, description="ground speed, m/s")]
    trk_deg: Annotated[
        float, Field(ge=0, lt=360, description="track angle, degrees from true north")
    ]
    vs_mps: Annotated[float, Field(ge=-200, le=200, description="vertical speed, m/s, up positive")]
    callsign: NotRequired[Annotated[str | None, Field(pattern=r"^[A-Z0-9]{1,8}$")]]
    icao24: NotRequired[Annotated[str | None, Field(pattern=r"^[0-9A-Fa-f]{6}$")]]
    squawk: NotRequired[Annotated[str | None, Field(pattern=r"^[0-7]{4}$")]]
    notice_id: NotRequired[
        Annotated[str | None, Field(pattern=ID_PATTERN, description="a notice the pusher may see")]
    ]


class TracksIn(TypedDict):
    __pydantic_config__ = ConfigDict(strict=True, extra="forbid")  # type: ignore[misc]
    tracks: Annotated[list[TrackIn], Field(description=f"at most {MAX_TRACKS} tracks")]


class PushOut(BaseModel):
    accepted: int = Field(description="states taken")
    stale: int = Field(
        description="states older than their track's current one, or than a later state of "
        "the same id in the batch"
    )


class StateOut(BaseModel):
    """A state in the push format, with its owner (null: unattributed traffic)."""

    model_config = ConfigDict(extra="allow")
    party: str | None
    id: str
    time: str
    lat: float
    lon: float
    alt_m: float
    gs_mps: float
    trk_deg: float
    vs_mps: float


class TracksOut(BaseModel):
    tracks: list[StateOut]


class FeatureCollectionOut(BaseModel):
    """RFC 7946: one Point per track, its values in `properties`."""

    type: str
    features: list[dict[str, Any]]


_BATCH = TypeAdapter(TracksIn)
PUSH_SCHEMA = _BATCH.json_schema()
"""The JSON Schema of a batch, for the OpenAPI document (a typed dict has no route model)."""


def pushed_tracks(body: Any) -> list[PushedTrack]:
    """The batch's tracks, or `InvalidInput` naming every bad field."""
    try:
        batch = _BATCH.validate_python(body)
    except ValidationError as exc:
        raise InvalidInput(
            f"{exc.error_count()} invalid field(s) in the batch",
            [FieldError(json_pointer(e["loc"]), e["msg"]) for e in exc.errors()],
        ) from None
    errors: list[FieldError] = []
    tracks: list[PushedTrack] = []
    for i, t in enumerate(batch["tracks"]):
        try:
            t_s = parse_utc(t["time"], f"/tracks/{i}/time").timestamp()
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        icao24 = t.get("icao24")
        tracks.append(
            PushedTrack(
                t["id"],
                t_s,
                t["lat"],
                t["lon"],
                t["alt_m"],
                t["gs_mps"],
                t["trk_deg"],
                t["vs_mps"],
                t.get("callsign"),
                None if icao24 is None else icao24.lower(),
                t.get("squawk"),
                t.get("notice_id"),
            )
        )
    if errors:
        raise InvalidInput(f"{len(errors)} invalid field(s) in the batch", errors)
    return tracks


def render_state(state: TrackState) -> dict[str, object]:
    return state_json(state)


def render_feature(state: TrackState, now_s: float) -> dict[str, object]:
    """A GeoJSON Point Feature; `age_s` is how long ago the state was, on the service clock."""
    properties = state_json(state)
    del properties["lat"], properties["lon"]
    for name in ("callsign", "icao24", "squawk", "notice_id"):
        properties.setdefault(name, None)
    properties["source"] = state.source
    properties["age_s"] = round(now_s - state.t_s, 3)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [state.lon, state.lat]},
        "properties": properties,
    }
