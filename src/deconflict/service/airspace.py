"""Use cases for the airspace the check must respect: protected areas and third-party hazards.

A protected area belongs to its owner, in every agreement the owner is a member of; a hazard
(a danger from outside the mechanism) belongs to one agreement and is entered by a member.
"""

from __future__ import annotations

from deconflict.domain import Hazard, ProtectedArea
from deconflict.domain.facts import AreaAdded, AreaRemoved, HazardAdded, HazardRemoved
from deconflict.errors import InvalidInput, NotFound
from deconflict.geometry import Volume
from deconflict.limits import MAX_NAME_CHARS, control_problem, is_id
from deconflict.service.context import Context
from deconflict.service.visibility import Caller, area_owners, hazard_agreements, require_party

__all__ = ["MAX_NAME", "Airspace"]

MAX_NAME = MAX_NAME_CHARS
"""The longest name of an area or hazard, as the tables store it."""


def _named(name: str) -> str:
    """The name, stripped, if it is 1 to MAX_NAME characters of text (as stored)."""
    if not name.strip() or len(name.strip()) > MAX_NAME:
        raise InvalidInput.at("/name", f"must be 1 to {MAX_NAME} characters")
    problem = control_problem(name)
    if problem is not None:
        raise InvalidInput.at("/name", problem)
    return name.strip()


class Airspace:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def add_protected_area(self, caller: Caller, name: str, volume: Volume) -> ProtectedArea:
        owner = require_party(caller)
        name = _named(name)
        with self._ctx.transaction() as tx:
            agreement_ids = tx.agreements.of_member(owner)
            self._ctx.lock_agreements(tx, agreement_ids)
            area = ProtectedArea(tx.new_id("pa"), owner, name, volume, tx.now)
            tx.airspace.add_area(area)
            tx.record_index_change(agreement_ids, "add", "protected_area", area.id)
            tx.record(AreaAdded(area, frozenset(tx.agreements.partners(owner))))
            return area

    def list_protected_areas(self, caller: Caller) -> list[ProtectedArea]:
        with self._ctx.read() as repos:
            return repos.airspace.areas(area_owners(repos, caller))

    def remove_protected_area(self, caller: Caller, area_id: str) -> None:
        owner = require_party(caller)
        if not is_id(area_id):
            raise NotFound(f"protected area {area_id!r} not found")
        with self._ctx.transaction() as tx:
            agreement_ids = tx.agreements.of_member(owner)
            self._ctx.lock_agreements(tx, agreement_ids)
            if not tx.airspace.remove_area(area_id, owner, tx.now):
                raise NotFound(f"protected area {area_id!r} not found")
            tx.record_index_change(agreement_ids, "remove", "protected_area", area_id)
            tx.record(AreaRemoved(area_id, owner, frozenset(tx.agreements.partners(owner))))

    def add_hazard(self, caller: Caller, agreement_id: str, name: str, volume: Volume) -> Hazard:
        party = require_party(caller)
        name = _named(name)
        with self._ctx.transaction() as tx:
            if not is_id(agreement_id) or party not in tx.agreements.members(agreement_id):
                raise InvalidInput.at("/agreement_id", f"unknown agreement {agreement_id!r}")
            self._ctx.lock_agreements(tx, [agreement_id])
            hazard = Hazard(tx.new_id("hz"), agreement_id, party, name, volume, tx.now)
            tx.airspace.add_hazard(hazard)
            tx.record_index_change([agreement_id], "add", "hazard", hazard.id)
            tx.record(HazardAdded(hazard, frozenset(tx.agreements.members(agreement_id))))
            return hazard

    def list_hazards(self, caller: Caller, agreement_id: str | None = None) -> list[Hazard]:
        if agreement_id is not None and not is_id(agreement_id):
            return []
        with self._ctx.read() as repos:
            return repos.airspace.hazards(hazard_agreements(repos, caller), agreement_id)

    def remove_hazard(self, caller: Caller, hazard_id: str) -> None:
        party = require_party(caller)
        with self._ctx.transaction() as tx:
            agreement_id = tx.airspace.hazard_agreement(hazard_id) if is_id(hazard_id) else None
            if agreement_id is None or party not in tx.agreements.members(agreement_id):
                raise NotFound(f"hazard {hazard_id!r} not found")
            self._ctx.lock_agreements(tx, [agreement_id])
            tx.airspace.remove_hazard(hazard_id, tx.now)
            tx.record_index_change([agreement_id], "remove", "hazard", hazard_id)
            tx.record(
                HazardRemoved(
                    hazard_id, agreement_id, party, frozenset(tx.agreements.members(agreement_id))
                )
            )
