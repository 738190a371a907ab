"""The Beast server the replay and the demo play traffic through, read back by a real feed."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from deconflict.clock import SystemClock
from deconflict.ingest.aircraft import Position
from deconflict.ingest.beast_server import BeastServer
from deconflict.ingest.feeds import FeedAddress, Feeds


def test_states_sent_each_second_arrive_as_positions_with_callsign_and_velocity() -> None:
    server = BeastServer()
    received: list[Position] = []
    feeds = Feeds(lambda a, p: received.extend(p), SystemClock(), backoff_s=(0.05, 0.2))
    try:
        feeds.add(FeedAddress.parse(server.address))
        assert server.connected.wait(5)
        start = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
        for second in range(4):
            lat = 48.85 + 0.002 * second
            server.send(
                [("4840d6", lat, 2.35, 9000.0, 220.0, 0.0, 0.0, "NRT101")],
                start + timedelta(seconds=second),
            )
            time.sleep(0.05)
        deadline = time.monotonic() + 5
        while len(received) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        feeds.close()
        server.close()
    assert len(received) >= 3
    last = received[-1]
    assert (last.icao24, last.callsign) == ("4840d6", "NRT101")
    assert abs(last.lat - 48.856) < 1e-4
    assert abs(last.lon - 2.35) < 1e-4
    assert abs(last.gs_mps - 220.0) < 1.0
    assert abs(last.alt_m - 9000.0) < 8.0
