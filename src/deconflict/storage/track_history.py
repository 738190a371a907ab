"""Stored track history: the thinned states of each minute, the batch one log entry commits to.

A state reads back exactly as it was written (times and values as IEEE doubles), so the
minute's commitment recomputes from the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from deconflict.storage import tables as t
from deconflict.tracks import TrackKey, TrackState

__all__ = ["TrackHistoryStore"]

_VALUES = ("t_s", "lat", "lon", "alt_m", "gs_mps", "trk_deg", "vs_mps", "source")
_OPTIONAL = ("callsign", "icao24", "squawk", "notice_id")


class TrackHistoryStore:
    """History rows on one connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, minute: datetime, states: Sequence[TrackState]) -> None:
        if not states:
            return
        self._conn.execute(
            t.track_history.insert(),
            [
                {
                    "minute": minute,
                    "party": s.key.party,
                    "track_id": s.key.id,
                    **{name: getattr(s, name) for name in (*_VALUES, *_OPTIONAL)},
                    "on_ground": s.on_ground,
                }
                for s in states
            ],
        )

    def states(self, minute: datetime) -> list[TrackState]:
        """The batch of `minute`, in the order it was written."""
        h = t.track_history.c
        rows = self._conn.execute(
            sa.select(t.track_history).where(h.minute == minute).order_by(h.id)
        )
        return [_state(row) for row in rows]

    def minutes(self) -> list[datetime]:
        """Every minute that holds a batch, oldest first."""
        h = t.track_history.c
        return list(self._conn.execute(sa.select(h.minute).distinct().order_by(h.minute)).scalars())

    def delete_before(self, minute: datetime) -> int:
        """Drop the batches of minutes before `minute`; how many states went."""
        result = self._conn.execute(
            sa.delete(t.track_history).where(t.track_history.c.minute < minute)
        )
        return int(result.rowcount)


def _state(row: sa.Row[Any]) -> TrackState:
    return TrackState(
        key=TrackKey(row.party, row.track_id),
        on_ground=bool(row.on_ground),
        **{name: getattr(row, name) for name in (*_VALUES, *_OPTIONAL)},
    )
