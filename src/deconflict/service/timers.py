"""Deadlines that fire by themselves: acknowledgement escalations and notice expiry.

Every timer is derived from stored state (`disclosures.next_escalation_at`,
`notice_versions.time_end`), so a restart loses none, and a conditional update makes
each tier fire exactly once even with several service instances.
"""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa

from deconflict.domain import AckState, EventKind, NoticeState
from deconflict.service.base import stamp
from deconflict.service.notices import NoticeUseCases
from deconflict.storage import tables as t

__all__ = ["TimerUseCases"]

log = logging.getLogger(__name__)
BATCH = 200


class TimerUseCases(NoticeUseCases):
    _scheduler: threading.Thread | None
    _stopping: threading.Event

    def tick(self) -> int:
        """Fire every escalation and expiry due at the clock's now; the number fired."""
        now = self.clock.now()
        fired = 0
        while True:
            with self._engine.connect() as conn:
                due = conn.execute(
                    sa.select(
                        t.disclosures.c.notice_id,
                        t.disclosures.c.version,
                        t.disclosures.c.party_id,
                        t.disclosures.c.escalation_tier,
                    )
                    .where(t.disclosures.c.next_escalation_at <= now)
                    .where(t.disclosures.c.acknowledged_at.is_(None))
                    .order_by(t.disclosures.c.next_escalation_at)
                    .limit(BATCH)
                ).all()
            if not due:
                break
            fired += sum(self._escalate(*row) for row in due)
        while expired := self._expire_batch():
            fired += expired
        return fired

    def _escalate(self, notice_id: str, version: int, party: str, tier: int) -> int:
        with self._tx() as tx:
            row = tx.conn.execute(
                sa.select(
                    t.disclosures,
                    t.notice_versions.c.time_start,
                    t.notice_versions.c.agreement_version,
                    t.notices.c.agreement_id,
                    t.notices.c.originator,
                )
                .join(
                    t.notice_versions,
                    (t.notice_versions.c.notice_id == t.disclosures.c.notice_id)
                    & (t.notice_versions.c.version == t.disclosures.c.version),
                )
                .join(t.notices, t.notices.c.id == t.disclosures.c.notice_id)
                .where(t.disclosures.c.notice_id == notice_id)
                .where(t.disclosures.c.version == version)
                .where(t.disclosures.c.party_id == party)
            ).one()
            due_at = row.next_escalation_at
            if due_at is None or due_at > tx.now or row.acknowledged_at is not None:
                return 0
            terms = self._terms(tx.conn, row.agreement_id, row.agreement_version)
            next_due = terms.escalation_due(row.disclosed_at, tier + 1, row.time_start)
            updated = tx.conn.execute(
                sa.update(t.disclosures)
                .where(t.disclosures.c.notice_id == notice_id)
                .where(t.disclosures.c.version == version)
                .where(t.disclosures.c.party_id == party)
                .where(t.disclosures.c.escalation_tier == tier)
                .where(t.disclosures.c.acknowledged_at.is_(None))
                .values(
                    escalation_tier=tier + 1,
                    ack_state=AckState.ESCALATED.value,
                    next_escalation_at=next_due,
                )
            ).rowcount
            if updated != 1:
                return 0
            self._log(
                tx,
                "escalation",
                None,
                {
                    "notice_id": notice_id,
                    "version": version,
                    "party_id": party,
                    "tier": tier + 1,
                    "due_at": stamp(due_at),
                    "fired_at": stamp(tx.now),
                    "ack_due_at": stamp(row.ack_due_at),
                },
                [party, row.originator],
                notice_id=notice_id,
                version=version,
                refs=[h for h in [self._notice_entry(tx, notice_id, version)] if h],
            )
            self._record_event(
                tx,
                EventKind.ESCALATION,
                row.agreement_id,
                [party, row.originator],
                notice_id=notice_id,
                version=version,
                party_id=party,
                due_at=due_at,
                data={
                    "tier": tier + 1,
                    "due_at": due_at.isoformat(),
                    "fired_at": tx.now.isoformat(),
                    "ack_due_at": row.ack_due_at.isoformat(),
                },
            )
            self._refresh_state(tx, notice_id)
            return 1

    def _expire_batch(self) -> int:
        """Take operations that have ended out of the check; mark their notices expired."""
        with self._tx() as tx:
            rows = tx.conn.execute(
                sa.select(
                    t.notice_versions.c.notice_id,
                    t.notice_versions.c.version,
                    t.notice_versions.c.time_end,
                    t.notices.c.agreement_id,
                    t.notices.c.originator,
                    t.notices.c.latest_version,
                )
                .join(t.notices, t.notices.c.id == t.notice_versions.c.notice_id)
                .where(t.notice_versions.c.indexed.is_(True))
                .where(t.notice_versions.c.time_end <= tx.now)
                .order_by(t.notice_versions.c.time_end)
                .limit(BATCH)
            ).all()
            self._lock_agreements(tx, {row.agreement_id for row in rows})
            for row in rows:
                tx.conn.execute(
                    sa.update(t.notice_versions)
                    .where(t.notice_versions.c.notice_id == row.notice_id)
                    .where(t.notice_versions.c.version == row.version)
                    .values(indexed=False)
                )
                self._record_change(
                    tx, [row.agreement_id], "remove", "notice", row.notice_id, row.version
                )
                if row.version == row.latest_version:
                    self._set_state(tx, row.notice_id, NoticeState.EXPIRED)
                recipients = list(
                    tx.conn.execute(
                        sa.select(t.disclosures.c.party_id)
                        .where(t.disclosures.c.notice_id == row.notice_id)
                        .distinct()
                    ).scalars()
                )
                self._log(
                    tx,
                    "expired",
                    None,
                    {
                        "notice_id": row.notice_id,
                        "version": row.version,
                        "time_end": stamp(row.time_end),
                    },
                    [row.originator, *recipients],
                    notice_id=row.notice_id,
                    version=row.version,
                )
                self._record_event(
                    tx,
                    EventKind.EXPIRED,
                    row.agreement_id,
                    [row.originator, *recipients],
                    notice_id=row.notice_id,
                    version=row.version,
                    due_at=row.time_end,
                    data={"time_end": row.time_end.isoformat()},
                )
            return len(rows)

    def run_scheduler(self, interval_s: float = 1.0) -> None:
        """Call `tick` every `interval_s` on a daemon thread until `close`."""
        if self._scheduler is not None:
            return

        def loop() -> None:
            while not self._stopping.wait(interval_s):
                try:
                    self.tick()
                except Exception:
                    log.exception("scheduler tick failed; retrying")

        self._scheduler = threading.Thread(target=loop, name="deconflict-scheduler", daemon=True)
        self._scheduler.start()
