"""The nouns of a deconfliction mechanism: parties, agreements, notices and what happens to them.

Plain frozen values. The service creates and stores them; the outer layers render them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from deconflict.errors import FieldError, InvalidInput
from deconflict.geometry import Volume

__all__ = [
    "AckState",
    "Acknowledgement",
    "Agreement",
    "AgreementTerms",
    "ConflictReport",
    "Disclosure",
    "DisclosureRule",
    "Event",
    "EventKind",
    "Hazard",
    "KeyPurpose",
    "Notice",
    "NoticeKind",
    "NoticeState",
    "Page",
    "Party",
    "ProtectedArea",
    "PublicKey",
]


class KeyPurpose(StrEnum):
    """What a party's public key may sign; acknowledgement and co-signing keys are distinct."""

    ACK = "ack"
    COSIGN = "cosign"


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key (32 raw bytes, base64 in JSON) registered by a party."""

    purpose: KeyPurpose
    key_b64: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Party:
    """An air force, operator or agency that takes part in one or more agreements."""

    id: str
    name: str
    keys: tuple[PublicKey, ...] = ()


class DisclosureRule(StrEnum):
    """Who sees a notice: every other member, or only the parties it affects."""

    ALL_MEMBERS = "all_members"
    AFFECTED = "affected"


@dataclass(frozen=True, slots=True)
class AgreementTerms:
    """The rules the members agreed on; changing them makes a new agreement version."""

    name: str
    members: tuple[str, ...]
    min_lead_time_s: float = 3600.0
    ack_deadline_s: float = 900.0
    escalation_after_s: tuple[float, ...] = (0.0, 900.0)
    """Tier n fires at disclosed_at + ack_deadline_s + escalation_after_s[n]."""
    buffer_h_m: float = 5000.0
    buffer_v_m: float = 300.0
    buffer_t_s: float = 0.0
    datum_margin_m: float = 150.0
    """Added to the vertical buffer when two altitudes use different references."""
    disclosure: DisclosureRule = DisclosureRule.ALL_MEMBERS

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        if not self.name.strip():
            errors.append(FieldError("/name", "must not be empty"))
        if len(set(self.members)) != len(self.members):
            errors.append(FieldError("/members", "lists a party twice"))
        if len(self.members) < 2:
            errors.append(FieldError("/members", "an agreement needs at least two parties"))
        for name in (
            "min_lead_time_s",
            "ack_deadline_s",
            "buffer_h_m",
            "buffer_v_m",
            "buffer_t_s",
            "datum_margin_m",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value < float("inf")):
                errors.append(FieldError(f"/{name}", "must be a finite number >= 0"))
        tiers = self.escalation_after_s
        for n, after in enumerate(tiers):
            if not (isinstance(after, int | float) and 0 <= after < float("inf")):
                errors.append(
                    FieldError(f"/escalation_after_s/{n}", "must be a finite number >= 0")
                )
        if not errors and list(tiers) != sorted(tiers):
            errors.append(FieldError("/escalation_after_s", "tiers must not go back in time"))
        if errors:
            raise InvalidInput("invalid agreement terms", errors)

    def as_dict(self) -> dict[str, Any]:
        """The terms as JSON values, as stored, logged and served."""
        return {
            "name": self.name,
            "members": list(self.members),
            "min_lead_time_s": self.min_lead_time_s,
            "ack_deadline_s": self.ack_deadline_s,
            "escalation_after_s": list(self.escalation_after_s),
            "buffer_h_m": self.buffer_h_m,
            "buffer_v_m": self.buffer_v_m,
            "buffer_t_s": self.buffer_t_s,
            "datum_margin_m": self.datum_margin_m,
            "disclosure": self.disclosure.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgreementTerms:
        """The inverse of `as_dict`."""
        return cls(
            name=data["name"],
            members=tuple(data["members"]),
            min_lead_time_s=data["min_lead_time_s"],
            ack_deadline_s=data["ack_deadline_s"],
            escalation_after_s=tuple(data["escalation_after_s"]),
            buffer_h_m=data["buffer_h_m"],
            buffer_v_m=data["buffer_v_m"],
            buffer_t_s=data["buffer_t_s"],
            datum_margin_m=data["datum_margin_m"],
            disclosure=DisclosureRule(data["disclosure"]),
        )

    def escalation_due(
        self, disclosed_at: datetime, tier: int, operation_start: datetime
    ) -> datetime | None:
        """When tier `tier` (0-based) fires: after the deadline, or at the start if earlier."""
        if tier >= len(self.escalation_after_s):
            return None
        after = timedelta(seconds=self.ack_deadline_s + self.escalation_after_s[tier])
        return min(disclosed_at + after, operation_start)


@dataclass(frozen=True, slots=True)
class Agreement:
    """One version of an agreement's terms."""

    id: str
    version: int
    terms: AgreementTerms
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProtectedArea:
    """Airspace a party asks the others to stay clear of, in every agreement it belongs to."""

    id: str
    owner: str
    name: str
    volume: Volume
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Hazard:
    """A danger from outside the mechanism (another state's air defence), entered by a member."""

    id: str
    agreement_id: str
    entered_by: str
    name: str
    volume: Volume
    created_at: datetime


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


class EventKind(StrEnum):
    """Things that happen to notices and that parties must hear about."""

    DISCLOSED = "disclosed"
    SHORT_NOTICE = "short_notice"
    CONFLICT = "conflict"
    ACKNOWLEDGED = "acknowledged"
    ESCALATION = "escalation"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Event:
    """A recorded happening, visible to the parties in its audience."""

    id: int
    kind: EventKind
    at: datetime
    agreement_id: str
    notice_id: str | None
    version: int | None
    party: str | None
    """The party the event is about (the recipient who was late, the one given short notice)."""
    due_at: datetime | None
    data: dict[str, object] = field(default_factory=dict)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, with the cursor for the next one (None at the end)."""

    items: tuple[T, ...]
    next_cursor: str | None
