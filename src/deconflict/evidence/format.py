"""The proof bundle document: what it holds, writing it, and reading its parts.

A bundle (JSON, format `deconflict-bundle/v1`) holds

- `keys`: the log's verifier key (the one that signed `checkpoint`), and the cosigning
  (`witnesses`) and acknowledgement (`ack`) keys of the parties involved, all in C2SP vkey form
  named by party id;
- `checkpoint`: one signed checkpoint of size N with the involved parties' cosignatures;
- `entries`: the canonical entries about the notice (versions, disclosures, conflicts,
  acknowledgements, escalations, expiry), the `party.key` entries that registered the keys
  above and every `log.key` entry of the tree (below), each with its inclusion proof in the
  tree of size N;
- `cosigned`: checkpoints co-signed by the parties, each with its consistency proof to N (empty
  for N itself). A size may appear twice, once with the parties' first cosignatures of it and
  once with their latest (`deconflict.evidence.timeline` says why); the same note may not;
- `brackets`: for an entry and a party, the last checkpoint that party co-signed without the
  entry (`before`) and the first with it (`after`), null where there is none.

Reading is strict, because a verifier that reads a renamed field as absent verifies a document
other than the one signed. The document must be JSON (UTF-8; no NaN, no repeated name in an
object: `load_bundle`). Every object in it has exactly its fields (`BUNDLE_FIELDS`,
`KEYS_FIELDS`, `ENTRY_FIELDS`, `COSIGNED_FIELDS`, `BRACKET_FIELDS`): an unknown, missing or
repeated field fails, named by its path (`brackets[3].b2fore: unknown field`). Each value has
its type: ints are never bools, sizes and indices are ints, a bracket bound is an int or null,
proofs are canonical base64, keys canonical vkeys. The body of each entry carried has exactly
the fields its fact declares (`deconflict.domain.facts`, `body_fields`), and its times are
RFC 3339 as the log writes them (`2026-06-01T08:00:00.000000Z`).

Log key rotation. The log's key changes by a `log.key` entry whose body is

    {"old_key": "<old vkey>", "new_key": "<new vkey>", "signature": "<base64>"}

where `signature` is the old key's Ed25519 signature of `deconflict.log.rotation`'s message
(`deconflict-log-key/v1`, `old <old vkey>`, `new <new vkey>`, one line each); the new key keeps
the old key's name, the log's origin. A checkpoint of size S is signed by the key in force after
the entries below S: the `new_key` of the last `log.key` entry with index < S, else the first
entry's `old_key` (with no rotation, `keys.log`). So the bundle's `log.key` entries form one
chain, each `old_key` the previous `new_key`, ending at `keys.log`. A verifier that pinned any
key of the chain follows it to `keys.log`; a key it did not pin and cannot reach is refused.

The readers here take the document as untrusted JSON: each returns the typed value or raises
`BundleError` naming where in the document it is missing or malformed.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from deconflict.domain.facts import (
    Acknowledged,
    ConflictFound,
    Disclosed,
    Escalated,
    Expired,
    Fact,
    KeyAdded,
    LogKeyRotated,
    Published,
)
from deconflict.errors import DeconflictError, InvalidInput
from deconflict.evidence.errors import BundleError
from deconflict.log.checkpoint import CosignatureVerifier
from deconflict.log.entry import LogEntry
from deconflict.log.note import Ed25519Verifier
from deconflict.times import parse_time

__all__ = [
    "BRACKET_FIELDS",
    "BUNDLE_FIELDS",
    "BUNDLE_FORMAT",
    "COSIGNED_FIELDS",
    "ENTRY_FACTS",
    "ENTRY_FIELDS",
    "KEYS_FIELDS",
    "KEY_ENTRY",
    "NOTICE_ENTRY_TYPES",
    "ROTATION_ENTRY",
    "Bracket",
    "CosignedCheckpoint",
    "ProvenEntry",
    "find_repeated",
    "load_bundle",
    "make_bundle",
    "read",
    "read_body",
    "read_hashes",
    "read_object",
    "read_size",
    "read_vkey",
    "read_vkeys",
]

BUNDLE_FORMAT = "deconflict-bundle/v1"
NOTICE_FACTS = (Published, Disclosed, ConflictFound, Acknowledged, Escalated, Expired)
"""The facts recorded about a notice: a bundle holds every entry of these types about it."""
NOTICE_ENTRY_TYPES = frozenset(fact.entry_type for fact in NOTICE_FACTS)
KEY_ENTRY = KeyAdded.entry_type
ROTATION_ENTRY = LogKeyRotated.entry_type
ENTRY_FACTS: Mapping[str, type[Fact]] = {
    fact.entry_type: fact for fact in (*NOTICE_FACTS, KeyAdded, LogKeyRotated)
}
"""The fact behind each entry type a bundle may carry, which declares the fields of its body."""
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


def _names(kind: type[Any]) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(kind))


BUNDLE_FIELDS = frozenset(
    {"format", "notice_id", "keys", "checkpoint", "entries", "cosigned", "brackets"}
)
KEYS_FIELDS = frozenset({"log", "witnesses", "ack"})
ENTRY_FIELDS = _names(ProvenEntry)
COSIGNED_FIELDS = _names(CosignedCheckpoint)
BRACKET_FIELDS = _names(Bracket)


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


class _Object(dict[str, Any]):
    """A JSON object as parsed, with the names that appeared in it more than once."""

    __slots__ = ("repeated",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        repeated: dict[str, None] = {}
        if len(self) < len(pairs):
            seen: set[str] = set()
            for name, _ in pairs:
                if name in seen:
                    repeated[name] = None
                seen.add(name)
        self.repeated = tuple(repeated)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def load_bundle(raw: bytes) -> Any:
    """The JSON document in `raw` (UTF-8), keeping note of names repeated in an object, which
    `read_object` refuses; `InvalidInput` if it is not JSON."""
    try:
        return json.loads(
            raw.decode("utf-8"), object_pairs_hook=_Object, parse_constant=_no_constant
        )
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not valid JSON: not UTF-8 at byte {exc.start}") from None
    except RecursionError:
        raise InvalidInput("not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise InvalidInput(f"not valid JSON: {exc}") from None


def _path(where: str, name: object) -> str:
    return f"{where}.{name}" if where else str(name)


def find_repeated(doc: Any, where: str) -> str | None:
    """The path of the first name repeated in an object of `doc` (read by `load_bundle`), if
    any: it says where a JSON text that no longer reads as it was written went wrong."""
    if isinstance(doc, Mapping):
        for name in getattr(doc, "repeated", ()):
            return _path(where, name)
        for name, value in doc.items():
            found = find_repeated(value, _path(where, name))
            if found is not None:
                return found
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found = find_repeated(value, f"{where}[{i}]")
            if found is not None:
                return found
    return None


def read_object(doc: Any, where: str, fields: frozenset[str]) -> Mapping[str, Any]:
    """`doc`, which must be an object with exactly `fields`, none repeated (`where` is its path,
    empty for the document itself)."""
    if not isinstance(doc, Mapping):
        raise BundleError(where or "bundle", "must be an object")
    for name in getattr(doc, "repeated", ()):
        raise BundleError(_path(where, name), "duplicated field")
    for name in sorted((n for n in doc if n not in fields), key=str):
        raise BundleError(_path(where, name), "unknown field")
    for name in sorted(fields - set(doc)):
        raise BundleError(_path(where, name), "missing")
    return doc


def read(doc: Any, key: str | int, kind: type[T], where: str) -> T:
    """`doc[key]`, which must be a `kind` (an int is never a bool, a string is valid Unicode)."""
    try:
        value = doc[key]
    except (KeyError, IndexError, TypeError):
        raise BundleError(where, "missing") from None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BundleError(where, f"must be a {kind.__name__}")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BundleError(where, "is not valid Unicode (a lone surrogate)") from None
    return value


def read_size(doc: Any, key: str, where: str) -> int | None:
    """A tree size that is present, and an int or null (None)."""
    if key in doc and doc[key] is None:
        return None
    return read(doc, key, int, where)


def read_body(entry: LogEntry, where: str) -> Mapping[str, Any]:
    """The body of an entry the bundle carries (`where` is the path of the entry's text): it
    must hold exactly the fields its fact declares, each time as the log writes it, or null."""
    fact = ENTRY_FACTS.get(entry.type)
    if fact is None:
        raise BundleError(where, f"a {entry.type} entry, which no bundle carries")
    body = entry.body
    path = f"{where}.body"
    for name in sorted((n for n in body if n not in fact.body_fields), key=str):
        raise BundleError(_path(path, name), f"unknown field of a {entry.type} entry")
    for name in sorted(fact.body_fields - set(body)):
        raise BundleError(_path(path, name), f"missing from a {entry.type} entry")
    for name in sorted(fact.body_times):
        value = body[name]
        if value is None:
            continue
        try:
            parse_time(value if isinstance(value, str) else repr(value))
        except ValueError as exc:
            raise BundleError(_path(path, name), f"not a log time: {exc}") from None
    return body


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
