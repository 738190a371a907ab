"""The facts the mechanism records: each one a log entry, the events it raises and who hears.

A use case states what happened as one of these values; the service's transaction turns it
into the Merkle log entry, the events and the audience rows, so each fact is spelled once.
Log bodies write times as the log does (`times.format_time`); event data keeps the ISO form
the API has always served (`times.format_iso`). Each fact declares the fields its body holds
(`body_fields`, and which are times: `body_times`) beside the `body()` that writes them, so a
verifier reading an entry knows exactly what it may hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from deconflict.domain.agreements import AgreementTerms, Hazard, ProtectedArea
from deconflict.domain.aircraft import AircraftDeclaration
from deconflict.domain.events import EventKind
from deconflict.domain.notices import (
    Acknowledgement,
    ConflictReport,
    Disclosure,
    NoticeKind,
    StoredVersion,
)
from deconflict.domain.parties import KeyPurpose
from deconflict.geometry.formats import volume_to_geojson
from deconflict.times import format_iso, format_time

__all__ = [
    "FACTS",
    "Acknowledged",
    "AgreementVersioned",
    "AircraftDeclared",
    "AreaAdded",
    "AreaRemoved",
    "ConflictFound",
    "Disclosed",
    "Escalated",
    "EventDraft",
    "Expired",
    "Fact",
    "HazardAdded",
    "HazardRemoved",
    "KeyAdded",
    "LogKeyRotated",
    "NoticeFact",
    "PartyAdded",
    "Published",
    "TokenRevoked",
    "TokenRotated",
    "TrackHistoryCommitted",
]


def _stamp(when: datetime | None) -> str | None:
    return None if when is None else format_time(when)


def _named(*values: object) -> frozenset[str]:
    """The party ids among `values` (a recorded body may hold null where a party was absent)."""
    return frozenset(v for v in values if isinstance(v, str))


def _members(body: Mapping[str, Any]) -> frozenset[str]:
    terms = body.get("terms")
    members = terms.get("members") if isinstance(terms, Mapping) else None
    return _named(*members) if isinstance(members, list) else frozenset()


def _filed_under_notice(body: Mapping[str, Any]) -> tuple[str | None, int | None]:
    notice_id, version = body.get("notice_id"), body.get("version")
    return (
        notice_id if isinstance(notice_id, str) else None,
        version if isinstance(version, int) and not isinstance(version, bool) else None,
    )


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event a fact raises, before the transaction gives it an id and a time."""

    kind: EventKind
    agreement_id: str
    notice_id: str | None = None
    version: int | None = None
    party: str | None = None
    due_at: datetime | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


class Fact:
    """What every recorded fact answers; subclasses are frozen dataclasses."""

    __slots__ = ()
    entry_type: ClassVar[str]
    body_fields: ClassVar[frozenset[str]]
    """Every field `body()` writes, each always present (its value may be null): a verifier
    refuses an entry of this type with any other field, or without one of these."""
    body_times: ClassVar[frozenset[str]] = frozenset()
    """The fields of `body_fields` that hold a log time (`format_time`), or null."""

    @property
    def actor(self) -> str | None:
        """The party whose act this is (the log entry's `party`), None for the service's own."""
        return None

    @property
    def audience(self) -> frozenset[str]:
        """The parties who may read the entry and hear its events."""
        raise NotImplementedError

    @property
    def filed_under(self) -> tuple[str | None, int | None]:
        """The notice id and version the entry is indexed under."""
        return None, None

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        """`filed_under`, read back from a recorded body."""
        return None, None

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        """The part of `audience` a recorded entry names itself, by its `party` and body; the
        rest (a notice's originator and recipients, an agreement's members) is named by other
        entries."""
        raise NotImplementedError

    @property
    def cites(self) -> tuple[str, int] | None:
        """The notice version whose `notice.version` entry this one refers to, if any."""
        return None

    @property
    def grantee(self) -> str | None:
        """A party that may read the cited entry from now on (it was disclosed to it)."""
        return None

    def body(self) -> dict[str, Any]:
        raise NotImplementedError

    def events(self) -> tuple[EventDraft, ...]:
        return ()


