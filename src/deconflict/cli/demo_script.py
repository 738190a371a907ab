"""The demo's scripted day: two parties, an agreement, a protected area and five notices, each
showing one thing (a conflict, an acknowledgement, short notice, an escalation, one still
pending), recorded through the service's use cases on a clock `SCRIPT_OFFSET` behind real time.
`deconflict demo` (in `demo`) runs it and serves the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from deconflict.clock import FakeClock
from deconflict.domain import AgreementTerms, Notice
from deconflict.geometry.formats import volume_from_geojson, volume_to_geojson
from deconflict.service import ADMIN, Caller, Service
from deconflict.times import format_utc

__all__ = [
    "AGREEMENT_ID",
    "SCRIPT_OFFSET",
    "DemoParty",
    "DemoWorld",
    "run_script",
    "write_example_notice",
]

SCRIPT_OFFSET = timedelta(minutes=45)
AGREEMENT_ID = "north-south"


@dataclass(frozen=True, slots=True)
class DemoParty:
    id: str
    name: str
    token: str


@dataclass(frozen=True, slots=True)
class DemoWorld:
    parties: tuple[DemoParty, ...]
    notices: dict[str, str]
    """What each scripted notice shows, by role: conflicting, acknowledged, short_notice, …"""


def _feature(
    geometry: dict[str, Any], start: datetime, end: datetime, **properties: object
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "time_start": format_utc(start),
            "time_end": format_utc(end),
            **properties,
        },
    }


def _box(lon_deg: float, lat_deg: float, half_deg: float) -> dict[str, Any]:
    w, e, s, n = lon_deg - half_deg, lon_deg + half_deg, lat_deg - half_deg, lat_deg + half_deg
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _point(lon_deg: float, lat_deg: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon_deg, lat_deg]}


def _submit(service: Service, party: str, purpose: str, *features: dict[str, Any]) -> Notice:
    volumes = [volume_from_geojson(f) for f in features]
    return service.submit_notice(Caller(party), AGREEMENT_ID, volumes, purpose)


def run_script(service: Service, clock: FakeClock) -> DemoWorld:
    """The scripted day, through the service's use cases, on `clock`."""
    t0 = clock.now()
    hour = timedelta(hours=1)
    north, north_token = service.add_party(ADMIN, "Northern Air Command", party_id="north")
    south, south_token = service.add_party(ADMIN, "Southern Air Command", party_id="south")
    service.add_agreement(
        ADMIN,
        AgreementTerms(
            name="North-South airspace deconfliction",
            members=(north.id, south.id),
            min_lead_time_s=3600.0,
            ack_deadline_s=900.0,
            escalation_after_s=(0.0, 900.0),
            buffer_h_m=5000.0,
            buffer_v_m=300.0,
        ),
        agreement_id=AGREEMENT_ID,
    )
    service.add_protected_area(
        Caller(south.id),
        "Southern capital air-defence zone",
        volume_from_geojson(
            _feature(
                _point(46.7, 24.7),
                t0 - hour,
                t0 + 24 * 365 * hour,
                radius_m=40_000,
                alt_lower_m=0,
                alt_upper_m=20_000,
            )
        ),
    )
    shield = _submit(
        service,
        north.id,
        "exercise",
        _feature(
            _box(44.3, 33.6, 0.3), t0 + 3 * hour, t0 + 6 * hour, alt_lower_fl=100, alt_upper_fl=250
        ),
    )
    tanker = _submit(
        service,
        south.id,
        "air-refuelling",
        _feature(
            _point(44.4, 33.5),
            t0 + 4 * hour,
            t0 + 5 * hour,
            radius_m=20_000,
            alt_lower_m=6000,
            alt_upper_m=7500,
        ),
    )
    clock.advance(300)
    service.acknowledge(Caller(south.id), shield.id, shield.version, "Noted, NORTHERN SHIELD.")
    service.acknowledge(Caller(north.id), tanker.id, tanker.version, "Seen; will coordinate.")
    clock.advance(120)
    medevac = _submit(
        service,
        north.id,
        "medical-evacuation",
        _feature(
            _box(42.0, 35.0, 0.15),
            clock.now() + timedelta(minutes=20),
            t0 + 3 * hour,
            alt_lower_m=0,
            alt_upper_m=3000,
        ),
    )
    service.acknowledge(Caller(south.id), medevac.id, medevac.version, "Short notice accepted.")
    clock.advance(60)
    transit = _submit(
        service,
        south.id,
        "transit",
        _feature(
            _box(40.0, 30.0, 0.2),
            t0 + 24 * hour,
            t0 + 26 * hour,
            alt_lower_fl=300,
            alt_upper_fl=350,
        ),
    )
    clock.advance(SCRIPT_OFFSET.total_seconds() - 480 - 600)
    survey = _submit(
        service,
        north.id,
        "survey",
        _feature(
            _box(43.0, 36.0, 0.1), t0 + 30 * hour, t0 + 32 * hour, alt_lower_m=500, alt_upper_m=1500
        ),
    )
    return DemoWorld(
        parties=(
            DemoParty(north.id, north.name, north_token),
            DemoParty(south.id, south.name, south_token),
        ),
        notices={
            "acknowledged": shield.id,
            "conflicting": tanker.id,
            "short_notice": medevac.id,
            "escalated": transit.id,
            "escalates_soon": survey.id,
        },
    )


def write_example_notice(path: Path, now: datetime) -> None:
    """A notice file for `deconflict notice submit`, starting two hours from now."""
    start = now.replace(microsecond=0) + timedelta(hours=2)
    feature = _feature(
        _box(45.0, 32.0, 0.2), start, start + timedelta(hours=2), alt_lower_m=1000, alt_upper_m=4000
    )
    check = volume_to_geojson(volume_from_geojson(feature))
    collection = {"type": "FeatureCollection", "features": [check]}
    path.write_bytes(orjson.dumps(collection, option=orjson.OPT_INDENT_2))
