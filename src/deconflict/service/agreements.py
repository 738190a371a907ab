"""Use cases for agreements: the member parties and their terms, in versions."""

from __future__ import annotations

from deconflict.domain import Agreement, AgreementTerms
from deconflict.domain.facts import AgreementVersioned
from deconflict.errors import FieldError, InvalidInput, NotFound
from deconflict.limits import MAX_INT32, is_id, require_id
from deconflict.service.context import Context, Tx
from deconflict.service.visibility import Caller, read_agreement, require_admin

__all__ = ["Agreements"]


def _check_members(tx: Tx, terms: AgreementTerms) -> None:
    known = tx.parties.existing(terms.members)
    errors = [
        FieldError(f"/members/{i}", f"unknown party {member!r}")
        for i, member in enumerate(terms.members)
        if member not in known
    ]
    if errors:
        raise InvalidInput("agreement names unknown parties", errors)


class Agreements:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def add(
        self, caller: Caller, terms: AgreementTerms, *, agreement_id: str | None = None
    ) -> Agreement:
        require_admin(caller)
        if agreement_id is not None:
            require_id(agreement_id, "/id")
        with self._ctx.transaction() as tx:
            _check_members(tx, terms)
            agreement_id = agreement_id or tx.new_id("agr")
            if tx.agreements.head(agreement_id) is not None:
                raise InvalidInput.at("/id", f"agreement {agreement_id!r} already exists")
            tx.agreements.add(agreement_id, tx.now)
            tx.agreements.add_version(agreement_id, 1, terms, tx.now)
            tx.record(AgreementVersioned(agreement_id, 1, terms))
            return Agreement(agreement_id, 1, terms, tx.now)

    def update(self, caller: Caller, agreement_id: str, terms: AgreementTerms) -> Agreement:
        """A new version of the terms; notices keep the version they were submitted under."""
        require_admin(caller)
        if not is_id(agreement_id):
            raise NotFound(f"agreement {agreement_id!r} not found")
        with self._ctx.transaction() as tx:
            self._ctx.lock_agreements(tx, [agreement_id])
            head = tx.heads.get(agreement_id)
            if head is None:
                raise NotFound(f"agreement {agreement_id!r} not found")
            _check_members(tx, terms)
            version = head.current_version + 1
            tx.agreements.add_version(agreement_id, version, terms, tx.now)
            tx.record(AgreementVersioned(agreement_id, version, terms))
            tx.record_index_change([agreement_id], "rebuild", "agreement", agreement_id, version)
            return Agreement(agreement_id, version, terms, tx.now)

    def get(self, caller: Caller, agreement_id: str, version: int | None = None) -> Agreement:
        with self._ctx.read() as repos:
            visible = read_agreement(repos, caller, agreement_id)
            stored = visible and (version is None or 1 <= version <= MAX_INT32)
            agreement = repos.agreements.get(agreement_id, version) if stored else None
        if agreement is None or not visible:
            raise NotFound(f"agreement {agreement_id!r} not found")
        return agreement

    def list_all(self, caller: Caller) -> list[Agreement]:
        """The latest version of each agreement the caller may read."""
        with self._ctx.read() as repos:
            if caller.party_id is None:
                ids = repos.agreements.ids()
            else:
                ids = repos.agreements.of_member(caller.party_id)
        return [self.get(caller, agreement_id) for agreement_id in ids]
