"""The live air picture: every track the service hears, fed by party pushes and receiver feeds,
followed by streams, and kept for the record a minute at a time.

`LivePicture` owns the track store (behind one lock), the feeds, the publish/subscribe bus and
the history buffer, and runs on the service's clock: times inside are epoch seconds of it.
Its periodic work, `tick()`, drops stale tracks (announcing `track_lost`, and closing their
alerts), writes each ended minute's thinned states with the log entry committing to them, and
lets history older than the retention go. `detect()` runs the detection loop (`Detector`):
the tracks that arrived since it last ran against the picture, and every `detect_every_s` of
service time the whole picture. `start()` runs each on a thread of its own, the detection
woken by every arrival; tests call them on a fake clock.
What a caller may see is the service's to say (`Service.track_audience`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from deconflict.domain import AircraftOwners
from deconflict.errors import FieldError, InvalidInput
from deconflict.ingest.aircraft import Position
from deconflict.live.bus import DEFAULT_QUEUE, Subscription, TrackBus
from deconflict.live.detector import Detector
from deconflict.live.history import MINUTE_S, HistoryBuffer
from deconflict.live.positions import state_of
from deconflict.live.push import PushedTrack, latest_per_id, time_errors
from deconflict.live.sources import Sources
from deconflict.service import Caller, Service
from deconflict.service.visibility import TrackAudience, require_party
from deconflict.tracks import DEFAULT_STALE_AFTER_S, TrackKey, TrackState, TrackStore

__all__ = ["DEFAULT_RETENTION_S", "LivePicture", "PushResult"]

log = logging.getLogger(__name__)

DEFAULT_DETECT_EVERY_S = 1.0
"""The detection loop's full cycle, in service time."""
ARRIVAL_GATHER_S = 0.05
"""The least time between two checks of arrived tracks (the warning's latency budget is 250 ms)."""
DEFAULT_RETENTION_S = 7 * 86_400.0
"""Stored track history older than this goes."""
OWNERS_REFRESH_S = 30.0
"""How often the aircraft declarations are read again, for those another instance made."""


@dataclass(frozen=True, slots=True)
class PushResult:
    """What a push did: states taken, and states older than their track's current one (or
    than a later state of the same id in the batch)."""

    accepted: int
    stale: int


def _at(t_s: float) -> datetime:
    return datetime.fromtimestamp(t_s, UTC)


