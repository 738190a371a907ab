"""Receiver feeds over TCP: Beast binary (port 30005) and SBS-1 text (port 30003).

Each `Feed` connects, reads, decodes and hands positions to a sink, and reconnects with
exponential backoff when the connection fails or drops; it never raises for what the socket
brings. Every chunk is timed by the service clock when it arrives, because each receiver's
Beast counter runs on its own clock. `Feeds` runs any number of them on one asyncio loop in a
thread of its own, so the HTTP server's loop is never blocked by a slow receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from deconflict.clock import Clock
from deconflict.ingest.adsb import ModeSDecoder
from deconflict.ingest.aircraft import Position
from deconflict.ingest.beast import BeastStream
from deconflict.ingest.sbs import SbsDecoder

__all__ = ["FeedAddress", "FeedStatus", "Feeds", "PositionSink"]

FeedKind = Literal["beast", "sbs"]
PositionSink = Callable[[str, list[Position]], None]
"""Called with the feed's address and the positions of one chunk, on the feeds' thread."""

_ADDRESS = re.compile(r"(beast|sbs)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})")
_READ_BYTES = 64 * 1024
_MAX_SBS_LINE = 4096
_RATE_WINDOW_S = 10.0


@dataclass(frozen=True, slots=True)
class FeedAddress:
    """Where a receiver serves its frames, as `beast://HOST:PORT` or `sbs://HOST:PORT`."""

    kind: FeedKind
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> FeedAddress:
        """ValueError, saying what is expected, for anything else."""
        match = _ADDRESS.fullmatch(text.strip())
        if match is None or not 0 < int(match.group(3)) < 65536:
            raise ValueError(f"{text!r} is not beast://HOST:PORT or sbs://HOST:PORT")
        kind: FeedKind = "beast" if match.group(1) == "beast" else "sbs"
        return cls(kind, match.group(2).strip("[]"), int(match.group(3)))

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.kind}://{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """What `GET /feeds` shows of one source."""

    id: str
    kind: FeedKind
    address: str
    connected: bool
    last_frame_at: datetime | None
    frames_per_s: float
    counts: dict[str, int]
    connects: int


class _Feed:
    """One source and its counters; `run` is its whole life."""

    def __init__(
        self,
        feed_id: str,
        address: FeedAddress,
        decoder: ModeSDecoder,
        sbs: SbsDecoder,
        sink: PositionSink,
        clock: Clock,
        backoff_s: tuple[float, float],
    ) -> None:
        self.id = feed_id
        self.address = address
        self._decoder = decoder
        self._sbs = sbs
        self._sink = sink
        self._clock = clock
        self._backoff_s = backoff_s
        self.counts: Counter[str] = Counter()
        self.connected = False
        self.connects = 0
        self.last_frame_at: datetime | None = None
        self._arrivals: deque[tuple[float, int]] = deque()

    def status(self) -> FeedStatus:
        return FeedStatus(
            id=self.id,
            kind=self.address.kind,
            address=str(self.address),
            connected=self.connected,
            last_frame_at=self.last_frame_at,
            frames_per_s=self._rate(time.monotonic()),
            counts=dict(self.counts),
            connects=self.connects,
        )

    async def run(self) -> None:
        delay = self._backoff_s[0]
        while True:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.address.host, self.address.port), timeout=10.0
                )
            except (OSError, TimeoutError):
                self.counts["connect_failed"] += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff_s[1])
                continue
            self.connected, self.connects = True, self.connects + 1
            delay = self._backoff_s[0]
            try:
                await self._read(reader)
            except (OSError, TimeoutError):
                pass
            finally:
                self.connected = False
                self.counts["disconnects"] += 1
                writer.close()
            await asyncio.sleep(delay)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        stream = BeastStream()
        try:
            await self._chunks(reader, stream)
        finally:
            if stream.deframer.pending_bytes:
                self.counts["truncated"] += 1

    async def _chunks(self, reader: asyncio.StreamReader, stream: BeastStream) -> None:
        pending = b""  # an SBS line begun but not finished
        while chunk := await reader.read(_READ_BYTES):
            now = self._clock.now()
            if self.address.kind == "beast":
                frames = stream.read(chunk)
                positions = self._decoder.decode(
                    frames, [now.timestamp()] * len(frames), self.counts, str(self.address)
                )
                self.counts.update(stream.counts)
                stream.counts.clear()
                heard = len(frames)
            else:
                *lines, pending = (pending + chunk).split(b"\n")
                if len(pending) > _MAX_SBS_LINE:
                    self.counts["malformed"] += 1
                    pending = b""
                text = [line.decode("ascii", "replace") for line in lines]
                positions = self._sbs.decode(text, [now.timestamp()] * len(text), self.counts)
                heard = len(text)
            if heard:
                self.last_frame_at = now
                self._arrivals.append((time.monotonic(), heard))
            if positions:
                self._sink(str(self.address), positions)

    def _rate(self, now: float) -> float:
        while self._arrivals and now - self._arrivals[0][0] > _RATE_WINDOW_S:
            self._arrivals.popleft()
        return sum(n for _, n in self._arrivals) / _RATE_WINDOW_S


class Feeds:
    """The running sources. All of them share one aircraft picture (one decoder), so an
    aircraft two receivers hear is one aircraft."""

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
        self._backoff_s = backoff_s
        self.decoder = ModeSDecoder(receiver)
        self._sbs = SbsDecoder(self.decoder.states)
        self._feeds: dict[str, tuple[_Feed, Future[None]]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="feeds", daemon=True)
        self._thread.start()

    def add(self, address: FeedAddress) -> FeedStatus:
        """Start a source; it connects in the background."""
        with self._lock:
            feed_id = f"feed-{next(self._ids)}"
            feed = _Feed(
                feed_id,
                address,
                self.decoder,
                self._sbs,
                self._sink,
                self._clock,
                self._backoff_s,
            )
            task = asyncio.run_coroutine_threadsafe(feed.run(), self._loop)
            self._feeds[feed_id] = (feed, task)
        return feed.status()

    def remove(self, feed_id: str) -> bool:
        """Stop a source; False if there is none by that id."""
        with self._lock:
            found = self._feeds.pop(feed_id, None)
        if found is None:
            return False
        found[1].cancel()
        return True

    def statuses(self) -> list[FeedStatus]:
        with self._lock:
            feeds = [feed for feed, _ in self._feeds.values()]
        return [feed.status() for feed in feeds]

    def close(self) -> None:
        """Stop every source and the loop; each task is cancelled and awaited first."""
        with self._lock:
            self._feeds.clear()
        if self._loop.is_closed():
            return
        with contextlib.suppress(TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(_cancel_all(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()


async def _cancel_all() -> None:
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
