"""Use cases for the rules of the mechanism: agreements, protected areas and third-party hazards."""

from __future__ import annotations

import sqlalchemy as sa

from deconflict.domain import Agreement, AgreementTerms, Hazard, ProtectedArea
from deconflict.errors import FieldError, InvalidInput, NotFound
from deconflict.geometry import Volume
from deconflict.geometry.formats import volume_to_geojson
from deconflict.service.base import Caller, ServiceBase, Tx
from deconflict.service.records import agreement_of, hazard_of, protected_area_of
from deconflict.storage import tables as t

__all__ = ["AgreementUseCases", "current_members", "member_agreements"]


def current_members(conn: sa.Connection, agreement_id: str) -> list[str]:
    return list(
        conn.execute(
            sa.select(t.agreement_members.c.party_id)
            .join(t.agreements, t.agreements.c.id == t.agreement_members.c.agreement_id)
            .where(t.agreement_members.c.agreement_id == agreement_id)
            .where(t.agreement_members.c.version == t.agreements.c.current_version)
            .order_by(t.agreement_members.c.party_id)
        ).scalars()
    )


def member_agreements(conn: sa.Connection, party_id: str) -> list[str]:
    """Agreements whose current version lists the party."""
    return list(
        conn.execute(
            sa.select(t.agreement_members.c.agreement_id)
            .join(t.agreements, t.agreements.c.id == t.agreement_members.c.agreement_id)
            .where(t.agreement_members.c.party_id == party_id)
            .where(t.agreement_members.c.version == t.agreements.c.current_version)
            .order_by(t.agreement_members.c.agreement_id)
        ).scalars()
    )


def _partners(conn: sa.Connection, party_id: str) -> set[str]:
    """The party and everyone it shares an agreement with."""
    partners = {party_id}
    for agreement_id in member_agreements(conn, party_id):
        partners.update(current_members(conn, agreement_id))
    return partners


