"""Publish and subscribe for the live picture: track updates and lost tracks, to every stream.

Publishing never blocks and never waits for a reader: each subscriber has a bounded queue,
and a subscriber too slow to keep up loses its oldest updates, which it is told the count of.
Nothing here is stored: a stream that connects later starts from the picture as it is.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal

from deconflict.tracks import TrackState

__all__ = ["DEFAULT_QUEUE", "Subscription", "TrackBus", "TrackUpdate"]

DEFAULT_QUEUE = 1024
"""Updates (batches of states) a subscriber may fall behind by before it loses the oldest."""

UpdateKind = Literal["track", "track_lost"]


@dataclass(frozen=True, slots=True)
class TrackUpdate:
    """New states of some tracks (`track`), or the last states of tracks gone stale
    (`track_lost`)."""

    kind: UpdateKind
    states: tuple[TrackState, ...]


class Subscription:
    """One reader's queue; `dropped` counts the states it lost by falling behind."""

    def __init__(self, bus: TrackBus, maxlen: int) -> None:
        self._bus = bus
        self._queue: deque[TrackUpdate] = deque()
        self._maxlen = maxlen
        self._ready = threading.Condition()
        self._closed = False
        self.dropped = 0

    def put(self, update: TrackUpdate) -> None:
        with self._ready:
            if len(self._queue) >= self._maxlen:
                self.dropped += len(self._queue.popleft().states)
            self._queue.append(update)
            self._ready.notify()

    def get(self, timeout_s: float) -> list[TrackUpdate]:
        """Every update queued, waiting up to `timeout_s` for one; [] on timeout or close."""
        with self._ready:
            if not self._queue and not self._closed:
                self._ready.wait(timeout_s)
            taken = list(self._queue)
            self._queue.clear()
            return taken

    def close(self) -> None:
        """Leave the bus; a reader waiting in `get` returns at once."""
        self._bus.unsubscribe(self)
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed


class TrackBus:
    """The subscribers, and the one call that reaches them all."""

    def __init__(self, queue: int = DEFAULT_QUEUE) -> None:
        self._queue = queue
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self, self._queue)
        with self._lock:
            self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)

    def publish(self, kind: UpdateKind, states: tuple[TrackState, ...]) -> None:
        if not states:
            return
        update = TrackUpdate(kind, states)
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.put(update)

    def close(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.close()

    def __len__(self) -> int:
        with self._lock:
            return len(self._subscribers)
