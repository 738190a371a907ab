"""Aircraft declarations in the service: who may declare and read them, clashes, the record."""

from __future__ import annotations

import json

import pytest
from test_service_notices import setup

from deconflict.errors import Conflict, InvalidInput, NotFound
from deconflict.service import ADMIN, Service


def test_a_party_declares_its_aircraft_and_its_partners_read_them(service: Service) -> None:
    a, b, c, _ = setup(service)
    declared = service.declare_aircraft(a, "a", [["3C0000", "3c00ff"]], ["NRT"])
    assert declared.as_dict()["icao24_ranges"] == [["3c0000", "3c00ff"]]
    assert service.get_aircraft(b, "a") == declared
    assert service.get_aircraft(ADMIN, "a") == declared
    with pytest.raises(NotFound):
        service.get_aircraft(c, "a")
    assert service.get_aircraft(a, "b").icao24_ranges == ()
    owners = service.aircraft.owners()
    assert (owners.owner("3c0001", None), owners.owner(None, "NRT12")) == ("a", "a")


def test_only_the_party_or_the_admin_may_declare(service: Service) -> None:
    a, b, c, _ = setup(service)
    with pytest.raises(NotFound, match="party 'a' not found"):
        service.declare_aircraft(b, "a", [], ["NRT"])
    with pytest.raises(NotFound, match="party 'a' not found"):
        service.declare_aircraft(c, "a", [], ["NRT"])
    with pytest.raises(NotFound):
        service.declare_aircraft(ADMIN, "nobody", [], ["NRT"])
    with pytest.raises(InvalidInput):
        service.declare_aircraft(a, "a", [["3c0000", "zz"]], [])
    service.declare_aircraft(ADMIN, "a", [], ["NRT"])
    assert service.get_aircraft(a, "a").callsign_prefixes == ("NRT",)


def test_what_another_party_declared_is_a_conflict_that_does_not_name_it(
    service: Service,
) -> None:
    a, _, c, _ = setup(service)
    service.declare_aircraft(c, "c", [["3c0000", "3c00ff"]], ["CCC"])
    with pytest.raises(Conflict) as caught:
        service.declare_aircraft(a, "a", [["3c00ff", "3c0200"], ["400000", "4000ff"]], ["CCC"])
    assert caught.value.facts == {
        "icao24_ranges": [["3c00ff", "3c0200"]],
        "callsign_prefixes": ["CCC"],
    }
    assert "c" not in caught.value.detail.split()
    assert service.get_aircraft(a, "a").icao24_ranges == ()
    # A party may change its own claim freely.
    service.declare_aircraft(c, "c", [["3c0000", "3c01ff"]], ["CCC", "CC"])


def test_each_declaration_is_logged_for_the_party_and_its_partners(service: Service) -> None:
    a, b, c, _ = setup(service)
    before = service.log_size()
    service.declare_aircraft(a, "a", [["3c0000", "3c00ff"]], ["NRT"])
    service.declare_aircraft(a, "a", [["3c0000", "3c00ff"]], ["NRT"])  # unchanged: nothing new
    service.declare_aircraft(ADMIN, "a", [], [])
    assert service.log_size() == before + 2

    def declared(caller: object) -> list[dict[str, object]]:
        found = []
        for _, raw in service.log_entries(caller, start=before):  # type: ignore[arg-type]
            entry = json.loads(raw)
            if entry["type"] == "party.aircraft":
                found.append({"party": entry["party"], **entry["body"]})
        return found

    mine = declared(a)
    assert mine == [
        {
            "party": "a",
            "party_id": "a",
            "icao24_ranges": [["3c0000", "3c00ff"]],
            "callsign_prefixes": ["NRT"],
        },
        {"party": None, "party_id": "a", "icao24_ranges": [], "callsign_prefixes": []},
    ]
    assert declared(b) == mine
    assert declared(c) == []
    assert service.verify_log() == []
