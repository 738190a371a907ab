"""Track history for the record: states thinned to one every few seconds per track, and each
minute's batch committed to by one hash, so that a later report can prove what was seen when.

The commitment is SHA-256 over the RFC 8785 canonical JSON array of the batch's states in
(party, id, time) order, each state spelled by `state_json` (party null for unattributed; the
time in RFC 3339 UTC, to the microsecond).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import rfc8785

from deconflict.times import format_utc
from deconflict.tracks.state import TrackKey, TrackState

__all__ = ["THIN_EVERY_S", "Thinner", "commitment", "in_batch_order", "state_json"]

THIN_EVERY_S = 5.0
"""At most one state per track in this time goes into the history, besides those kept on purpose."""


class Thinner:
    """Chooses the states to keep: the first of each track, then one at least `every_s` on."""

    def __init__(self, every_s: float = THIN_EVERY_S) -> None:
        self.every_s = every_s
        self._kept_at: dict[TrackKey, float] = {}

    def choose(self, states: Iterable[TrackState]) -> list[TrackState]:
        kept: list[TrackState] = []
        for state in states:
            last = self._kept_at.get(state.key)
            if last is None or state.t_s - last >= self.every_s:
                self._kept_at[state.key] = state.t_s
                kept.append(state)
        return kept

    def forget(self, keys: Iterable[TrackKey]) -> None:
        for key in keys:
            self._kept_at.pop(key, None)


def state_json(state: TrackState) -> dict[str, object]:
    """A state as the push format spells it, with its owner; optional fields only when set."""
    out: dict[str, object] = {
        "party": state.key.party,
        "id": state.key.id,
        "time": format_utc(datetime.fromtimestamp(state.t_s, UTC)),
        "lat": state.lat,
        "lon": state.lon,
        "alt_m": state.alt_m,
        "gs_mps": state.gs_mps,
        "trk_deg": state.trk_deg,
        "vs_mps": state.vs_mps,
    }
    for name in ("callsign", "icao24", "squawk", "notice_id"):
        value = getattr(state, name)
        if value is not None:
            out[name] = value
    return out


def in_batch_order(states: Iterable[TrackState]) -> list[TrackState]:
    """The states in the order a batch is committed and stored: (party, id, time), with
    unattributed traffic (party None) first."""
    return sorted(states, key=lambda s: (s.key.party or "", s.key.id, s.t_s))


def commitment(states: Sequence[TrackState]) -> str:
    """The hex SHA-256 of the batch, in (party, id, time) order."""
    batch: list[Any] = [state_json(s) for s in in_batch_order(states)]
    return hashlib.sha256(rfc8785.dumps(batch)).hexdigest()
