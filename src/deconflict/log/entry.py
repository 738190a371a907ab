"""Log entries: one recorded event as RFC 8785 canonical JSON, and its RFC 9162 leaf hash.

An entry's canonical bytes are the JCS serialisation (the `rfc8785` package) of

    {"body": {...}, "party": "<id>" | null, "prev": "<hex leaf hash>" | null,
     "received_at": "<RFC 3339 UTC, 6 digits, Z>", "refs": ["<hex leaf hash>", ...],
     "salt": "<32 hex digits>", "type": "<kind>", "v": 2}

`refs` are the leaf hashes (hex) of the entries this one amends or answers. `prev` (version 2)
chains the entries filed under one notice: it is the leaf hash of the one filed just before
(null for the first, and for an entry filed under no notice), so a proof bundle that leaves out
an entry of its notice breaks the chain. Version 1 entries, written before the chain, have no
`prev` and still verify. The 128-bit random salt makes the hash of an undisclosed entry reveal
nothing about its content: publishing the tree leaks no notice, yet whoever is shown the entry
can check it against the signed root.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import rfc8785

from deconflict.clock import require_utc
from deconflict.errors import FieldError, InvalidInput
from deconflict.log.merkle import leaf_hash
from deconflict.times import format_time, parse_time

__all__ = [
    "ENTRY_VERSION",
    "SALT_SIZE",
    "LogEntry",
    "new_salt",
    "parse_entry",
]

ENTRY_VERSION = 2
"""What the service writes now; `parse_entry` also reads version 1 (no `prev`)."""
SALT_SIZE = 16
_TYPE = re.compile("[a-z][a-z0-9_.-]{0,63}")
_HASH_HEX = re.compile("[0-9a-f]{64}")
_SALT_HEX = re.compile("[0-9a-f]{32}")
_FIELDS_V1 = frozenset({"body", "party", "received_at", "refs", "salt", "type", "v"})
_FIELDS = {1: _FIELDS_V1, 2: _FIELDS_V1 | {"prev"}}


def new_salt() -> bytes:
    """16 fresh random bytes from the operating system."""
    return os.urandom(SALT_SIZE)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One event in the record: what happened (`type`, `body`), who caused it (`party`, None
    for the service), when the service received it, and which entries it refers to."""

    type: str
    party: str | None
    received_at: datetime
    salt: bytes
    refs: tuple[str, ...] = ()
    body: Mapping[str, Any] = field(default_factory=dict)
    prev: str | None = None
    """The leaf hash (hex) of the entry filed under the same notice just before (version 2)."""
    v: int = 1
    """1 (no `prev`) or 2 (chained: what the service writes)."""
    _canonical: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        errors = []
        if not isinstance(self.type, str) or not _TYPE.fullmatch(self.type):
            errors.append(FieldError("/type", "must be a lowercase token like 'notice'"))
        if self.party is not None and (not isinstance(self.party, str) or not self.party):
            errors.append(FieldError("/party", "must be a non-empty party id or null"))
        try:
            object.__setattr__(self, "received_at", require_utc(self.received_at))
        except (ValueError, AttributeError, TypeError):
            errors.append(FieldError("/received_at", "must be a timezone-aware date-time"))
        if not isinstance(self.salt, bytes) or len(self.salt) != SALT_SIZE:
            errors.append(FieldError("/salt", f"must be {SALT_SIZE} bytes"))
        object.__setattr__(self, "refs", tuple(self.refs))
        for i, ref in enumerate(self.refs):
            if not isinstance(ref, str) or not _HASH_HEX.fullmatch(ref):
                errors.append(FieldError(f"/refs/{i}", "must be 64 lowercase hex digits"))
        if not isinstance(self.body, Mapping):
            errors.append(FieldError("/body", "must be a JSON object"))
        if self.v not in _FIELDS or isinstance(self.v, bool):
            errors.append(FieldError("/v", f"must be one of {sorted(_FIELDS)}"))
        elif self.prev is not None and (
            self.v == 1 or not isinstance(self.prev, str) or not _HASH_HEX.fullmatch(self.prev)
        ):
            errors.append(
                FieldError("/prev", "must be 64 lowercase hex digits, in a version 2 entry")
            )
        if errors:
            raise InvalidInput("invalid log entry", errors)
        try:
            body = rfc8785.dumps(dict(self.body))
            party = b"null" if self.party is None else rfc8785.dumps(self.party)
        except (rfc8785.CanonicalizationError, UnicodeError, TypeError) as exc:
            raise InvalidInput.at("/body", f"not representable as I-JSON: {exc}") from None
        refs = ",".join(f'"{ref}"' for ref in self.refs)
        prev = (
            "" if self.v == 1 else ',"prev":' + ("null" if self.prev is None else f'"{self.prev}"')
        )
        envelope = (
            f'{prev},"received_at":"{format_time(self.received_at)}","refs":[{refs}],'
            f'"salt":"{self.salt.hex()}","type":"{self.type}","v":{self.v}}}'
        )
        # The keys above are in RFC 8785 order and the fixed fields are plain ASCII, so only the
        # body and party need the general serialiser: the result equals rfc8785.dumps of the
        # whole document (tested), at a third of the cost.
        object.__setattr__(
            self, "_canonical", b'{"body":' + body + b',"party":' + party + envelope.encode()
        )

    def canonical(self) -> bytes:
        """The RFC 8785 bytes, fixed when the entry was made (do not mutate `body` after)."""
        return self._canonical

    def leaf_hash(self) -> bytes:
        """SHA-256(0x00 || canonical bytes): the entry's leaf in the Merkle tree."""
        return leaf_hash(self._canonical)


def _json_int(text: str) -> int | float:
    """JSON numbers are doubles (RFC 8785, I-JSON): digits beyond 2**53 came from a float."""
    value = int(text)
    return value if abs(value) < 2**53 else float(text)


def parse_entry(data: bytes) -> LogEntry:
    """The entry whose canonical bytes are exactly `data`; anything else is refused."""
    try:
        document = json.loads(data, parse_int=_json_int)
    except ValueError:
        raise InvalidInput.at("", "log entry is not UTF-8 JSON") from None
    if not isinstance(document, dict) or "v" not in document:
        wanted = sorted(_FIELDS[ENTRY_VERSION])
        raise InvalidInput.at("", f"log entry must be an object with fields {wanted}")
    version = document["v"]
    if not isinstance(version, int) or isinstance(version, bool) or version not in _FIELDS:
        raise InvalidInput.at("/v", f"unknown log entry version {version!r}")
    fields = _FIELDS[version]
    if set(document) != fields:
        raise InvalidInput.at("", f"log entry must be an object with fields {sorted(fields)}")
    received_at = document["received_at"]
    try:
        when = parse_time(received_at) if isinstance(received_at, str) else None
    except ValueError as exc:
        raise InvalidInput.at("/received_at", str(exc)) from None
    salt = document["salt"]
    refs = document["refs"]
    if when is None:
        raise InvalidInput.at("/received_at", "must be a string")
    if not isinstance(salt, str) or not _SALT_HEX.fullmatch(salt):
        raise InvalidInput.at("/salt", "must be 32 lowercase hex digits")
    if not isinstance(refs, list):
        raise InvalidInput.at("/refs", "must be an array")
    entry = LogEntry(
        document["type"],
        document["party"],
        when,
        bytes.fromhex(salt),
        tuple(refs),
        document["body"],
        document.get("prev"),
        version,
    )
    if entry.canonical() != data:
        raise InvalidInput.at("", "log entry is not in RFC 8785 canonical form")
    return entry
