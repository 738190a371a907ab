"""Routes for standing airspace: protected areas (a party's own) and third-party hazards."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from deconflict.api.deps import CallerDep, ServiceDep
from deconflict.api.edge import StrictJSONRoute
from deconflict.api.render import render_hazard, render_protected_area
from deconflict.api.schemas import (
    HazardIn,
    HazardList,
    HazardOut,
    ProtectedAreaIn,
    ProtectedAreaList,
    ProtectedAreaOut,
)
from deconflict.api.volumes import one_volume
from deconflict.limits import ID_PATTERN

__all__ = ["router"]

router = APIRouter(route_class=StrictJSONRoute)


@router.post(
    "/protected-areas", status_code=201, response_model=ProtectedAreaOut, tags=["airspace"]
)
def add_protected_area(
    body: ProtectedAreaIn, caller: CallerDep, service: ServiceDep, response: Response
) -> dict[str, Any]:
    """Declare airspace the other members' notices are checked against."""
    area = service.add_protected_area(caller, body.name, one_volume(body.volume, body.volume_f3548))
    response.headers["Location"] = f"/protected-areas/{area.id}"
    return render_protected_area(area)


@router.get("/protected-areas", response_model=ProtectedAreaList, tags=["airspace"])
def list_protected_areas(caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """The caller's own areas and those of parties sharing an agreement with it."""
    return {"items": [render_protected_area(a) for a in service.list_protected_areas(caller)]}


@router.delete("/protected-areas/{area_id}", status_code=204, tags=["airspace"])
def remove_protected_area(area_id: str, caller: CallerDep, service: ServiceDep) -> Response:
    service.remove_protected_area(caller, area_id)
    return Response(status_code=204)


@router.post("/hazards", status_code=201, response_model=HazardOut, tags=["airspace"])
def add_hazard(
    body: HazardIn, caller: CallerDep, service: ServiceDep, response: Response
) -> dict[str, Any]:
    """Enter a danger from outside the mechanism; every member of the agreement sees it."""
    hazard = service.add_hazard(
        caller, body.agreement_id, body.name, one_volume(body.volume, body.volume_f3548)
    )
    response.headers["Location"] = f"/hazards/{hazard.id}"
    return render_hazard(hazard)


@router.get("/hazards", response_model=HazardList, tags=["airspace"])
def list_hazards(
    caller: CallerDep,
    service: ServiceDep,
    agreement_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> dict[str, Any]:
    return {"items": [render_hazard(h) for h in service.list_hazards(caller, agreement_id)]}


@router.delete("/hazards/{hazard_id}", status_code=204, tags=["airspace"])
def remove_hazard(hazard_id: str, caller: CallerDep, service: ServiceDep) -> Response:
    service.remove_hazard(caller, hazard_id)
    return Response(status_code=204)