class AgreementUseCases(ServiceBase):
    def _check_members(self, tx: Tx, terms: AgreementTerms) -> None:
        known = set(
            tx.conn.execute(
                sa.select(t.parties.c.id).where(t.parties.c.id.in_(terms.members))
            ).scalars()
        )
        errors = [
            FieldError(f"/members/{i}", f"unknown party {member!r}")
            for i, member in enumerate(terms.members)
            if member not in known
        ]
        if errors:
            raise InvalidInput("agreement names unknown parties", errors)

    def _insert_agreement_version(
        self, tx: Tx, agreement_id: str, version: int, terms: AgreementTerms
    ) -> None:
        tx.conn.execute(
            t.agreement_versions.insert().values(
                agreement_id=agreement_id,
                version=version,
                terms=terms.as_dict(),
                created_at=tx.now,
            )
        )
        tx.conn.execute(
            t.agreement_members.insert(),
            [
                {"agreement_id": agreement_id, "version": version, "party_id": p}
                for p in terms.members
            ],
        )
        self._log(
            tx,
            "agreement.version",
            None,
            {"agreement_id": agreement_id, "version": version, "terms": terms.as_dict()},
            terms.members,
        )

    def add_agreement(
        self, caller: Caller, terms: AgreementTerms, *, agreement_id: str | None = None
    ) -> Agreement:
        self._require_admin(caller)
        with self._tx() as tx:
            self._check_members(tx, terms)
            agreement_id = agreement_id or self._new_id("agr", tx)
            if tx.conn.execute(
                sa.select(t.agreements.c.id).where(t.agreements.c.id == agreement_id)
            ).first():
                raise InvalidInput.at("/id", f"agreement {agreement_id!r} already exists")
            tx.conn.execute(
                t.agreements.insert().values(
                    id=agreement_id, current_version=1, seq=0, created_at=tx.now
                )
            )
            self._insert_agreement_version(tx, agreement_id, 1, terms)
            return Agreement(agreement_id, 1, terms, tx.now)

    def update_agreement(
        self, caller: Caller, agreement_id: str, terms: AgreementTerms
    ) -> Agreement:
        """A new version of the terms; notices keep the version they were submitted under."""
        self._require_admin(caller)
        with self._tx() as tx:
            self._lock_agreements(tx, [agreement_id])
            current = tx.conn.execute(
                sa.select(t.agreements.c.current_version).where(t.agreements.c.id == agreement_id)
            ).scalar_one_or_none()
            if current is None:
                raise NotFound(f"agreement {agreement_id!r} not found")
            self._check_members(tx, terms)
            version = current + 1
            self._insert_agreement_version(tx, agreement_id, version, terms)
            tx.conn.execute(
                sa.update(t.agreements)
                .where(t.agreements.c.id == agreement_id)
                .values(current_version=version)
            )
            self._record_change(tx, [agreement_id], "rebuild", "agreement", agreement_id, version)
            return Agreement(agreement_id, version, terms, tx.now)

    def get_agreement(
        self, caller: Caller, agreement_id: str, version: int | None = None
    ) -> Agreement:
        with self._engine.connect() as conn:
            visible = caller.is_admin or caller.party_id in current_members(conn, agreement_id)
            query = sa.select(t.agreement_versions).where(
                t.agreement_versions.c.agreement_id == agreement_id
            )
            if version is None:
                query = query.join(
                    t.agreements,
                    (t.agreements.c.id == t.agreement_versions.c.agreement_id)
                    & (t.agreements.c.current_version == t.agreement_versions.c.version),
                )
            else:
                query = query.where(t.agreement_versions.c.version == version)
            row = conn.execute(query).one_or_none()
        if row is None or not visible:
            raise NotFound(f"agreement {agreement_id!r} not found")
        return agreement_of(row)

    def list_agreements(self, caller: Caller) -> list[Agreement]:
        with self._engine.connect() as conn:
            if caller.party_id is None:
                ids = list(
                    conn.execute(sa.select(t.agreements.c.id).order_by(t.agreements.c.id)).scalars()
                )
            else:
                ids = member_agreements(conn, caller.party_id)
        return [self.get_agreement(caller, agreement_id) for agreement_id in ids]

    def add_protected_area(self, caller: Caller, name: str, volume: Volume) -> ProtectedArea:
        owner = self._require_party(caller)
        if not name.strip():
            raise InvalidInput.at("/name", "must not be empty")
        with self._tx() as tx:
            agreement_ids = member_agreements(tx.conn, owner)
            self._lock_agreements(tx, agreement_ids)
            area_id = self._new_id("pa", tx)
            tx.conn.execute(
                t.protected_areas.insert().values(
                    id=area_id,
                    owner=owner,
                    name=name.strip(),
                    volume=volume_to_geojson(volume),
                    created_at=tx.now,
                )
            )
            self._record_change(tx, agreement_ids, "add", "protected_area", area_id)
            self._log(
                tx,
                "protected_area.added",
                owner,
                {
                    "area_id": area_id,
                    "owner": owner,
                    "name": name.strip(),
                    "volume": volume_to_geojson(volume),
                },
                _partners(tx.conn, owner),
            )
            return ProtectedArea(area_id, owner, name.strip(), volume, tx.now)

    def list_protected_areas(self, caller: Caller) -> list[ProtectedArea]:
        with self._engine.connect() as conn:
            query = sa.select(t.protected_areas).where(t.protected_areas.c.removed_at.is_(None))
            if caller.party_id is not None:
                query = query.where(t.protected_areas.c.owner.in_(_partners(conn, caller.party_id)))
            rows = conn.execute(query.order_by(t.protected_areas.c.id)).all()
        return [protected_area_of(row) for row in rows]

    def remove_protected_area(self, caller: Caller, area_id: str) -> None:
        owner = self._require_party(caller)
        with self._tx() as tx:
            agreement_ids = member_agreements(tx.conn, owner)
            self._lock_agreements(tx, agreement_ids)
            removed = tx.conn.execute(
                sa.update(t.protected_areas)
                .where(t.protected_areas.c.id == area_id)
                .where(t.protected_areas.c.owner == owner)
                .where(t.protected_areas.c.removed_at.is_(None))
                .values(removed_at=tx.now)
            ).rowcount
            if not removed:
                raise NotFound(f"protected area {area_id!r} not found")
            self._record_change(tx, agreement_ids, "remove", "protected_area", area_id)
            self._log(
                tx,
                "protected_area.removed",
                owner,
                {"area_id": area_id, "owner": owner},
                _partners(tx.conn, owner),
            )

    def add_hazard(self, caller: Caller, agreement_id: str, name: str, volume: Volume) -> Hazard:
        party = self._require_party(caller)
        if not name.strip():
            raise InvalidInput.at("/name", "must not be empty")
        with self._tx() as tx:
            if party not in current_members(tx.conn, agreement_id):
                raise InvalidInput.at("/agreement_id", f"unknown agreement {agreement_id!r}")
            self._lock_agreements(tx, [agreement_id])
            hazard_id = self._new_id("hz", tx)
            tx.conn.execute(
                t.hazards.insert().values(
                    id=hazard_id,
                    agreement_id=agreement_id,
                    entered_by=party,
                    name=name.strip(),
                    volume=volume_to_geojson(volume),
                    created_at=tx.now,
                )
            )
            self._record_change(tx, [agreement_id], "add", "hazard", hazard_id)
            self._log(
                tx,
                "hazard.added",
                party,
                {
                    "hazard_id": hazard_id,
                    "agreement_id": agreement_id,
                    "name": name.strip(),
                    "volume": volume_to_geojson(volume),
                },
                current_members(tx.conn, agreement_id),
            )
            return Hazard(hazard_id, agreement_id, party, name.strip(), volume, tx.now)

    def list_hazards(self, caller: Caller, agreement_id: str | None = None) -> list[Hazard]:
        with self._engine.connect() as conn:
            query = sa.select(t.hazards).where(t.hazards.c.removed_at.is_(None))
            if caller.party_id is not None:
                query = query.where(
                    t.hazards.c.agreement_id.in_(member_agreements(conn, caller.party_id))
                )
            if agreement_id is not None:
                query = query.where(t.hazards.c.agreement_id == agreement_id)
            rows = conn.execute(query.order_by(t.hazards.c.id)).all()
        return [hazard_of(row) for row in rows]

    def remove_hazard(self, caller: Caller, hazard_id: str) -> None:
        party = self._require_party(caller)
        with self._tx() as tx:
            row = tx.conn.execute(
                sa.select(t.hazards.c.agreement_id)
                .where(t.hazards.c.id == hazard_id)
                .where(t.hazards.c.removed_at.is_(None))
            ).one_or_none()
            if row is None or party not in current_members(tx.conn, row.agreement_id):
                raise NotFound(f"hazard {hazard_id!r} not found")
            self._lock_agreements(tx, [row.agreement_id])
            tx.conn.execute(
                sa.update(t.hazards).where(t.hazards.c.id == hazard_id).values(removed_at=tx.now)
            )
            self._record_change(tx, [row.agreement_id], "remove", "hazard", hazard_id)
            self._log(
                tx,
                "hazard.removed",
                party,
                {"hazard_id": hazard_id, "agreement_id": row.agreement_id},
                current_members(tx.conn, row.agreement_id),
            )
