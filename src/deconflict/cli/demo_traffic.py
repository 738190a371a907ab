"""The demo's live traffic: scripted aircraft through both ways a picture is fed.

Three aircraft fly circles over the demo area and are served as a Beast feed on a local port,
which the service reads like any receiver: NRT11 and STH21 are attributed to north and south
by the callsign prefixes they declare, IAW123 stays unattributed civil traffic. North also
pushes its own drone with `LivePicture.push`, as an operations centre's system would with
`POST /tracks`. Everything runs on the service's clock, once a second.

Two scripted encounters raise alerts within the first minute, and again every few minutes:
NRT31 and STH41 fly head-on at one level (a tactical alert for both parties), and NRT51 flies
into south's protected zone (an intrusion alert for both). North's drone cites north's
medical-evacuation notice while it flies some 290 km from it: after 10 s a conformance alert
for north and for south, which received the notice (the 2018 case: a notice that named a
region away from the real activity).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deconflict.ingest.beast_server import BeastServer
from deconflict.live.push import PushedTrack
from deconflict.service import ADMIN, Caller

if TYPE_CHECKING:
    from deconflict.live import LivePicture
    from deconflict.service import Service

__all__ = ["DemoTraffic"]

CENTRE = (33.0, 44.0)
"""lat, lon: between the scripted notices."""


@dataclass(frozen=True, slots=True)
class _Circuit:
    icao24: str
    callsign: str
    radius_m: float
    alt_m: float
    gs_mps: float
    phase: float

    def at(self, t_s: float) -> tuple[float, float, float]:
        """lat, lon and track (degrees) at `t_s`, flying clockwise round CENTRE."""
        angle = self.phase + self.gs_mps * t_s / self.radius_m
        north_m, east_m = self.radius_m * math.cos(angle), self.radius_m * math.sin(angle)
        lat = CENTRE[0] + math.degrees(north_m / 6_371_000)
        lon = CENTRE[1] + math.degrees(east_m / (6_371_000 * math.cos(math.radians(CENTRE[0]))))
        return lat, lon, (math.degrees(angle) + 90.0) % 360.0


@dataclass(frozen=True, slots=True)
class _Leg:
    """A straight leg from `start` on `trk_deg`, flown again every `period_s`."""

    icao24: str
    callsign: str
    start: tuple[float, float]
    trk_deg: float
    alt_m: float
    gs_mps: float
    period_s: float

    def at(self, t_s: float) -> tuple[float, float, float]:
        flown_m = self.gs_mps * (t_s % self.period_s)
        north_m = flown_m * math.cos(math.radians(self.trk_deg))
        east_m = flown_m * math.sin(math.radians(self.trk_deg))
        lat = self.start[0] + math.degrees(north_m / 6_371_000)
        cos_lat = math.cos(math.radians(self.start[0]))
        lon = self.start[1] + math.degrees(east_m / (6_371_000 * cos_lat))
        return lat, lon, self.trk_deg


_ZONE = (24.7, 46.7)
"""lat, lon of south's protected zone (40 km radius)."""
LEGS = (
    # Head-on, 48 km apart at the start of each leg, closing at 400 m/s: caution at once,
    # warning a minute before they would meet.
    _Leg("710031", "NRT31", (CENTRE[0] - 0.3, CENTRE[1] - 0.26), 90.0, 8_000, 200, 300),
    _Leg("710041", "STH41", (CENTRE[0] - 0.3, CENTRE[1] + 0.26), 270.0, 8_000, 200, 300),
    # 80 km west of the zone's centre, eastbound at 250 m/s: entering within two minutes.
    _Leg("710051", "NRT51", (_ZONE[0], _ZONE[1] - 0.79), 90.0, 9_000, 250, 600),
)

FEED = (
    _Circuit("710011", "NRT11", 40_000, 7_000, 200, 0.0),
    _Circuit("710021", "STH21", 55_000, 7_300, 210, 2.0),
    _Circuit("730123", "IAW123", 70_000, 10_500, 230, 4.0),
)
DRONE = _Circuit("710099", "NRT99", 15_000, 3_000, 60, 1.0)


class DemoTraffic:
    """Starts the feed and the pushes; `close` stops both."""

    def __init__(self, service: Service, live: LivePicture, drone_notice_id: str) -> None:
        self._service = service
        self._live = live
        self._drone_notice_id = drone_notice_id
        service.declare_aircraft(ADMIN, "north", [], ["NRT"])
        service.declare_aircraft(ADMIN, "south", [], ["STH"])
        self._server = BeastServer()
        self.feed = live.sources.add(ADMIN, self._server.address)
        self._started_s = service.clock.now().timestamp()
        """The scripted legs start when the demo does, so their alerts come in its first minute."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-traffic", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return self._server.address

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            now = self._service.clock.now()
            t_s = now.timestamp()
            states = []
            for c in FEED:
                lat, lon, trk = c.at(t_s)
                states.append((c.icao24, lat, lon, c.alt_m, c.gs_mps, trk, 0.0, c.callsign))
            for leg in LEGS:
                lat, lon, trk = leg.at(t_s - self._started_s)
                states.append((leg.icao24, lat, lon, leg.alt_m, leg.gs_mps, trk, 0.0, leg.callsign))
            self._server.send(states, now)
            lat, lon, trk = DRONE.at(t_s)
            drone = PushedTrack(
                "drone-1",
                t_s,
                lat,
                lon,
                DRONE.alt_m,
                DRONE.gs_mps,
                trk,
                0.0,
                notice_id=self._drone_notice_id,
            )
            self._live.push(Caller("north"), [drone])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()
