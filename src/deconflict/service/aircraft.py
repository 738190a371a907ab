"""Use cases for aircraft declarations: which ICAO addresses and callsigns are a party's own.

A declaration replaces the party's previous one, is refused (Conflict) where it claims what
another party declared, and is logged for the party and its partners. The live picture reads
every declaration (`owners`) to attribute ADS-B tracks; `generation` tells it when to read again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from deconflict.domain import AircraftDeclaration, AircraftOwners
from deconflict.domain.aircraft import clashes, icao24_hex
from deconflict.domain.facts import AircraftDeclared
from deconflict.errors import Conflict, NotFound
from deconflict.limits import is_id
from deconflict.service.context import Context
from deconflict.service.visibility import Caller, known_parties, may_manage_party
from deconflict.storage.repositories import Repositories

__all__ = ["Aircraft"]


def _visible_party(repos: Repositories, caller: Caller, party_id: str) -> None:
    """NotFound unless the party exists and the caller may know of it."""
    known = known_parties(repos, caller)
    exists = is_id(party_id) and repos.parties.get(party_id) is not None
    if not exists or (known is not None and party_id not in known):
        raise NotFound(f"party {party_id!r} not found")


class Aircraft:
    def __init__(self, context: Context) -> None:
        self._ctx = context
        self._generation = 0
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        """Counts the declarations this process committed."""
        return self._generation

    def declare(
        self,
        caller: Caller,
        party_id: str,
        icao24_ranges: Sequence[Sequence[str]],
        callsign_prefixes: Sequence[str],
    ) -> AircraftDeclaration:
        """Replace the party's declaration (the admin or the party itself). Anyone else gets
        NotFound, worded as for a party that does not exist, as for its keys."""
        declaration = AircraftDeclaration.parse(party_id, icao24_ranges, callsign_prefixes)
        with self._ctx.transaction() as tx:
            _visible_party(tx, caller, party_id)
            if not may_manage_party(caller, party_id):
                raise NotFound(f"party {party_id!r} not found")
            tx.aircraft.lock()
            if tx.aircraft.get(party_id) == declaration:
                return declaration
            clash = clashes(declaration, tx.aircraft.all())
            if clash:
                raise Conflict(
                    "another party already declared some of these aircraft",
                    icao24_ranges=[
                        [icao24_hex(lo), icao24_hex(hi)] for lo, hi in clash.icao24_ranges
                    ],
                    callsign_prefixes=list(clash.callsign_prefixes),
                )
            tx.aircraft.replace(declaration)
            partners = frozenset(tx.agreements.partners(party_id))
            tx.record(AircraftDeclared(declaration, partners, caller.party_id))
        with self._lock:
            self._generation += 1
        return declaration

    def get(self, caller: Caller, party_id: str) -> AircraftDeclaration:
        """The party's declaration, for itself, its partners and the admin."""
        with self._ctx.read() as repos:
            _visible_party(repos, caller, party_id)
            return repos.aircraft.get(party_id)

    def owners(self) -> AircraftOwners:
        """Every party's declaration, for attributing tracks (the service's own reading)."""
        with self._ctx.read() as repos:
            return AircraftOwners(repos.aircraft.all())