class LivePicture:
    """The tracks, their feeds, their followers and their history; see the module."""

    def __init__(
        self,
        service: Service,
        *,
        stale_after_s: float = DEFAULT_STALE_AFTER_S,
        history_retention_s: float = DEFAULT_RETENTION_S,
        receiver: tuple[float, float] | None = None,
        subscriber_queue: int = DEFAULT_QUEUE,
        feed_backoff_s: tuple[float, float] = (0.5, 30.0),
        detect_every_s: float = DEFAULT_DETECT_EVERY_S,
    ) -> None:
        self.service = service
        self.history_retention_s = history_retention_s
        self.bus = TrackBus(subscriber_queue)
        self.sources = Sources(
            self.positions, service.clock, receiver=receiver, backoff_s=feed_backoff_s
        )
        self.skipped = 0
        """ADS-B positions with no altitude at all, not put on the picture."""
        self._store = TrackStore(stale_after_s=stale_after_s)
        self._history = HistoryBuffer()
        self._lock = threading.Lock()
        self._owners = AircraftOwners()
        self._owners_generation = -1
        self._owners_read_s = float("-inf")
        self._pruned_s = float("-inf")
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.detector = Detector(service)
        self.detect_every_s = detect_every_s
        self._arrived: dict[TrackKey, TrackState] = {}
        self._arrival = threading.Event()
        self._cycled_s = float("-inf")
        self._detect_thread: threading.Thread | None = None

    def now_s(self) -> float:
        return self.service.clock.now().timestamp()

    # feeding

    def push(self, caller: Caller, tracks: Sequence[PushedTrack]) -> PushResult:
        """A party's batch (the admin may not push). Times outside the window and notices the
        party may not see are `InvalidInput` at `/tracks/i/…`, and nothing is taken."""
        party = require_party(caller)
        now_s = self.now_s()
        errors = time_errors(tracks, now_s)
        cited = {t.notice_id for t in tracks if t.notice_id is not None}
        unseen = self.service.unseen_notices(caller, cited) if cited else set()
        errors += [
            FieldError(f"/tracks/{i}/notice_id", f"no notice {t.notice_id!r}")
            for i, t in enumerate(tracks)
            if t.notice_id in unseen
        ]
        if errors:
            errors.sort(key=lambda e: _pointer_order(e.pointer))
            raise InvalidInput(f"{len(errors)} invalid field(s) in the batch", errors)
        states, superseded = latest_per_id(party, tracks)
        accepted, stale = self._apply(states, now_s)
        return PushResult(accepted, stale + superseded)

    def positions(self, address: str, positions: Sequence[Position]) -> None:
        """The feeds' sink: decoded positions of one chunk from the feed at `address`."""
        owners = self._current_owners()
        states = []
        for position in positions:
            state = state_of(position, owners.owner(position.icao24, position.callsign), address)
            if state is None:
                self.skipped += 1
            else:
                states.append(state)
        self._apply(states, self.now_s())

    def _apply(self, states: Sequence[TrackState], now_s: float) -> tuple[int, int]:
        with self._lock:
            updated = self._store.update(states)
            self._history.keep(updated.applied, now_s)
            self.bus.publish("track", updated.applied)
            self._arrived.update((s.key, s) for s in updated.applied)
        if updated.applied:
            self._arrival.set()
        return updated.accepted, updated.stale

    # reading

    def visible(self, audience: TrackAudience) -> list[TrackState]:
        """The latest state of every track `audience` admits, in (party, id) order."""
        with self._lock:
            return self._store.latest(lambda s: audience.admits(s.key))

    def subscribe(self) -> Subscription:
        """Every update from now on; the reader filters them by its audience."""
        return self.bus.subscribe()

    def __len__(self) -> int:
        with self._lock:
            return len(self._store)

    # periodic work

    def tick(self) -> int:
        """Drop stale tracks, write the minutes that ended, let old history go; how many
        tracks were lost."""
        now_s = self.now_s()
        with self._lock:
            lost = self._store.expire(now_s)
            self._history.forget(s.key for s in lost)
            self.bus.publish("track_lost", tuple(lost))
            due = self._history.take_due(now_s)
            for state in lost:
                self._arrived.pop(state.key, None)
        self.detector.lost({s.key for s in lost}, now_s)
        for n, (minute_s, states) in enumerate(due):
            try:
                self.service.record_track_history(_at(minute_s), _at(minute_s + MINUTE_S), states)
            except Exception:
                with self._lock:
                    for unwritten in due[n:]:
                        self._history.put_back(*unwritten)
                raise
        if now_s - self._pruned_s >= MINUTE_S:
            self.service.prune_track_history(_at(now_s - self.history_retention_s))
            self._pruned_s = now_s
        if now_s - self._owners_read_s >= OWNERS_REFRESH_S:
            self._read_owners()
        return len(lost)

    def detect(self) -> int:
        """Check the tracks that arrived since the last call against the picture, and the whole
        picture once `detect_every_s` has passed; how many alert transitions were recorded."""
        now_s = self.now_s()
        with self._lock:
            arrived = list(self._arrived.values())
            self._arrived.clear()
            states = self._store.states()
        if now_s - self._cycled_s >= self.detect_every_s:
            self._cycled_s = now_s
            return self.detector.cycle(states, now_s)  # it sees the arrivals too
        return self.detector.arrived(arrived, states, now_s)

    def start(self, interval_s: float = 1.0) -> None:
        """Run `tick` every `interval_s` (wall time; the work reads the service clock) on a
        daemon thread until `close`."""
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stopping.wait(interval_s):
                try:
                    self.tick()
                except Exception:
                    log.exception("live picture tick failed; retrying")

        self._thread = threading.Thread(target=loop, name="deconflict-live", daemon=True)
        self._thread.start()
        self.detector.start(self.now_s())

        def detecting() -> None:
            while not self._stopping.is_set():
                self._arrival.wait(self.detect_every_s)
                self._arrival.clear()
                if self._stopping.is_set():
                    return
                try:
                    self.detect()
                except Exception:
                    log.exception("detection failed; retrying")
                # Let arrivals gather a moment: a busy feed is checked in batches, not per push.
                self._stopping.wait(ARRIVAL_GATHER_S)

        self._detect_thread = threading.Thread(
            target=detecting, name="deconflict-detect", daemon=True
        )
        self._detect_thread.start()

    def close(self) -> None:
        """Stop the feeds, the periodic work and every stream."""
        self._stopping.set()
        self.sources.close()
        self._arrival.set()
        for thread in (self._thread, self._detect_thread):
            if thread is not None:
                thread.join(timeout=5)
        self._thread = self._detect_thread = None
        self.bus.close()

    # owners

    def _current_owners(self) -> AircraftOwners:
        if self.service.aircraft.generation != self._owners_generation:
            self._read_owners()
        return self._owners

    def _read_owners(self) -> None:
        generation = self.service.aircraft.generation
        self._owners = self.service.aircraft.owners()
        self._owners_generation = generation
        self._owners_read_s = self.now_s()


def _pointer_order(pointer: str) -> tuple[int, str]:
    """`/tracks/i/field` by i, then field."""
    parts = pointer.split("/")
    return (int(parts[2]), parts[3]) if len(parts) > 3 and parts[2].isdigit() else (-1, pointer)
