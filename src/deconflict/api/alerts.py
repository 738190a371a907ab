"""Routes for the live picture's alerts: a party reads the alerts it hears, the admin all.
New alerts, their updates and their clearing also arrive on `GET /events/stream` as
`alert_raised`, `alert_updated` and `alert_cleared`, each with `data.alert` as served here."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from deconflict.api.deps import CallerDep, ServiceDep
from deconflict.api.edge import StrictJSONRoute
from deconflict.domain.alerts import AlertState

__all__ = ["AlertList", "AlertOut", "router"]

router = APIRouter(route_class=StrictJSONRoute, tags=["alerts"])


class AlertOut(BaseModel):
    """An alert as last reported (the `data.alert` of its events)."""

    id: str
    kind: str = Field(description="tactical, intrusion, conformance or channel_silent")
    tier: str
    state: str = Field(description="active or cleared")
    reason: str | None = Field(description="why it cleared: cleared, track_lost, service_restart")
    tracks: list[dict[str, str | None]] = Field(description="{party, id} of each track")
    parties: list[str] = Field(description="who hears it")
    agreement_ids: list[str]
    raised_at: str
    reported_at: str
    cleared_at: str | None
    tcpa_s: float | None = Field(description="seconds to the closest point of approach")
    dcpa_m: float | None = Field(description="distance at the closest point, metres")
    separation_m: float | None = Field(description="distance now, metres")
    states: list[dict[str, Any]] = Field(description="each track's state, in the push format")
    area_id: str | None
    notice_id: str | None
    party: str | None


class AlertList(BaseModel):
    items: list[AlertOut]


@router.get("/alerts", response_model=AlertList)
def list_alerts(
    caller: CallerDep,
    service: ServiceDep,
    state: Literal["active", "cleared"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The newest alerts the caller hears (every alert, for the admin), newest raised first."""
    chosen = None if state is None else AlertState(state)
    return {"items": [a.data() for a in service.list_alerts(caller, state=chosen, limit=limit)]}


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def get_alert(
    caller: CallerDep, service: ServiceDep, alert_id: Annotated[str, Path()]
) -> dict[str, Any]:
    return service.get_alert(caller, alert_id).data()
