"""Pydantic models of the HTTP boundary: request bodies in, response bodies out (OpenAPI).

Requests are strict (no type coercion, unknown fields refused). Volumes stay plain JSON objects
here; `deconflict.api.volumes` turns them into `Volume`s with the geometry formats, which name
each bad field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from deconflict.domain import AgreementTerms
from deconflict.limits import (
    ID_PATTERN,
    MAX_BUFFER_H_M,
    MAX_BUFFER_V_M,
    MAX_DURATION_S,
    MAX_INT32,
    MAX_MEMBERS,
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    MAX_TIERS,
    TEXT_PATTERN,
)

__all__ = [
    "AckIn",
    "AckList",
    "AckOut",
    "AgreementIn",
    "AgreementList",
    "AgreementOut",
    "AgreementTermsOut",
    "AmendIn",
    "CancelIn",
    "ConflictOut",
    "DisclosureOut",
    "EventOut",
    "EventPage",
    "HazardIn",
    "HazardList",
    "HazardOut",
    "Id",
    "KeyIn",
    "KeyOut",
    "Name",
    "NoticeIn",
    "NoticeOut",
    "NoticePage",
    "PartyCreated",
    "PartyIn",
    "PartyList",
    "PartyOut",
    "ProblemOut",
    "ProtectedAreaIn",
    "ProtectedAreaList",
    "ProtectedAreaOut",
    "Purpose",
    "Seconds",
    "Text",
    "TokenOut",
]

_DEFAULTS = AgreementTerms(name="defaults", members=("a", "b"))
Feature = dict[str, Any]
FEATURE_DOC = (
    "GeoJSON Feature: Polygon/MultiPolygon geometry, or Point with properties.radius_m; "
    "properties alt_lower_m/alt_upper_m (or alt_lower_fl/alt_upper_fl), optional alt_reference "
    "(W84|STD), time_start/time_end (RFC 3339 with offset)"
)


Id = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        description="a letter or digit, then up to 63 letters, digits, '.', '_' or '-'",
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS, pattern=TEXT_PATTERN)]
"""A name: no control characters (PostgreSQL refuses NUL, so both backends refuse them all)."""
Text = Annotated[str, Field(max_length=MAX_TEXT_CHARS, pattern=TEXT_PATTERN)]
"""Free text: no control characters but tab and newline."""
Purpose = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS, pattern=TEXT_PATTERN)]
"""A notice's purpose: text, not empty."""


def _stated(high: float) -> dict[str, Any]:
    """The bounds of a term, for OpenAPI: `AgreementTerms` checks them, with every other bad
    term, so one answer names all of them."""
    return {"minimum": 0, "maximum": high}


Seconds = Annotated[float, Field(json_schema_extra=_stated(MAX_DURATION_S))]
"""A duration of the terms: at most 30 days."""


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class PartyIn(_In):
    name: Name
    id: Id | None = Field(default=None, description="chosen id; generated when absent")


class KeyIn(_In):
    purpose: Literal["ack", "cosign"]
    key_b64: str = Field(description="Ed25519 public key, 32 raw bytes, base64")


class AlertTierIn(_In):
    name: Name
    rpz_m: float = Field(description="horizontal separation, metres")
    hpz_m: float = Field(description="vertical separation, metres")
    lookahead_s: float = Field(description="how far ahead a loss of separation is predicted")


class AgreementIn(_In):
    name: Name
    members: list[Id] = Field(
        description=f"party ids, at least two, at most {MAX_MEMBERS}",
        json_schema_extra={"maxItems": MAX_MEMBERS},
    )
    min_lead_time_s: Seconds = _DEFAULTS.min_lead_time_s
    ack_deadline_s: Seconds = _DEFAULTS.ack_deadline_s
    escalation_after_s: list[Seconds] = Field(
        default=list(_DEFAULTS.escalation_after_s),
        json_schema_extra={"maxItems": MAX_TIERS},
        description="tier n fires at disclosed_at + ack_deadline_s + escalation_after_s[n]",
    )
    buffer_h_m: float = Field(_DEFAULTS.buffer_h_m, json_schema_extra=_stated(MAX_BUFFER_H_M))
    buffer_v_m: float = Field(_DEFAULTS.buffer_v_m, json_schema_extra=_stated(MAX_BUFFER_V_M))
    buffer_t_s: Seconds = _DEFAULTS.buffer_t_s
    datum_margin_m: float = Field(
        _DEFAULTS.datum_margin_m, json_schema_extra=_stated(MAX_BUFFER_V_M)
    )
    disclosure: Literal["all_members", "affected"] = "all_members"
    track_sharing: Literal["alerts_only", "all_members"] = Field(
        default="alerts_only",
        description="whose live tracks a member sees: all_members, or alerts_only (none of "
        "another member's until an alert concerns it)",
    )
    alert_tiers: list[AlertTierIn] = Field(
        default=[AlertTierIn.model_validate(t) for t in _DEFAULTS.as_dict()["alert_tiers"]],
        description="the live picture's alert levels, least severe first; each inner one no "
        "larger than the one before",
    )
    clear_after_s: float = Field(
        default=_DEFAULTS.clear_after_s,
        description="an alert clears once no tier has been met for this long",
    )
    intra_party_alerts: bool = Field(
        default=_DEFAULTS.intra_party_alerts,
        description="whether one party's own aircraft alert against each other",
    )
    channel_silent_after_s: float = Field(
        default=_DEFAULTS.channel_silent_after_s,
        description="a member not heard from for this long has a silent channel",
    )
    id: Id | None = Field(default=None, description="chosen id on creation; ignored on update")


