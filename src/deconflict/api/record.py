"""Routes of the verifiable record: signed checkpoints, proofs, entries, leaves, cosignatures.

Checkpoints and keys are C2SP text (`text/plain`), so any C2SP tool can read them; proofs and
entries are JSON with hashes in base64 (proofs) or hex (leaf hashes, as entries refer to them).
Every route needs a valid token. A party reads the entries that concern it; leaf hashes are
public to every party because salted entries make them reveal nothing.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from deconflict.api.deps import CallerDep, ServiceDep, set_next_link
from deconflict.api.edge import StrictJSONRoute
from deconflict.errors import FieldError, InvalidInput
from deconflict.log import leaf_hash
from deconflict.times import format_utc

__all__ = ["MAX_LEAVES", "router"]

router = APIRouter(route_class=StrictJSONRoute, tags=["log"])

MAX_LEAVES = 10_000
"""The most leaf hashes one `GET /log/leaves` returns."""
_MAX_INDEX = 2**62
_TEXT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {}}, "description": "C2SP text"}
}
_Size = Annotated[int, Query(ge=0, le=_MAX_INDEX)]


class CosignatureIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    size: int = Field(ge=1, le=_MAX_INDEX, description="tree size of the checkpoint co-signed")
    cosignature: str = Field(
        min_length=1, max_length=1000, description="C2SP tlog-cosignature/v1 signature line"
    )


class CosignatureOut(BaseModel):
    timestamp: str = Field(description="the cosignature's own timestamp (RFC 3339)")


class InclusionOut(BaseModel):
    index: int
    tree_size: int
    hashes: list[str] = Field(description="RFC 9162 audit path, base64, lowest level first")


class ConsistencyOut(BaseModel):
    old: int
    new: int
    hashes: list[str] = Field(description="RFC 9162 consistency proof, base64")


class EntryOut(BaseModel):
    index: int
    entry: str = Field(description="the RFC 8785 canonical entry, base64")
    leaf_hash: str = Field(description="SHA-256(0x00 || entry), hex")


class EntryPage(BaseModel):
    items: list[EntryOut]
    next_start: int | None = Field(description="the `start` of the next page, if any")


class LeavesOut(BaseModel):
    start: int
    hashes: list[str] = Field(description="leaf hashes from `start`, hex")


def _text(body: str) -> PlainTextResponse:
    return PlainTextResponse(body, media_type="text/plain; charset=utf-8")


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


@router.get("/log/checkpoint", response_class=PlainTextResponse, responses=_TEXT)
def latest_checkpoint(caller: CallerDep, service: ServiceDep) -> PlainTextResponse:
    """The latest signed checkpoint with every cosignature held for it (404 before the first)."""
    return _text(service.log_checkpoint())


@router.get("/log/checkpoint/{size}", response_class=PlainTextResponse, responses=_TEXT)
def checkpoint(
    size: Annotated[int, Path(ge=0, le=_MAX_INDEX)], caller: CallerDep, service: ServiceDep
) -> PlainTextResponse:
    """The signed checkpoint of `size`, if one was published, with its cosignatures."""
    return _text(service.log_checkpoint(size))


@router.get("/log/key", response_class=PlainTextResponse, responses=_TEXT)
def log_key(caller: CallerDep, service: ServiceDep) -> PlainTextResponse:
    """The log's Ed25519 verifier key in C2SP vkey form (its name is the checkpoints' origin)."""
    return _text(service.log_verifier_key() + "\n")


@router.get("/log/cosigned/{party_id}", response_class=PlainTextResponse, responses=_TEXT)
def cosigned(party_id: str, caller: CallerDep, service: ServiceDep) -> PlainTextResponse:
    """The newest checkpoint `party_id` co-signed, so each witness can check the others' view."""
    return _text(service.cosigned_checkpoint(caller, party_id))


@router.get("/log/proof/inclusion", response_model=InclusionOut)
def inclusion(index: _Size, size: _Size, caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """The audit path of leaf `index` (0-based) in the tree of `size`."""
    hashes = service.inclusion_proof(index, size)
    return {"index": index, "tree_size": size, "hashes": _b64(hashes)}


@router.get("/log/proof/consistency", response_model=ConsistencyOut)
def consistency(old: _Size, new: _Size, caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """The proof that the tree of size `old` is a prefix of the tree of size `new`."""
    try:
        hashes = service.consistency_proof(old, new)
    except InvalidInput as exc:
        names = {"/old_size": "/old", "/new_size": "/new"}
        renamed = [FieldError(names.get(e.pointer, e.pointer), e.detail) for e in exc.errors]
        raise InvalidInput(exc.detail, renamed) from None
    return {"old": old, "new": new, "hashes": _b64(hashes)}


@router.get("/log/entries", response_model=EntryPage)
def entries(
    caller: CallerDep,
    service: ServiceDep,
    request: Request,
    response: Response,
    start: _Size = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    """Entries from index `start` that concern the caller (all of them for the admin)."""
    rows = service.log_entries(caller, start=start, limit=limit)
    next_start = rows[-1][0] + 1 if len(rows) == limit else None
    set_next_link(request, response, "start", None if next_start is None else str(next_start))
    return {"items": _entry_items(rows), "next_start": next_start}


class EntryList(BaseModel):
    items: list[EntryOut]


def _entry_items(rows: list[tuple[int, bytes]]) -> list[dict[str, Any]]:
    return [
        {"index": i, "entry": base64.b64encode(raw).decode(), "leaf_hash": leaf_hash(raw).hex()}
        for i, raw in rows
    ]


@router.get("/log/entries/{index}/cited", response_model=EntryList)
def cited(
    index: Annotated[int, Path(ge=0, le=_MAX_INDEX)], caller: CallerDep, service: ServiceDep
) -> dict[str, Any]:
    """The entries that entry `index` cites by leaf hash (its `refs`), those the caller may read.
    A witness proves each in its checkpoint: a notice disclosed to its party after it co-signed
    past the notice's entry is checked all the same. 404 for an entry the caller may not read."""
    return {"items": _entry_items(service.cited_entries(caller, index))}


@router.get("/log/leaves", response_model=LeavesOut)
def leaves(start: _Size, end: _Size, caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """Leaf hashes [start, end) of the tree, at most 10000 at a time. Witnesses fold them into
    the compact range they keep, to check each new checkpoint without per-entry proofs."""
    if end < start or end - start > MAX_LEAVES:
        raise InvalidInput.at("/end", f"must be from start to start + {MAX_LEAVES}")
    size = service.log_size()
    if end > size:
        raise InvalidInput.at("/end", f"the log has only {size} entries")
    return {"start": start, "hashes": [h.hex() for h in service.leaf_hashes(start, end)]}


@router.post("/log/cosignatures", status_code=201, response_model=CosignatureOut)
def add_cosignature(body: CosignatureIn, caller: CallerDep, service: ServiceDep) -> dict[str, Any]:
    """Post the caller's cosignature of the checkpoint of `size` (verified under the party's
    co-signing key, and its timestamp within 5 minutes of the service clock)."""
    timestamp = service.add_cosignature(caller, body.size, body.cosignature)
    return {"timestamp": format_utc(timestamp)}
