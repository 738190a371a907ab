"""Standing airspace through the service: the names an area or hazard may have."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deconflict.domain import AgreementTerms
from deconflict.errors import InvalidInput
from deconflict.geometry import Volume
from deconflict.geometry.formats import volume_from_geojson
from deconflict.service import ADMIN, Caller, Service
from deconflict.service.airspace import MAX_NAME


def _volume(service: Service) -> Volume:
    start = service.clock.now() + timedelta(hours=1)
    return volume_from_geojson(
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
            "properties": {
                "alt_lower_m": 0.0,
                "alt_upper_m": 1000.0,
                "time_start": start.isoformat(),
                "time_end": (start + timedelta(hours=1)).isoformat(),
            },
        }
    )


@pytest.fixture
def alpha(service: Service) -> Caller:
    for party in ("alpha", "bravo"):
        service.add_party(ADMIN, party.title(), party_id=party)
    service.add_agreement(ADMIN, AgreementTerms("A-B", ("alpha", "bravo")), agreement_id="ab")
    return Caller("alpha")


@pytest.mark.parametrize("name", ["", "   ", "x" * (MAX_NAME + 1), " " + "x" * (MAX_NAME + 1)])
def test_a_name_of_no_or_too_many_characters_is_refused_on_every_backend(
    service: Service, alpha: Caller, name: str
) -> None:
    """PostgreSQL refuses a name longer than its column (a 500 once); SQLite would store it."""
    volume = _volume(service)
    for add in (
        lambda: service.add_protected_area(alpha, name, volume),
        lambda: service.add_hazard(alpha, "ab", name, volume),
    ):
        with pytest.raises(InvalidInput) as refused:
            add()
        assert [(e.pointer, e.detail) for e in refused.value.errors] == [
            ("/name", f"must be 1 to {MAX_NAME} characters")
        ]
    assert service.list_protected_areas(alpha) == []
    assert service.list_hazards(alpha) == []


def test_a_name_of_the_longest_length_is_kept_stripped(service: Service, alpha: Caller) -> None:
    name = "x" * MAX_NAME
    area = service.add_protected_area(alpha, f"  {name} ", _volume(service))
    hazard = service.add_hazard(alpha, "ab", f"{name}\n", _volume(service))
    assert [a.name for a in service.list_protected_areas(alpha)] == [area.name] == [name]
    assert [h.name for h in service.list_hazards(alpha)] == [hazard.name] == [name]
