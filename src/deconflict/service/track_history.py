"""Use cases for the live picture's history: each minute's thinned track states stored with
the log entry that commits to them, in one transaction, and old minutes let go.

The live component calls these from its periodic work; they take no caller, as the
scheduler's own work does not. Who may read the entry is decided in `visibility.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from deconflict.domain.facts import TrackHistoryCommitted
from deconflict.service.context import Context
from deconflict.service.visibility import history_readers
from deconflict.tracks import TrackState, commitment, in_batch_order

__all__ = ["TrackHistory"]


class TrackHistory:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def record(
        self, minute_start: datetime, minute_end: datetime, states: Sequence[TrackState]
    ) -> TrackHistoryCommitted | None:
        """Store the minute's states and the `track.history` entry committing to them; None
        (and nothing written) for a minute without states."""
        if not states:
            return None
        ordered = in_batch_order(states)
        with self._ctx.transaction() as tx:
            # The parties read under the log's lock are exactly those logged before the entry.
            tx.entries.lock_head()
            readers = history_readers(tx)
            tx.track_history.add(minute_start, ordered)
            fact = TrackHistoryCommitted(
                minute_start, minute_end, len(ordered), commitment(ordered), readers
            )
            tx.record(fact)
        return fact

    def prune(self, before: datetime) -> int:
        """Drop the stored minutes that start before `before`; how many states went. Their
        log entries stay: the log is append-only, and still proves the minute was committed."""
        with self._ctx.transaction() as tx:
            return tx.track_history.delete_before(before)

    def states(self, minute_start: datetime) -> list[TrackState]:
        """One stored minute's states, for reports that recompute its commitment."""
        with self._ctx.read() as repos:
            return repos.track_history.states(minute_start)
