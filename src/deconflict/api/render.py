"""Domain values to JSON-ready dicts, in the shapes `deconflict.api.schemas` documents."""

from __future__ import annotations

from typing import Any

from deconflict.domain import (
    Acknowledgement,
    Agreement,
    ConflictReport,
    Disclosure,
    Event,
    Hazard,
    Notice,
    Party,
    ProtectedArea,
)
from deconflict.geometry import Volume
from deconflict.geometry.formats import volume_to_geojson

__all__ = [
    "render_ack",
    "render_agreement",
    "render_event",
    "render_hazard",
    "render_notice",
    "render_party",
    "render_protected_area",
    "render_volume",
]

Json = dict[str, Any]


def render_volume(volume: Volume) -> Json:
    return volume_to_geojson(volume)


def render_party(party: Party) -> Json:
    return {
        "id": party.id,
        "name": party.name,
        "keys": [
            {"purpose": k.purpose.value, "key_b64": k.key_b64, "added_at": k.added_at}
            for k in party.keys
        ],
    }


def render_agreement(agreement: Agreement) -> Json:
    return {
        "id": agreement.id,
        "version": agreement.version,
        "created_at": agreement.created_at,
        **agreement.terms.as_dict(),
    }


def render_protected_area(area: ProtectedArea) -> Json:
    return {
        "id": area.id,
        "owner": area.owner,
        "name": area.name,
        "volume": render_volume(area.volume),
        "created_at": area.created_at,
    }


def render_hazard(hazard: Hazard) -> Json:
    return {
        "id": hazard.id,
        "agreement_id": hazard.agreement_id,
        "entered_by": hazard.entered_by,
        "name": hazard.name,
        "volume": render_volume(hazard.volume),
        "created_at": hazard.created_at,
    }


def _render_disclosure(d: Disclosure) -> Json:
    return {
        "party": d.party,
        "disclosed_at": d.disclosed_at,
        "first_fetched_at": d.first_fetched_at,
        "lead_time_s": d.lead_time_s,
        "short_notice": d.short_notice,
        "ack_due_at": d.ack_due_at,
        "ack_state": d.ack_state.value,
        "escalation_tier": d.escalation_tier,
        "acknowledged_at": d.acknowledged_at,
        "reason": d.reason,
    }


def _render_conflict(c: ConflictReport) -> Json:
    return {
        "volume_index": c.volume_index,
        "other_kind": c.other_kind,
        "other_id": c.other_id,
        "other_version": c.other_version,
        "other_volume_index": c.other_volume_index,
        "other_party": c.other_party,
        "overlap_start": c.overlap_start,
        "overlap_end": c.overlap_end,
        "altitude_overlap_m": list(c.altitude_overlap_m) if c.altitude_overlap_m else None,
        "vertical_gap_m": c.vertical_gap_m,
        "min_distance_m": c.min_distance_m,
        "overlap": c.overlap_geojson,
    }


def render_notice(notice: Notice) -> Json:
    return {
        "id": notice.id,
        "version": notice.version,
        "latest_version": notice.latest_version,
        "previous_version": notice.previous_version,
        "kind": notice.kind.value,
        "agreement_id": notice.agreement_id,
        "agreement_version": notice.agreement_version,
        "originator": notice.originator,
        "purpose": notice.purpose,
        "state": notice.state.value,
        "created_at": notice.created_at,
        "submitted_at": notice.submitted_at,
        "time_start": notice.time_start,
        "time_end": notice.time_end,
        "volumes": [render_volume(v) for v in notice.volumes],
        "disclosures": [_render_disclosure(d) for d in notice.disclosures],
        "conflicts": [_render_conflict(c) for c in notice.conflicts],
    }


def render_ack(ack: Acknowledgement) -> Json:
    return {
        "notice_id": ack.notice_id,
        "version": ack.version,
        "party": ack.party,
        "received_at": ack.received_at,
        "acknowledged_at": ack.acknowledged_at,
        "text": ack.text,
        "late": ack.late,
        "signature": ack.signature_b64,
    }


def render_event(event: Event) -> Json:
    return {
        "id": event.id,
        "kind": event.kind.value,
        "at": event.at,
        "agreement_id": event.agreement_id,
        "notice_id": event.notice_id,
        "version": event.version,
        "party": event.party,
        "due_at": event.due_at,
        "data": event.data,
    }
