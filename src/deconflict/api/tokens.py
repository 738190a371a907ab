"""Routes for bearer tokens: rotate a party's or the admin's, revoke a party's.

A new token is in the answer and only there (the service keeps its SHA-256); the old one stops
working in the same transaction, and each change is an entry of the log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from deconflict.api.deps import CallerDep, ServiceDep
from deconflict.api.edge import StrictJSONRoute
from deconflict.api.schemas import TokenOut

__all__ = ["router"]

router = APIRouter(route_class=StrictJSONRoute, tags=["tokens"])


@router.post("/parties/{party_id}/token", response_model=TokenOut)
def rotate_party_token(party_id: str, caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """A new token for the party (the admin, or the party itself); the old one stops at once.
    For a revoked party (the admin only) this issues the token that brings it back."""
    return {"party_id": party_id, "token": service.rotate_token(caller, party_id)}


@router.delete("/parties/{party_id}/token", status_code=204)
def revoke_party_token(party_id: str, caller: CallerDep, service: ServiceDep) -> Response:
    """Revoke the party's token (admin only): it answers 401 until the admin rotates it."""
    service.revoke_token(caller, party_id)
    return Response(status_code=204)


@router.post("/admin/token", response_model=TokenOut)
def rotate_admin_token(caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """A new admin token (admin only); the one that made this call stops at once. A restart
    with `--admin-token` (or `DECONFLICT_ADMIN_TOKEN`) sets that one again."""
    return {"party_id": None, "token": service.rotate_admin_token(caller)}
