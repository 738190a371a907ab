"""The facts of a notice's life: published, disclosed, in conflict, acknowledged, escalated,
expired. Each is filed under its notice version and heard by its originator among others."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from deconflict.domain.events import EventKind
from deconflict.domain.facts.base import (
    EventDraft,
    Fact,
    NoticeFact,
    filed_under_notice,
    named,
    parties_of,
    stamp,
)
from deconflict.domain.notices import (
    Acknowledgement,
    ConflictReport,
    Disclosure,
    NoticeKind,
    StoredVersion,
)
from deconflict.times import format_iso

__all__ = ["Acknowledged", "ConflictFound", "Disclosed", "Escalated", "Expired", "Published"]


@dataclass(frozen=True, slots=True)
class Published(Fact):
    """A notice version was submitted and checked."""

    entry_type: ClassVar[str] = "notice.version"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "notice_id",
            "version",
            "kind",
            "agreement_id",
            "agreement_version",
            "purpose",
            "volumes",
            "time_start",
            "time_end",
        }
    )
    body_times: ClassVar[frozenset[str]] = frozenset({"time_start", "time_end"})
    agreement_id: str
    originator: str
    stored: StoredVersion

    @property
    def actor(self) -> str | None:
        return self.originator

    @property
    def audience(self) -> frozenset[str]:
        return parties_of(self.originator)

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(party)

    @property
    def filed_under(self) -> tuple[str | None, int | None]:
        return self.stored.notice_id, self.stored.version

    @property
    def cites(self) -> tuple[str, int] | None:
        version = self.stored.version
        return (self.stored.notice_id, version - 1) if version > 1 else None

    def body(self) -> dict[str, Any]:
        stored = self.stored
        return {
            "notice_id": stored.notice_id,
            "version": stored.version,
            "kind": stored.kind.value,
            "agreement_id": self.agreement_id,
            "agreement_version": stored.agreement_version,
            "purpose": stored.purpose,
            "volumes": list(stored.features),
            "time_start": stamp(stored.time_start),
            "time_end": stamp(stored.time_end),
        }


@dataclass(frozen=True, slots=True)
class Disclosed(NoticeFact):
    """A notice version became visible to a party; its acknowledgement clock started."""

    entry_type: ClassVar[str] = "disclosure"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "notice_id",
            "version",
            "party_id",
            "reason",
            "disclosed_at",
            "lead_time_s",
            "short_notice",
            "min_lead_time_s",
            "ack_due_at",
        }
    )
    body_times: ClassVar[frozenset[str]] = frozenset({"disclosed_at", "ack_due_at"})
    kind: NoticeKind
    disclosure: Disclosure
    min_lead_time_s: float

    @property
    def audience(self) -> frozenset[str]:
        return parties_of(self.disclosure.party, self.originator)

    @property
    def grantee(self) -> str | None:
        return self.disclosure.party

    def body(self) -> dict[str, Any]:
        d = self.disclosure
        return {
            "notice_id": self.notice_id,
            "version": self.version,
            "party_id": d.party,
            "reason": d.reason,
            "disclosed_at": stamp(d.disclosed_at),
            "lead_time_s": d.lead_time_s,
            "short_notice": d.short_notice,
            "min_lead_time_s": self.min_lead_time_s,
            "ack_due_at": stamp(d.ack_due_at),
        }

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(body.get("party_id"))

    def events(self) -> tuple[EventDraft, ...]:
        d = self.disclosure
        disclosed = self._event(
            EventKind.DISCLOSED,
            {"reason": d.reason, "kind": self.kind.value, "lead_time_s": d.lead_time_s},
            party=d.party,
        )
        if not d.short_notice:
            return (disclosed,)
        short = self._event(
            EventKind.SHORT_NOTICE,
            {"lead_time_s": d.lead_time_s, "min_lead_time_s": self.min_lead_time_s},
            party=d.party,
        )
        return disclosed, short


@dataclass(frozen=True, slots=True)
class ConflictFound(NoticeFact):
    """The strategic check found a notice version in conflict with another volume."""

    entry_type: ClassVar[str] = "conflict"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "notice_id",
            "version",
            "volume_index",
            "other_kind",
            "other_id",
            "other_version",
            "other_volume_index",
            "other_party",
            "overlap_start",
            "overlap_end",
            "altitude_overlap_lower_m",
            "altitude_overlap_upper_m",
            "vertical_gap_m",
            "min_distance_m",
            "overlap",
            "detected_at",
        }
    )
    body_times: ClassVar[frozenset[str]] = frozenset(
        {"overlap_start", "overlap_end", "detected_at"}
    )
    report: ConflictReport
    detected_at: datetime

    @property
    def audience(self) -> frozenset[str]:
        return parties_of(self.originator, self.report.other_party)

    def body(self) -> dict[str, Any]:
        r = self.report
        band = r.altitude_overlap_m
        return {
            "notice_id": self.notice_id,
            "version": self.version,
            "volume_index": r.volume_index,
            "other_kind": r.other_kind,
            "other_id": r.other_id,
            "other_version": r.other_version,
            "other_volume_index": r.other_volume_index,
            "other_party": r.other_party,
            "overlap_start": stamp(r.overlap_start),
            "overlap_end": stamp(r.overlap_end),
            "altitude_overlap_lower_m": band[0] if band else None,
            "altitude_overlap_upper_m": band[1] if band else None,
            "vertical_gap_m": r.vertical_gap_m,
            "min_distance_m": r.min_distance_m,
            "overlap": r.overlap_geojson,
            "detected_at": stamp(self.detected_at),
        }

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(body.get("other_party"))

    def events(self) -> tuple[EventDraft, ...]:
        r = self.report
        data = {
            "volume_index": r.volume_index,
            "other_kind": r.other_kind,
            "other_id": r.other_id,
            "other_version": r.other_version,
            "min_distance_m": r.min_distance_m,
            "vertical_gap_m": r.vertical_gap_m,
            "overlap_start": format_iso(r.overlap_start),
            "overlap_end": format_iso(r.overlap_end),
        }
        return (self._event(EventKind.CONFLICT, data, party=r.other_party),)


@dataclass(frozen=True, slots=True)
class Acknowledged(Fact):
    """A recipient acknowledged one disclosed version."""

    entry_type: ClassVar[str] = "ack"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "notice_id",
            "version",
            "party_id",
            "received_at",
            "party_received_at",
            "acknowledged_at",
            "late",
            "text",
            "signature",
        }
    )
    body_times: ClassVar[frozenset[str]] = frozenset(
        {"received_at", "party_received_at", "acknowledged_at"}
    )
    agreement_id: str
    originator: str
    ack: Acknowledgement
    party_received_at: datetime | None
    ack_due_at: datetime

    @property
    def actor(self) -> str | None:
        return self.ack.party

    @property
    def audience(self) -> frozenset[str]:
        return parties_of(self.ack.party, self.originator)

    @property
    def filed_under(self) -> tuple[str | None, int | None]:
        return self.ack.notice_id, self.ack.version

    @property
    def cites(self) -> tuple[str, int] | None:
        return self.ack.notice_id, self.ack.version

    def body(self) -> dict[str, Any]:
        a = self.ack
        return {
            "notice_id": a.notice_id,
            "version": a.version,
            "party_id": a.party,
            "received_at": stamp(a.received_at),
            "party_received_at": stamp(self.party_received_at),
            "acknowledged_at": stamp(a.acknowledged_at),
            "late": a.late,
            "text": a.text,
            "signature": a.signature_b64,
        }

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(party, body.get("party_id"))

    def events(self) -> tuple[EventDraft, ...]:
        a = self.ack
        return (
            EventDraft(
                EventKind.ACKNOWLEDGED,
                self.agreement_id,
                a.notice_id,
                a.version,
                party=a.party,
                data={"late": a.late, "ack_due_at": format_iso(self.ack_due_at)},
            ),
        )


@dataclass(frozen=True, slots=True)
class Escalated(NoticeFact):
    """An acknowledgement deadline passed and escalation tier `tier` (1-based) fired."""

    entry_type: ClassVar[str] = "escalation"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {"notice_id", "version", "party_id", "tier", "due_at", "fired_at", "ack_due_at"}
    )
    body_times: ClassVar[frozenset[str]] = frozenset({"due_at", "fired_at", "ack_due_at"})
    party: str
    tier: int
    due_at: datetime
    fired_at: datetime
    ack_due_at: datetime

    @property
    def audience(self) -> frozenset[str]:
        return parties_of(self.party, self.originator)

    def body(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "version": self.version,
            "party_id": self.party,
            "tier": self.tier,
            "due_at": stamp(self.due_at),
            "fired_at": stamp(self.fired_at),
            "ack_due_at": stamp(self.ack_due_at),
        }

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(body.get("party_id"))

    def events(self) -> tuple[EventDraft, ...]:
        data = {
            "tier": self.tier,
            "due_at": format_iso(self.due_at),
            "fired_at": format_iso(self.fired_at),
            "ack_due_at": format_iso(self.ack_due_at),
        }
        return (self._event(EventKind.ESCALATION, data, party=self.party, due_at=self.due_at),)


@dataclass(frozen=True, slots=True)
class Expired(NoticeFact):
    """An operation's window ended: its version left the strategic check."""

    entry_type: ClassVar[str] = "expired"
    body_fields: ClassVar[frozenset[str]] = frozenset({"notice_id", "version", "time_end"})
    body_times: ClassVar[frozenset[str]] = frozenset({"time_end"})
    recipients: tuple[str, ...]
    time_end: datetime

    @property
    def audience(self) -> frozenset[str]:
        return parties_of(self.originator, *self.recipients)

    @property
    def cites(self) -> tuple[str, int] | None:
        return None

    def body(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "version": self.version,
            "time_end": stamp(self.time_end),
        }

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return frozenset()

    def events(self) -> tuple[EventDraft, ...]:
        data = {"time_end": format_iso(self.time_end)}
        return (self._event(EventKind.EXPIRED, data, due_at=self.time_end),)
