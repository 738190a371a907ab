"""Reading stored rows back as domain values, in one place."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from deconflict.domain import (
    Acknowledgement,
    AckState,
    Agreement,
    AgreementTerms,
    ConflictReport,
    Disclosure,
    Event,
    EventKind,
    Hazard,
    KeyPurpose,
    Party,
    ProtectedArea,
    PublicKey,
)
from deconflict.errors import NotFound
from deconflict.geometry.formats import volume_from_geojson
from deconflict.storage import tables as t

__all__ = [
    "acknowledgement_of",
    "agreement_of",
    "conflict_of",
    "disclosure_of",
    "event_of",
    "hazard_of",
    "load_party",
    "protected_area_of",
]


def agreement_of(row: Any) -> Agreement:
    return Agreement(
        row.agreement_id, row.version, AgreementTerms.from_dict(row.terms), row.created_at
    )


def load_party(conn: sa.Connection, party_id: str) -> Party:
    row = conn.execute(sa.select(t.parties).where(t.parties.c.id == party_id)).one_or_none()
    if row is None:
        raise NotFound(f"party {party_id!r} not found")
    keys = conn.execute(
        sa.select(t.party_keys)
        .where(t.party_keys.c.party_id == party_id)
        .order_by(t.party_keys.c.id)
    ).all()
    return Party(
        row.id,
        row.name,
        tuple(PublicKey(KeyPurpose(k.purpose), k.key_b64, k.added_at) for k in keys),
    )


def protected_area_of(row: Any) -> ProtectedArea:
    return ProtectedArea(
        row.id, row.owner, row.name, volume_from_geojson(row.volume), row.created_at
    )


def hazard_of(row: Any) -> Hazard:
    return Hazard(
        row.id,
        row.agreement_id,
        row.entered_by,
        row.name,
        volume_from_geojson(row.volume),
        row.created_at,
    )


def disclosure_of(row: Any) -> Disclosure:
    return Disclosure(
        party=row.party_id,
        disclosed_at=row.disclosed_at,
        first_fetched_at=row.first_fetched_at,
        lead_time_s=row.lead_time_s,
        short_notice=row.short_notice,
        ack_due_at=row.ack_due_at,
        ack_state=AckState(row.ack_state),
        escalation_tier=row.escalation_tier,
        acknowledged_at=row.acknowledged_at,
        reason=row.reason,
    )


def acknowledgement_of(row: Any) -> Acknowledgement:
    return Acknowledgement(
        notice_id=row.notice_id,
        version=row.version,
        party=row.party_id,
        received_at=row.received_at,
        acknowledged_at=row.acknowledged_at,
        text=row.text,
        late=row.late,
        signature_b64=row.signature_b64,
    )


def conflict_of(row: Any) -> ConflictReport:
    band = None
    if row.altitude_overlap_lower_m is not None:
        band = (row.altitude_overlap_lower_m, row.altitude_overlap_upper_m)
    return ConflictReport(
        volume_index=row.volume_index,
        other_kind=row.other_kind,
        other_id=row.other_id,
        other_version=row.other_version,
        other_volume_index=row.other_volume_index,
        other_party=row.other_party,
        overlap_start=row.overlap_start,
        overlap_end=row.overlap_end,
        altitude_overlap_m=band,
        vertical_gap_m=row.vertical_gap_m,
        min_distance_m=row.min_distance_m,
        overlap_geojson=row.overlap,
    )


def event_of(row: Any) -> Event:
    return Event(
        id=row.id,
        kind=EventKind(row.kind),
        at=row.at,
        agreement_id=row.agreement_id,
        notice_id=row.notice_id,
        version=row.version,
        party=row.party_id,
        due_at=row.due_at,
        data=dict(row.data),
    )