def _parties(*parties: str | None) -> frozenset[str]:
    return frozenset(p for p in parties if p is not None)


@dataclass(frozen=True, slots=True)
class NoticeFact(Fact):
    """A fact about one version of a notice: filed under it, citing its `notice.version` entry,
    and heard by its originator among others."""

    notice_id: str
    version: int
    agreement_id: str
    originator: str

    @property
    def filed_under(self) -> tuple[str | None, int | None]:
        return self.notice_id, self.version

    @property
    def cites(self) -> tuple[str, int] | None:
        return self.notice_id, self.version

    def _event(
        self,
        kind: EventKind,
        data: Mapping[str, Any],
        *,
        party: str | None = None,
        due_at: datetime | None = None,
    ) -> EventDraft:
        return EventDraft(
            kind, self.agreement_id, self.notice_id, self.version, party, due_at, data
        )


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
        return _parties(self.originator)

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return _filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(party)

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
            "time_start": _stamp(stored.time_start),
            "time_end": _stamp(stored.time_end),
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
        return _parties(self.disclosure.party, self.originator)

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
            "disclosed_at": _stamp(d.disclosed_at),
            "lead_time_s": d.lead_time_s,
            "short_notice": d.short_notice,
            "min_lead_time_s": self.min_lead_time_s,
            "ack_due_at": _stamp(d.ack_due_at),
        }

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return _filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(body.get("party_id"))

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
        return _parties(self.originator, self.report.other_party)

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
            "overlap_start": _stamp(r.overlap_start),
            "overlap_end": _stamp(r.overlap_end),
            "altitude_overlap_lower_m": band[0] if band else None,
            "altitude_overlap_upper_m": band[1] if band else None,
            "vertical_gap_m": r.vertical_gap_m,
            "min_distance_m": r.min_distance_m,
            "overlap": r.overlap_geojson,
            "detected_at": _stamp(self.detected_at),
        }

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return _filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(body.get("other_party"))

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
        return _parties(self.ack.party, self.originator)

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
            "received_at": _stamp(a.received_at),
            "party_received_at": _stamp(self.party_received_at),
            "acknowledged_at": _stamp(a.acknowledged_at),
            "late": a.late,
            "text": a.text,
            "signature": a.signature_b64,
        }

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return _filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(party, body.get("party_id"))

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
        return _parties(self.party, self.originator)

    def body(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "version": self.version,
            "party_id": self.party,
            "tier": self.tier,
            "due_at": _stamp(self.due_at),
            "fired_at": _stamp(self.fired_at),
            "ack_due_at": _stamp(self.ack_due_at),
        }

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return _filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(body.get("party_id"))

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
        return _parties(self.originator, *self.recipients)

    @property
    def cites(self) -> tuple[str, int] | None:
        return None

    def body(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "version": self.version,
            "time_end": _stamp(self.time_end),
        }

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        return _filed_under_notice(body)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return frozenset()

    def events(self) -> tuple[EventDraft, ...]:
        data = {"time_end": format_iso(self.time_end)}
        return (self._event(EventKind.EXPIRED, data, due_at=self.time_end),)


@dataclass(frozen=True, slots=True)
class PartyAdded(Fact):
    entry_type: ClassVar[str] = "party.added"
    body_fields: ClassVar[frozenset[str]] = frozenset({"party_id", "name"})
    party_id: str
    name: str

    @property
    def audience(self) -> frozenset[str]:
        return _parties(self.party_id)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(body.get("party_id"))

    def body(self) -> dict[str, Any]:
        return {"party_id": self.party_id, "name": self.name}


@dataclass(frozen=True, slots=True)
class KeyAdded(Fact):
    """A party's public key was registered (by the party itself, or by the admin: `by` None)."""

    entry_type: ClassVar[str] = "party.key"
    body_fields: ClassVar[frozenset[str]] = frozenset({"party_id", "purpose", "key"})
    party_id: str
    purpose: KeyPurpose
    key_b64: str
    by: str | None

    @property
    def actor(self) -> str | None:
        return self.by

    @property
    def audience(self) -> frozenset[str]:
        return _parties(self.party_id)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(body.get("party_id"))

    def body(self) -> dict[str, Any]:
        return {"party_id": self.party_id, "purpose": self.purpose.value, "key": self.key_b64}


