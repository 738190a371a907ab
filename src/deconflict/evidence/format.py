"""The proof bundle document: what it holds, writing it, and reading its parts.

A bundle (JSON, format `deconflict-bundle/v1`) holds

- `keys`: the log's verifier key, and the cosigning (`witnesses`) and acknowledgement (`ack`)
  keys of the parties involved, all in C2SP vkey form named by party id;
- `checkpoint`: one signed checkpoint of size N with the involved parties' cosignatures;
- `entries`: the canonical entries about the notice (versions, disclosures, conflicts,
  acknowledgements, escalations, expiry) and the `party.key` entries that registered the keys
  above, each with its inclusion proof in the tree of size N;
- `cosigned`: checkpoints co-signed by the parties, each with its consistency proof to N (empty
  for N itself). A size may appear twice, once with the parties' first cosignatures of it and
  once with their latest (`deconflict.evidence.timeline` says why); the same note may not;
- `brackets`: for an entry and a party, the last checkpoint that party co-signed without the
  entry (`before`) and the first with it (`after`).

The readers here take the document as untrusted JSON: each returns the typed value or raises
`BundleError` naming where in the document it is missing or malformed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from deconflict.domain.facts import (
    Acknowledged,
    ConflictFound,
    Disclosed,
    Escalated,
    Expired,
    KeyAdded,
    Published,
)
from deconflict.errors import DeconflictError
from deconflict.evidence.errors import BundleError
from deconflict.log.checkpoint import CosignatureVerifier
from deconflict.log.note import Ed25519Verifier

__all__ = [
    "BUNDLE_FORMAT",
    "KEY_ENTRY",
    "NOTICE_ENTRY_TYPES",
    "Bracket",
    "CosignedCheckpoint",
    "ProvenEntry",
    "make_bundle",
    "read",
    "read_hashes",
    "read_size",
    "read_vkey",
    "read_vkeys",
]

BUNDLE_FORMAT = "deconflict-bundle/v1"
NOTICE_FACTS = (Published, Disclosed, ConflictFound, Acknowledged, Escalated, Expired)
"""The facts recorded about a notice: a bundle holds every entry of these types about it."""
NOTICE_ENTRY_TYPES = frozenset(fact.entry_type for fact in NOTICE_FACTS)
KEY_ENTRY = KeyAdded.entry_type
T = TypeVar("T")
V = TypeVar("V", Ed25519Verifier, CosignatureVerifier)


@dataclass(frozen=True, slots=True)
class ProvenEntry:
    """A log entry (canonical bytes) at `index`, with its inclusion proof in the bundle's tree."""

    index: int
    entry: bytes
    inclusion: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class CosignedCheckpoint:
    """A signed checkpoint with cosignatures, and its consistency proof to the bundle's tree."""

    note: str
    consistency: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Bracket:
    """The sizes of the checkpoints `party` co-signed just before and just after entry `index`."""

    party: str
    index: int
    before: int | None
    after: int | None


def _b64(hashes: Iterable[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


def make_bundle(
    notice_id: str,
    log_key: str,
    witness_keys: Sequence[str],
    ack_keys: Sequence[str],
    checkpoint: str,
    entries: Sequence[ProvenEntry],
    cosigned: Sequence[CosignedCheckpoint],
    brackets: Sequence[Bracket],
) -> dict[str, Any]:
    """The bundle document (JSON-ready); entries are stored as their canonical JSON text."""
    return {
        "format": BUNDLE_FORMAT,
        "notice_id": notice_id,
        "keys": {"log": log_key, "witnesses": list(witness_keys), "ack": list(ack_keys)},
        "checkpoint": checkpoint,
        "entries": [
            {"index": e.index, "entry": e.entry.decode(), "inclusion": _b64(e.inclusion)}
            for e in entries
        ],
        "cosigned": [{"note": c.note, "consistency": _b64(c.consistency)} for c in cosigned],
        "brackets": [
            {"party": b.party, "index": b.index, "before": b.before, "after": b.after}
            for b in brackets
        ],
    }


def read(doc: Any, key: str | int, kind: type[T], where: str) -> T:
    """`doc[key]`, which must be a `kind` (an int is never a bool)."""
    try:
        value = doc[key]
    except (KeyError, IndexError, TypeError):
        raise BundleError(where, "missing") from None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BundleError(where, f"must be a {kind.__name__}")
    return value


def read_size(doc: Any, key: str, where: str) -> int | None:
    """A tree size that may be absent or null (None)."""
    if doc.get(key) is None:
        return None
    return read(doc, key, int, where)


def read_hashes(values: list[Any], where: str) -> list[bytes]:
    """A proof: hashes each in canonical base64."""
    out = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise BundleError(f"{where}[{i}]", "must be a base64 string")
        try:
            raw = base64.b64decode(value.encode("ascii"), validate=True)
        except (ValueError, binascii.Error):
            raise BundleError(f"{where}[{i}]", "is not base64") from None
        if base64.b64encode(raw).decode() != value:
            raise BundleError(f"{where}[{i}]", "is not in canonical base64")
        out.append(raw)
    return out


def read_vkeys(doc: Any, name: str, parse: Callable[[str], V]) -> list[V]:
    """The verifiers of the list of vkeys `keys.<name>`."""
    where = f"keys.{name}"
    keys = []
    for i, vkey in enumerate(read(doc, name, list, where)):
        if not isinstance(vkey, str):
            raise BundleError(f"{where}[{i}]", "must be a vkey string")
        keys.append(read_vkey(vkey, f"{where}[{i}]", parse))
    return keys


def read_vkey(vkey: str, where: str, parse: Callable[[str], V]) -> V:
    """The verifier of `vkey`, which must be spelled exactly as the key encodes."""
    try:
        key = parse(vkey)
    except DeconflictError as exc:
        raise BundleError(where, exc.detail) from None
    if key.vkey() != vkey:
        raise BundleError(where, "is not in canonical vkey form")
    return key
