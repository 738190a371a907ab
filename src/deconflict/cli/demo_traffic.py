"""The demo's live traffic: scripted aircraft through both ways a picture is fed.

Three aircraft fly circles over the demo area and are served as a Beast feed on a local port,
which the service reads like any receiver: NRT11 and STH21 are attributed to north and south
by the callsign prefixes they declare, IAW123 stays unattributed civil traffic. North also
pushes its own drone with `LivePicture.push`, as an operations centre's system would with
`POST /tracks`. Everything runs on the service's clock, once a second.
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


FEED = (
    _Circuit("710011", "NRT11", 40_000, 7_000, 200, 0.0),
    _Circuit("710021", "STH21", 55_000, 7_300, 210, 2.0),
    _Circuit("730123", "IAW123", 70_000, 10_500, 230, 4.0),
)
DRONE = _Circuit("710099", "NRT99", 15_000, 3_000, 60, 1.0)


class DemoTraffic:
    """Starts the feed and the pushes; `close` stops both."""

    def __init__(self, service: Service, live: LivePicture) -> None:
        self._service = service
        self._live = live
        service.declare_aircraft(ADMIN, "north", [], ["NRT"])
        service.declare_aircraft(ADMIN, "south", [], ["STH"])
        self._server = BeastServer()
        self.feed = live.sources.add(ADMIN, self._server.address)
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
            self._server.send(states, now)
            lat, lon, trk = DRONE.at(t_s)
            drone = PushedTrack("drone-1", t_s, lat, lon, DRONE.alt_m, DRONE.gs_mps, trk, 0.0)
            self._live.push(Caller("north"), [drone])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()
