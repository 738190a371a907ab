"""Routes for aircraft declarations: the ICAO addresses and callsigns a party calls its own."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from deconflict.api.deps import CallerDep, ServiceDep
from deconflict.api.edge import StrictJSONRoute

__all__ = ["AircraftIn", "AircraftOut", "router"]

router = APIRouter(route_class=StrictJSONRoute, tags=["parties"])


class AircraftIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    icao24_ranges: list[list[str]] = Field(
        default_factory=list,
        description="inclusive [first, last] ICAO 24-bit address ranges, six hex digits each",
    )
    callsign_prefixes: list[str] = Field(
        default_factory=list, description="callsign prefixes, 2 to 8 of A-Z and 0-9"
    )


class AircraftOut(BaseModel):
    party_id: str
    icao24_ranges: list[list[str]] = Field(description="lower-case hex, sorted")
    callsign_prefixes: list[str]


@router.put("/parties/{party_id}/aircraft", response_model=AircraftOut)
def declare_aircraft(
    party_id: str, body: AircraftIn, caller: CallerDep, service: ServiceDep
) -> dict[str, Any]:
    """Declare the party's aircraft, replacing its previous declaration (the admin or the party
    itself). An ADS-B track is the party's whose range holds its address, else whose longest
    prefix starts its callsign. Claiming what another party declared is 409."""
    declared = service.declare_aircraft(
        caller, party_id, body.icao24_ranges, body.callsign_prefixes
    )
    return declared.as_dict()


@router.get("/parties/{party_id}/aircraft", response_model=AircraftOut)
def get_aircraft(party_id: str, caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """The party's declared aircraft (for itself, its partners and the admin)."""
    return service.get_aircraft(caller, party_id).as_dict()
