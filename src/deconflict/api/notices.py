"""Routes for notices and their acknowledgements: the daily work of a duty officer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from deconflict.api.deps import CallerDep, IdempotencyKey, ServiceDep, set_next_link
from deconflict.api.edge import StrictJSONRoute, body_digest
from deconflict.api.render import render_ack, render_notice
from deconflict.api.schemas import (
    AckIn,
    AckList,
    AckOut,
    AmendIn,
    CancelIn,
    NoticeIn,
    NoticeOut,
    NoticePage,
)
from deconflict.api.volumes import volume_input
from deconflict.domain import NoticeState
from deconflict.errors import InvalidInput
from deconflict.limits import ID_PATTERN, MAX_INT32
from deconflict.times import parse_utc

__all__ = ["router"]

router = APIRouter(route_class=StrictJSONRoute, tags=["notices"])


@router.post("/notices", status_code=201, response_model=NoticeOut)
def submit_notice(
    body: NoticeIn,
    caller: CallerDep,
    service: ServiceDep,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Submit a notice (or save a draft): checked at once, recorded, disclosed, clock started."""
    given = volume_input(body.volumes, body.volumes_f3548)
    try:
        notice = service.submit_notice(
            caller,
            body.agreement_id,
            given.volumes,
            body.purpose,
            draft=body.draft,
            idempotency_key=idempotency_key,
            request_digest=body_digest(request),
        )
    except InvalidInput as exc:
        raise given.relocate(exc) from None
    response.headers["Location"] = f"/notices/{notice.id}"
    return render_notice(notice)


@router.get("/notices", response_model=NoticePage)
def list_notices(
    caller: CallerDep,
    service: ServiceDep,
    request: Request,
    response: Response,
    role: Literal["originator", "recipient"] | None = None,
    state: NoticeState | None = None,
    cursor: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The caller's own notices and those disclosed to it, newest first, a page at a time."""
    page = service.list_notices(caller, role=role, state=state, cursor=cursor, limit=limit)
    set_next_link(request, response, "cursor", page.next_cursor)
    return {"items": [render_notice(n) for n in page.items], "next_cursor": page.next_cursor}


@router.get("/notices/{notice_id}", response_model=NoticeOut)
def get_notice(
    notice_id: str,
    caller: CallerDep,
    service: ServiceDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_INT32)] = None,
) -> dict[str, Any]:
    """One version (the latest by default); the first fetch by a recipient is recorded."""
    return render_notice(service.get_notice(caller, notice_id, version))


@router.post("/notices/{notice_id}/submit", response_model=NoticeOut)
def submit_draft(notice_id: str, caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """Submit a draft: from now on it is checked, disclosed and on the clock."""
    return render_notice(service.submit_draft(caller, notice_id))


@router.post("/notices/{notice_id}/amend", response_model=NoticeOut)
def amend_notice(
    notice_id: str,
    body: AmendIn,
    caller: CallerDep,
    service: ServiceDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """A new version with new volumes; every earlier recipient must acknowledge it again."""
    given = volume_input(body.volumes, body.volumes_f3548)
    try:
        notice = service.amend_notice(
            caller,
            notice_id,
            given.volumes,
            body.purpose,
            idempotency_key=idempotency_key,
            request_digest=body_digest(request),
        )
    except InvalidInput as exc:
        raise given.relocate(exc) from None
    return render_notice(notice)


@router.post("/notices/{notice_id}/cancel", response_model=NoticeOut)
def cancel_notice(
    notice_id: str, caller: CallerDep, service: ServiceDep, body: CancelIn | None = None
) -> dict[str, Any]:
    """A cancellation version; recipients acknowledge it like any other."""
    reason = body.reason if body is not None else ""
    return render_notice(service.cancel_notice(caller, notice_id, reason))


@router.post("/notices/{notice_id}/acknowledgements", status_code=201, response_model=AckOut)
def acknowledge(
    notice_id: str, body: AckIn, caller: CallerDep, service: ServiceDep, response: Response
) -> dict[str, Any]:
    """Acknowledge one version disclosed to the caller; a second acknowledgement gets 409."""
    received_at = (
        parse_utc(body.received_at, "/received_at") if body.received_at is not None else None
    )
    ack = service.acknowledge(
        caller,
        notice_id,
        body.version,
        body.text,
        signature_b64=body.signature,
        party_received_at=received_at,
    )
    response.headers["Location"] = f"/notices/{notice_id}/acknowledgements"
    return render_ack(ack)


@router.get("/notices/{notice_id}/acknowledgements", response_model=AckList)
def list_acknowledgements(notice_id: str, caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    return {"items": [render_ack(a) for a in service.list_acknowledgements(caller, notice_id)]}
