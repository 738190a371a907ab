"""Stored disclosures (who was shown which notice version, and their acknowledgement clocks)
and the acknowledgements that stopped those clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from deconflict.domain import Acknowledgement, AckState, Disclosure
from deconflict.storage import tables as t

__all__ = ["DisclosureStore", "DueEscalation", "EscalationTarget"]

d = t.disclosures.c


@dataclass(frozen=True, slots=True)
class DueEscalation:
    notice_id: str
    version: int
    party: str
    tier: int


@dataclass(frozen=True, slots=True)
class EscalationTarget:
    """A disclosure with what its next escalation needs to know of the notice."""

    disclosure: Disclosure
    next_escalation_at: datetime | None
    time_start: datetime
    agreement_id: str
    agreement_version: int
    originator: str


class DisclosureStore:
    """Disclosures and acknowledgements on one connection."""

    def __init__(self, conn: sa.Connection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    def add(
        self,
        notice_id: str,
        version: int,
        disclosure: Disclosure,
        next_escalation_at: datetime | None,
    ) -> None:
        self._conn.execute(
            t.disclosures.insert().values(
                notice_id=notice_id,
                version=version,
                party_id=disclosure.party,
                reason=disclosure.reason,
                disclosed_at=disclosure.disclosed_at,
                first_fetched_at=disclosure.first_fetched_at,
                lead_time_s=disclosure.lead_time_s,
                short_notice=disclosure.short_notice,
                ack_due_at=disclosure.ack_due_at,
                ack_state=disclosure.ack_state.value,
                escalation_tier=disclosure.escalation_tier,
                next_escalation_at=next_escalation_at,
                acknowledged_at=disclosure.acknowledged_at,
            )
        )

    def get(
        self, notice_id: str, version: int, party: str, *, lock: bool = False
    ) -> Disclosure | None:
        """One party's disclosure of a version; with `lock`, held (on PostgreSQL) until commit."""
        query = _one(sa.select(t.disclosures), notice_id, version, party)
        if lock and self._postgres:
            query = query.with_for_update()
        row = self._conn.execute(query).one_or_none()
        return None if row is None else _disclosure(row)

    def exists(self, notice_id: str, version: int, party: str) -> bool:
        query = _one(sa.select(d.party_id), notice_id, version, party)
        return self._conn.execute(query).first() is not None

    def of_version(self, notice_id: str, version: int) -> list[Disclosure]:
        """A version's disclosures, by party."""
        query = sa.select(t.disclosures).where(d.notice_id == notice_id).where(d.version == version)
        return [_disclosure(row) for row in self._conn.execute(query.order_by(d.party_id))]

    def recipients(self, notice_id: str) -> list[str]:
        """Every party any version of the notice was disclosed to."""
        return list(
            self._conn.execute(
                sa.select(d.party_id).where(d.notice_id == notice_id).distinct()
            ).scalars()
        )

    def versions_for(self, notice_id: str, party: str) -> list[int]:
        """The versions of the notice disclosed to `party`, in order."""
        return list(
            self._conn.execute(
                sa.select(d.version)
                .where(d.notice_id == notice_id)
                .where(d.party_id == party)
                .order_by(d.version)
            ).scalars()
        )

    def ack_states(self, notice_id: str, version: int) -> set[AckState]:
        rows = self._conn.execute(
            sa.select(d.ack_state).where(d.notice_id == notice_id).where(d.version == version)
        ).scalars()
        return {AckState(state) for state in rows}

    def mark_fetched(self, notice_id: str, version: int, party: str, at: datetime) -> None:
        """Stamp the first delivery of a version to `party` (later ones change nothing)."""
        self._conn.execute(
            _one(sa.update(t.disclosures), notice_id, version, party)
            .where(d.first_fetched_at.is_(None))
            .values(first_fetched_at=at)
        )

    def acknowledge(
        self, ack: Acknowledgement, state: AckState, party_received_at: datetime | None
    ) -> None:
        """Stop the disclosure's clock and store the acknowledgement."""
        self._conn.execute(
            _one(sa.update(t.disclosures), ack.notice_id, ack.version, ack.party).values(
                acknowledged_at=ack.acknowledged_at,
                ack_state=state.value,
                next_escalation_at=None,
                first_fetched_at=ack.received_at,
            )
        )
        self._conn.execute(
            t.acknowledgements.insert().values(
                notice_id=ack.notice_id,
                version=ack.version,
                party_id=ack.party,
                received_at=ack.received_at,
                party_received_at=party_received_at,
                acknowledged_at=ack.acknowledged_at,
                text=ack.text,
                late=ack.late,
                signature_b64=ack.signature_b64,
            )
        )

    def acknowledgements(self, notice_id: str) -> list[Acknowledgement]:
        """The notice's acknowledgements by version and party."""
        a = t.acknowledgements.c
        query = sa.select(t.acknowledgements).where(a.notice_id == notice_id)
        rows = self._conn.execute(query.order_by(a.version, a.party_id))
        return [
            Acknowledgement(
                notice_id=row.notice_id,
                version=row.version,
                party=row.party_id,
                received_at=row.received_at,
                acknowledged_at=row.acknowledged_at,
                text=row.text,
                late=row.late,
                signature_b64=row.signature_b64,
            )
            for row in rows
        ]

    def stop_escalations_before(self, notice_id: str, version: int) -> None:
        """Earlier versions' clocks stop: only the newest version is waited for."""
        self._conn.execute(
            sa.update(t.disclosures)
            .where(d.notice_id == notice_id)
            .where(d.version < version)
            .values(next_escalation_at=None)
        )

    def due_escalations(self, now: datetime, limit: int) -> list[DueEscalation]:
        rows = self._conn.execute(
            sa.select(d.notice_id, d.version, d.party_id, d.escalation_tier)
            .where(d.next_escalation_at <= now)
            .where(d.acknowledged_at.is_(None))
            .order_by(d.next_escalation_at)
            .limit(limit)
        )
        return [DueEscalation(*row) for row in rows]

    def escalation_target(self, notice_id: str, version: int, party: str) -> EscalationTarget:
        nv, n = t.notice_versions.c, t.notices.c
        row = self._conn.execute(
            _one(
                sa.select(
                    t.disclosures, nv.time_start, nv.agreement_version, n.agreement_id, n.originator
                )
                .join(
                    t.notice_versions,
                    (nv.notice_id == d.notice_id) & (nv.version == d.version),
                )
                .join(t.notices, n.id == d.notice_id),
                notice_id,
                version,
                party,
            )
        ).one()
        return EscalationTarget(
            _disclosure(row),
            row.next_escalation_at,
            row.time_start,
            row.agreement_id,
            row.agreement_version,
            row.originator,
        )

    def escalate(
        self, notice_id: str, version: int, party: str, tier: int, next_due: datetime | None
    ) -> bool:
        """Fire tier `tier` + 1 if the disclosure still stands at `tier`, unacknowledged: the
        condition makes each tier fire once, whichever instance gets there first."""
        updated = self._conn.execute(
            _one(sa.update(t.disclosures), notice_id, version, party)
            .where(d.escalation_tier == tier)
            .where(d.acknowledged_at.is_(None))
            .values(
                escalation_tier=tier + 1,
                ack_state=AckState.ESCALATED.value,
                next_escalation_at=next_due,
            )
        ).rowcount
        return bool(updated == 1)


def _one(query: Any, notice_id: str, version: int, party: str) -> Any:
    return (
        query.where(d.notice_id == notice_id).where(d.version == version).where(d.party_id == party)
    )


def _disclosure(row: sa.Row[Any]) -> Disclosure:
    return Disclosure(
        party=row.party_id,
        disclosed_at=row.disclosed_at,
        first_fetched_at=row.first_fetched_at,
        lead_time_s=row.lead_time_s,
        short_notice=row.short_notice,
        ack_due_at=row.ack_due_at,
        ack_state=AckState(row.ack_state),
        escalation_tier=row.escalation_tier,
        acknowledged_at=row.acknowledged_at,
        reason=row.reason,
    )
