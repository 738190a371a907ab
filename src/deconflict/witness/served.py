"""What the service serves a witness, as the audit reads it: one small interface and its values.

The runner implements `Served` over HTTP; the audit's tests implement it over a tree in memory.
The audit calls each method only when its decisions need the answer (a proof only where roots
must be reconciled, the peers only once the party's own view holds) and reads pages one at a
time, so a runner can stream a round and make only the requests a round needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from deconflict.log import CosignatureVerifier

__all__ = ["PeerView", "ProofRefusal", "Served", "ServedEntry"]


@dataclass(frozen=True, slots=True)
class ServedEntry:
    """An entry the service shows the party: its index, its bytes and the leaf hash (hex) it
    claims for them."""

    index: int
    data: bytes
    leaf_hash: str


@dataclass(frozen=True, slots=True)
class ProofRefusal:
    """The service's answer that it will not prove what was asked, and why."""

    detail: str


@dataclass(frozen=True, slots=True)
class PeerView:
    """Another party's newest co-signed checkpoint as served, with that party's cosigning keys."""

    party: str
    keys: tuple[CosignatureVerifier, ...]
    note: str


class Served(Protocol):
    """What the service serves the witness. Each call may fetch; one that cannot be answered
    raises `WitnessError`. The audit calls each only when its decisions need the answer."""

    def leaf_pages(self, start: int, end: int) -> Iterable[Sequence[bytes]]:
        """The leaf hashes [start, end), in order, in pages."""
        ...

    def entries(self, start: int, end: int) -> Iterable[ServedEntry]:
        """The entries in [start, end) that concern the party, by increasing index."""
        ...

    def consistency(self, old: int, new: int) -> tuple[bytes, ...] | ProofRefusal:
        """The consistency proof from the tree of `old` leaves to the tree of `new` > `old`."""
        ...

    def cited(self, index: int) -> Iterable[ServedEntry]:
        """The entries that entry `index` (one the party may read) cites by leaf hash, as far
        as the service shows them to the party."""
        ...

    def inclusion(self, index: int, size: int) -> tuple[bytes, ...] | ProofRefusal:
        """The audit path of leaf `index` in the tree of `size` leaves."""
        ...

    def peer_views(self) -> Iterable[PeerView]:
        """Every other party's newest co-signed checkpoint, for those that have one."""
        ...
