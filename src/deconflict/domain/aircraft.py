"""The aircraft a party declares its own: ICAO 24-bit address ranges and callsign prefixes.

An ADS-B track belongs to the party whose declared range holds its address, else to the party
whose longest declared prefix starts its callsign, else to nobody (unattributed traffic). No
two parties may claim one address or one prefix, so the answer never depends on an order.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from deconflict.errors import FieldError, InvalidInput

__all__ = [
    "MAX_DECLARED",
    "AircraftDeclaration",
    "AircraftOwners",
    "Clash",
    "clashes",
    "icao24_hex",
]

MAX_DECLARED = 1000
"""At most this many ranges, and this many prefixes, in one declaration."""
_ICAO24 = re.compile(r"[0-9a-fA-F]{6}")
_PREFIX = re.compile(r"[A-Z0-9]{2,8}")
_LONGEST_PREFIX = 8


@dataclass(frozen=True, slots=True)
class AircraftDeclaration:
    """One party's claim: inclusive address ranges (24-bit integers) and callsign prefixes,
    both sorted."""

    party: str
    icao24_ranges: tuple[tuple[int, int], ...] = ()
    callsign_prefixes: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls, party: str, ranges: Sequence[Sequence[str]], prefixes: Sequence[str]
    ) -> AircraftDeclaration:
        """Six hex digits per address (either case), the first of a range no greater than the
        last, no two of the party's own ranges overlapping; prefixes of 2 to 8 of A-Z and 0-9,
        none twice. `InvalidInput` names each bad field."""
        errors: list[FieldError] = []
        if len(ranges) > MAX_DECLARED:
            errors.append(FieldError("/icao24_ranges", f"at most {MAX_DECLARED} ranges"))
        if len(prefixes) > MAX_DECLARED:
            errors.append(FieldError("/callsign_prefixes", f"at most {MAX_DECLARED} prefixes"))
        parsed: list[tuple[int, int, int]] = []
        for i, pair in enumerate(ranges):
            found = _range(pair, f"/icao24_ranges/{i}", errors)
            if found is not None:
                parsed.append((*found, i))
        parsed.sort()
        reach = -1
        for lo, hi, i in parsed:
            if lo <= reach:
                errors.append(FieldError(f"/icao24_ranges/{i}", "overlaps another range here"))
            reach = max(reach, hi)
        seen: set[str] = set()
        for i, prefix in enumerate(prefixes):
            if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
                errors.append(
                    FieldError(f"/callsign_prefixes/{i}", "must be 2 to 8 of A-Z and 0-9")
                )
            elif prefix in seen:
                errors.append(FieldError(f"/callsign_prefixes/{i}", "listed twice"))
            seen.add(prefix)
        if errors:
            raise InvalidInput("invalid aircraft declaration", errors)
        return cls(party, tuple((lo, hi) for lo, hi, _ in parsed), tuple(sorted(seen)))

    def as_dict(self) -> dict[str, object]:
        """As served and logged: addresses as six lower-case hex digits."""
        return {
            "party_id": self.party,
            "icao24_ranges": [[icao24_hex(lo), icao24_hex(hi)] for lo, hi in self.icao24_ranges],
            "callsign_prefixes": list(self.callsign_prefixes),
        }


def icao24_hex(address: int) -> str:
    return f"{address:06x}"


def _range(pair: object, pointer: str, errors: list[FieldError]) -> tuple[int, int] | None:
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        errors.append(FieldError(pointer, "must be [first, last]"))
        return None
    bounds: list[int] = []
    for k, value in enumerate(pair):
        if not isinstance(value, str) or not _ICAO24.fullmatch(value):
            errors.append(FieldError(f"{pointer}/{k}", "must be six hex digits"))
        else:
            bounds.append(int(value, 16))
    if len(bounds) != 2:
        return None
    if bounds[0] > bounds[1]:
        errors.append(FieldError(pointer, "the first address is above the last"))
        return None
    return bounds[0], bounds[1]


@dataclass(frozen=True, slots=True)
class Clash:
    """What a declaration claims that other parties already declared (whom is not said: the
    claimant may not know of them)."""

    icao24_ranges: tuple[tuple[int, int], ...]
    callsign_prefixes: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.icao24_ranges or self.callsign_prefixes)


def clashes(declaration: AircraftDeclaration, others: Iterable[AircraftDeclaration]) -> Clash:
    """The ranges of `declaration` that overlap another party's, and the prefixes another
    party declared too."""
    theirs = [d for d in others if d.party != declaration.party]
    taken = [r for d in theirs for r in d.icao24_ranges]
    prefixes = {p for d in theirs for p in d.callsign_prefixes}
    return Clash(
        tuple(
            (lo, hi)
            for lo, hi in declaration.icao24_ranges
            if any(lo <= other_hi and other_lo <= hi for other_lo, other_hi in taken)
        ),
        tuple(p for p in declaration.callsign_prefixes if p in prefixes),
    )


class AircraftOwners:
    """Who owns an aircraft, from every party's declaration."""

    def __init__(self, declarations: Iterable[AircraftDeclaration] = ()) -> None:
        declarations = list(declarations)
        ranges = sorted((lo, hi, d.party) for d in declarations for lo, hi in d.icao24_ranges)
        self._starts = [lo for lo, _, _ in ranges]
        self._ranges = ranges
        self._prefixes = {p: d.party for d in declarations for p in d.callsign_prefixes}

    def owner(self, icao24: str | None, callsign: str | None) -> str | None:
        """The party whose range holds `icao24` (hex), else whose longest prefix starts
        `callsign`, else None."""
        if icao24 is not None and _ICAO24.fullmatch(icao24):
            address = int(icao24, 16)
            i = bisect.bisect_right(self._starts, address) - 1
            if i >= 0 and address <= self._ranges[i][1]:
                return self._ranges[i][2]
        if callsign:
            text = callsign.strip().upper()
            for n in range(min(len(text), _LONGEST_PREFIX), 1, -1):
                party = self._prefixes.get(text[:n])
                if party is not None:
                    return party
        return None
