"""Parties through the service: who may know of whom."""

from __future__ import annotations

import pytest

from deconflict.domain import AgreementTerms
from deconflict.errors import InvalidInput, NotFound
from deconflict.service import ADMIN, Caller, Service


def test_a_party_knows_itself_and_its_partners_only(service: Service) -> None:
    for pid in ("a", "b", "c", "d"):
        service.add_party(ADMIN, f"Party {pid}", party_id=pid)
    service.add_agreement(ADMIN, AgreementTerms("A-B", ("a", "b")))
    service.add_agreement(ADMIN, AgreementTerms("B-C", ("b", "c")))
    seen = {p: [x.id for x in service.list_parties(Caller(p))] for p in "abcd"}
    assert seen == {"a": ["a", "b"], "b": ["a", "b", "c"], "c": ["b", "c"], "d": ["d"]}
    assert [x.id for x in service.list_parties(ADMIN)] == ["a", "b", "c", "d"]
    assert service.get_party(Caller("a"), "b").id == "b"
    with pytest.raises(NotFound) as hidden:
        service.get_party(Caller("a"), "c")
    with pytest.raises(NotFound) as missing:
        service.get_party(Caller("a"), "zz")
    assert str(hidden.value) == "party 'c' not found"
    assert str(missing.value) == "party 'zz' not found"
    assert service.get_party(ADMIN, "d").id == "d"


@pytest.mark.parametrize("party_id", ["a" * 64 + "\n", "ab\n"])
def test_a_chosen_id_with_a_trailing_newline_is_refused(service: Service, party_id: str) -> None:
    """`$` matches before a final newline: such an id passed the check, then overflowed
    PostgreSQL's column (a 500) or was never found again (a 404 answering a create)."""
    with pytest.raises(InvalidInput) as refused:
        service.add_party(ADMIN, "Newline", party_id=party_id)
    assert [e.pointer for e in refused.value.errors] == ["/id"]
    assert service.list_parties(ADMIN) == []