@dataclass(frozen=True, slots=True)
class AircraftDeclared(Fact):
    """A party declared which aircraft are its own (by the party itself, or by the admin: `by`
    None), replacing what it declared before; told to its partners, who see its tracks."""

    entry_type: ClassVar[str] = "party.aircraft"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {"party_id", "icao24_ranges", "callsign_prefixes"}
    )
    declaration: AircraftDeclaration
    partners: frozenset[str]
    by: str | None

    @property
    def actor(self) -> str | None:
        return self.by

    @property
    def audience(self) -> frozenset[str]:
        return self.partners | {self.declaration.party}

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(party, body.get("party_id"))

    def body(self) -> dict[str, Any]:
        return self.declaration.as_dict()


@dataclass(frozen=True, slots=True)
class TokenRotated(Fact):
    """A bearer token was replaced: a party's, or the admin's (`party_id` None), by the party
    itself or by the admin (`by` None). The old token stopped working in the same transaction.

    The entry names whose token changed and who changed it, never the token nor a digest of it:
    the log travels further than the database (witnesses, proof bundles), a digest proves
    nothing a party could check, and an operator-chosen admin token may be short enough to guess
    from one offline."""

    entry_type: ClassVar[str] = "token.rotated"
    body_fields: ClassVar[frozenset[str]] = frozenset({"party_id"})
    party_id: str | None
    by: str | None

    @property
    def actor(self) -> str | None:
        return self.by

    @property
    def audience(self) -> frozenset[str]:
        return _parties(self.party_id)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(body.get("party_id"))

    def body(self) -> dict[str, Any]:
        return {"party_id": self.party_id}


@dataclass(frozen=True, slots=True)
class TokenRevoked(Fact):
    """The admin revoked a party's token: none of it authenticates until a new one is issued."""

    entry_type: ClassVar[str] = "token.revoked"
    body_fields: ClassVar[frozenset[str]] = frozenset({"party_id"})
    party_id: str

    @property
    def audience(self) -> frozenset[str]:
        return _parties(self.party_id)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(body.get("party_id"))

    def body(self) -> dict[str, Any]:
        return {"party_id": self.party_id}


@dataclass(frozen=True, slots=True)
class LogKeyRotated(Fact):
    """The log's signing key changed from `old_vkey` to `new_vkey`; `signature_b64` is the old
    key's signature of the change (`deconflict.log.rotation`). Every checkpoint holding this
    entry is signed by the new key, so whoever pinned the old key can follow the change."""

    entry_type: ClassVar[str] = "log.key"
    body_fields: ClassVar[frozenset[str]] = frozenset({"old_key", "new_key", "signature"})
    old_vkey: str
    new_vkey: str
    signature_b64: str
    parties: frozenset[str]

    @property
    def audience(self) -> frozenset[str]:
        return self.parties

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        """None: every party hears of it, and the body names none."""
        return frozenset()

    def body(self) -> dict[str, Any]:
        return {"old_key": self.old_vkey, "new_key": self.new_vkey, "signature": self.signature_b64}


