"""Routes for parties and agreements: the admin sets the mechanism up, members read it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from deconflict.api.deps import CallerDep, ServiceDep
from deconflict.api.edge import StrictJSONRoute
from deconflict.api.render import render_agreement, render_party
from deconflict.api.schemas import (
    AgreementIn,
    AgreementList,
    AgreementOut,
    KeyIn,
    PartyCreated,
    PartyIn,
    PartyList,
    PartyOut,
)
from deconflict.domain import AgreementTerms, DisclosureRule, KeyPurpose, TrackSharing
from deconflict.domain.agreements import alert_tiers
from deconflict.errors import FieldError, InvalidInput
from deconflict.limits import MAX_INT32

__all__ = ["router"]

router = APIRouter(route_class=StrictJSONRoute)


def _terms(body: AgreementIn) -> AgreementTerms:
    return AgreementTerms(
        name=body.name,
        members=tuple(body.members),
        min_lead_time_s=body.min_lead_time_s,
        ack_deadline_s=body.ack_deadline_s,
        escalation_after_s=tuple(body.escalation_after_s),
        buffer_h_m=body.buffer_h_m,
        buffer_v_m=body.buffer_v_m,
        buffer_t_s=body.buffer_t_s,
        datum_margin_m=body.datum_margin_m,
        disclosure=DisclosureRule(body.disclosure),
        track_sharing=TrackSharing(body.track_sharing),
        alert_tiers=alert_tiers([t.model_dump() for t in body.alert_tiers]),
        clear_after_s=body.clear_after_s,
        intra_party_alerts=body.intra_party_alerts,
        channel_silent_after_s=body.channel_silent_after_s,
    )


@router.post("/parties", status_code=201, response_model=PartyCreated, tags=["parties"])
def add_party(
    body: PartyIn, caller: CallerDep, service: ServiceDep, response: Response
) -> dict[str, Any]:
    """Create a party (admin only); its bearer token is in the answer, and only there."""
    party, token = service.add_party(caller, body.name, party_id=body.id)
    response.headers["Location"] = f"/parties/{party.id}"
    return {**render_party(party), "token": token}


@router.get("/parties", response_model=PartyList, tags=["parties"])
def list_parties(caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    return {"items": [render_party(p) for p in service.list_parties(caller)]}


@router.get("/parties/{party_id}", response_model=PartyOut, tags=["parties"])
def get_party(party_id: str, caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    return render_party(service.get_party(caller, party_id))


@router.post("/parties/{party_id}/keys", status_code=201, response_model=PartyOut, tags=["parties"])
def add_key(party_id: str, body: KeyIn, caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """Register an Ed25519 public key (admin or the party itself)."""
    try:
        party = service.add_key(caller, party_id, KeyPurpose(body.purpose), body.key_b64)
    except InvalidInput as exc:
        renamed = [
            FieldError("/key_b64", e.detail) if e.pointer == "/key" else e for e in exc.errors
        ]
        raise InvalidInput(exc.detail, renamed) from None
    return render_party(party)


@router.post("/agreements", status_code=201, response_model=AgreementOut, tags=["agreements"])
def add_agreement(
    body: AgreementIn, caller: CallerDep, service: ServiceDep, response: Response
) -> dict[str, Any]:
    """Create an agreement between member parties (admin only)."""
    agreement = service.add_agreement(caller, _terms(body), agreement_id=body.id)
    response.headers["Location"] = f"/agreements/{agreement.id}"
    return render_agreement(agreement)


@router.get("/agreements", response_model=AgreementList, tags=["agreements"])
def list_agreements(caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """The latest version of every agreement the caller belongs to (all of them for the admin)."""
    return {"items": [render_agreement(a) for a in service.list_agreements(caller)]}


@router.get("/agreements/{agreement_id}", response_model=AgreementOut, tags=["agreements"])
def get_agreement(
    agreement_id: str,
    caller: CallerDep,
    service: ServiceDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_INT32)] = None,
) -> dict[str, Any]:
    return render_agreement(service.get_agreement(caller, agreement_id, version))


@router.put("/agreements/{agreement_id}", response_model=AgreementOut, tags=["agreements"])
def update_agreement(
    agreement_id: str, body: AgreementIn, caller: CallerDep, service: ServiceDep
) -> dict[str, Any]:
    """New terms make a new agreement version; notices keep the version they were made under."""
    return render_agreement(service.update_agreement(caller, agreement_id, _terms(body)))