class ProtectedAreaIn(_In):
    name: Name
    volume: Feature | None = Field(default=None, description=FEATURE_DOC)
    volume_f3548: dict[str, Any] | None = Field(default=None, description="ASTM F3548 Volume4D")


class HazardIn(ProtectedAreaIn):
    agreement_id: Id


class NoticeIn(_In):
    agreement_id: Id
    purpose: Purpose
    volumes: list[Feature] | Feature | None = Field(
        default=None, description="GeoJSON Features, or a FeatureCollection. " + FEATURE_DOC
    )
    volumes_f3548: list[dict[str, Any]] | None = Field(
        default=None, description="ASTM F3548 Volume4D objects, instead of volumes"
    )
    draft: bool = False


class AmendIn(_In):
    volumes: list[Feature] | Feature | None = Field(default=None, description=FEATURE_DOC)
    volumes_f3548: list[dict[str, Any]] | None = None
    purpose: Purpose | None = None


class CancelIn(_In):
    reason: Text = ""


class AckIn(_In):
    version: int = Field(ge=1, le=MAX_INT32)
    text: Text = ""
    signature: str | None = Field(default=None, description="Ed25519 signature, base64")
    received_at: str | None = Field(
        default=None, description="when the party says it received the notice (RFC 3339)"
    )


class ProblemOut(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, str]]


class KeyOut(BaseModel):
    purpose: str
    key_b64: str
    added_at: datetime


class PartyOut(BaseModel):
    id: str
    name: str
    keys: list[KeyOut]


class PartyCreated(PartyOut):
    token: str = Field(description="the party's bearer token; shown only this once")


class PartyList(BaseModel):
    items: list[PartyOut]


class TokenOut(BaseModel):
    party_id: str | None = Field(description="whose token it is; null for the admin's")
    token: str = Field(description="the new bearer token; shown only this once")


class AgreementTermsOut(BaseModel):
    name: str
    members: list[str]
    min_lead_time_s: float
    ack_deadline_s: float
    escalation_after_s: list[float]
    buffer_h_m: float
    buffer_v_m: float
    buffer_t_s: float
    datum_margin_m: float
    disclosure: str
    track_sharing: str
    alert_tiers: list[dict[str, Any]]
    clear_after_s: float
    intra_party_alerts: bool
    channel_silent_after_s: float


class AgreementOut(AgreementTermsOut):
    id: str
    version: int
    created_at: datetime


class AgreementList(BaseModel):
    items: list[AgreementOut]


class ProtectedAreaOut(BaseModel):
    id: str
    owner: str
    name: str
    volume: Feature
    created_at: datetime


class ProtectedAreaList(BaseModel):
    items: list[ProtectedAreaOut]


class HazardOut(BaseModel):
    id: str
    agreement_id: str
    entered_by: str
    name: str
    volume: Feature
    created_at: datetime


class HazardList(BaseModel):
    items: list[HazardOut]


class DisclosureOut(BaseModel):
    party: str
    disclosed_at: datetime
    first_fetched_at: datetime | None
    lead_time_s: float
    short_notice: bool
    ack_due_at: datetime
    ack_state: str
    escalation_tier: int
    acknowledged_at: datetime | None
    reason: str


class ConflictOut(BaseModel):
    volume_index: int
    other_kind: str
    other_id: str
    other_version: int | None
    other_volume_index: int
    other_party: str | None
    overlap_start: datetime
    overlap_end: datetime
    altitude_overlap_m: list[float] | None
    vertical_gap_m: float
    min_distance_m: float
    overlap: dict[str, Any] | None


class NoticeOut(BaseModel):
    id: str
    version: int
    latest_version: int
    previous_version: int | None
    kind: str
    agreement_id: str
    agreement_version: int
    originator: str
    purpose: str
    state: str
    created_at: datetime
    submitted_at: datetime | None
    time_start: datetime
    time_end: datetime
    volumes: list[Feature]
    disclosures: list[DisclosureOut]
    conflicts: list[ConflictOut]


class NoticePage(BaseModel):
    items: list[NoticeOut]
    next_cursor: str | None


class AckOut(BaseModel):
    notice_id: str
    version: int
    party: str
    received_at: datetime
    acknowledged_at: datetime
    text: str
    late: bool
    signature: str | None


class AckList(BaseModel):
    items: list[AckOut]


class EventOut(BaseModel):
    id: int
    kind: str
    at: datetime
    agreement_id: str
    notice_id: str | None
    version: int | None
    party: str | None
    due_at: datetime | None
    data: dict[str, Any]


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None
