"""Agreements through the service: the ids an admin may choose for one."""

from __future__ import annotations

import pytest

from deconflict.domain import AgreementTerms
from deconflict.errors import InvalidInput
from deconflict.service import ADMIN, Service

TERMS = AgreementTerms("A-B", ("alpha", "bravo"))


@pytest.fixture(autouse=True)
def _parties(service: Service) -> None:
    for party in ("alpha", "bravo"):
        service.add_party(ADMIN, party.title(), party_id=party)


@pytest.mark.parametrize(
    "agreement_id",
    ["a" * 65, "a" * 64 + "\n", "ab\n", "a/b", "a b", "é", "-ab", ".ab", "a:b", "a\x00", ""],
)
def test_a_chosen_id_is_of_the_id_form_or_refused(service: Service, agreement_id: str) -> None:
    """PostgreSQL refuses an id longer than its column (a 500 once); an id with '/' or
    spaces could not be named in a path, and one with a newline not found again."""
    with pytest.raises(InvalidInput) as refused:
        service.add_agreement(ADMIN, TERMS, agreement_id=agreement_id or "")
    assert [e.pointer for e in refused.value.errors] == ["/id"]
    assert service.list_agreements(ADMIN) == []


@pytest.mark.parametrize("agreement_id", ["a" * 64, "ab", "a-b_2", "0", "AB", "North.v2"])
def test_a_chosen_id_of_that_shape_is_kept(service: Service, agreement_id: str) -> None:
    assert service.add_agreement(ADMIN, TERMS, agreement_id=agreement_id).id == agreement_id
    assert [a.id for a in service.list_agreements(ADMIN)] == [agreement_id]
