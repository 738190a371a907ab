"""Advance notices of operations, their versions, disclosures and acknowledgements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from deconflict.geometry import Volume

__all__ = [
    "AckState",
    "Acknowledgement",
    "ConflictReport",
    "Disclosure",
    "Notice",
    "NoticeKind",
    "NoticeState",
    "StoredNotice",
    "StoredVersion",
]


class NoticeKind(StrEnum):
    """Why a notice version exists."""

    SUBMISSION = "submission"
    AMENDMENT = "amendment"
    CANCELLATION = "cancellation"


class NoticeState(StrEnum):
    """Where a notice stands as a whole."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class AckState(StrEnum):
    """Where one recipient stands with one notice version."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    ACKNOWLEDGED_LATE = "acknowledged_late"


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One notice version made visible to one party, and that party's acknowledgement clock."""

    party: str
    disclosed_at: datetime
    first_fetched_at: datetime | None
    lead_time_s: float
    """Earliest time_start of the version minus disclosed_at."""
    short_notice: bool
    ack_due_at: datetime
    ack_state: AckState
    escalation_tier: int
    """How many escalation tiers have fired (0 = none)."""
    acknowledged_at: datetime | None
    reason: str
    """Why it was disclosed: member, affected, conflict or earlier_recipient."""


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """A recipient's acknowledgement of one notice version."""

    notice_id: str
    version: int
    party: str
    received_at: datetime
    """When the service first delivered the version to the party."""
    acknowledged_at: datetime
    text: str
    late: bool
    signature_b64: str | None = None


@dataclass(frozen=True, slots=True)
class ConflictReport:
    """A conflict found by the strategic check, as disclosed to the two parties involved."""

    volume_index: int
    other_kind: str
    """notice, protected_area or hazard."""
    other_id: str
    other_version: int | None
    other_volume_index: int
    other_party: str | None
    overlap_start: datetime
    overlap_end: datetime
    altitude_overlap_m: tuple[float, float] | None
    vertical_gap_m: float
    min_distance_m: float
    overlap_geojson: dict[str, object] | None


@dataclass(frozen=True, slots=True)
class Notice:
    """One version of an advance notice of an operation, as one viewer may see it."""

    id: str
    version: int
    kind: NoticeKind
    agreement_id: str
    agreement_version: int
    originator: str
    purpose: str
    volumes: tuple[Volume, ...]
    state: NoticeState
    created_at: datetime
    submitted_at: datetime | None
    previous_version: int | None
    latest_version: int
    disclosures: tuple[Disclosure, ...] = ()
    conflicts: tuple[ConflictReport, ...] = ()

    @property
    def time_start(self) -> datetime:
        return min(v.window.start for v in self.volumes)

    @property
    def time_end(self) -> datetime:
        return max(v.window.end for v in self.volumes)


@dataclass(frozen=True, slots=True)
class StoredNotice:
    """What is kept of a notice as a whole, before it is rendered for one viewer."""

    id: str
    agreement_id: str
    originator: str
    latest_version: int
    state: NoticeState
    created_at: datetime

    @property
    def closed(self) -> bool:
        """Cancelled or expired: no version can follow."""
        return self.state in (NoticeState.CANCELLED, NoticeState.EXPIRED)


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One stored notice version; its volumes as the GeoJSON Features that were logged."""

    notice_id: str
    version: int
    kind: NoticeKind
    agreement_version: int
    purpose: str
    features: tuple[Mapping[str, Any], ...]
    time_start: datetime
    time_end: datetime
    created_at: datetime
    submitted_at: datetime | None
