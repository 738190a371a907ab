"""Publish and subscribe: every subscriber hears every update, and a slow one loses its oldest
updates, counted, without ever holding the publisher up."""

from __future__ import annotations

import threading
import time

from deconflict.live import TrackBus
from deconflict.tracks import TrackKey, TrackState


def states(n: int, t_s: float = 0.0) -> tuple[TrackState, ...]:
    return tuple(
        TrackState(TrackKey("p", f"t{i}"), t_s, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "push")
        for i in range(n)
    )


def test_each_subscriber_hears_every_update_in_order() -> None:
    bus = TrackBus()
    first, second = bus.subscribe(), bus.subscribe()
    bus.publish("track", states(2))
    bus.publish("track", ())  # nothing to say: not published
    bus.publish("track_lost", states(1))
    for subscription in (first, second):
        got = subscription.get(0)
        assert [(u.kind, len(u.states)) for u in got] == [("track", 2), ("track_lost", 1)]
        assert subscription.dropped == 0
    first.close()
    assert len(bus) == 1


def test_a_slow_subscriber_loses_the_oldest_updates_and_counts_the_states() -> None:
    bus = TrackBus(queue=3)
    slow = bus.subscribe()
    started = time.monotonic()
    for t in range(10):
        bus.publish("track", states(2, float(t)))
    assert time.monotonic() - started < 1.0
    got = slow.get(0)
    assert [u.states[0].t_s for u in got] == [7.0, 8.0, 9.0]
    assert slow.dropped == 14


def test_a_waiting_reader_wakes_on_publish_and_on_close() -> None:
    bus = TrackBus()
    reader = bus.subscribe()
    got: list[int] = []

    def read() -> None:
        got.append(len(reader.get(10)))

    thread = threading.Thread(target=read)
    thread.start()
    time.sleep(0.05)
    bus.publish("track", states(1))
    thread.join(timeout=5)
    assert got == [1]
    thread = threading.Thread(target=read)
    thread.start()
    time.sleep(0.05)
    bus.close()
    thread.join(timeout=5)
    assert got == [1, 0]
    assert reader.closed
