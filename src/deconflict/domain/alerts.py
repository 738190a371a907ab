"""Alerts as the service keeps and serves them: what an alert is about, who hears it, and the
figures of its latest report.

An `AlertRecord` is one alert at one moment of its life. `data()` spells it as the `data.alert`
of its events and the body of its log entries, so an event, an entry and `GET /alerts` say
the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from deconflict.times import format_iso, parse_iso
from deconflict.tracks import TrackKey

__all__ = ["DATA_FIELDS", "DATA_TIMES", "AlertKind", "AlertRecord", "AlertState"]


class AlertKind(StrEnum):
    TACTICAL = "tactical"
    INTRUSION = "intrusion"
    CONFORMANCE = "conformance"
    CHANNEL_SILENT = "channel_silent"


class AlertState(StrEnum):
    ACTIVE = "active"
    CLEARED = "cleared"


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One alert as last reported. `parties` hear it; `agreement_ids` are the agreements whose
    rules raised it. Figures a kind has no meaning for are None."""

    id: str
    kind: AlertKind
    tier: str
    state: AlertState
    reason: str | None
    tracks: tuple[TrackKey, ...]
    parties: frozenset[str]
    agreement_ids: tuple[str, ...]
    raised_at: datetime
    reported_at: datetime
    cleared_at: datetime | None = None
    tcpa_s: float | None = None
    dcpa_m: float | None = None
    separation_m: float | None = None
    states: tuple[Mapping[str, Any], ...] = ()
    """The state of each track when last reported, as `tracks.state_json` spells it."""
    area_id: str | None = None
    notice_id: str | None = None
    party: str | None = None
    """The party whose channel went silent (`channel_silent` only)."""

    def data(self) -> dict[str, Any]:
        """The alert as JSON values: `data.alert` of its events and the body of its entries."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "tier": self.tier,
            "state": self.state.value,
            "reason": self.reason,
            "tracks": [key.as_json() for key in self.tracks],
            "parties": sorted(self.parties),
            "agreement_ids": list(self.agreement_ids),
            "raised_at": format_iso(self.raised_at),
            "reported_at": format_iso(self.reported_at),
            "cleared_at": None if self.cleared_at is None else format_iso(self.cleared_at),
            "tcpa_s": _rounded(self.tcpa_s, 3),
            "dcpa_m": _rounded(self.dcpa_m, 1),
            "separation_m": _rounded(self.separation_m, 1),
            "states": [dict(s) for s in self.states],
            "area_id": self.area_id,
            "notice_id": self.notice_id,
            "party": self.party,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> AlertRecord:
        """The inverse of `data()`, for alerts the service stored itself."""
        cleared = data["cleared_at"]
        return cls(
            id=data["id"],
            kind=AlertKind(data["kind"]),
            tier=data["tier"],
            state=AlertState(data["state"]),
            reason=data["reason"],
            tracks=tuple(TrackKey(t["party"], t["id"]) for t in data["tracks"]),
            parties=frozenset(data["parties"]),
            agreement_ids=tuple(data["agreement_ids"]),
            raised_at=parse_iso(data["raised_at"], "/raised_at"),
            reported_at=parse_iso(data["reported_at"], "/reported_at"),
            cleared_at=None if cleared is None else parse_iso(cleared, "/cleared_at"),
            tcpa_s=data["tcpa_s"],
            dcpa_m=data["dcpa_m"],
            separation_m=data["separation_m"],
            states=tuple(data["states"]),
            area_id=data["area_id"],
            notice_id=data["notice_id"],
            party=data["party"],
        )


DATA_FIELDS = frozenset(
    {
        "id",
        "kind",
        "tier",
        "state",
        "reason",
        "tracks",
        "parties",
        "agreement_ids",
        "raised_at",
        "reported_at",
        "cleared_at",
        "tcpa_s",
        "dcpa_m",
        "separation_m",
        "states",
        "area_id",
        "notice_id",
        "party",
    }
)
"""Every field of `AlertRecord.data()`."""
DATA_TIMES = frozenset({"raised_at", "reported_at", "cleared_at"})


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
