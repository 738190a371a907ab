"""The history the live picture keeps for the record: states thinned to one per track every
5 s, gathered by the minute of service time they arrived in, until that minute is written.

A minute's batch is the states kept while the service clock was in it (a pushed state may be
up to a minute older than its arrival), so each stored state belongs to exactly one batch and
one log entry. Single-threaded, like the store: the picture holds the lock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from deconflict.tracks import THIN_EVERY_S, Thinner, TrackKey, TrackState

__all__ = ["MINUTE_S", "HistoryBuffer", "minute_of"]

MINUTE_S = 60.0


def minute_of(t_s: float) -> float:
    """The start of the minute holding `t_s` (epoch seconds, UTC)."""
    return math.floor(t_s / MINUTE_S) * MINUTE_S


class HistoryBuffer:
    """Thinned states by the minute they arrived in."""

    def __init__(self, every_s: float = THIN_EVERY_S) -> None:
        self._thinner = Thinner(every_s)
        self._minutes: dict[float, list[TrackState]] = {}

    def keep(self, states: Iterable[TrackState], now_s: float) -> None:
        kept = self._thinner.choose(states)
        if kept:
            self._minutes.setdefault(minute_of(now_s), []).extend(kept)

    def forget(self, keys: Iterable[TrackKey]) -> None:
        """Lost tracks: their next state is kept whatever its time."""
        self._thinner.forget(keys)

    def take_due(self, now_s: float) -> list[tuple[float, list[TrackState]]]:
        """The minutes that ended by `now_s`, oldest first, removed from the buffer."""
        current = minute_of(now_s)
        due = sorted(m for m in self._minutes if m < current)
        return [(m, self._minutes.pop(m)) for m in due]

    def put_back(self, minute_s: float, states: list[TrackState]) -> None:
        """A minute that could not be written, to be tried again."""
        self._minutes.setdefault(minute_s, [])[:0] = states

    def __len__(self) -> int:
        return sum(len(states) for states in self._minutes.values())
