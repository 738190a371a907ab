"""Aircraft declarations: what a valid one holds, and who owns an aircraft by them."""

from __future__ import annotations

import pytest

from deconflict.domain import AircraftDeclaration, AircraftOwners
from deconflict.domain.aircraft import clashes
from deconflict.errors import InvalidInput


def test_a_declaration_is_normalised_sorted_and_lower_cased() -> None:
    d = AircraftDeclaration.parse("n", [["3C0100", "3c01ff"], ["3c0000", "3c00ff"]], ["NRT", "AB"])
    assert d.icao24_ranges == ((0x3C0000, 0x3C00FF), (0x3C0100, 0x3C01FF))
    assert d.callsign_prefixes == ("AB", "NRT")
    assert d.as_dict() == {
        "party_id": "n",
        "icao24_ranges": [["3c0000", "3c00ff"], ["3c0100", "3c01ff"]],
        "callsign_prefixes": ["AB", "NRT"],
    }


@pytest.mark.parametrize(
    ("ranges", "prefixes", "pointers"),
    [
        ([["3c000", "3c00ff"]], [], ["/icao24_ranges/0/0"]),
        ([["3c0000", "3c00fg"]], [], ["/icao24_ranges/0/1"]),
        ([["3c0000"]], [], ["/icao24_ranges/0"]),
        ([["3c0000", "3c00ff", "3c0100"]], [], ["/icao24_ranges/0"]),
        ([["3c00ff", "3c0000"]], [], ["/icao24_ranges/0"]),
        ([["3c0000", "3c00ff"], ["3c0080", "3c0180"]], [], ["/icao24_ranges/1"]),
        (
            [["000000", "ffffff"], ["100000", "100001"], ["200000", "200001"]],
            [],
            ["/icao24_ranges/1", "/icao24_ranges/2"],
        ),
        ([], ["N"], ["/callsign_prefixes/0"]),
        ([], ["NORTHERN1"], ["/callsign_prefixes/0"]),
        ([], ["nrt"], ["/callsign_prefixes/0"]),
        ([], ["NR-T"], ["/callsign_prefixes/0"]),
        ([], ["NRT", "NRT"], ["/callsign_prefixes/1"]),
    ],
)
def test_a_bad_declaration_names_each_bad_field(
    ranges: list[list[str]], prefixes: list[str], pointers: list[str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        AircraftDeclaration.parse("n", ranges, prefixes)
    assert [e.pointer for e in caught.value.errors] == pointers


def test_owner_by_address_range_then_longest_callsign_prefix() -> None:
    owners = AircraftOwners(
        [
            AircraftDeclaration("north", ((0x3C0000, 0x3C00FF),), ("NRT",)),
            AircraftDeclaration("south", ((0x3C0100, 0x3C0100),), ("NR", "SOU")),
        ]
    )
    assert owners.owner("3c0000", None) == "north"
    assert owners.owner("3C00FF", "SOU1") == "north"  # the address decides first
    assert owners.owner("3c0100", None) == "south"
    assert owners.owner("3c0101", None) is None
    assert owners.owner("3bffff", "NRT123") == "north"  # longest prefix: NRT over NR
    assert owners.owner(None, "NRX1") == "south"
    assert owners.owner("4840d6", " sou9 ") == "south"
    assert owners.owner("4840d6", "N") is None
    assert owners.owner("4840d6", None) is None
    assert AircraftOwners().owner("3c0000", "NRT1") is None


def test_clashes_are_what_another_party_already_holds() -> None:
    north = AircraftDeclaration("north", ((0x3C0000, 0x3C00FF),), ("NRT",))
    mine = AircraftDeclaration(
        "south", ((0x3C00FF, 0x3C0200), (0x400000, 0x4000FF)), ("NRT", "SOU")
    )
    clash = clashes(mine, [north, AircraftDeclaration("south", ((0x400000, 0x4000FF),), ())])
    assert clash.icao24_ranges == ((0x3C00FF, 0x3C0200),)
    assert clash.callsign_prefixes == ("NRT",)
    assert not clashes(north, [north])
