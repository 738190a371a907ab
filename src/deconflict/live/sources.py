"""The receiver feeds the live picture runs, started, stopped and shown by the admin.

The feeds' thread and its event loop start with the first feed, so a picture fed only by
pushes runs no thread for them.
"""

from __future__ import annotations

import threading

from deconflict.clock import Clock
from deconflict.errors import Conflict, InvalidInput, NotFound
from deconflict.ingest.feeds import FeedAddress, Feeds, FeedStatus, PositionSink
from deconflict.service import Caller
from deconflict.service.visibility import require_admin

__all__ = ["Sources"]


class Sources:
    """Feeds by id; every call is the admin's."""

    def __init__(
        self,
        sink: PositionSink,
        clock: Clock,
        *,
        receiver: tuple[float, float] | None = None,
        backoff_s: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self._sink = sink
        self._clock = clock
        self._receiver = receiver
        self._backoff_s = backoff_s
        self._feeds: Feeds | None = None
        self._lock = threading.Lock()

    def add(self, caller: Caller, address: str) -> FeedStatus:
        """Start a feed from `beast://HOST:PORT` or `sbs://HOST:PORT`; it connects in the
        background. The same address twice is a Conflict."""
        require_admin(caller)
        try:
            parsed = FeedAddress.parse(address)
        except ValueError as exc:
            raise InvalidInput.at("/address", str(exc)) from None
        with self._lock:
            if self._feeds is None:
                self._feeds = Feeds(
                    self._sink, self._clock, receiver=self._receiver, backoff_s=self._backoff_s
                )
            for status in self._feeds.statuses():
                if status.address == str(parsed):
                    raise Conflict(f"{parsed} is already a feed", feed_id=status.id)
            return self._feeds.add(parsed)

    def remove(self, caller: Caller, feed_id: str) -> None:
        require_admin(caller)
        with self._lock:
            removed = self._feeds is not None and self._feeds.remove(feed_id)
        if not removed:
            raise NotFound(f"feed {feed_id!r} not found")

    def statuses(self, caller: Caller) -> list[FeedStatus]:
        require_admin(caller)
        with self._lock:
            return [] if self._feeds is None else self._feeds.statuses()

    def close(self) -> None:
        with self._lock:
            feeds, self._feeds = self._feeds, None
        if feeds is not None:
            feeds.close()