@dataclass(frozen=True, slots=True)
class AgreementVersioned(Fact):
    entry_type: ClassVar[str] = "agreement.version"
    body_fields: ClassVar[frozenset[str]] = frozenset({"agreement_id", "version", "terms"})
    agreement_id: str
    version: int
    terms: AgreementTerms

    @property
    def audience(self) -> frozenset[str]:
        return frozenset(self.terms.members)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _members(body)

    def body(self) -> dict[str, Any]:
        return {
            "agreement_id": self.agreement_id,
            "version": self.version,
            "terms": self.terms.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class AreaAdded(Fact):
    """A protected area, told to its owner's partners."""

    entry_type: ClassVar[str] = "protected_area.added"
    body_fields: ClassVar[frozenset[str]] = frozenset({"area_id", "owner", "name", "volume"})
    area: ProtectedArea
    partners: frozenset[str]

    @property
    def actor(self) -> str | None:
        return self.area.owner

    @property
    def audience(self) -> frozenset[str]:
        return self.partners | {self.area.owner}

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(party, body.get("owner"))

    def body(self) -> dict[str, Any]:
        a = self.area
        return {
            "area_id": a.id,
            "owner": a.owner,
            "name": a.name,
            "volume": volume_to_geojson(a.volume),
        }


@dataclass(frozen=True, slots=True)
class AreaRemoved(Fact):
    entry_type: ClassVar[str] = "protected_area.removed"
    body_fields: ClassVar[frozenset[str]] = frozenset({"area_id", "owner"})
    area_id: str
    owner: str
    partners: frozenset[str]

    @property
    def actor(self) -> str | None:
        return self.owner

    @property
    def audience(self) -> frozenset[str]:
        return self.partners | {self.owner}

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(party, body.get("owner"))

    def body(self) -> dict[str, Any]:
        return {"area_id": self.area_id, "owner": self.owner}


@dataclass(frozen=True, slots=True)
class HazardAdded(Fact):
    """A third-party hazard, told to every member of its agreement."""

    entry_type: ClassVar[str] = "hazard.added"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {"hazard_id", "agreement_id", "name", "volume"}
    )
    hazard: Hazard
    members: frozenset[str]

    @property
    def actor(self) -> str | None:
        return self.hazard.entered_by

    @property
    def audience(self) -> frozenset[str]:
        return self.members | {self.hazard.entered_by}

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(party)

    def body(self) -> dict[str, Any]:
        h = self.hazard
        return {
            "hazard_id": h.id,
            "agreement_id": h.agreement_id,
            "name": h.name,
            "volume": volume_to_geojson(h.volume),
        }


@dataclass(frozen=True, slots=True)
class HazardRemoved(Fact):
    entry_type: ClassVar[str] = "hazard.removed"
    body_fields: ClassVar[frozenset[str]] = frozenset({"hazard_id", "agreement_id"})
    hazard_id: str
    agreement_id: str
    by: str
    members: frozenset[str]

    @property
    def actor(self) -> str | None:
        return self.by

    @property
    def audience(self) -> frozenset[str]:
        return self.members | {self.by}

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return _named(party)

    def body(self) -> dict[str, Any]:
        return {"hazard_id": self.hazard_id, "agreement_id": self.agreement_id}


@dataclass(frozen=True, slots=True)
class TrackHistoryCommitted(Fact):
    """The live picture kept `count` track states in the minute from `minute_start` to
    `minute_end` (service time), stored beside the log; `commitment` is their hash
    (`deconflict.tracks.commitment`), so a later report can prove what was seen and when.

    Every party reads it (`service.visibility.history_readers` says why); the body names no
    party, so `log verify` holds its readers to the parties logged before it."""

    entry_type: ClassVar[str] = "track.history"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {"minute_start", "minute_end", "count", "commitment"}
    )
    body_times: ClassVar[frozenset[str]] = frozenset({"minute_start", "minute_end"})
    minute_start: datetime
    minute_end: datetime
    count: int
    commitment: str
    readers: frozenset[str]

    @property
    def audience(self) -> frozenset[str]:
        return self.readers

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return frozenset()

    def body(self) -> dict[str, Any]:
        return {
            "minute_start": _stamp(self.minute_start),
            "minute_end": _stamp(self.minute_end),
            "count": self.count,
            "commitment": self.commitment,
        }


FACTS: Mapping[str, type[Fact]] = {
    cls.entry_type: cls
    for cls in (
        Published,
        Disclosed,
        ConflictFound,
        Acknowledged,
        Escalated,
        Expired,
        PartyAdded,
        KeyAdded,
        AircraftDeclared,
        AgreementVersioned,
        AreaAdded,
        AreaRemoved,
        HazardAdded,
        HazardRemoved,
        TokenRotated,
        TokenRevoked,
        LogKeyRotated,
        TrackHistoryCommitted,
    )
}
"""The fact class of each log entry type. What a recorded entry says about its own index
columns and readers is read back by its class (`filed_under_body`, `named_readers`), so
`log verify` checks the stored columns against the rule that wrote them."""
