"""Receiver feeds over real TCP: reading, a connection dropped mid-frame, reconnecting."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from deconflict.clock import SystemClock
from deconflict.ingest.aircraft import Position
from deconflict.ingest.feeds import FeedAddress, Feeds
from tcp_server import serving, wait_for

SAMPLE = Path(__file__).parents[2] / ".." / "shared" / "data" / "adsb" / "sample_dump1090.bin"
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared/data/adsb")


def test_addresses_parse_and_print_back() -> None:
    assert str(FeedAddress.parse("beast://127.0.0.1:30005")) == "beast://127.0.0.1:30005"
    assert FeedAddress.parse("sbs://radar.example:30003") == FeedAddress(
        "sbs", "radar.example", 30003
    )
    assert str(FeedAddress.parse("beast://[::1]:30005")) == "beast://[::1]:30005"
    for bad in ("tcp://x:1", "beast://x", "beast://x:0", "beast://x:70000", "beast://a b:1", ""):
        with pytest.raises(ValueError, match="beast://HOST:PORT"):
            FeedAddress.parse(bad)


@needs_sample
def test_a_beast_feed_dropped_mid_frame_reconnects_and_decodes_the_sample() -> None:
    data = SAMPLE.read_bytes()
    cut = 1000 + data[1000:].index(b"\x1a") + 5  # inside a frame

    def send(connection: socket.socket, n: int) -> None:
        connection.sendall(data[:cut] if n == 1 else data)
        if n > 1:
            time.sleep(0.5)

    received: list[tuple[str, list[Position]]] = []
    with serving(send) as port:
        feeds = Feeds(lambda a, p: received.append((a, p)), SystemClock(), backoff_s=(0.05, 0.2))
        try:
            status = feeds.add(FeedAddress("beast", "127.0.0.1", port))
            wait_for(lambda: feeds.statuses()[0].connects >= 2 and len(received) > 0)
            wait_for(lambda: feeds.statuses()[0].counts.get("frames", 0) >= 239)
            (now,) = feeds.statuses()
        finally:
            feeds.close()
    assert status.address == f"beast://127.0.0.1:{port}"
    assert now.counts["truncated"] >= 1
    assert now.counts["disconnects"] >= 1
    assert now.last_frame_at is not None
    assert now.frames_per_s > 0
    positions = [p for _, batch in received for p in batch]
    assert {p.icao24 for p in positions} == {"48520a"}
    assert all(abs(p.lat - 43.65) < 0.02 and abs(p.lon - 1.23) < 0.01 for p in positions)


def test_an_sbs_feed_with_garbage_decodes_the_good_lines_and_counts_the_rest() -> None:
    stamp = "2021/10/07,12:00:00.000,2021/10/07,12:00:00.000"
    good = f"MSG,3,1,1,4840D6,1,{stamp},,38000,,,48.85,2.35,,,0,0,0,0\r\n"
    unknown = good.replace("MSG,3", "MSG,9")
    payload = b"\x00\xff garbage\r\n" + (good + unknown).encode() + good.encode()[:20]

    received: list[Position] = []
    with serving(lambda c, n: c.sendall(payload) if n == 1 else time.sleep(0.3)) as port:
        feeds = Feeds(lambda a, p: received.extend(p), SystemClock(), backoff_s=(0.05, 0.2))
        try:
            feeds.add(FeedAddress("sbs", "127.0.0.1", port))
            wait_for(lambda: len(received) == 1 and feeds.statuses()[0].counts["lines"] >= 3)
            (now,) = feeds.statuses()
        finally:
            feeds.close()
    assert (received[0].icao24, received[0].lat) == ("4840d6", 48.85)
    assert now.counts["malformed"] >= 1
    assert now.counts["unknown_type"] == 1


def test_a_feed_that_cannot_connect_keeps_trying_and_can_be_removed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    feeds = Feeds(lambda a, p: None, SystemClock(), backoff_s=(0.02, 0.05))
    try:
        status = feeds.add(FeedAddress("beast", "127.0.0.1", port))
        wait_for(lambda: feeds.statuses()[0].counts.get("connect_failed", 0) >= 3)
        assert not feeds.statuses()[0].connected
        assert feeds.remove(status.id)
        assert not feeds.remove(status.id)
        assert feeds.statuses() == []
    finally:
        feeds.close()
