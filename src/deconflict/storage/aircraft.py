"""Stored aircraft declarations: each party's ICAO address ranges and callsign prefixes."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from deconflict.domain import AircraftDeclaration
from deconflict.storage import tables as t

__all__ = ["AircraftStore"]


class AircraftStore:
    """Declarations on one connection."""

    def __init__(self, conn: sa.Connection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    def lock(self) -> None:
        """Hold every declaration still until commit, so that two parties declaring at once
        cannot both claim one address (on SQLite the one writer already ensures it). Reading
        stays open."""
        if self._postgres:
            self._conn.exec_driver_sql("LOCK TABLE aircraft_ranges IN SHARE ROW EXCLUSIVE MODE")

    def get(self, party_id: str) -> AircraftDeclaration:
        """The party's declaration; empty if it never made one."""
        r, p = t.aircraft_ranges.c, t.aircraft_prefixes.c
        ranges = self._conn.execute(
            sa.select(r.first_icao24, r.last_icao24)
            .where(r.party_id == party_id)
            .order_by(r.first_icao24)
        ).all()
        prefixes = self._conn.execute(
            sa.select(p.prefix).where(p.party_id == party_id).order_by(p.prefix)
        ).scalars()
        return AircraftDeclaration(party_id, tuple((lo, hi) for lo, hi in ranges), tuple(prefixes))

    def all(self) -> list[AircraftDeclaration]:
        """Every party's declaration that holds anything."""
        r, p = t.aircraft_ranges.c, t.aircraft_prefixes.c
        ranges: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
        prefixes: defaultdict[str, list[str]] = defaultdict(list)
        for party, lo, hi in self._conn.execute(
            sa.select(r.party_id, r.first_icao24, r.last_icao24).order_by(
                r.party_id, r.first_icao24
            )
        ):
            ranges[party].append((lo, hi))
        for party, prefix in self._conn.execute(
            sa.select(p.party_id, p.prefix).order_by(p.party_id, p.prefix)
        ):
            prefixes[party].append(prefix)
        return [
            AircraftDeclaration(party, tuple(ranges[party]), tuple(prefixes[party]))
            for party in sorted(set(ranges) | set(prefixes))
        ]

    def replace(self, declaration: AircraftDeclaration) -> None:
        """Make `declaration` the party's, dropping what it declared before."""
        party = declaration.party
        self._conn.execute(
            sa.delete(t.aircraft_ranges).where(t.aircraft_ranges.c.party_id == party)
        )
        self._conn.execute(
            sa.delete(t.aircraft_prefixes).where(t.aircraft_prefixes.c.party_id == party)
        )
        if declaration.icao24_ranges:
            self._conn.execute(
                t.aircraft_ranges.insert(),
                [
                    {"party_id": party, "first_icao24": lo, "last_icao24": hi}
                    for lo, hi in declaration.icao24_ranges
                ],
            )
        if declaration.callsign_prefixes:
            self._conn.execute(
                t.aircraft_prefixes.insert(),
                [{"party_id": party, "prefix": p} for p in declaration.callsign_prefixes],
            )
